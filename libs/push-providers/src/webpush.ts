// Web Push (RFC 8030) through web-push with VAPID (RFC 8292): a POST with no payload, so the push
// service and the browser vendor see nothing but the VAPID identity, the TTL and the urgency.
import { Agent } from 'node:https';
import webpush from 'web-push';
import { checkInt, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, parseRetryAfter, retry, WakeRunner } from './_shared.js';
import { PushTargetError } from './errors.js';
import type { WakeOutcome, WakeSender, WakeTarget } from './sender.js';
import { validateTarget } from './target.js';

export interface WebPushSenderOptions {
  /** VAPID contact: a `mailto:` or `https:` URL the push service may use to reach the operator. */
  readonly subject: string;
  /** VAPID public key: base64url of the uncompressed P-256 point (65 bytes), the applicationServerKey browsers subscribed with. */
  readonly publicKey: string;
  /** VAPID private key: base64url of the 32-byte P-256 scalar. */
  readonly privateKey: string;
  /** Time the push service gets per wake; default 10 s. */
  readonly timeoutMs?: number;
  /** How long the push service keeps an undelivered wake (TTL header), seconds; default 3600. */
  readonly ttlSeconds?: number;
  /** Extra trusted CA (PEM), for a local push service in tests. */
  readonly ca?: string;
  /** Wakes in flight at once; past it `wake` answers retry('busy'); default 1000. */
  readonly maxInFlight?: number;
  /** Accept endpoints on loopback/private addresses (a local push service in tests); default false. See validateTarget. */
  readonly allowPrivateHosts?: boolean;
}

/** Maps what web-push threw (a WebPushError with statusCode, or a socket error) to an outcome. */
export function webPushOutcome(err: unknown, nowMs: number): WakeOutcome {
  const e = (err ?? {}) as { statusCode?: unknown; headers?: Record<string, unknown>; code?: unknown };
  const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
  if (status === 404 || status === 410) return { kind: 'gone', reason: `status ${status}` };
  if (status === 401 || status === 403) return { kind: 'refused', reason: `status ${status}` };
  if (status === 429 || status >= 500) return retry(`status ${status}`, parseRetryAfter(e.headers?.['retry-after'], nowMs));
  if (status !== 0) return { kind: 'refused', reason: `status ${status}` };
  // Only codes, never messages: a message may quote the endpoint.
  if (err instanceof Error && err.message === 'Socket timeout') return retry('timeout');
  return retry(`connection: ${typeof e.code === 'string' ? e.code.slice(0, 32) : err instanceof Error ? err.name : 'unknown'}`);
}

/** Creates a {@link WakeSender} for Web Push. Throws TypeError/RangeError for bad options. */
export function createWebPushSender(opts: WebPushSenderOptions): WakeSender & { readonly inFlight: number } {
  // web-push checks the subject and both keys' lengths; its Error becomes ours, with the cause.
  try {
    webpush.getVapidHeaders('https://push.invalid', opts.subject, opts.publicKey, opts.privateKey, 'aes128gcm');
  } catch (cause) {
    throw new RangeError(`VAPID details refused: ${cause instanceof Error ? cause.message : 'unknown'}`, { cause });
  }
  const timeoutMs = checkInt('timeoutMs', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 600_000);
  const ttlSeconds = checkInt('ttlSeconds', opts.ttlSeconds ?? 3600, 0, 28 * 86_400);
  const runner = new WakeRunner(checkInt('maxInFlight', opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000), timeoutMs);
  // One keep-alive agent: a device's push service (FCM, Mozilla, Apple) is one of a few hosts.
  const agent = new Agent({ keepAlive: true, maxSockets: 64, ...(opts.ca ? { ca: opts.ca } : {}) });
  const vapidDetails = { subject: opts.subject, publicKey: opts.publicKey, privateKey: opts.privateKey };

  const send = async (target: Extract<WakeTarget, { provider: 'webpush' }>): Promise<WakeOutcome> => {
    try {
      await webpush.sendNotification({ endpoint: target.endpoint, keys: { p256dh: target.p256dh, auth: target.auth } }, null, {
        vapidDetails,
        TTL: ttlSeconds,
        urgency: 'high',
        timeout: timeoutMs,
        agent,
      });
      return { kind: 'sent' };
    } catch (err) {
      return webPushOutcome(err, Date.now());
    }
  };

  return {
    provider: 'webpush',
    get inFlight() {
      return runner.size;
    },
    async wake(target: WakeTarget, signal?: AbortSignal): Promise<WakeOutcome> {
      if (target.provider !== 'webpush') throw new PushTargetError('MALFORMED', 'provider', `"provider" expected webpush, got ${target.provider}`);
      validateTarget(target, { allowPrivateHosts: opts.allowPrivateHosts === true });
      // web-push takes no abort signal; its socket timeout (timeoutMs) ends a hung request, and close() destroys the agent's sockets.
      return runner.run(signal, () => send(target));
    },
    async close(): Promise<void> {
      runner.close();
      agent.destroy();
    },
  };
}
