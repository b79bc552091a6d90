import type { Redis } from 'ioredis';
import { AddressSalt } from './address-salt.js';

/** The answer of {@link EndpointLimiter.take}. */
export interface LimitAnswer {
  ok: boolean;
  /** Seconds until the window this request counted in ends (for Retry-After). */
  retryAfterS: number;
}

/** Counts kept in memory at most (then all are forgotten: a flood of addresses cannot grow it). */
const _MAX_LOCAL = 65_536;

/**
 * Redis key prefix of each family of HTTP endpoints. The prekey endpoints keep the prefix they had
 * before the families were told apart, so a rolling upgrade keeps their windows.
 */
export const ENDPOINT_LIMIT_PREFIX = Object.freeze({ prekey: 'tacit:pk', directory: 'tacit:dir', push: 'tacit:push' } as const);

/**
 * Fixed windows of `windowMs` per requester and kind of request (prekey fetch and upload, directory
 * lookup and write, push register, …), for one family of HTTP endpoints, shared by every gateway
 * replica through Redis under the family's prefix (INCR and PEXPIRE, one pipeline per request: an
 * endpoint request already waits on the bus, so one more round trip costs little; unlike the frame
 * limiter, this one is exact across replicas), or counted in this process without Redis (the node).
 * Requesters are keyed by {@link AddressSalt} (the IPv4 address or IPv6 /64, hashed with a salt
 * every replica shares), never by the address. If Redis fails, the count falls back to this
 * replica's own for that request (a limit per replica, rather than none).
 */
export class EndpointLimiter {
  readonly #local = new Map<string, { window: number; count: number }>();
  readonly #salt: AddressSalt;

  constructor(
    private readonly opts: {
      redis?: Redis | undefined;
      /** Redis key prefix of the family ({@link ENDPOINT_LIMIT_PREFIX}; default the prekey endpoints'). */
      prefix?: string;
      /** Keys of client addresses (the gateway's, shared with its other limits); a salt of its own by default. */
      salt?: AddressSalt;
      windowMs?: number;
      now?: () => number;
      /** Told when Redis could not be reached (the request was counted locally). */
      onError?: (err: unknown) => void;
    } = {},
  ) {
    this.#salt = opts.salt ?? new AddressSalt();
  }

  get windowMs(): number {
    return this.opts.windowMs ?? 60_000;
  }

  /** Counts one request of `kind` from `ip` against `limit` per window. */
  async take(kind: string, ip: string, limit: number): Promise<LimitAnswer> {
    const now = (this.opts.now ?? Date.now)();
    const windowMs = this.windowMs;
    const window = Math.floor(now / windowMs);
    const retryAfterS = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    const key = `${kind}:${this.#salt.key(ip)}`;
    const redis = this.opts.redis;
    if (redis) {
      try {
        const rkey = `${this.opts.prefix ?? ENDPOINT_LIMIT_PREFIX.prekey}:${window}:${key}`;
        const res = await redis.multi().incr(rkey).pexpire(rkey, windowMs * 2).exec();
        const count = res?.[0]?.[1];
        if (typeof count !== 'number') throw res?.[0]?.[0] ?? new Error('no INCR reply');
        return { ok: count <= limit, retryAfterS };
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
    let c = this.#local.get(key);
    if (!c || c.window !== window) {
      if (!c && this.#local.size >= _MAX_LOCAL) this.#local.clear();
      c = { window, count: 0 };
      this.#local.set(key, c);
    }
    c.count++;
    return { ok: c.count <= limit, retryAfterS };
  }
}
