import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
  /** Pause between attempts (default 50 ms). */
  intervalMs?: number;
  /** What is being waited for, quoted in the timeout error. */
  what?: string;
}

/** `T` without its falsy members. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Calls `fn` until it returns a truthy value, and resolves with that value. A throw counts as
 * "not yet"; the last one becomes the `cause` of the timeout error.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, what = 'condition' }: WaitForOptions = {},
): Promise<Truthy<T>> {
  if (!(timeoutMs >= 0)) throw new RangeError(`"timeoutMs" expected >= 0, got ${timeoutMs}`);
  if (!(intervalMs >= 1)) throw new RangeError(`"intervalMs" expected >= 1, got ${intervalMs}`);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value as Truthy<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/**
 * For a test that counts requests against a fixed window (a per-minute limit): when less than
 * `needMs` of the current window of `windowMs` is left, waits until the next one begins, so that the
 * test's requests all count in one window (straddling two, they would count as two budgets).
 */
export async function earlyInWindow(windowMs: number, needMs: number): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < needMs) await sleep(left + 50);
}
