/**
 * Prometheus metrics of the push service, filled from {@link PushService.stats} and the intake's when
 * scraped: counts only, labels from fixed sets (provider, outcome), never ids, keys or tokens.
 * @module
 */
import type { Metrics } from '@tacit/kit';
import type { WakeProvider } from '@tacit/push-providers';
import type { IntakeStats, PushIntake } from './intake.js';
import type { PushService, PushStats, WakeCounts } from './push.service.js';

/** Options of {@link bindPushMetrics}. */
export interface PushMetricsOptions {
  /** Refresh the stored-registrations gauge at most this often (it counts a table; default 60 000 ms). */
  storedRefreshMs?: number;
}

const _PROVIDERS: readonly WakeProvider[] = ['apns', 'fcm', 'webpush'];
const _OUTCOMES: ReadonlyArray<keyof WakeCounts> = ['sent', 'retry', 'gone', 'refused', 'timeout', 'givenUp'];
const _OUTCOME_LABEL: Readonly<Record<keyof WakeCounts, string>> = { sent: 'sent', retry: 'retry', gone: 'gone', refused: 'refused', timeout: 'timeout', givenUp: 'given_up' };

/**
 * Registers the push service's metrics on `metrics` (prefix `tacit_push_` when built for service
 * "push") and returns `sync`, to call before each scrape.
 */
export function bindPushMetrics(metrics: Metrics, service: PushService, intake: () => PushIntake | undefined, opts: PushMetricsOptions = {}): () => void {
  const registrations = metrics.counter<'outcome'>({ name: 'registrations_total', help: 'Registrations by outcome: ok, or the error code they were refused with', labelNames: ['outcome'] });
  const unregistrations = metrics.counter({ name: 'unregistrations_total', help: 'Registrations dropped by their peer key' });
  const events = metrics.counter<'outcome'>({
    name: 'events_total',
    help: 'Queued events by outcome: matched (a registration holds the mailbox), unmatched, malformed, failed (recording failed), dropped (in-process queue full)',
    labelNames: ['outcome'],
  });
  const wakes = metrics.counter<'provider' | 'outcome'>({
    name: 'wakes_total',
    help: 'Wakes by provider and outcome: sent, retry (timeout counted in it too), gone (target removed), refused (our credentials), given_up',
    labelNames: ['provider', 'outcome'],
  });
  const inflight = metrics.gauge<'provider'>({ name: 'wakes_in_flight', help: 'Wakes waiting for a provider now', labelNames: ['provider'] });
  const expired = metrics.counter({ name: 'expired_registrations_total', help: 'Registrations deleted because they lapsed' });
  const stored = metrics.gauge({ name: 'registrations', help: 'Registrations stored (refreshed at most once a minute)' });
  const refreshMs = opts.storedRefreshMs ?? 60_000;
  let last: PushStats | undefined;
  let lastIntake: IntakeStats | undefined;
  let refreshedAt = 0;
  // prom-client throws on a negative increment, and one throw fails the whole scrape (HTTP 500) and
  // every later one: a figure that went down (it should not) adds nothing instead.
  const grow = <L extends string>(c: { inc(labels: Partial<Record<L, string>>, n: number): void }, labels: Partial<Record<L, string>>, n: number) => {
    if (n > 0) c.inc(labels, n);
  };
  return () => {
    const now = service.stats();
    grow(registrations, { outcome: 'ok' }, now.registered - (last?.registered ?? 0));
    for (const [code, n] of Object.entries(now.registerRefused)) grow(registrations, { outcome: code }, n - (last?.registerRefused[code] ?? 0));
    grow(unregistrations, {}, now.unregistered - (last?.unregistered ?? 0));
    grow(events, { outcome: 'matched' }, now.eventsMatched - (last?.eventsMatched ?? 0));
    grow(events, { outcome: 'unmatched' }, now.events - now.eventsMatched - ((last?.events ?? 0) - (last?.eventsMatched ?? 0)));
    for (const p of _PROVIDERS) {
      for (const o of _OUTCOMES) grow(wakes, { provider: p, outcome: _OUTCOME_LABEL[o] }, now.wakes[p][o] - (last?.wakes[p][o] ?? 0));
      inflight.set({ provider: p }, service.inflight(p));
    }
    grow(expired, {}, now.expired - (last?.expired ?? 0));
    last = now;
    const i = intake()?.stats();
    if (i) {
      grow(events, { outcome: 'malformed' }, i.malformed - (lastIntake?.malformed ?? 0));
      grow(events, { outcome: 'failed' }, i.failed - (lastIntake?.failed ?? 0));
      grow(events, { outcome: 'dropped' }, i.dropped - (lastIntake?.dropped ?? 0));
      lastIntake = i;
    }
    if (Date.now() - refreshedAt >= refreshMs) {
      refreshedAt = Date.now();
      service.storedRegistrations().then(
        (n) => stored.set(n),
        () => {},
      );
    }
  };
}
