// A local FCM: Google's OAuth token endpoint (the service account's RS256 assertion traded for an
// access token) and the HTTP v1 send endpoint, on one HTTPS listener. firebase-admin reaches it
// through the sender's `endpoint` (its sockets are redirected; the Host header still names Google).
import { createPublicKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { isDeepStrictEqual } from 'node:util';
import { FCM_WAKE_DATA } from '../fcm.js';
import { decodeJwt } from '../jwt.js';
import { FakeState, flatHeaders, listenFake, MAX_BODY, record, type FakeAnswer, type FakeProvider } from './_fake.js';
import { selfSignedCert } from './cert.js';

export interface FakeFcmOptions {
  /** Project the send URL must name. */
  readonly projectId: string;
  /** Service account the assertion's `iss` must name. */
  readonly clientEmail: string;
  /** Public half (SPKI PEM) of the service account's RSA key. */
  readonly publicKeyPem: string;
  /** Clock (ms) for the assertion's exp/iat; default Date.now. */
  readonly now?: () => number;
}

/** The local FCM; `.answer({ status, reason })` takes an FCM error code as `reason` (UNREGISTERED, INTERNAL...). */
export interface FakeFcm extends FakeProvider {
  /** Access tokens issued so far. */
  readonly tokensIssued: number;
  /** Host headers the requests named (oauth2.googleapis.com, fcm.googleapis.com through the redirect). */
  readonly hosts: ReadonlySet<string>;
}

const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const FCM_SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const _CANONICAL: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  503: 'UNAVAILABLE',
};
const _MAX_TOKENS = 1000;
const _MESSAGE_KEYS = new Set(['token', 'data', 'android']);
const _ANDROID_KEYS = new Set(['priority', 'ttl']);

/** Whether an FCM v1 message is exactly a wake: token, the constant data, android priority/ttl. */
function _contentFree(message: Record<string, unknown>): boolean {
  if (!Object.keys(message).every((k) => _MESSAGE_KEYS.has(k))) return false;
  if (!isDeepStrictEqual(message['data'], { ...FCM_WAKE_DATA })) return false;
  const android = message['android'];
  if (android === undefined) return true;
  return typeof android === 'object' && android !== null && Object.keys(android).every((k) => _ANDROID_KEYS.has(k));
}

/** Starts a local FCM on 127.0.0.1 with a fresh self-signed certificate. */
export async function startFakeFcm(opts: FakeFcmOptions): Promise<FakeFcm> {
  const key: KeyObject = createPublicKey(opts.publicKeyPem);
  const now = opts.now ?? Date.now;
  const tls = selfSignedCert(['127.0.0.1', 'localhost']);
  const state = new FakeState();
  const { queue, wakes, answers } = state;
  const hosts = new Set<string>();
  const issued = new Set<string>();
  let tokensIssued = 0;

  const json = (res: ServerResponse, status: number, body: unknown, note: string, retryAfter?: string): void => {
    record(answers, note ? `${status} ${note}` : `${status}`);
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=UTF-8' };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    res.writeHead(status, headers).end(JSON.stringify(body));
  };
  const fcmError = (res: ServerResponse, status: number, code: string, retryAfter?: string): void => {
    const canonical = _CANONICAL[status] ?? 'UNKNOWN';
    const details = code && code !== canonical ? [{ '@type': 'type.googleapis.com/google.firebase.fcm.v1.FcmError', errorCode: code }] : [];
    json(res, status, { error: { code: status, message: `fake FCM: ${code || canonical}`, status: canonical, details } }, code || canonical, retryAfter);
  };

  const token = (res: ServerResponse, body: string): void => {
    const form = new URLSearchParams(body);
    const bad = (why: string): void => json(res, 400, { error: 'invalid_grant', error_description: why }, 'invalid_grant');
    if (form.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return json(res, 400, { error: 'unsupported_grant_type' }, 'unsupported_grant_type');
    const jwt = decodeJwt(form.get('assertion') ?? '', 'RS256', key);
    if (!jwt || !jwt.verified || state.revoked) return bad('Invalid JWT Signature.');
    const c = jwt.claims;
    const t = now() / 1000;
    if (c['iss'] !== opts.clientEmail) return bad('Invalid issuer.');
    if (c['aud'] !== GOOGLE_TOKEN_URL) return bad('Invalid audience.');
    if (typeof c['scope'] !== 'string' || !c['scope'].split(' ').includes(FCM_SCOPE)) return json(res, 400, { error: 'invalid_scope' }, 'invalid_scope');
    const iat = c['iat'];
    const exp = c['exp'];
    if (typeof iat !== 'number' || typeof exp !== 'number' || exp <= t || exp - iat > 3600 || iat > t + 300) {
      return bad('Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    const access = `ya29.fake-${randomBytes(24).toString('base64url')}`;
    if (issued.size >= _MAX_TOKENS) issued.delete(issued.values().next().value as string);
    issued.add(access);
    tokensIssued++;
    json(res, 200, { access_token: access, expires_in: 3599, token_type: 'Bearer' }, '');
  };

  const send = (res: ServerResponse, project: string, headers: Record<string, string>, body: string): void => {
    const auth = headers['authorization'] ?? '';
    if (!auth.startsWith('Bearer ') || !issued.has(auth.slice(7)) || state.revoked) return fcmError(res, 401, 'UNAUTHENTICATED');
    let message: Record<string, unknown>;
    try {
      const parsed = JSON.parse(body) as { message?: unknown };
      if (typeof parsed.message !== 'object' || parsed.message === null) throw new Error('no message');
      message = parsed.message as Record<string, unknown>;
    } catch {
      return fcmError(res, 400, 'INVALID_ARGUMENT');
    }
    if (!_contentFree(message)) state.carried++;
    if (project !== opts.projectId) return fcmError(res, 403, 'SENDER_ID_MISMATCH');
    const tok = message['token'];
    if (typeof tok !== 'string' || tok.length === 0) return fcmError(res, 400, 'INVALID_ARGUMENT');
    const a: FakeAnswer | undefined = queue.next();
    if (a && 'hang' in a) return; // left open until the client gives up or close()
    if (a) return fcmError(res, a.status, a.reason ?? '', a.retryAfter);
    record(wakes, { token: tok, headers, body });
    json(res, 200, { name: `projects/${project}/messages/${randomUUID()}` }, '');
  };

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) return fcmError(res, 413, 'INVALID_ARGUMENT');
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = flatHeaders(req.headers);
      if (headers['host']) hosts.add(headers['host']);
      const path = req.url ?? '';
      if (req.method === 'POST' && path === '/token') return token(res, body);
      const m = /^\/v1\/projects\/([^/]+)\/messages:send$/.exec(path);
      if (req.method === 'POST' && m) return send(res, decodeURIComponent(m[1] ?? ''), headers, body);
      fcmError(res, 404, 'NOT_FOUND');
    });
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return listenFake(server, state, tls.cert, close, () => ({
    hosts,
    get tokensIssued() {
      return tokensIssued;
    },
  }));
}
