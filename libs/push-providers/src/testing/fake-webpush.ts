// A local Web Push service (RFC 8030) checking VAPID (RFC 8292) as browsers' push services do.
import { createPublicKey, randomBytes, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { decodeJwt } from '../jwt.js';
import { FakeState, flatHeaders, listenFake, MAX_BODY, record, type FakeAnswer, type FakeProvider } from './_fake.js';
import { selfSignedCert } from './cert.js';

export interface FakeWebPushOptions {
  /** The VAPID public key (base64url, 65-byte point) subscriptions were made with; `k=` must match it. */
  readonly vapidPublicKey: string;
  /** Clock (ms) for the JWT's exp; default Date.now. */
  readonly now?: () => number;
}

/** A Web Push subscription at the fake, in the shape of a `webpush` WakeTarget. */
export interface FakeSubscription {
  readonly provider: 'webpush';
  readonly endpoint: string;
  readonly p256dh: string;
  readonly auth: string;
}

export interface FakeWebPush extends FakeProvider {
  /** A new subscription at this service (a fresh P-256 key and auth secret, as a browser makes). */
  subscription(): FakeSubscription;
}

const _URGENCY = new Set(['very-low', 'low', 'normal', 'high']);

function _vapidKey(b64: string): KeyObject {
  const raw = Buffer.from(b64, 'base64url');
  if (raw.length !== 65 || raw[0] !== 4) throw new RangeError(`"vapidPublicKey" expected a 65-byte uncompressed point, got ${raw.length} bytes`);
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33).toString('base64url') }, format: 'jwk' });
}

/** Starts a local Web Push service on 127.0.0.1 with a fresh self-signed certificate. */
export async function startFakeWebPush(opts: FakeWebPushOptions): Promise<FakeWebPush> {
  const key = _vapidKey(opts.vapidPublicKey);
  const now = opts.now ?? Date.now;
  const tls = selfSignedCert(['127.0.0.1', 'localhost']);
  const state = new FakeState();
  const { queue, wakes, answers } = state;
  let origin = '';

  const reply = (res: ServerResponse, status: number, note = '', extra: Record<string, string> = {}): void => {
    record(answers, note ? `${status} ${note}` : `${status}`);
    res.writeHead(status, extra).end();
  };

  const check = (res: ServerResponse, method: string, path: string, headers: Record<string, string>, body: Buffer): void => {
    if (method !== 'POST') return reply(res, 405);
    const m = /^\/push\/([A-Za-z0-9_-]{1,64})$/.exec(path);
    if (!m) return reply(res, 404);
    // A Topic (collapse key) could carry an identifier as surely as a payload could.
    if (body.length > 0 || headers['content-encoding'] !== undefined || headers['topic'] !== undefined) state.carried++;
    const auth = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(headers['authorization'] ?? '');
    if (!auth) return reply(res, 401, 'no vapid');
    // The subscription was made for one applicationServerKey; another key may not push to it.
    if (auth[2] !== opts.vapidPublicKey || state.revoked) return reply(res, 403, 'key mismatch');
    const jwt = decodeJwt(auth[1] ?? '', 'ES256', key);
    if (!jwt || !jwt.verified) return reply(res, 401, 'bad signature');
    const c = jwt.claims;
    const t = now() / 1000;
    if (c['aud'] !== origin) return reply(res, 401, 'bad aud');
    if (typeof c['exp'] !== 'number' || c['exp'] <= t || c['exp'] > t + 86_400) return reply(res, 401, 'bad exp');
    if (typeof c['sub'] !== 'string' || !/^(mailto:|https:)/.test(c['sub'])) return reply(res, 401, 'bad sub');
    const ttl = headers['ttl'];
    if (ttl === undefined || !/^\d{1,10}$/.test(ttl)) return reply(res, 400, 'bad TTL');
    const urgency = headers['urgency'];
    if (urgency !== undefined && !_URGENCY.has(urgency)) return reply(res, 400, 'bad urgency');
    const a: FakeAnswer | undefined = queue.next();
    if (a && 'hang' in a) return; // left open until the client gives up or close()
    if (a) return reply(res, a.status, a.reason ?? '', a.retryAfter !== undefined ? { 'retry-after': a.retryAfter } : {});
    record(wakes, { token: m[1] ?? '', headers, body: body.toString('utf8') });
    reply(res, 201, '', { location: `${origin}/message/${randomBytes(9).toString('base64url')}` });
  };

  const server = createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        state.carried++;
        return reply(res, 413);
      }
      check(res, req.method ?? '', req.url ?? '', flatHeaders(req.headers), Buffer.concat(chunks));
    });
  });
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return listenFake(server, state, tls.cert, close, (url) => {
    origin = url;
    return {
      subscription: () => {
        const pub = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
        const point = Buffer.concat([Buffer.from([4]), Buffer.from(pub.x ?? '', 'base64url'), Buffer.from(pub.y ?? '', 'base64url')]);
        return { provider: 'webpush' as const, endpoint: `${origin}/push/${randomBytes(16).toString('base64url')}`, p256dh: point.toString('base64url'), auth: randomBytes(16).toString('base64url') };
      },
    };
  });
}
