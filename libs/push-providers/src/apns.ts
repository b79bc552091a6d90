// APNs provider API: HTTP/2 to api.push.apple.com with token authentication. One session is
// reused for every wake (Apple asks providers to keep connections open rather than reconnect per
// push) and replaced after a GOAWAY, an error or a close.
import { constants as h2, connect, type ClientHttp2Session, type ClientHttp2Stream } from 'node:http2';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { checkInt, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT_MS, parseRetryAfter, retry, WakeRunner } from './_shared.js';
import { PushTargetError } from './errors.js';
import { signEs256 } from './jwt.js';
import type { WakeOutcome, WakeSender, WakeTarget } from './sender.js';
import { validateTarget } from './target.js';

/** Apple's production endpoint. */
export const APNS_PRODUCTION = 'https://api.push.apple.com';
/** Apple's development (sandbox) endpoint. */
export const APNS_SANDBOX = 'https://api.sandbox.push.apple.com';
/** The one body every wake carries: a background push with nothing in it. */
export const APNS_WAKE_BODY = '{"aps":{"content-available":1}}';
/**
 * Provider tokens are re-signed after this long: Apple refuses a token older than an hour and
 * answers TooManyProviderTokenUpdates to one refreshed more often than every 20 minutes.
 */
export const APNS_TOKEN_REFRESH_MS = 50 * 60_000;

export interface ApnsSenderOptions {
  /** The .p8 signing key (PKCS#8 PEM, P-256) from the Apple developer account. */
  readonly keyPem: string;
  /** The key's 10-character Key ID (the JWT `kid`). */
  readonly keyId: string;
  /** The 10-character Team ID (the JWT `iss`). */
  readonly teamId: string;
  /** The app's bundle id (`apns-topic`). */
  readonly topic: string;
  /** Provider endpoint; default {@link APNS_PRODUCTION}. */
  readonly endpoint?: string;
  /** Time the provider gets per wake; default 10 s. */
  readonly timeoutMs?: number;
  /** Extra trusted CA (PEM), for a local APNs in tests. */
  readonly ca?: string;
  /** Seconds APNs keeps an undelivered wake (`apns-expiration` = now + this); default 3600; 0 = deliver now or drop. */
  readonly ttlSeconds?: number;
  /** Wakes in flight at once; past it `wake` answers retry('busy'); default 1000. */
  readonly maxInFlight?: number;
  /** Clock (ms since the epoch) for the token's `iat` and the expiration; default Date.now. */
  readonly now?: () => number;
}

// A reason body is a short JSON object; anything bigger is cut, not buffered.
const _MAX_ANSWER = 2048;
const _GONE = new Set(['Unregistered', 'BadDeviceToken', 'DeviceTokenNotForTopic']);
const _REFUSED = new Set(['ExpiredProviderToken', 'InvalidProviderToken', 'MissingProviderToken']);

/** Creates a {@link WakeSender} for APNs. Throws TypeError/RangeError for bad options (a key that is not P-256, ids of the wrong length). */
export function createApnsSender(opts: ApnsSenderOptions): WakeSender & { readonly inFlight: number } {
  let key: KeyObject;
  try {
    key = createPrivateKey(opts.keyPem);
  } catch (cause) {
    throw new TypeError('"keyPem" expected a PKCS#8 PEM private key', { cause });
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new RangeError(`"keyPem" expected a P-256 key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  if (!/^[A-Za-z0-9]{1,64}$/.test(opts.keyId)) throw new RangeError('"keyId" expected 1-64 letters and digits');
  if (!/^[A-Za-z0-9]{1,64}$/.test(opts.teamId)) throw new RangeError('"teamId" expected 1-64 letters and digits');
  if (!/^[A-Za-z0-9.\-_]{1,255}$/.test(opts.topic)) throw new RangeError('"topic" expected a bundle id');
  const endpoint = new URL(opts.endpoint ?? APNS_PRODUCTION);
  if (endpoint.protocol !== 'https:') throw new RangeError(`"endpoint" expected https:, got ${endpoint.protocol}`);
  const timeoutMs = checkInt('timeoutMs', opts.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1, 600_000);
  const ttlSeconds = checkInt('ttlSeconds', opts.ttlSeconds ?? 3600, 0, 30 * 86_400);
  const runner = new WakeRunner(checkInt('maxInFlight', opts.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT, 1, 1_000_000), timeoutMs);
  const now = opts.now ?? Date.now;

  let jwt: { token: string; iatMs: number } | undefined;
  const bearer = (): string => {
    const t = now();
    // Re-signed when old, or when the clock went back (an injected clock, a stepped host clock).
    if (!jwt || t - jwt.iatMs >= APNS_TOKEN_REFRESH_MS || t < jwt.iatMs) {
      const iat = Math.floor(t / 1000);
      jwt = { token: signEs256({ alg: 'ES256', kid: opts.keyId }, { iss: opts.teamId, iat }, key), iatMs: t };
    }
    return jwt.token;
  };

  let session: ClientHttp2Session | undefined;
  const connection = (): ClientHttp2Session => {
    if (session && !session.closed && !session.destroyed) return session;
    const s = connect(endpoint.origin, opts.ca ? { ca: opts.ca } : {});
    const drop = (): void => {
      if (session === s) session = undefined;
    };
    // After GOAWAY the session finishes its streams but takes no new ones: the next wake dials anew.
    s.on('goaway', drop);
    s.on('close', drop);
    s.on('error', () => {
      drop();
      s.destroy();
    });
    // An idle session must not keep the process alive; a wake in flight holds it by its timeout timer.
    s.unref();
    session = s;
    return s;
  };

  const send = (token: string, abort: AbortSignal): Promise<WakeOutcome> =>
    new Promise<WakeOutcome>((resolve) => {
      const s = connection();
      const t = now();
      let req: ClientHttp2Stream;
      try {
        req = s.request({
          [h2.HTTP2_HEADER_METHOD]: 'POST',
          [h2.HTTP2_HEADER_PATH]: `/3/device/${token}`,
          authorization: `bearer ${bearer()}`,
          'apns-push-type': 'background',
          'apns-priority': '5',
          'apns-topic': opts.topic,
          'apns-expiration': String(ttlSeconds === 0 ? 0 : Math.floor(t / 1000) + ttlSeconds),
          'content-type': 'application/json',
        });
      } catch (err) {
        // A session closing under us, or out of stream ids after 2^31 requests: the next wake dials anew.
        if (session === s) session = undefined;
        s.destroy();
        resolve(retry(`connection: ${(err as { code?: string }).code ?? 'request refused'}`));
        return;
      }
      let status = 0;
      let retryAfter: unknown;
      const chunks: Buffer[] = [];
      let size = 0;
      let done = false;
      const finish = (o: WakeOutcome): void => {
        if (done) return;
        done = true;
        abort.removeEventListener('abort', onAbort);
        resolve(o);
      };
      const onAbort = (): void => {
        req.close(h2.NGHTTP2_CANCEL);
      };
      abort.addEventListener('abort', onAbort, { once: true });
      req.on('response', (headers) => {
        status = Number(headers[h2.HTTP2_HEADER_STATUS]);
        retryAfter = headers['retry-after'];
      });
      req.on('data', (c: Buffer) => {
        if (size < _MAX_ANSWER) chunks.push(c);
        size += c.length;
      });
      // A stream reset before any response headers ends with no status: a lost connection. One
      // reset after the headers still has its answer (a 200 is a 200 whatever followed it).
      // outcome() may drop the cached token, so it runs once, for the first of end/error/close.
      const settle = (err?: Error & { code?: string }): void => {
        if (done) return;
        if (status !== 0) finish(outcome(status, Buffer.concat(chunks).subarray(0, _MAX_ANSWER).toString('utf8'), retryAfter));
        else finish(retry(err ? `connection: ${err.code ?? err.name}` : 'connection closed'));
      };
      req.on('end', () => settle());
      req.on('error', settle);
      req.on('close', () => settle());
      req.end(APNS_WAKE_BODY);
    });

  const outcome = (status: number, body: string, retryAfter: unknown): WakeOutcome => {
    let reason = '';
    try {
      const parsed = JSON.parse(body) as { reason?: unknown };
      if (typeof parsed.reason === 'string') reason = parsed.reason.slice(0, 64);
    } catch {
      // No JSON body: the status alone decides.
    }
    if (status === 200) return { kind: 'sent' };
    if (status === 410 || _GONE.has(reason)) return { kind: 'gone', reason: reason || `status ${status}` };
    if (_REFUSED.has(reason) || status === 403) {
      // The next wake signs anew: a refused token is useless however young it is.
      jwt = undefined;
      return { kind: 'refused', reason: reason || `status ${status}` };
    }
    if (status === 429 || status >= 500) return retry(reason || `status ${status}`, parseRetryAfter(retryAfter, now()));
    // Any other 4xx is a request we built wrong (BadTopic, BadExpirationDate...): alert, not remove.
    return { kind: 'refused', reason: reason || `status ${status}` };
  };

  return {
    provider: 'apns',
    get inFlight() {
      return runner.size;
    },
    async wake(target: WakeTarget, signal?: AbortSignal): Promise<WakeOutcome> {
      if (target.provider !== 'apns') throw new PushTargetError('MALFORMED', 'provider', `"provider" expected apns, got ${target.provider}`);
      validateTarget(target);
      return runner.run(signal, (abort) => send(target.token, abort));
    },
    async close(): Promise<void> {
      runner.close();
      const s = session;
      session = undefined;
      if (s && !s.destroyed) await closeSession(s);
    },
  };
}

// GOAWAY first so the provider sees a clean goodbye; a peer that never acknowledges costs at most a second.
function closeSession(s: ClientHttp2Session): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      s.destroy();
      resolve();
    }, 1000);
    s.close(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
