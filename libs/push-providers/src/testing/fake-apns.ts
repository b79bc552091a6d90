// A local APNs: HTTP/2 over TLS, checking what Apple checks before it accepts a background push.
import { createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { constants as h2, createSecureServer, type Http2Session, type ServerHttp2Stream } from 'node:http2';
import { APNS_WAKE_BODY } from '../apns.js';
import { decodeJwt } from '../jwt.js';
import { FakeState, flatHeaders, listenFake, MAX_BODY, record, type FakeAnswer, type FakeProvider } from './_fake.js';
import { selfSignedCert } from './cert.js';

export interface FakeApnsOptions {
  /** Key ID the provider token's `kid` must name. */
  readonly keyId: string;
  /** Team ID the token's `iss` must name. */
  readonly teamId: string;
  /** Public half (SPKI PEM) of the .p8 key; the token's ES256 signature must verify against it. */
  readonly publicKeyPem: string;
  /** Bundle id `apns-topic` must carry. */
  readonly topic: string;
  /** Clock (ms) for the token's age; default Date.now. */
  readonly now?: () => number;
}

/** The local APNs; {@link FakeProvider} plus `sessions`, the HTTP/2 connections it accepted. */
export interface FakeApns extends FakeProvider {
  readonly sessions: number;
  /** Sends GOAWAY on every open session, as APNs does when it rotates a connection. */
  goaway(): void;
  /** Tears down every open session at once (a dropped connection), hung streams included. */
  dropConnections(): void;
}

const _TOKEN = /^[0-9a-fA-F]{64,200}$/;
const _APNS_HEADERS = new Set(['apns-push-type', 'apns-priority', 'apns-topic', 'apns-expiration']);

/** Starts a local APNs on 127.0.0.1 with a fresh self-signed certificate. */
export async function startFakeApns(opts: FakeApnsOptions): Promise<FakeApns> {
  const key: KeyObject = createPublicKey(opts.publicKeyPem);
  const now = opts.now ?? Date.now;
  const tls = selfSignedCert(['127.0.0.1', 'localhost']);
  const server = createSecureServer({ key: tls.key, cert: tls.cert });
  const state = new FakeState();
  const { queue, wakes, answers } = state;
  const sessions = new Set<Http2Session>();
  let sessionCount = 0;

  server.on('session', (s) => {
    sessionCount++;
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
    s.on('error', () => undefined);
  });

  const reply = (stream: ServerHttp2Stream, status: number, reason?: string, retryAfter?: string): void => {
    record(answers, reason ? `${status} ${reason}` : `${status}`);
    if (stream.destroyed || stream.closed) return;
    const headers: Record<string, string | number> = { [h2.HTTP2_HEADER_STATUS]: status, 'apns-id': randomUUID() };
    if (retryAfter !== undefined) headers['retry-after'] = retryAfter;
    if (!reason) {
      stream.respond(headers, { endStream: true });
      return;
    }
    headers['content-type'] = 'application/json';
    stream.respond(headers);
    stream.end(JSON.stringify(status === 410 ? { reason, timestamp: now() } : { reason }));
  };

  // Apple's order: the request's shape, then the provider token, then the headers of the push.
  const check = (stream: ServerHttp2Stream, hdr: Record<string, string | string[] | undefined>, body: string): void => {
    const path = String(hdr[h2.HTTP2_HEADER_PATH] ?? '');
    if (hdr[h2.HTTP2_HEADER_METHOD] !== 'POST') return reply(stream, 405, 'MethodNotAllowed');
    const m = /^\/3\/device\/([^/?]*)$/.exec(path);
    if (!m) return reply(stream, 404, 'BadPath');
    const token = m[1] ?? '';
    // A collapse id, an apns-id of ours or any other apns- header could carry an identifier.
    if (body !== APNS_WAKE_BODY || Object.keys(hdr).some((h) => h.startsWith('apns-') && !_APNS_HEADERS.has(h))) state.carried++;
    const auth = hdr['authorization'];
    if (typeof auth !== 'string' || auth.length === 0) return reply(stream, 403, 'MissingProviderToken');
    const jwt = auth.startsWith('bearer ') ? decodeJwt(auth.slice(7), 'ES256', key) : undefined;
    if (!jwt || !jwt.verified || jwt.header['kid'] !== opts.keyId || jwt.claims['iss'] !== opts.teamId || state.revoked) {
      return reply(stream, 403, 'InvalidProviderToken');
    }
    const iat = jwt.claims['iat'];
    if (typeof iat !== 'number' || iat * 1000 > now() + 300_000) return reply(stream, 403, 'InvalidProviderToken');
    if (now() - iat * 1000 >= 3_600_000) return reply(stream, 403, 'ExpiredProviderToken');
    if (!_TOKEN.test(token)) return reply(stream, 400, 'BadDeviceToken');
    const topic = hdr['apns-topic'];
    if (topic === undefined) return reply(stream, 400, 'MissingTopic');
    if (topic !== opts.topic) return reply(stream, 400, 'DeviceTokenNotForTopic');
    if (hdr['apns-push-type'] !== 'background') return reply(stream, 400, 'InvalidPushType');
    if (hdr['apns-priority'] !== '5') return reply(stream, 400, 'BadPriority');
    const exp = hdr['apns-expiration'];
    if (exp !== undefined && !/^\d{1,12}$/.test(String(exp))) return reply(stream, 400, 'BadExpirationDate');
    try {
      JSON.parse(body);
    } catch {
      return reply(stream, 400, 'PayloadEmpty');
    }
    const a: FakeAnswer | undefined = queue.next();
    if (a && 'hang' in a) return; // left open until the client gives up or close()
    if (a) return reply(stream, a.status, a.reason, a.retryAfter);
    record(wakes, { token, headers: flatHeaders(hdr), body });
    reply(stream, 200);
  };

  server.on('stream', (stream, hdr) => {
    stream.on('error', () => undefined);
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    stream.on('end', () => {
      if (size > MAX_BODY) return reply(stream, 413, 'PayloadTooLarge');
      check(stream, hdr, Buffer.concat(chunks).toString('utf8'));
    });
  });

  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of sessions) s.destroy();
    });
  return listenFake(server, state, tls.cert, close, () => ({
    get sessions() {
      return sessionCount;
    },
    goaway: () => {
      for (const s of sessions) s.goaway(h2.NGHTTP2_NO_ERROR);
    },
    dropConnections: () => {
      for (const s of sessions) s.destroy();
    },
  }));
}
