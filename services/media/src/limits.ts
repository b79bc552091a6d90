/**
 * The counters the media service's quotas and rate limits take from: fixed windows per key, in
 * Redis across replicas (the cluster) or in this process's memory (the node). An upload's creation
 * or a request waits for one Redis round trip — unlike the gateway's per-frame limits, a media
 * request is rare and large, so an exact count is worth the wait.
 * @module
 */
import type { Redis } from 'ioredis';

/** What a take found. */
export interface Taken {
  ok: boolean;
  /** Until the window ends (when not ok: when the count starts again). */
  retryAfterMs: number;
}

/** Fixed-window counters. */
export interface WindowCounter {
  /** Adds `amount` to `key`'s count in the current window of `windowMs`, unless that would pass `limit`. */
  take(key: string, amount: number, limit: number, windowMs: number): Promise<Taken>;
  /** Gives back `amount` taken in the current window (an upload that was not created after all). */
  give(key: string, amount: number, windowMs: number): Promise<void>;
}

interface _Cell {
  window: number;
  used: number;
}

/**
 * Counters in memory, at most `maxKeys` of them: past it the oldest key is dropped (its count
 * starts again — an address that cycles through more keys than that in one window only resets
 * others' counts, and an IPv6 client counts as its /64, so that takes many real networks).
 */
export class MemoryWindowCounter implements WindowCounter {
  readonly #cells = new Map<string, _Cell>();

  constructor(private readonly opts: { maxKeys?: number; now?: () => number } = {}) {}

  /** Keys held. */
  get size(): number {
    return this.#cells.size;
  }

  async take(key: string, amount: number, limit: number, windowMs: number): Promise<Taken> {
    return this.takeSync(key, amount, limit, windowMs);
  }

  /** {@link take} without the promise (the Redis counter's fallback). */
  takeSync(key: string, amount: number, limit: number, windowMs: number): Taken {
    const now = (this.opts.now ?? Date.now)();
    const window = Math.floor(now / windowMs);
    const retryAfterMs = (window + 1) * windowMs - now;
    const k = `${windowMs}:${key}`;
    let cell = this.#cells.get(k);
    if (!cell || cell.window !== window) {
      this.#cells.delete(k);
      cell = { window, used: 0 };
      this.#cells.set(k, cell);
      const max = this.opts.maxKeys ?? 100_000;
      while (this.#cells.size > max) this.#cells.delete(this.#cells.keys().next().value!);
    }
    if (cell.used + amount > limit) return { ok: false, retryAfterMs };
    cell.used += amount;
    return { ok: true, retryAfterMs };
  }

  async give(key: string, amount: number, windowMs: number): Promise<void> {
    const cell = this.#cells.get(`${windowMs}:${key}`);
    if (cell && cell.window === Math.floor((this.opts.now ?? Date.now)() / windowMs)) cell.used = Math.max(0, cell.used - amount);
  }
}

// INCRBY, and back out if it passed the limit: one round trip, atomic, so two replicas never both
// take the last bytes of a quota.
const _TAKE = `
local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
if v > tonumber(ARGV[2]) then
  redis.call('DECRBY', KEYS[1], ARGV[1])
  return 0
end
return 1`;

// A refund only into a window that still exists: after it expired (or rolled over) there is
// nothing to give back, and a DECRBY would make a negative key with no expiry.
const _GIVE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECRBY', KEYS[1], ARGV[1]) end
return 0`;

/**
 * Counters in Redis (key `tacit:media:<window ms>:<window>:<key>`, expiring after two windows).
 * While Redis does not answer, the counts are this replica's own (a {@link MemoryWindowCounter}):
 * limits per replica for that time, never none.
 */
export class RedisWindowCounter implements WindowCounter {
  readonly #fallback: MemoryWindowCounter;

  constructor(
    private readonly redis: Redis,
    private readonly opts: { now?: () => number; onError?: (err: unknown) => void; maxKeys?: number } = {},
  ) {
    this.#fallback = new MemoryWindowCounter({ ...(opts.now ? { now: opts.now } : {}), ...(opts.maxKeys ? { maxKeys: opts.maxKeys } : {}) });
  }

  #key(key: string, windowMs: number, window: number): string {
    return `tacit:media:${windowMs}:${window}:${key}`;
  }

  async take(key: string, amount: number, limit: number, windowMs: number): Promise<Taken> {
    const now = (this.opts.now ?? Date.now)();
    const window = Math.floor(now / windowMs);
    const retryAfterMs = (window + 1) * windowMs - now;
    try {
      const ok = await this.redis.eval(_TAKE, 1, this.#key(key, windowMs, window), amount, limit, 2 * windowMs);
      return { ok: ok === 1, retryAfterMs };
    } catch (err) {
      this.opts.onError?.(err);
      return this.#fallback.takeSync(key, amount, limit, windowMs);
    }
  }

  async give(key: string, amount: number, windowMs: number): Promise<void> {
    const window = Math.floor((this.opts.now ?? Date.now)() / windowMs);
    try {
      await this.redis.eval(_GIVE, 1, this.#key(key, windowMs, window), amount);
    } catch (err) {
      this.opts.onError?.(err);
      await this.#fallback.give(key, amount, windowMs);
    }
  }
}

/**
 * Requests in flight per key on this replica, at most `limit` each. Entries leave at zero, so the
 * map never holds more keys than requests in flight (themselves bounded by MEDIA_MAX_INFLIGHT).
 */
export class InFlight {
  readonly #counts = new Map<string, number>();
  #total = 0;

  /** Keys held. */
  get size(): number {
    return this.#counts.size;
  }

  /** Requests in flight, all keys. */
  get total(): number {
    return this.#total;
  }

  /** Counts one more for `key` unless it holds `limit` already; the release, or undefined. */
  acquire(key: string, limit: number): (() => void) | undefined {
    const n = this.#counts.get(key) ?? 0;
    if (n >= limit) return undefined;
    this.#counts.set(key, n + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const left = (this.#counts.get(key) ?? 1) - 1;
      if (left <= 0) this.#counts.delete(key);
      else this.#counts.set(key, left);
    };
  }
}
