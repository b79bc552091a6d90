import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { DIRECTORY_CLIENT, type DirectoryClient } from '@tacit/directory-client';
import {
  decodeDirectoryRequest,
  DIRECTORY_PATH,
  DirectoryError,
  directoryHttpStatus,
  encodeDirectoryErrorBody,
  MAX_DIRECTORY_BODY_BYTES,
  toBase64Url,
  type DirectoryOperation,
} from '@tacit/directory-core';
import { NoRespondersError, TimeoutError, UnavailableError, type Logger, type Metrics } from '@tacit/kit';
import { LOGGER, METRICS, SETTINGS } from '@tacit/platform';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { PrekeyLimiter } from './prekey-limiter.js';
import { GatewayShutdown } from './shutdown.js';
import { DIRECTORY_LIMITER } from './tokens.js';

/** The endpoints under {@link DIRECTORY_PATH}, the longest body each takes, and the window it counts in. */
const _ENDPOINTS: Readonly<Record<string, { op: DirectoryOperation; maxBody: number; limit: 'dir-lookup' | 'dir-write' }>> = Object.freeze({
  [`${DIRECTORY_PATH}/challenge`]: { op: 'challenge', maxBody: 0, limit: 'dir-write' },
  [`${DIRECTORY_PATH}/register`]: { op: 'register', maxBody: MAX_DIRECTORY_BODY_BYTES, limit: 'dir-write' },
  [`${DIRECTORY_PATH}/lookup`]: { op: 'lookup', maxBody: 256, limit: 'dir-lookup' },
  [`${DIRECTORY_PATH}/transfer`]: { op: 'transfer', maxBody: MAX_DIRECTORY_BODY_BYTES, limit: 'dir-write' },
  [`${DIRECTORY_PATH}/release`]: { op: 'release', maxBody: 1024, limit: 'dir-write' },
});

/** Every answer may be read by a page of any origin: the endpoints are anonymous and take no credentials. */
const _CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' } as const;

/**
 * The directory endpoints (docs/directory.md "Through the gateway") on the client listener: POST
 * `/v1/directory/challenge`, `/register`, `/lookup`, `/transfer`, `/release`, JSON in and out
 * (directory-core's http.ts), passed to the directory service through its client library. Built
 * like the prekey endpoints: this unit owns the body's size and time, requests in flight on this
 * replica, and per-address windows across replicas (lookups apart from writes). It names the
 * requester the service counts: the client's address key (the IPv4 address or IPv6 /64, hashed with
 * the salt every replica shares), never the address and never a name the client gives.
 */
@Injectable()
export class DirectoryEndpoint {
  #inflight = 0;
  readonly #maxInflight: number;
  readonly #bodyTimeoutMs: number;
  readonly #lookupLimit: number;
  readonly #writeLimit: number;
  readonly #requests;
  /** With PROXY protocol the client's address comes once per connection: kept here for its later requests. */
  readonly #perConnection: WeakMap<object, string> | undefined;

  constructor(
    @Inject(DIRECTORY_CLIENT) private readonly client: DirectoryClient,
    @Inject(DIRECTORY_LIMITER) private readonly limiter: PrekeyLimiter,
    @Inject(AddressSalt) private readonly salt: AddressSalt,
    @Inject(ClientAddresses) private readonly addresses: ClientAddresses,
    @Inject(GatewayShutdown) private readonly shutdown: GatewayShutdown,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(METRICS) metrics: Metrics,
    @Inject(SETTINGS) config: GatewayConfig,
  ) {
    this.#maxInflight = config.GATEWAY_DIRECTORY_MAX_INFLIGHT;
    this.#bodyTimeoutMs = config.GATEWAY_DIRECTORY_BODY_TIMEOUT_MS;
    this.#lookupLimit = config.GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE;
    this.#writeLimit = config.GATEWAY_DIRECTORY_WRITES_PER_MINUTE;
    this.#perConnection = config.GATEWAY_CLIENT_ADDRESS_FROM === 'proxy-protocol' ? new WeakMap() : undefined;
    this.#requests = metrics.forService('gateway').counter({
      name: 'directory_requests_total',
      help: 'Directory endpoint requests, by endpoint and outcome (ok or the error code answered)',
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
    return path === DIRECTORY_PATH || path.startsWith(`${DIRECTORY_PATH}/`);
  }

  /** Answers one request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0]!;
    const endpoint = _ENDPOINTS[path];
    const name = endpoint?.op ?? 'unknown';
    const fail = (err: DirectoryError, headers: Record<string, string> = {}): void => this.#fail(req, res, name, err, headers);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ..._CORS, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' });
      res.end();
      return;
    }
    if (!endpoint) return fail(new DirectoryError('BAD_METHOD', 'path', `no directory endpoint at ${JSON.stringify(path.slice(0, 64))}; POST ${DIRECTORY_PATH}/challenge, /register, /lookup, /transfer or /release`));
    if (req.method !== 'POST') return fail(new DirectoryError('BAD_METHOD', 'method', `"method" expected POST, got ${String(req.method).slice(0, 16)}`), { allow: 'POST, OPTIONS' });
    if (!this.shutdown.accepting) return fail(new DirectoryError('UNAVAILABLE', 'gateway', 'the gateway is draining; retry'), { 'retry-after': '1' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= endpoint.maxBody)) return fail(new DirectoryError('TOO_LARGE', 'body', `"body" expected at most ${endpoint.maxBody} bytes, got ${req.headers['content-length']}`));
    if (this.#inflight >= this.#maxInflight) return fail(new DirectoryError('UNAVAILABLE', 'gateway', 'too many directory requests in flight here; retry'), { 'retry-after': '1' });
    this.#inflight++;
    void this.#serve(req, res, endpoint)
      .catch((err: unknown) => {
        if (err instanceof DirectoryError) return fail(err, err.code === 'UNAVAILABLE' ? { 'retry-after': '1' } : err.code === 'RATE_LIMITED' ? { 'retry-after': '60' } : {});
        if (err instanceof UnavailableError || err instanceof NoRespondersError || err instanceof TimeoutError)
          return fail(new DirectoryError('UNAVAILABLE', 'directory', 'the directory cannot answer now; retry'), { 'retry-after': '1' });
        this.log.error('directory_endpoint_failed', { endpoint: name, error: err instanceof Error ? err.name : 'unknown' });
        return fail(new DirectoryError('INTERNAL', 'gateway', 'internal error'));
      })
      .finally(() => this.#inflight--);
  }

  async #serve(req: IncomingMessage, res: ServerResponse, endpoint: { op: DirectoryOperation; maxBody: number; limit: 'dir-lookup' | 'dir-write' }): Promise<void> {
    const ip = this.#clientAddress(req);
    // Counted before the body is read: a client over its window spends no more of ours, nor the directory's.
    const limit = endpoint.limit === 'dir-lookup' ? this.#lookupLimit : this.#writeLimit;
    const taken = await this.limiter.take(endpoint.limit, ip, limit);
    if (!taken.ok) {
      const what = endpoint.limit === 'dir-lookup' ? 'lookups' : 'directory writes';
      const err = new DirectoryError('RATE_LIMITED', 'requester', `more than ${limit} ${what} a minute from this address; retry after ${taken.retryAfterS} s`);
      return this.#fail(req, res, endpoint.op, err, { 'retry-after': String(taken.retryAfterS) });
    }
    const body = await this.#body(req, endpoint.maxBody);
    // The service's own limits count this key: the client's address, hashed, whatever the body says.
    const requester = this.salt.key(ip);
    let out: Record<string, string | number>;
    if (endpoint.op === 'challenge') {
      out = { challenge: toBase64Url(await this.client.challenge()) };
    } else {
      const r = decodeDirectoryRequest(endpoint.op, new TextDecoder('utf-8', { fatal: false }).decode(body));
      const policy = r.policy;
      const lookupKey = r.lookupKey;
      switch (endpoint.op) {
        case 'register':
          out = { sequence: await this.client.register({ policy, lookupKey, requester, record: r.record!, controlKey: r.controlKey!, challenge: r.challenge!, proof: r.proof! }) };
          break;
        case 'lookup': {
          const found = await this.client.lookup({ policy, lookupKey, requester });
          out = { record: toBase64Url(found.record), sequence: found.sequence };
          break;
        }
        case 'transfer':
          out = { sequence: await this.client.transfer({ policy, lookupKey, requester, grant: r.grant!, record: r.record!, challenge: r.challenge!, proof: r.proof! }) };
          break;
        default:
          out = { sequence: await this.client.release({ policy, lookupKey, requester, grant: r.grant! }) };
      }
    }
    this.#requests.inc({ endpoint: endpoint.op, outcome: 'ok' });
    if (res.destroyed) return;
    const json = JSON.stringify(out);
    res.writeHead(200, { ..._CORS, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)), 'cache-control': 'no-store' });
    res.end(json);
  }

  /** The address the request's limits key on, as the prekey endpoints find it (a PROXY header's once per connection). */
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

  /** The request body, at most `max` bytes and within the body timeout; TOO_LARGE or TIMEOUT otherwise. */
  #body(req: IncomingMessage, max: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (err: DirectoryError | undefined): void => {
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
        if (size > max) done(new DirectoryError('TOO_LARGE', 'body', `"body" expected at most ${max} bytes, got more`));
        else chunks.push(chunk);
      };
      const onEnd = (): void => done(undefined);
      const onError = (): void => done(new DirectoryError('MALFORMED', 'body', '"body" was cut off'));
      const onClose = (): void => {
        if (!req.complete) onError();
      };
      const timer = setTimeout(() => done(new DirectoryError('TIMEOUT', 'body', `"body" did not arrive within ${this.#bodyTimeoutMs} ms`)), this.#bodyTimeoutMs);
      req.on('data', onData);
      req.on('end', onEnd);
      req.on('error', onError);
      req.on('close', onClose);
    });
  }

  /** Answers `err` as its status and JSON body; an unread body is not waited for (the connection closes after). */
  #fail(req: IncomingMessage, res: ServerResponse, name: string, err: DirectoryError, headers: Record<string, string>): void {
    this.#requests.inc({ endpoint: name, outcome: err.code });
    if (res.headersSent || res.destroyed) return;
    const body = encodeDirectoryErrorBody(err);
    const unread = !req.complete;
    res.writeHead(directoryHttpStatus(err.code), {
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
