/**
 * Fixed-window counters per key (a requester, a target hash), bounded in keys: when full, the
 * oldest keys are forgotten first, which can only let an old key through early — never block one.
 * @module
 */

/** Counts per key per window, at most `maxKeys` keys. */
export class WindowCounter {
  readonly #counts = new Map<string, { window: number; n: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  /** Counts one for `key` at `nowMs`; false (nothing counted) when the key already reached the limit in this window. */
  take(key: string, nowMs: number): boolean {
    const window = Math.floor(nowMs / this.windowMs);
    const e = this.#counts.get(key);
    if (e && e.window === window) {
      if (e.n >= this.limit) return false;
      e.n++;
      return true;
    }
    if (e) this.#counts.delete(key);
    while (this.#counts.size >= this.maxKeys) this.#counts.delete(this.#counts.keys().next().value!);
    this.#counts.set(key, { window, n: 1 });
    return true;
  }

  /** Keys held. */
  get size(): number {
    return this.#counts.size;
  }
}
