import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { NoRespondersError, TimeoutError, UnavailableError, type Logger, type Metrics } from '@tacit/kit';
import { LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { PREKEY_CLIENT, type PrekeyClient } from '@tacit/prekey-client';
import {
  decodePrekeyFetch,
  encodePrekeyErrorBody,
  encodePrekeyUploadReply,
  MAX_PREKEY_UPLOAD_BYTES,
  PREKEY_FETCH_LEN,
  PREKEY_PATH,
  PrekeyError,
} from '@tacit/protocol';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { PrekeyLimiter } from './prekey-limiter.js';
import { GatewayShutdown } from './shutdown.js';
import { PREKEY_LIMITER } from './tokens.js';

/** The endpoints under {@link PREKEY_PATH}, and the longest body each takes. */
const _ENDPOINTS: Readonly<Record<string, { maxBody: number; limit: 'fetch' | 'upload' }>> = Object.freeze({
  [`${PREKEY_PATH}/challenge`]: { maxBody: 0, limit: 'upload' },
  [`${PREKEY_PATH}/upload`]: { maxBody: MAX_PREKEY_UPLOAD_BYTES, limit: 'upload' },
  [`${PREKEY_PATH}/fetch`]: { maxBody: PREKEY_FETCH_LEN, limit: 'fetch' },
});

/** Every answer may be read by a page of any origin: the endpoints are anonymous and take no credentials. */
const _CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' } as const;

/**
 * The prekey endpoints (docs/protocol.md §13) on the client listener: POST
 * `/v1/prekeys/challenge`, `/upload`, `/fetch`, each a body in and a body out, passed to the prekey
 * service through its client library. This unit owns what an anonymous client can spend here: the
 * body's size (refused by Content-Length, else cut off as it streams) and its time, requests in
 * flight on this replica, and per-requester windows across replicas (fetches apart from uploads:
 * a fetch hands out one of someone's one-time keys). Errors are {@link PrekeyError}s: status and
 * JSON body. HTTP and not a frame: the v1 frame set is closed (protocol.md §5), and a prekey request
 * has no business on a connection that claims mailboxes (it would link the two).
 */
@Injectable()
export class PrekeyEndpoint {
  #inflight = 0;
  readonly #maxInflight: number;
  readonly #bodyTimeoutMs: number;
  readonly #fetchLimit: number;
  readonly #uploadLimit: number;
  readonly #requests;
  /** With PROXY protocol the client's address comes once per connection: kept here for its later requests. */
  readonly #perConnection: WeakMap<object, string> | undefined;

  constructor(
    @Inject(PREKEY_CLIENT) private readonly client: PrekeyClient,
    @Inject(PREKEY_LIMITER) private readonly limiter: PrekeyLimiter,
    @Inject(ClientAddresses) private readonly addresses: ClientAddresses,
    @Inject(GatewayShutdown) private readonly shutdown: GatewayShutdown,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(METRICS) metrics: Metrics,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.#maxInflight = config.GATEWAY_PREKEY_MAX_INFLIGHT;
    this.#bodyTimeoutMs = config.GATEWAY_PREKEY_BODY_TIMEOUT_MS;
    this.#fetchLimit = config.GATEWAY_PREKEY_FETCHES_PER_MINUTE;
    this.#uploadLimit = config.GATEWAY_PREKEY_UPLOADS_PER_MINUTE;
    this.#perConnection = config.GATEWAY_CLIENT_ADDRESS_FROM === 'proxy-protocol' ? new WeakMap() : undefined;
    this.#requests = metrics.forService('gateway').counter({
      name: 'prekey_requests_total',
      help: 'Prekey endpoint requests, by endpoint and outcome (ok or the error code answered)',
      labelNames: ['endpoint', 'outcome'] as const,
    });
  }

  /** Requests being served on this replica. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Whether `req` is for these endpoints (the client listener asks before answering 404). */
  accepts(req: IncomingMessage): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    return path === PREKEY_PATH || path.startsWith(`${PREKEY_PATH}/`);
  }

  /** Answers one request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]!;
    const endpoint = _ENDPOINTS[path];
    const name = endpoint ? path.slice(PREKEY_PATH.length + 1) : 'unknown';
    const fail = (err: PrekeyError, headers: Record<string, string> = {}): void => this.#fail(req, res, name, err, headers);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ..._CORS, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' });
      res.end();
      return;
    }
    if (!endpoint) return fail(new PrekeyError('NOT_FOUND', 'path', `no prekey endpoint at ${JSON.stringify(path.slice(0, 64))}; POST ${PREKEY_PATH}/challenge, /upload or /fetch`));
    if (req.method !== 'POST') return fail(new PrekeyError('BAD_METHOD', 'method', `"method" expected POST, got ${String(req.method).slice(0, 16)}`), { allow: 'POST, OPTIONS' });
    if (!this.shutdown.accepting) return fail(new PrekeyError('UNAVAILABLE', 'gateway', 'the gateway is draining; retry'), { 'retry-after': '1' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= endpoint.maxBody)) return fail(new PrekeyError('TOO_LARGE', 'body', `"body" expected at most ${endpoint.maxBody} bytes, got ${req.headers['content-length']}`));
    if (this.#inflight >= this.#maxInflight) return fail(new PrekeyError('UNAVAILABLE', 'gateway', 'too many prekey requests in flight here; retry'), { 'retry-after': '1' });
    this.#inflight++;
    void this.#serve(req, res, name, endpoint)
      .catch((err: unknown) => {
        if (err instanceof PrekeyError) return fail(err, err.code === 'UNAVAILABLE' ? { 'retry-after': '1' } : {});
        if (err instanceof UnavailableError || err instanceof NoRespondersError || err instanceof TimeoutError)
          return fail(new PrekeyError('UNAVAILABLE', 'prekey', 'the prekey service cannot answer now; retry'), { 'retry-after': '1' });
        this.log.error('prekey_endpoint_failed', { endpoint: name, error: err instanceof Error ? err.name : 'unknown' });
        return fail(new PrekeyError('INTERNAL', 'gateway', 'internal error'));
      })
      .finally(() => this.#inflight--);
  }

  async #serve(req: IncomingMessage, res: ServerResponse, name: string, endpoint: { maxBody: number; limit: 'fetch' | 'upload' }): Promise<void> {
    // Counted before the body is read: a client over its window spends no more of ours.
    const limit = endpoint.limit === 'fetch' ? this.#fetchLimit : this.#uploadLimit;
    const taken = await this.limiter.take(endpoint.limit, this.#clientAddress(req), limit);
    if (!taken.ok) {
      const err = new PrekeyError('RATE_LIMITED', 'requester', `more than ${limit} ${endpoint.limit} requests a minute from this address; retry after ${taken.retryAfterS} s`);
      return this.#fail(req, res, name, err, { 'retry-after': String(taken.retryAfterS) });
    }
    const body = await this.#body(req, endpoint.maxBody);
    let out: Uint8Array;
    switch (name) {
      case 'challenge':
        out = await this.client.challenge();
        break;
      case 'upload':
        out = encodePrekeyUploadReply(await this.client.upload(body));
        break;
      default:
        out = await this.client.fetch(decodePrekeyFetch(body));
    }
    this.#requests.inc({ endpoint: name, outcome: 'ok' });
    if (res.destroyed) return;
    res.writeHead(200, { ..._CORS, 'content-type': 'application/octet-stream', 'content-length': String(out.length), 'cache-control': 'no-store' });
    res.end(out);
  }

  /**
   * The address the request's limits key on, as the WebSocket upgrades' (ClientAddresses: the TCP
   * peer, or what a trusted balancer's PROXY header or X-Forwarded-For names). A PROXY header comes
   * once per connection and is read once, so it is kept for the connection's later requests; an
   * X-Forwarded-For is read per request (a balancer may carry several clients' requests on one).
   */
  #clientAddress(req: IncomingMessage): string {
    const cache = this.#perConnection;
    if (!cache) return this.addresses.of(req);
    let a = cache.get(req.socket);
    if (a === undefined) {
      a = this.addresses.of(req);
      cache.set(req.socket, a);
    }
    return a;
  }

  /** The request body, at most `max` bytes and within the body timeout; PrekeyError TOO_LARGE or TIMEOUT otherwise. */
  #body(req: IncomingMessage, max: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (err: PrekeyError | undefined): void => {
        clearTimeout(timer);
        req.off('data', onData);
        req.off('end', onEnd);
        req.off('error', onError);
        req.off('close', onClose);
        if (err) reject(err);
        else resolve(size === 0 ? new Uint8Array(0) : new Uint8Array(Buffer.concat(chunks, size)));
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > max) done(new PrekeyError('TOO_LARGE', 'body', `"body" expected at most ${max} bytes, got more`));
        else chunks.push(chunk);
      };
      const onEnd = (): void => done(undefined);
      const onError = (): void => done(new PrekeyError('MALFORMED', 'body', '"body" was cut off'));
      // A client gone before its body ended frees its slot at once, not at the body timeout.
      const onClose = (): void => {
        if (!req.complete) onError();
      };
      const timer = setTimeout(() => done(new PrekeyError('TIMEOUT', 'body', `"body" did not arrive within ${this.#bodyTimeoutMs} ms`)), this.#bodyTimeoutMs);
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }

  /**
   * Answers `err` as its status and JSON body. The rest of an unread body is not waited for: the
   * connection closes after the answer, so a client cannot keep a refused upload streaming in.
   */
  #fail(req: IncomingMessage, res: ServerResponse, name: string, err: PrekeyError, headers: Record<string, string>): void {
    this.#requests.inc({ endpoint: name, outcome: err.code });
    if (res.headersSent || res.destroyed) return;
    const body = encodePrekeyErrorBody(err);
    const unread = !req.complete;
    res.writeHead(err.status, {
      ..._CORS,
      ...headers,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      ...(unread ? { connection: 'close' } : {}),
    });
    res.end(body);
    if (unread) res.once('finish', () => req.socket.destroySoon());
  }
}
