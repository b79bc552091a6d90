import type { Redis } from 'ioredis';

/** A limiter answering synchronously on the hot path; counts are shared across replicas in the background. */
export interface RateLimiter {
  /** Counts `cost` against `key` in the current one-second window; false once the window's limit is reached. */
  allow(key: string, limit: number, cost?: number): boolean;
  /** Stops background work. */
  close(): Promise<void>;
}

/** A local token bucket: `rate` tokens per second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }
  /** Takes `cost` tokens if there are enough. */
  take(cost = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

interface _Window {
  window: number;
  /** What this replica admitted and has not yet told Redis. */
  unflushed: number;
  /** The cluster-wide count Redis last reported for this window. */
  shared: number;
}

/**
 * Fixed windows per key (one second by default; the storage quota's are an hour). Without Redis the count is this process's; with Redis each replica
 * flushes its deltas every `flushMs` (INCRBY, one pipeline per flush) and learns the cluster total back,
 * so a limit holds across replicas with an overshoot of at most one flush interval per replica — the
 * price of never waiting on Redis for a frame.
 */
export class WindowRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, _Window>();
  private readonly timer: NodeJS.Timeout | undefined;
  private flushing = false;

  constructor(
    private readonly opts: {
      redis?: Redis;
      prefix?: string;
      flushMs?: number;
      /** The window's length (default 1000 ms). */
      windowMs?: number;
      now?: () => number;
      /** Called when Redis cannot be reached; limits then hold per replica only. */
      onError?: (err: unknown) => void;
    } = {},
  ) {
    // With Redis: share the counts every flush. Without: still drop past windows, or every address
    // ever seen would keep an entry.
    this.timer = setInterval(() => void this.flush(), opts.redis ? (opts.flushMs ?? 100) : 1000);
    this.timer.unref();
  }

  /** Windows held (one per key active in the last two seconds). */
  get size(): number {
    return this.windows.size;
  }

  /** The current window's number. */
  private window(): number {
    return Math.floor((this.opts.now ?? Date.now)() / (this.opts.windowMs ?? 1000));
  }

  allow(key: string, limit: number, cost = 1): boolean {
    const window = this.window();
    let w = this.windows.get(key);
    if (!w || w.window !== window) {
      w = { window, unflushed: 0, shared: 0 };
      this.windows.set(key, w);
    }
    if (w.shared + w.unflushed + cost > limit) return false;
    w.unflushed += cost;
    return true;
  }

  /** Sends this replica's deltas to Redis and learns the shared totals; drops stale windows. */
  async flush(): Promise<void> {
    const redis = this.opts.redis;
    if (!redis) return this.evict();
    if (this.flushing) return;
    this.flushing = true;
    try {
      const current = this.window();
      const batch: Array<[string, _Window, number]> = [];
      for (const [key, w] of this.windows) {
        if (w.window < current - 1) {
          this.windows.delete(key);
          continue;
        }
        // A window of this second is refreshed even without new counts of ours (INCRBY 0 reads the
        // total): the other replicas may have admitted more since.
        if (w.unflushed > 0 || w.window === current) batch.push([key, w, w.unflushed]);
      }
      if (batch.length === 0) return;
      const pipe = redis.pipeline();
      for (const [key, w, delta] of batch) {
        const rkey = `${this.opts.prefix ?? 'tacit:rl'}:${w.window}:${key}`;
        pipe.incrby(rkey, delta);
        pipe.expire(rkey, Math.ceil((3 * (this.opts.windowMs ?? 1000)) / 1000));
      }
      const res = await pipe.exec();
      let failure: unknown;
      batch.forEach(([, w, delta], i) => {
        const [err, total] = res?.[i * 2] ?? [new Error('no reply from Redis'), undefined];
        // A count Redis did not take stays ours to flush again; meanwhile this replica's own
        // counts still hold the limit locally.
        if (err || typeof total !== 'number') {
          failure ??= err ?? new Error('unexpected INCRBY reply');
          return;
        }
        w.unflushed -= delta;
        w.shared = total - w.unflushed;
      });
      if (failure) this.opts.onError?.(failure);
    } catch (err) {
      this.opts.onError?.(err);
    } finally {
      this.flushing = false;
    }
  }

  /** Drops the windows of past seconds (without Redis nothing else would). */
  private evict(): void {
    const current = this.window();
    for (const [key, w] of this.windows) if (w.window < current) this.windows.delete(key);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
