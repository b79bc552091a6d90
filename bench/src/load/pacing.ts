// The schedule of an open-loop (paced) phase: packets leave at a fixed rate whatever the server
// does. Packet k of the phase (k = 0, 1, 2, ...) is due `k * 1000 / rate` ms after the phase
// starts and belongs to pair `k % pairs`, so the pairs take turns and each carries rate / pairs.
// A timer asks, every tick, how many packets each pair owes by now and sends them; a late tick
// sends a burst of what came due meanwhile, never fewer. Each packet carries its scheduled time,
// not the time it actually left, so generator lag and held-back packets count as latency
// (no coordinated omission). Pure functions, unit-tested in pacing.spec.ts.

/** Offset in ms from the phase start at which packet `k` is due. */
export function scheduledOffsetMs(ratePerSec: number, k: number): number {
  return (k * 1000) / ratePerSec;
}

function checkRate(ratePerSec: number): void {
  if (!(Number.isFinite(ratePerSec) && ratePerSec > 0)) throw new RangeError(`"rate" expected a finite number > 0, got ${ratePerSec}`);
}

/**
 * How many packets are due `elapsedMs` into the phase: the count of k >= 0 with
 * scheduledOffsetMs(k) <= elapsedMs (packet 0 is due at once). Consistent with scheduledOffsetMs
 * even where the float division rounds: the estimate is nudged until it agrees.
 */
export function dueCount(ratePerSec: number, elapsedMs: number): number {
  checkRate(ratePerSec);
  if (!(elapsedMs >= 0)) return 0;
  let n = Math.floor((elapsedMs * ratePerSec) / 1000) + 1;
  while (scheduledOffsetMs(ratePerSec, n) <= elapsedMs) n++;
  while (n > 0 && scheduledOffsetMs(ratePerSec, n - 1) > elapsedMs) n--;
  return n;
}

/** Packets scheduled strictly before `ms`: the count of k >= 0 with scheduledOffsetMs(k) < ms. */
export function countBefore(ratePerSec: number, ms: number): number {
  checkRate(ratePerSec);
  if (!(ms > 0)) return 0;
  let n = Math.ceil((ms * ratePerSec) / 1000);
  while (scheduledOffsetMs(ratePerSec, n) < ms) n++;
  while (n > 0 && scheduledOffsetMs(ratePerSec, n - 1) >= ms) n--;
  return n;
}

/** Of the first `count` packets of the phase, how many belong to pair `pair` (k % pairs === pair). */
export function pairShare(count: number, pairs: number, pair: number): number {
  return count > pair ? Math.floor((count - pair - 1) / pairs) + 1 : 0;
}

/** The phase-wide index of pair `pair`'s `j`-th packet (j = 0, 1, ...). */
export function packetIndex(pairs: number, pair: number, j: number): number {
  return j * pairs + pair;
}

/** A paced phase: `rate` packets/s over `pairs`, `total` packets in all, the first `firstMeasured` warm-up. */
export interface PacedSchedule {
  ratePerSec: number;
  pairs: number;
  /** Packets of the whole phase (warm-up + measured window): the phase is bounded in count. */
  total: number;
  /** Index of the first packet scheduled inside the measured window. */
  firstMeasured: number;
  warmupMs: number;
  durationMs: number;
}

/** The schedule of a phase of `warmupMs` then `durationMs` at `ratePerSec` over `pairs` pairs. */
export function pacedSchedule(ratePerSec: number, pairs: number, warmupMs: number, durationMs: number): PacedSchedule {
  checkRate(ratePerSec);
  if (!(Number.isInteger(pairs) && pairs >= 1)) throw new RangeError(`"pairs" expected an integer >= 1, got ${pairs}`);
  if (!(warmupMs >= 0 && durationMs > 0)) throw new RangeError(`expected warm-up >= 0 and duration > 0 ms, got ${warmupMs} and ${durationMs}`);
  return {
    ratePerSec,
    pairs,
    total: countBefore(ratePerSec, warmupMs + durationMs),
    firstMeasured: countBefore(ratePerSec, warmupMs),
    warmupMs,
    durationMs,
  };
}

/**
 * How many packets pair `pair` should send now, `elapsedMs` into the phase, having sent `sent`:
 * its share of the packets due by then (never past the schedule's total), minus what it sent,
 * at most `room` (what its in-flight cap still allows), never negative.
 */
export function toSendNow(s: PacedSchedule, elapsedMs: number, pair: number, sent: number, room = Infinity): number {
  const due = pairShare(Math.min(s.total, dueCount(s.ratePerSec, elapsedMs)), s.pairs, pair);
  return Math.max(0, Math.min(due - sent, room));
}

/** True when the packet of phase index `k` was scheduled inside the measured window. */
export function isMeasured(s: PacedSchedule, k: number): boolean {
  return k >= s.firstMeasured && k < s.total;
}

/** The rate of the paced phase for a closed-loop peak: `fraction` of it, rounded, or 0 when there is none. */
export function pacedRate(peakMsgsPerSec: number, fraction: number): number {
  if (!(Number.isFinite(peakMsgsPerSec) && peakMsgsPerSec > 0)) return 0;
  return Math.max(0, Math.round(peakMsgsPerSec * fraction));
}
