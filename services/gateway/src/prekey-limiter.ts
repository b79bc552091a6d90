import { isIPv4, isIPv6 } from 'node:net';
import type { Redis } from 'ioredis';
import { blake3Keyed, randomBytes } from '@tacit/crypto';

/** The answer of {@link PrekeyLimiter.take}. */
export interface LimitAnswer {
  ok: boolean;
  /** Seconds until the window this request counted in ends (for Retry-After). */
  retryAfterS: number;
}

/** Counts kept in memory at most (then all are forgotten: a flood of addresses cannot grow it). */
const _MAX_LOCAL = 65_536;
/** Key of the salt every replica hashes client addresses with (made by the first to ask). */
const _SALT_KEY = 'tacit:pk:salt';
/** The shared salt is read again this often: a Redis that restarted empty gets a new one, which every replica then learns. */
const _SALT_REFRESH_MS = 300_000;

/**
 * The requester a prekey request is counted against: its IPv4 address, or the /64 of an IPv6 one
 * (an IPv6 client is handed a whole /64; counting single addresses would let it make up new ones).
 */
export function requesterOf(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t] : h;
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Fixed windows of `windowMs` per requester and kind of request (fetch, upload), shared by every
 * gateway replica through Redis (INCR and PEXPIRE, one pipeline per request: a prekey request
 * already waits on the bus, so one more round trip costs little; unlike the frame limiter, this one
 * is exact across replicas), or counted in this process without Redis (the node). Requesters are
 * salted BLAKE3 hashes of their address, never the address: the salt is shared through Redis so
 * every replica counts a client under one key, and is random per process without it. If Redis
 * fails, the count falls back to this replica's own for that request (a limit per replica, rather
 * than none).
 */
export class PrekeyLimiter {
  readonly #local = new Map<string, { window: number; count: number }>();
  #salt: Promise<Uint8Array> | undefined;
  #saltAt = 0;

  constructor(
    private readonly opts: {
      redis?: Redis | undefined;
      windowMs?: number;
      now?: () => number;
      /** Told when Redis could not be reached (the request was counted locally). */
      onError?: (err: unknown) => void;
    } = {},
  ) {}

  get windowMs(): number {
    return this.opts.windowMs ?? 60_000;
  }

  /** Counts one request of `kind` from `ip` against `limit` per window. */
  async take(kind: string, ip: string, limit: number): Promise<LimitAnswer> {
    const now = (this.opts.now ?? Date.now)();
    const windowMs = this.windowMs;
    const window = Math.floor(now / windowMs);
    const retryAfterS = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    const key = `${kind}:${await this.#key(ip, now)}`;
    const redis = this.opts.redis;
    if (redis) {
      try {
        const rkey = `tacit:pk:${window}:${key}`;
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

  async #key(ip: string, now: number): Promise<string> {
    if (this.#salt === undefined || now - this.#saltAt > _SALT_REFRESH_MS) {
      this.#saltAt = now;
      this.#salt = this.#loadSalt(await this.#salt?.catch(() => undefined));
    }
    const salt = await this.#salt;
    return Buffer.from(blake3Keyed(salt, new TextEncoder().encode(requesterOf(ip)), 12)).toString('base64url');
  }

  async #loadSalt(previous: Uint8Array | undefined): Promise<Uint8Array> {
    const mine = previous ?? randomBytes(32);
    const redis = this.opts.redis;
    if (!redis) return mine;
    try {
      await redis.set(_SALT_KEY, Buffer.from(mine).toString('hex'), 'NX');
      const shared = await redis.get(_SALT_KEY);
      if (shared && /^[0-9a-f]{64}$/.test(shared)) return new Uint8Array(Buffer.from(shared, 'hex'));
    } catch (err) {
      this.opts.onError?.(err);
      // Asked again next time: a replica that started while Redis was down joins the shared key later.
      this.#saltAt = 0;
    }
    return mine;
  }
}
