import type { Redis } from 'ioredis';

/**
 * Remembers packets already made safe (acked live or durably queued), so a sender's retry of the same
 * packet id is answered ACCEPTED without a second delivery. A key enters only after the packet is safe:
 * a retry of a packet that was lost mid-flight is delivered again, never dropped.
 */
export interface SafeSet {
  has(key: string): Promise<boolean>;
  add(key: string): void;
  close(): Promise<void>;
}

/** In-process safe set for the single node: bounded in entries and age. */
export class MemorySafeSet implements SafeSet {
  private readonly entries = new Map<string, number>();
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {}
  async has(key: string): Promise<boolean> {
    const at = this.entries.get(key);
    if (at === undefined) return false;
    if (this.now() - at > this.ttlMs) {
      this.entries.delete(key);
      return false;
    }
    return true;
  }
  add(key: string): void {
    // Map iteration order is insertion order, so the first key is the oldest.
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, this.now());
  }
  async close(): Promise<void> {
    this.entries.clear();
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
