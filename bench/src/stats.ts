// Percentiles by the nearest-rank method: the reported value is always one that was measured,
// never an interpolation between two samples, and p100 is the maximum.

/**
 * The `p`-th percentile (0 < p <= 100; p = 0 gives the minimum) of `sorted`, which must be in
 * ascending order. Nearest rank: the smallest sample with at least p% of samples <= it.
 * Returns `null` for no samples.
 */
export function percentileSorted(sorted: ArrayLike<number>, p: number): number | null {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`"p" expected 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return null;
  if (p === 0) return sorted[0]!;
  // The epsilon keeps 0.99 * 100 (= 99.00000000000001) from ranking one sample too high.
  const rank = Math.ceil((p / 100) * n - 1e-9);
  return sorted[Math.min(n, Math.max(1, rank)) - 1]!;
}

/** The requested percentiles of `samples` (not modified), each `null` when there are none. */
export function percentiles(samples: ArrayLike<number>, ps: readonly number[]): (number | null)[] {
  const sorted = Float64Array.from(samples).sort();
  return ps.map((p) => percentileSorted(sorted, p));
}

/** Median of `samples`, or `null` when empty (used for repeated readings such as RSS). */
export function median(samples: readonly number[]): number | null {
  return percentiles(samples, [50])[0] ?? null;
}

/** Summary of a latency recording, in milliseconds. */
export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * Collects latency samples in a growable Float64Array up to `capacity`; past it, reservoir
 * sampling (Algorithm R) keeps a uniform sample of everything seen, so memory stays bounded
 * while percentiles stay unbiased. `count` is every sample offered.
 */
export class LatencyRecorder {
  private _buf: Float64Array;
  private _len = 0;
  private _seen = 0;
  private _max = -Infinity;

  constructor(
    private readonly _capacity = 2_000_000,
    private readonly _random: () => number = Math.random,
  ) {
    if (!(Number.isInteger(_capacity) && _capacity >= 1)) {
      throw new RangeError(`"capacity" expected an integer >= 1, got ${_capacity}`);
    }
    this._buf = new Float64Array(Math.min(_capacity, 4096));
  }

  /** Samples offered so far. */
  get count(): number {
    return this._seen;
  }

  /** Records one latency in milliseconds. */
  add(ms: number): void {
    this._seen++;
    if (ms > this._max) this._max = ms;
    if (this._len < this._capacity) {
      if (this._len === this._buf.length) {
        const next = new Float64Array(Math.min(this._capacity, this._buf.length * 2));
        next.set(this._buf);
        this._buf = next;
      }
      this._buf[this._len++] = ms;
      return;
    }
    const j = Math.floor(this._random() * this._seen);
    if (j < this._capacity) this._buf[j] = ms;
  }

  /** Forgets every sample (used at the end of a warm-up). */
  reset(): void {
    this._len = 0;
    this._seen = 0;
    this._max = -Infinity;
  }

  /** p50/p90/p99 and the true maximum (tracked outside the reservoir). */
  summary(): LatencySummary {
    const [p50, p90, p99] = percentiles(this._buf.subarray(0, this._len), [50, 90, 99]);
    return {
      count: this._seen,
      p50Ms: p50 ?? null,
      p90Ms: p90 ?? null,
      p99Ms: p99 ?? null,
      maxMs: this._seen > 0 ? this._max : null,
    };
  }
}
