/**
 * The packet ids a client remembers so that it surfaces each packet once: the last `capacity` added,
 * the oldest forgotten first, in constant time per id. (A Map that forgets its first key with
 * `keys().next()` walks past every key deleted before it: once full, each delivery cost time growing
 * with the deliveries since the table was last rebuilt — 50 000 deliveries took 2.6–6 s past the
 * first 100 000.) A ring of the keys in the order added sits beside the map; the map holds, for each
 * key, when it was added, so a key deleted and added again is forgotten at its new turn, not its old.
 */
export class DedupSet {
  readonly #added = new Map<string, number>();
  readonly #ring: string[] = [];
  #count = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isSafeInteger(capacity) && capacity >= 1)) {
      throw new RangeError(`"capacity" expected an integer >= 1, got ${capacity}`);
    }
  }

  get size(): number {
    return this.#added.size;
  }

  has(key: string): boolean {
    return this.#added.has(key);
  }

  /** Remembers `key` (as the newest), forgetting the oldest key when full. */
  add(key: string): void {
    const n = this.#count++;
    if (this.#ring.length < this.capacity) {
      this.#ring.push(key);
    } else {
      const slot = n % this.capacity;
      const old = this.#ring[slot]!;
      // Forget it only if this slot is still where it was last added.
      if (this.#added.get(old) === n - this.capacity) this.#added.delete(old);
      this.#ring[slot] = key;
    }
    this.#added.set(key, n);
  }

  /** Forgets `key` now (its packet may then be surfaced again). */
  delete(key: string): void {
    this.#added.delete(key);
  }
}
