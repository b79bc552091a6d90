// Destination hashes rotate every hour. Which hours a client claims decides whether a sender
// with a wrong clock, or a packet queued while the client was away, still reaches it.
import { _typeName, _aint } from './_bytes.js';
import { EPOCH_MS, MAX_TTL_SECONDS, SKEW_EPOCHS } from './constants.js';

/** Packets cannot outlive MAX_TTL_SECONDS, so claiming further back could never find one. */
const _MAX_TTL_HOURS = MAX_TTL_SECONDS / 3600;

/**
 * Epoch hour of `nowMs` (Unix milliseconds): floor(nowMs / 3_600_000). Any safe-integer time
 * gives an epoch below 2^32, so it always fits the u32 in the hash input.
 */
export function currentEpoch(nowMs: number): number {
  if (typeof nowMs !== 'number') throw new TypeError(`"nowMs" expected number, got ${_typeName(nowMs)}`);
  if (!(nowMs >= 0 && nowMs <= Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`"nowMs" expected 0..${Number.MAX_SAFE_INTEGER}, got ${nowMs}`);
  }
  return Math.floor(nowMs / EPOCH_MS);
}

/**
 * Epochs to claim while online, ascending: the current one and SKEW_EPOCHS on each side, so a
 * sender whose clock is up to an hour off still addresses a claimed hash.
 */
export function skewWindow(nowMs: number): number[] {
  const now = currentEpoch(nowMs);
  const out: number[] = [];
  for (let e = Math.max(0, now - SKEW_EPOCHS); e <= now + SKEW_EPOCHS; e++) out.push(e);
  return out;
}

/**
 * Epochs before the skew window that may hold packets queued while the client was offline,
 * ascending: back to the last epoch seen (less the skew) but never past the TTL (plus the skew,
 * for a slow sender's clock). Disjoint from {@link skewWindow}: claim both after a reconnect.
 * `ttlHours` is the offline-queue TTL, at most 720 (the v1 packet TTL cap).
 */
export function missedEpochs(lastSeenMs: number, nowMs: number, ttlHours: number): number[] {
  _aint(ttlHours, 'ttlHours', 0, _MAX_TTL_HOURS);
  const now = currentEpoch(nowMs);
  const from = Math.max(0, currentEpoch(lastSeenMs) - SKEW_EPOCHS, now - SKEW_EPOCHS - ttlHours);
  const to = now - SKEW_EPOCHS - 1;
  const out: number[] = [];
  for (let e = from; e <= to; e++) out.push(e);
  return out;
}
