import { isIPv4, isIPv6 } from 'node:net';
import { blake3Keyed, randomBytes } from '@tacit/crypto';

/** Key of the salt every replica hashes client addresses with (made by the first to ask). */
const _SALT_KEY = 'tacit:addr:salt';
/** The shared salt is read again this often: a Redis that restarted empty gets a new one, which every replica then learns. */
const _REFRESH_MS = 300_000;
/** After a failed read, asked again this soon: a replica that started while Redis was down joins the shared salt quickly. */
const _RETRY_MS = 5_000;
/** A read of the salt waits at most this long (start-up must not hang on a Redis that is down). */
const _READ_TIMEOUT_MS = 2_000;

/**
 * The requester a limit counts: an IPv4 address, or the /64 of an IPv6 one (an IPv6 client is
 * handed a whole /64; counting single addresses would let it make up 2^64 new ones).
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

/** What {@link AddressSalt} needs of Redis (an ioredis client fits): SET NX and GET. */
export interface SaltStore {
  set(key: string, value: string, mode: 'NX'): Promise<unknown>;
  get(key: string): Promise<string | null>;
}

/**
 * The salt client addresses are hashed with before they key a limit: limits need a stable key per
 * address, not the address, so no IP reaches Redis or a log. Every replica (of the gateway; of the media service) must hash one
 * client to one key, or a limit documented as "across replicas" would be one per replica: the salt
 * is therefore shared through Redis (SET NX by the first replica, read by the others, read again
 * every 5 minutes), and random per process without Redis (the node, one process). Until Redis
 * answers, a replica uses its own salt — limits per replica for that time, never none.
 */
export class AddressSalt {
  #salt: Uint8Array = randomBytes(32);
  #generation = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(
    private readonly opts: {
      redis?: SaltStore | undefined;
      /** Told when Redis could not be reached. */
      onError?: (err: unknown) => void;
      refreshMs?: number;
      retryMs?: number;
    } = {},
  ) {}

  /** Bumped each time the salt changes: keys made before are stale. */
  get generation(): number {
    return this.#generation;
  }

  /** Learns the shared salt (with Redis), then keeps it fresh; resolves even if Redis is down. */
  async start(): Promise<void> {
    if (!this.opts.redis || this.#closed) return;
    const ok = await this.#load();
    this.#schedule(ok ? (this.opts.refreshMs ?? _REFRESH_MS) : (this.opts.retryMs ?? _RETRY_MS));
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  /** The key of `ip`'s requester ({@link requesterOf}): 12 bytes of keyed BLAKE3, base64url. */
  key(ip: string): string {
    return Buffer.from(blake3Keyed(this.#salt, new TextEncoder().encode(requesterOf(ip)), 12)).toString('base64url');
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => void this.start(), ms);
    this.#timer.unref();
  }

  async #load(): Promise<boolean> {
    const redis = this.opts.redis!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const read = (async () => {
        await redis.set(_SALT_KEY, Buffer.from(this.#salt).toString('hex'), 'NX');
        return redis.get(_SALT_KEY);
      })();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer from Redis in ${_READ_TIMEOUT_MS} ms`)), _READ_TIMEOUT_MS);
      });
      const shared = await Promise.race([read, timeout]);
      if (!shared || !/^[0-9a-f]{64}$/.test(shared)) throw new Error('the shared address salt in Redis is not 32 bytes of hex');
      const salt = new Uint8Array(Buffer.from(shared, 'hex'));
      if (!Buffer.from(salt).equals(Buffer.from(this.#salt))) {
        this.#salt = salt;
        this.#generation++;
      }
      return true;
    } catch (err) {
      this.opts.onError?.(err);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
