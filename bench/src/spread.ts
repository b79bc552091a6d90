// One figure over the rounds of a run: its median and its spread. The machine's speed drifts by
// tens of per cent within minutes, so a single reading says little; the median of the rounds is
// what the report prints, and the min–max beside it says how far to trust it.

/** A figure over rounds: the median, the lowest and highest reading, and how many rounds had one. */
export interface Spread {
  median: number;
  min: number;
  max: number;
  n: number;
}

/**
 * The median of the finite numbers in `values` (rounds that failed or have no such figure are
 * `null` and skipped), or `null` when none is left. An odd count gives the middle reading itself;
 * an even count the mean of the two middle ones: unlike a latency percentile, a figure of two
 * rounds has no "measured" middle, and taking either one would favour the order they ran in.
 */
export function medianOf(values: readonly (number | null | undefined)[]): number | null {
  return spreadOf(values)?.median ?? null;
}

/** Median, min, max and count of the finite numbers in `values`; `null` when there are none. */
export function spreadOf(values: readonly (number | null | undefined)[]): Spread | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  const n = xs.length;
  if (n === 0) return null;
  const mid = n >> 1;
  const median = n % 2 === 1 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
  // Three decimals: the precision of every ratio and latency in the report; spares a JSON reader
  // the binary tail of a mean such as (0.1 + 0.2) / 2.
  return { median: Number(median.toFixed(3)), min: xs[0]!, max: xs[n - 1]!, n };
}
