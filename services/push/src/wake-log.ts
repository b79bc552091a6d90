// What the push service counts and logs of a wake: counters per outcome, and a provider's reason cut
// down to what may appear in a log line.
import type { WakeCounts } from './push.types.js';

/** Zeroed counters of one provider's wakes. */
export function emptyWakeCounts(): WakeCounts {
  return { sent: 0, retry: 0, gone: 0, refused: 0, timeout: 0, givenUp: 0 };
}

/**
 * A provider's reason, safe for a log line: at most three short words of a plain alphabet. A token
 * (64+ hex digits for APNs, 100+ characters for FCM) or an endpoint URL never fits in one.
 */
export function safeReason(r: string): string {
  const words = String(r)
    .split(/\s+/)
    .filter((w) => /^[A-Za-z0-9_.:-]{1,32}$/.test(w))
    .slice(0, 3);
  return words.join(' ') || 'unknown';
}
