import type { Redis } from 'ioredis';

/**
 * Remembers packets already made safe (acked live or durably queued), so a sender's retry of the same
 * packet id is answered ACCEPTED without a second delivery. A key enters only after the packet is safe:
 * a retry of a packet that was lost mid-flight is delivered again, never dropped.
 */
export interface SafeSet {
  /** Sync where the set is local (the hot path of the single node), a promise where it is remote. */
  has(key: string): boolean | Promise<boolean>;
  add(key: string): void;
  close(): Promise<void>;
}

/**
 * In-process safe set for the single node. Two generations: keys live in the current one, which
 * becomes the previous one every `ttlMs / 2` (or when it holds `maxEntries / 2`); the previous one is
 * dropped whole at the next turn. A key is remembered between ttl/2 and ttl, with no per-key clock.
 */
export class MemorySafeSet implements SafeSet {
  private current = new Set<string>();
  private previous = new Set<string>();
  private turnedAt: number;
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {
    this.turnedAt = now();
  }
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }
  add(key: string): void {
    if (this.current.size >= this.maxEntries / 2 || this.now() - this.turnedAt >= this.ttlMs / 2) {
      this.previous = this.current;
      this.current = new Set();
      this.turnedAt = this.now();
    }
    this.current.add(key);
  }
  async close(): Promise<void> {
    this.current.clear();
    this.previous.clear();
  }
}

/**
 * Safe set shared by all gateway replicas. Uses ioredis auto-pipelining: concurrent checks of one tick go
 * out as one round trip. When Redis is down, `has` answers false (deliver again; the SDK drops duplicates).
 */
export class RedisSafeSet implements SafeSet {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs = 10 * 60_000,
    private readonly prefix = 'tacit:safe:',
  ) {}
  async has(key: string): Promise<boolean> {
    try {
      return (await this.redis.exists(this.prefix + key)) === 1;
    } catch {
      return false;
    }
  }
  add(key: string): void {
    this.redis.set(this.prefix + key, '1', 'PX', this.ttlMs).catch(() => undefined);
  }
  async close(): Promise<void> {}
}
