// FCM HTTP v1 through firebase-admin: a named app per sender, authorised by the service account
// (firebase-admin's cert() credential signs the RS256 assertion and trades it for an OAuth access
// token), sending data-only messages whose data is one constant key.
//
// firebase-admin hardcodes both hosts it calls (fcm.googleapis.com in messaging.js, and
// oauth2.googleapis.com/token in google-auth-library's gtoken, which ignores the key file's
// token_uri), so `endpoint` redirects at the socket: an https.Agent that dials `endpoint` instead.
// URLs, headers, the assertion and the request body stay firebase-admin's own. The send takes the
// agent as AppOptions.httpAgent. The token fetch should take it as cert()'s second argument, but
// firebase-admin 14.5 drops it (populateGoogleAuth builds the JWT client with auth.fromJSON(keyFile)
// and no clientOptions; upstream firebase-admin-node issue #2960, open), so _routeCredential hands
// it to that client's transporter instead.
import { createPrivateKey, randomUUID, type KeyObject } from 'node:crypto';
import { Agent, type AgentOptions } from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { cert, deleteApp, initializeApp, type App, type Credential, type ServiceAccount } from 'firebase-admin/app';
import { getMessaging } from 'firebase-admin/messaging';
import { checkInt, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, parseRetryAfter, retry, WakeRunner } from './_shared.js';
import { PushTargetError } from './errors.js';
import type { WakeOutcome, WakeSender, WakeTarget } from './sender.js';
import { validateTarget } from './target.js';

/** The data every FCM wake carries: one constant key, the same for every device and message. */
export const FCM_WAKE_DATA: Readonly<Record<string, string>> = Object.freeze({ wake: '1' });

export interface FcmSenderOptions {
  /** The service account key file's contents (project_id, client_email, private_key). */
  readonly serviceAccount: { readonly project_id: string; readonly client_email: string; readonly private_key: string };
  /** Origin that stands in for fcm.googleapis.com and oauth2.googleapis.com (a local FCM in tests); unset: Google. */
  readonly endpoint?: string;
  /** Extra trusted CA (PEM) for `endpoint`. */
  readonly ca?: string;
  /** Time the provider gets per wake (token fetch included); default 10 s. */
  readonly timeoutMs?: number;
  /** How long FCM keeps an undelivered wake (android.ttl), seconds; default 3600. */
  readonly ttlSeconds?: number;
  /** Wakes in flight at once; past it `wake` answers retry('busy'); default 1000. */
  readonly maxInFlight?: number;
}

const _MAX_SOCKETS = 64;

/**
 * The sender's https.Agent: keep-alive with a socket cap; with `target`, every connection dials it
 * instead (the request keeps its own Host header); after shutdown() it dials nothing, because
 * firebase-admin retries a reset request (ECONNRESET) after a backoff and deleteApp() does not stop
 * it: a closed sender must not reconnect.
 */
class _SenderAgent extends Agent {
  private closed = false;

  constructor(
    private readonly target: URL | undefined,
    opts: AgentOptions,
  ) {
    super(opts);
  }

  override createConnection(options: Record<string, unknown>, callback?: (err: Error | null, socket: Duplex) => void): Duplex | undefined {
    if (this.closed) {
      const err = Object.assign(new Error('sender closed'), { code: 'ERR_SENDER_CLOSED' });
      process.nextTick(() => callback?.(err, undefined as unknown as Duplex));
      return undefined;
    }
    const base = (Agent.prototype as unknown as { createConnection: (o: unknown, cb?: unknown) => Socket }).createConnection;
    if (!this.target) return base.call(this, options, callback);
    const host = this.target.hostname.replace(/^\[|\]$/g, '');
    const redirected: Record<string, unknown> = { ...options, host, port: Number(this.target.port || 443) };
    // The certificate is checked against the endpoint's name, not the Google host in the URL.
    if (isIP(host)) delete redirected['servername'];
    else redirected['servername'] = host;
    return base.call(this, redirected, callback);
  }

  shutdown(): void {
    this.closed = true;
    this.destroy();
  }
}

/**
 * Makes firebase-admin's service-account credential fetch its token through `agent` (see the top
 * of the file). Throws when a firebase-admin upgrade changed the shape, so a test run fails loudly
 * rather than reaching for Google.
 */
function _routeCredential(credential: Credential, agent: Agent): void {
  const c = credential as unknown as { getGoogleAuth?: () => unknown; authClient?: { transporter?: { defaults?: Record<string, unknown> } } };
  if (typeof c.getGoogleAuth !== 'function') throw new Error('firebase-admin changed: cert() has no getGoogleAuth(); cannot route its token fetch to "endpoint"');
  c.getGoogleAuth();
  const defaults = c.authClient?.transporter?.defaults;
  if (typeof defaults !== 'object' || defaults === null) throw new Error('firebase-admin changed: no JWT client transporter; cannot route its token fetch to "endpoint"');
  defaults['agent'] = agent;
}

/**
 * Marks google-auth's cached access token as expired (its JWT client then makes its token cache
 * fetch anew), if the credential has the shape firebase-admin 14 gives it.
 */
function _forgetToken(credential: Credential): void {
  const c = credential as unknown as { authClient?: { credentials?: Record<string, unknown> } };
  const cached = c.authClient?.credentials;
  if (c.authClient && typeof cached === 'object' && cached !== null) c.authClient.credentials = { ...cached, expiry_date: 1 };
}

function _str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Maps what firebase-admin threw to an outcome. */
export function fcmOutcome(err: unknown, nowMs: number): WakeOutcome {
  const e = (err ?? {}) as { code?: unknown; httpResponse?: { status?: unknown; headers?: Record<string, unknown> } };
  const code = _str(e.code);
  const status = typeof e.httpResponse?.status === 'number' ? e.httpResponse.status : 0;
  const retryAfterMs = parseRetryAfter(e.httpResponse?.headers?.['retry-after'], nowMs);
  switch (code) {
    case 'messaging/registration-token-not-registered':
    case 'messaging/invalid-registration-token':
    case 'messaging/invalid-recipient':
      return { kind: 'gone', reason: code };
    case 'messaging/invalid-argument':
      // Our message is constant and valid: an INVALID_ARGUMENT from FCM is about the token.
      return { kind: 'gone', reason: code };
    // mismatched-credential is PERMISSION_DENIED or SENDER_ID_MISMATCH: this service account may not
    // reach the token; keeping the target and alerting is safer than removing every device of a
    // misconfigured project.
    case 'app/invalid-credential':
    case 'messaging/authentication-error':
    case 'messaging/mismatched-credential':
    case 'messaging/third-party-auth-error':
      return { kind: 'refused', reason: code };
    case 'messaging/message-rate-exceeded':
    case 'messaging/device-message-rate-exceeded':
    case 'messaging/server-unavailable':
    case 'messaging/internal-error':
    case 'app/network-error':
    case 'app/network-timeout':
      return retry(code, retryAfterMs);
  }
  if (status === 404) return { kind: 'gone', reason: `status ${status}` };
  if (status === 401 || status === 403) return { kind: 'refused', reason: `status ${status}` };
  if (status === 429 || status >= 500) return retry(code || `status ${status}`, retryAfterMs);
  return retry(code || (err instanceof Error ? err.name : 'unknown'));
}

/** Creates a {@link WakeSender} for FCM. Throws TypeError/RangeError for bad options. */
export function createFcmSender(opts: FcmSenderOptions): WakeSender & { readonly inFlight: number } {
  const sa = opts.serviceAccount;
  if (typeof sa !== 'object' || sa === null) throw new TypeError('"serviceAccount" expected an object');
  for (const k of ['project_id', 'client_email', 'private_key'] as const) {
    if (typeof sa[k] !== 'string' || sa[k].length === 0) throw new TypeError(`"serviceAccount.${k}" expected a non-empty string`);
  }
  let pk: KeyObject;
  try {
    pk = createPrivateKey(sa.private_key);
  } catch (cause) {
    throw new TypeError('"serviceAccount.private_key" expected a PEM private key', { cause });
  }
  // Google service-account keys are RSA (RS256); anything else would only fail at the first token fetch.
  if (pk.asymmetricKeyType !== 'rsa') throw new RangeError(`"serviceAccount.private_key" expected an RSA key, got ${pk.asymmetricKeyType ?? 'unknown'}`);
  const timeoutMs = checkInt('timeoutMs', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 600_000);
  const ttlSeconds = checkInt('ttlSeconds', opts.ttlSeconds ?? 3600, 0, 28 * 86_400);
  const runner = new WakeRunner(checkInt('maxInFlight', opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000), timeoutMs);
  // One keep-alive agent with a socket cap: a burst of wakes reuses a few TLS connections instead
  // of opening one each (firebase-admin's send is HTTP/1.1).
  let target: URL | undefined;
  if (opts.endpoint !== undefined) {
    target = new URL(opts.endpoint);
    if (target.protocol !== 'https:') throw new RangeError(`"endpoint" expected https:, got ${target.protocol}`);
  }
  const agent = new _SenderAgent(target, { keepAlive: true, maxSockets: _MAX_SOCKETS, ...(opts.ca ? { ca: opts.ca } : {}) });
  const account: ServiceAccount = { projectId: sa.project_id, clientEmail: sa.client_email, privateKey: sa.private_key };

  // cert() memoises credentials by the account's JSON, ignoring the agent, so two senders of one
  // account would share one agent and one cached token; a per-sender field keeps them apart (one
  // entry in firebase-admin's module-level cache per sender created, never freed).
  const credential = cert({ ...account, tacitSender: randomUUID() } as ServiceAccount, agent);
  if (opts.endpoint !== undefined) _routeCredential(credential, agent);
  // A refused credential leaves firebase-admin (the app) and google-auth (the JWT client) holding
  // the access token until it expires; after a refusal both are dropped, so a key that works again
  // is used at once.
  let app: App | undefined;
  const current = (): App => {
    app ??= initializeApp({ credential, projectId: sa.project_id, httpAgent: agent }, `tacit-push-${randomUUID()}`);
    return app;
  };
  const retire = (): void => {
    const old = app;
    app = undefined;
    _forgetToken(credential);
    if (old) void deleteApp(old).catch(() => undefined);
  };

  const send = async (token: string): Promise<WakeOutcome> => {
    const a = current();
    try {
      await getMessaging(a).send({ token, data: { ...FCM_WAKE_DATA }, android: { priority: 'high', ttl: ttlSeconds * 1000 } });
      return { kind: 'sent' };
    } catch (err) {
      const o = fcmOutcome(err, Date.now());
      if (o.kind === 'refused' && app === a) retire();
      return o;
    }
  };

  return {
    provider: 'fcm',
    get inFlight() {
      return runner.size;
    },
    async wake(target: WakeTarget, signal?: AbortSignal): Promise<WakeOutcome> {
      if (target.provider !== 'fcm') throw new PushTargetError('MALFORMED', 'provider', `"provider" expected fcm, got ${target.provider}`);
      validateTarget(target);
      // firebase-admin takes no abort signal: a wake that times out is answered at once, and its
      // request ends at firebase-admin's own 15 s timeout or when close() destroys the sockets.
      return runner.run(signal, () => send(target.token));
    },
    async close(): Promise<void> {
      runner.close();
      const old = app;
      app = undefined;
      agent.shutdown();
      if (old) await deleteApp(old).catch(() => undefined);
    },
  };
}
