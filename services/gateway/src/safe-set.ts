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

// KEYS: this generation's hash, the previous one's. ARGV: TTL in ms, keys to add, keys to check,
// each a concatenation of 32-byte keys. Returns one char per checked key: "1" seen, "0" not.
const _SCRIPT = `
local add, ask = ARGV[2], ARGV[3]
local fields = {}
for i = 1, #add, 32 do
  fields[#fields + 1] = string.sub(add, i, i + 31)
  fields[#fields + 1] = '1'
  if #fields == 1000 then redis.call('HSET', KEYS[1], unpack(fields)) fields = {} end
end
if #fields > 0 then redis.call('HSET', KEYS[1], unpack(fields)) end
if #add > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local out = {}
for i = 1, #ask, 32 do
  local k = string.sub(ask, i, i + 31)
  if redis.call('HEXISTS', KEYS[1], k) == 1 or redis.call('HEXISTS', KEYS[2], k) == 1 then out[#out + 1] = '1'
  else out[#out + 1] = '0' end
end
return table.concat(out)`;

/** Key length the shared set stores: mailbox id + packet id. */
const _KEY_CHARS = 32;

type _SafeRedis = Redis & {
  tacitSafe(current: string, previous: string, ttlMs: number, add: Buffer, ask: Buffer): Promise<string>;
};

/** Keys added wait at most this many ms for others before they go to Redis (see {@link RedisSafeSet}). */
export const SAFE_ADD_DELAY_MS = 10;
/** ...or until this many wait. */
const _MAX_PENDING_ADDS = 4096;

/**
 * Safe set shared by all gateway replicas, with the same two generations as {@link MemorySafeSet}: a
 * generation is one Redis hash (`{<prefix>}:<n>`, n = now / (ttl / 2)) that expires whole. The keys
 * checked in one turn of the event loop go to Redis as one script call with two binary arguments,
 * together with every key added so far: one round trip and no per-key command, whatever the burst.
 * Added keys alone wait up to `addDelayMs` (default {@link SAFE_ADD_DELAY_MS}) for more: an add is
 * never waited on (the packet is already safe), and at a moderate rate one call per turn meant one
 * Redis round trip for every packet or two. A retry that could need the key comes from a client that
 * missed its ACCEPTED and reconnected (100 ms or more later); one on this replica sees the keys still
 * waiting, which go in the same call, before the checks. (The hash tag keeps both
 * generations in one Redis Cluster slot.) When Redis is down, `has` answers false (deliver again; the
 * SDK drops duplicates). Keys are {@link _KEY_CHARS} chars of one byte each (the gateway's
 * mailbox id + packet id).
 */
export class RedisSafeSet implements SafeSet {
  private asks: Array<{ key: string; resolve: (seen: boolean) => void }> = [];
  private adds: string[] = [];
  private scheduled = false;
  private addTimer: NodeJS.Timeout | undefined;
  private readonly redis: _SafeRedis;

  constructor(
    redis: Redis,
    private readonly ttlMs = 10 * 60_000,
    private readonly prefix = 'tacit:safe',
    private readonly now: () => number = Date.now,
    private readonly addDelayMs = SAFE_ADD_DELAY_MS,
  ) {
    this.redis = redis as _SafeRedis;
    if (!('tacitSafe' in redis)) redis.defineCommand('tacitSafe', { numberOfKeys: 2, lua: _SCRIPT });
  }

  has(key: string): Promise<boolean> {
    _check(key);
    return new Promise((resolve) => {
      this.asks.push({ key, resolve });
      this.schedule();
    });
  }

  add(key: string): void {
    _check(key);
    this.adds.push(key);
    if (this.adds.length >= _MAX_PENDING_ADDS || this.addDelayMs === 0) this.schedule();
    else if (!this.addTimer) {
      this.addTimer = setTimeout(() => {
        this.addTimer = undefined;
        this.schedule();
      }, this.addDelayMs);
      this.addTimer.unref();
    }
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    clearTimeout(this.addTimer);
    this.addTimer = undefined;
    if (this.adds.length === 0 && this.asks.length === 0) return;
    const gen = Math.floor(this.now() / (this.ttlMs / 2));
    const adds = this.adds;
    const asks = this.asks;
    this.adds = [];
    this.asks = [];
    const reply = this.redis.tacitSafe(
      `{${this.prefix}}:${gen}`,
      `{${this.prefix}}:${gen - 1}`,
      this.ttlMs,
      Buffer.from(adds.join(''), 'latin1'),
      Buffer.from(asks.map((a) => a.key).join(''), 'latin1'),
    );
    reply.then(
      (seen) => asks.forEach((a, i) => a.resolve(seen[i] === '1')),
      () => asks.forEach((a) => a.resolve(false)),
    );
  }

  async close(): Promise<void> {
    this.flush();
  }
}

function _check(key: string): void {
  if (key.length !== _KEY_CHARS) throw new RangeError(`"key" expected ${_KEY_CHARS} chars, got ${key.length}`);
}
