/** Bytes of a packet id. */
const _ID = 16;
/** Slots the ring starts with; it doubles as ids arrive, up to the capacity. */
const _FIRST_SLOTS = 1024;

function _word(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24);
}

/**
 * The packet ids a client remembers so that it surfaces each packet once: the last `capacity` added,
 * the oldest forgotten first, in constant time per id and without an object per id. The ids sit in
 * a ring of 16-byte slots in the order added (one typed array, grown by doubling up to `capacity`);
 * an open-addressing index (linear probing, backward-shift deletion) maps an id's hash to its slot.
 * The hash is keyed with random words of this set, so a sender choosing packet ids cannot make a
 * recipient's lookups collide. A Map of id strings did the same with a string, a map entry and a
 * ring slot per id, each kept until forgotten: every delivery's id outlived the young generation
 * (copied by the scavenger, then promoted), and lookups in a table of 100 000 ids missed the caches.
 */
export class DedupSet {
  readonly #seed = crypto.getRandomValues(new Uint32Array(4));
  #slots: number;
  /** Slot s holds bytes [16s, 16s + 16). */
  #ids: Uint8Array;
  /** 1 while slot s holds a remembered id. */
  #alive: Uint8Array;
  /** Slot + 1 per position, 0 where empty; a power of two at least twice the slots. */
  #index: Int32Array;
  #mask: number;
  /** Ids added so far (the next one's turn). */
  #added = 0;
  #size = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1 && capacity <= 2 ** 26)) {
      throw new RangeError(`"capacity" expected an integer in 1..${2 ** 26}, got ${capacity}`);
    }
    this.#slots = Math.min(capacity, _FIRST_SLOTS);
    this.#ids = new Uint8Array(this.#slots * _ID);
    this.#alive = new Uint8Array(this.#slots);
    this.#index = new Int32Array(DedupSet.#indexLength(this.#slots));
    this.#mask = this.#index.length - 1;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.#size;
  }

  has(id: Uint8Array): boolean {
    return this.#find(DedupSet.#check(id), 0) >= 0;
  }

  /** Remembers `id` (as the newest; again at a new turn if it was remembered), forgetting the oldest when full. */
  add(id: Uint8Array): void {
    const at = this.#find(DedupSet.#check(id), 0);
    if (at >= 0) this.#removeAt(at);
    let slot: number;
    if (this.#added < this.capacity) {
      slot = this.#added;
      if (slot === this.#slots) this.#grow();
    } else {
      slot = this.#added % this.capacity;
      // The slot's old id is forgotten now, unless it was deleted or added again since.
      if (this.#alive[slot]) this.#removeAt(this.#find(this.#ids, slot * _ID));
    }
    this.#added++;
    this.#ids.set(id, slot * _ID);
    this.#alive[slot] = 1;
    this.#size++;
    let h = this.#hash(id, 0);
    while (this.#index[h] !== 0) h = (h + 1) & this.#mask;
    this.#index[h] = slot + 1;
  }

  /** Forgets `id` now (its packet may then be surfaced again). */
  delete(id: Uint8Array): void {
    const at = this.#find(DedupSet.#check(id), 0);
    if (at >= 0) this.#removeAt(at);
  }

  static #check(id: Uint8Array): Uint8Array {
    if (!(id instanceof Uint8Array) || id.length !== _ID) {
      throw new RangeError(`"id" expected ${_ID} bytes, got ${id instanceof Uint8Array ? id.length : typeof id}`);
    }
    return id;
  }

  static #indexLength(slots: number): number {
    let n = 16;
    while (n < slots * 2) n *= 2;
    return n;
  }

  /** The index position of the 16 bytes of `b` at `at`, or -1 when not remembered. */
  #find(b: Uint8Array, at: number): number {
    const ids = this.#ids;
    for (let h = this.#hash(b, at); ; h = (h + 1) & this.#mask) {
      const s = this.#index[h]!;
      if (s === 0) return -1;
      const o = (s - 1) * _ID;
      let i = 0;
      while (i < _ID && ids[o + i] === b[at + i]) i++;
      if (i === _ID) return h;
    }
  }

  #hash(b: Uint8Array, at: number): number {
    const k = this.#seed;
    let h = Math.imul(_word(b, at) ^ k[0]!, 0x9e3779b1);
    h = Math.imul(h ^ (h >>> 15) ^ _word(b, at + 4) ^ k[1]!, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ _word(b, at + 8) ^ k[2]!, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ _word(b, at + 12) ^ k[3]!, 0x27d4eb2f);
    return (h ^ (h >>> 15)) & this.#mask;
  }

  /** Forgets the id at index position `at`; later ids of its probe run move back so no lookup stops early. */
  #removeAt(at: number): void {
    const index = this.#index;
    const mask = this.#mask;
    this.#alive[index[at]! - 1] = 0;
    this.#size--;
    let hole = at;
    for (let j = (at + 1) & mask; index[j] !== 0; j = (j + 1) & mask) {
      const home = this.#hash(this.#ids, (index[j]! - 1) * _ID);
      // The id at j may fill the hole unless its home lies cyclically in (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        index[hole] = index[j]!;
        hole = j;
      }
    }
    index[hole] = 0;
  }

  /** Doubles the slots (up to the capacity) and rebuilds the index for them. Called before the ring wraps. */
  #grow(): void {
    const slots = Math.min(this.capacity, this.#slots * 2);
    const ids = new Uint8Array(slots * _ID);
    ids.set(this.#ids);
    const alive = new Uint8Array(slots);
    alive.set(this.#alive);
    this.#slots = slots;
    this.#ids = ids;
    this.#alive = alive;
    this.#index = new Int32Array(DedupSet.#indexLength(slots));
    this.#mask = this.#index.length - 1;
    for (let s = 0; s < this.#added; s++) {
      if (!alive[s]) continue;
      let h = this.#hash(ids, s * _ID);
      while (this.#index[h] !== 0) h = (h + 1) & this.#mask;
      this.#index[h] = s + 1;
    }
  }
}
