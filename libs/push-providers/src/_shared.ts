// What the three senders share: Retry-After parsing, the in-flight bound and the timeout race.
import type { WakeOutcome } from './sender.js';

/** Default bound on wakes in flight per sender; past it a wake answers retry('busy') at once. */
export const DEFAULT_MAX_IN_FLIGHT = 1000;
/** Default time a provider gets to answer one wake. */
export const DEFAULT_TIMEOUT_MS = 10_000;
// A Retry-After longer than this is clamped: a provider's typo must not park a device for days.
const _MAX_RETRY_AFTER_MS = 3_600_000;

/** Retry-After (delta-seconds or an HTTP date) in milliseconds from `nowMs`; undefined when absent or unreadable. */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.min(v * 1000, _MAX_RETRY_AFTER_MS);
  if (typeof v !== 'string' || v.length === 0 || v.length > 64) return undefined;
  if (/^\d+$/.test(v)) return Math.min(Number(v) * 1000, _MAX_RETRY_AFTER_MS);
  // An HTTP date (IMF-fixdate) ends in GMT; Date.parse alone would take "-1" for a year.
  const at = /GMT$/.test(v) ? Date.parse(v) : NaN;
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, at - nowMs), _MAX_RETRY_AFTER_MS);
}

/** A retry outcome carrying `retryAfterMs` only when known. */
export function retry(reason: string, retryAfterMs?: number): WakeOutcome {
  return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
}

/** Checks a positive integer option, naming it and its limits. */
export function checkInt(name: string, value: number, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`"${name}" expected an integer, got ${typeof value}`);
  if (value < min || value > max) throw new RangeError(`"${name}" expected ${min}..${max}, got ${value}`);
  return value;
}

/**
 * Runs `send` with the in-flight bound, the timeout and the caller's abort signal: whichever comes
 * first decides, and `send`'s signal tells it to let go of the losing request. A request counts as
 * in flight until it really ends, not until its wake was answered: a library that cannot be
 * cancelled (firebase-admin, web-push) may hold a socket past the answer, and the bound covers it.
 */
export class WakeRunner {
  private inFlight = 0;
  private closed = false;
  private readonly pending = new Set<() => void>();

  constructor(
    private readonly maxInFlight: number,
    private readonly timeoutMs: number,
  ) {}

  /** Provider requests outstanding now. */
  get size(): number {
    return this.inFlight;
  }

  async run(signal: AbortSignal | undefined, send: (abort: AbortSignal) => Promise<WakeOutcome>): Promise<WakeOutcome> {
    if (this.closed) return retry('closed');
    if (signal?.aborted) return retry('aborted');
    if (this.inFlight >= this.maxInFlight) return retry('busy');
    this.inFlight++;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    let settleEarly!: (o: WakeOutcome) => void;
    const early = new Promise<WakeOutcome>((resolve) => (settleEarly = resolve));
    const stop = (): void => settleEarly(retry('closed'));
    this.pending.add(stop);
    try {
      timer = setTimeout(() => settleEarly(retry('timeout')), this.timeoutMs);
      if (signal) {
        onAbort = () => settleEarly(retry('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
      }
      const sent = send(ac.signal)
        .catch((err: unknown) => retry(`error: ${err instanceof Error ? err.name : 'unknown'}`))
        .finally(() => this.inFlight--);
      return await Promise.race([sent, early]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      this.pending.delete(stop);
      ac.abort();
    }
  }

  /** Answers every wake in flight with retry('closed') and refuses new ones. */
  close(): void {
    this.closed = true;
    for (const stop of this.pending) stop();
  }
}
