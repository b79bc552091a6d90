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

/** A process-wide random seed: fingerprints are not predictable from outside (see {@link _Fingerprints}). */
function _seed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]!;
}

/**
 * One generation of {@link MemorySafeSet}: 64-bit fingerprints of keys in an open-addressed table,
 * one Uint32Array of (hi, lo) pairs side by side (a probe reads one cache line; 0/0 is an empty
 * slot), grown by doubling while at most half full. Written for the single node's memory: a Set of
 * 32-char strings held ~118 bytes a key on the heap (59 MB for the 500 000 keys of one full
 * generation, measured), all of it old-generation objects for the GC to mark; this holds 16 to 32
 * bytes a key (the table is a quarter to half full) in one buffer the GC does not look into. An add costs about
 * what the Set's did on the node's main thread (8.6 % and 9.3 % of it in two profiles of
 * tacit-enqueue-deep). Two keys with one fingerprint would answer a RESEND of the second as a
 * duplicate: with 64 bits and at most 500 000 keys that is ~3·10^-14 per lookup, and the
 * fingerprint is keyed by per-process random seeds, so nobody can aim one of their own keys at
 * another sender's (whose packet id they do not know anyway).
 */
class _Fingerprints {
  private pairs: Uint32Array;
  private mask: number;
  size = 0;

  constructor(private readonly seeds: readonly [number, number], private readonly minSlots = 1024) {
    this.pairs = new Uint32Array(minSlots * 2);
    this.mask = minSlots - 1;
  }

  /** Slots in the table (a power of two). */
  get slots(): number {
    return this.mask + 1;
  }

  has(key: string): boolean {
    _hash(key, this.seeds);
    return this.pairs[2 * this.probe(_out[0]!, _out[1]!) + 1] !== 0;
  }

  add(key: string): void {
    // Grown first (a key already held may grow it a little early), so the probe's slot is the one to fill.
    if ((this.size + 1) * 2 > this.slots) this.grow();
    _hash(key, this.seeds);
    const hi = _out[0]!;
    const lo = _out[1]!;
    const i = this.probe(hi, lo);
    if (this.pairs[2 * i + 1] !== 0) return;
    this.pairs[2 * i] = hi;
    this.pairs[2 * i + 1] = lo;
    this.size++;
  }

  clear(): void {
    if (this.slots > this.minSlots) {
      this.pairs = new Uint32Array(this.minSlots * 2);
      this.mask = this.minSlots - 1;
    } else this.pairs.fill(0);
    this.size = 0;
  }

  /**
   * The slot holding (hi, lo), else the empty slot where it goes. Linear probing: the table is at
   * most half full, so an empty slot is always met.
   */
  private probe(hi: number, lo: number): number {
    const pairs = this.pairs;
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = pairs[2 * i + 1]!;
      if (l === 0 || (l === lo && pairs[2 * i] === hi)) return i;
    }
  }

  private grow(): void {
    const old = this.pairs;
    this.pairs = new Uint32Array(old.length * 2);
    this.mask = old.length - 1;
    for (let j = 0; j < old.length; j += 2) {
      if (old[j + 1] === 0) continue;
      const i = this.probe(old[j]!, old[j + 1]!);
      this.pairs[2 * i] = old[j]!;
      this.pairs[2 * i + 1] = old[j + 1]!;
    }
  }
}

/** Where {@link _hash} leaves its two words (no array per call). */
const _out = new Uint32Array(2);

/**
 * Two 32-bit hashes of `key`'s chars (one byte each) at once, each seeded, into {@link _out}: murmur3's
 * mixing per 4 chars and at the end, and a second multiply-rotate lane; the low word is never 0.
 */
function _hash(key: string, seeds: readonly [number, number]): void {
  let a = seeds[0];
  let b = seeds[1];
  const n = key.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const w = key.charCodeAt(i) | (key.charCodeAt(i + 1) << 8) | (key.charCodeAt(i + 2) << 16) | (key.charCodeAt(i + 3) << 24);
    let k = Math.imul(w, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    a ^= Math.imul(k, 0x1b873593);
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    b = Math.imul(b ^ w, 0x9e3779b1);
    b = (b << 11) | (b >>> 21);
  }
  for (; i < n; i++) {
    a = Math.imul(a ^ key.charCodeAt(i), 0x1b873593);
    b = Math.imul(b ^ key.charCodeAt(i), 0x9e3779b1);
  }
  _out[0] = _fmix(a ^ n);
  _out[1] = _fmix(b ^ n) || 1; // 0/0 marks an empty slot
}

/** murmur3's finalizer: every input bit moves every output bit. */
function _fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * In-process safe set for the single node. Two generations: keys live in the current one, which
 * becomes the previous one every `ttlMs / 2` (or when it holds `maxEntries / 2`); the previous one is
 * dropped whole at the next turn. A key is remembered between ttl/2 and ttl, with no per-key clock.
 * Keys are held as 64-bit fingerprints ({@link _Fingerprints}): 16 to 32 bytes each, 16 MB for both
 * generations at the default bound.
 */
export class MemorySafeSet implements SafeSet {
  private current: _Fingerprints;
  private previous: _Fingerprints;
  private turnedAt: number;
  constructor(
    private readonly ttlMs = 10 * 60_000,
    private readonly maxEntries = 1_000_000,
    private readonly now: () => number = Date.now,
  ) {
    const seeds: [number, number] = [_seed(), _seed()];
    this.current = new _Fingerprints(seeds);
    this.previous = new _Fingerprints(seeds);
    this.turnedAt = now();
  }
  has(key: string): boolean {
    return this.current.has(key) || this.previous.has(key);
  }
  add(key: string): void {
    if (this.current.size >= this.maxEntries / 2 || this.now() - this.turnedAt >= this.ttlMs / 2) {
      const dropped = this.previous;
      dropped.clear();
      this.previous = this.current;
      this.current = dropped;
      this.turnedAt = this.now();
    }
    this.current.add(key);
  }
  /**
   * Keys held and table slots, of both generations (for tests). A generation holds at most
   * maxEntries / 2 keys in a table at most half full: each at most the power of two at or above
   * maxEntries slots (1 024 at least), 8 bytes a slot.
   */
  get footprint(): { keys: number; slots: number } {
    return { keys: this.current.size + this.previous.size, slots: this.current.slots + this.previous.slots };
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
