import type { IncomingMessage, ServerResponse } from 'node:http';
import { NoRespondersError, TimeoutError, UnavailableError, type Logger, type Metrics } from '@tacit/kit';
import type { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import type { EndpointLimiter } from './endpoint-limiter.js';
import type { GatewayShutdown } from './shutdown.js';

/** The codes the shell itself answers with; every endpoint family's error type has them all. */
export type ShellErrorCode = 'MALFORMED' | 'NOT_FOUND' | 'BAD_METHOD' | 'TIMEOUT' | 'TOO_LARGE' | 'RATE_LIMITED' | 'UNAVAILABLE' | 'INTERNAL';

/** A family's typed error, as the shell needs to see it. */
export interface EndpointError extends Error {
  readonly code: string;
  readonly field: string;
}

/** How a family's errors are made, recognised and answered. */
export interface EndpointErrors<E extends EndpointError> {
  /** Whether `err` is the family's own (thrown by a decoder, the handler or the service behind it). */
  is(err: unknown): err is E;
  make(code: ShellErrorCode, field: string, message: string): E;
  /** The HTTP status that carries `err`. */
  status(err: E): number;
  /** The JSON body that carries `err`. */
  body(err: E): string;
  /** The code a path under the prefix that is no endpoint gets (the directory said BAD_METHOD first). */
  unknownPath: 'NOT_FOUND' | 'BAD_METHOD';
  /** What a service behind that does not answer (no responders, timeout, bus down) is: 503 with Retry-After 1. */
  unavailable: { field: string; message: string };
  /** Retry-After (seconds) for a RATE_LIMITED the service itself answered; none when unset. */
  serviceRetryAfterS?: number;
}

/** One endpoint: its body cap, the window it counts in, and what it makes of a body. */
export interface Endpoint {
  /** Longest body taken, bytes (0: none). */
  maxBody: number;
  /** The window's name (the limiter's kind): endpoints naming the same one share it. */
  limit: string;
  /** Requests per minute per client address in that window. */
  perMinute: number;
  /** What the window counts, for the 429 message: 'fetch requests', 'lookups'. */
  what: string;
  /** The answer's body for a request body; `address` is the client's (key it with the salt before it leaves the gateway). Throws the family's error. */
  serve(body: Uint8Array, address: string): Promise<Uint8Array | string>;
}

/** What an {@link HttpEndpoints} shell serves and how it answers. */
export interface HttpEndpointsOptions<E extends EndpointError> {
  /** The path prefix, e.g. `/v1/prekeys`: endpoints are `${prefix}/${name}`. */
  prefix: string;
  /** The family's name in messages and the bug log line (`${label}_endpoint_failed`). */
  label: string;
  /** The endpoints by name, in the order an unknown path's message lists them. */
  endpoints: Readonly<Record<string, Endpoint>>;
  /** Content-Type of a 200 answer. */
  contentType: string;
  /** Counter of requests, by endpoint and outcome (ok or the error code answered). */
  metric: { name: string; help: string };
  errors: EndpointErrors<E>;
  maxInflight: number;
  bodyTimeoutMs: number;
}

/** The services the shell uses, shared with the rest of the gateway. */
export interface HttpEndpointsDeps {
  limiter: EndpointLimiter;
  addresses: ClientAddresses;
  shutdown: GatewayShutdown;
  log: Logger;
  metrics: Metrics;
  config: Pick<GatewayConfig, 'GATEWAY_CLIENT_ADDRESS_FROM'>;
}

/** Every answer may be read by a page of any origin: the endpoints are anonymous and take no credentials. */
const _CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'retry-after' } as const;

/**
 * One family of HTTP endpoints on the client listener (prekeys, directory, push): POST only, a body
 * in and a body out, each passed to a service through its client library. The shell owns what an
 * anonymous client can spend here, the same for every family: the body's size (refused by
 * Content-Length, else cut off as it streams) and its time, requests in flight on this replica,
 * per-address windows across replicas (counted before the body is read), CORS, the drain's refusal,
 * and the client address the windows key on. Every refusal is the family's typed error, answered as
 * its status and JSON body; a service that does not answer is 503 with Retry-After.
 */
export class HttpEndpoints<E extends EndpointError> {
  #inflight = 0;
  readonly #requests;
  readonly #paths: ReadonlyMap<string, [string, Endpoint]>;
  readonly #listing: string;
  /** With PROXY protocol the client's address comes once per connection: kept here for its later requests. */
  readonly #perConnection: WeakMap<object, string> | undefined;

  constructor(
    private readonly opts: HttpEndpointsOptions<E>,
    private readonly deps: HttpEndpointsDeps,
  ) {
    const names = Object.keys(opts.endpoints);
    this.#paths = new Map(names.map((n) => [`${opts.prefix}/${n}`, [n, opts.endpoints[n]!]]));
    const rest = names.slice(1).map((n) => `/${n}`);
    this.#listing = `POST ${opts.prefix}/${names[0]}${rest.length > 1 ? `, ${rest.slice(0, -1).join(', ')}` : ''}${rest.length > 0 ? ` or ${rest.at(-1)}` : ''}`;
    this.#perConnection = deps.config.GATEWAY_CLIENT_ADDRESS_FROM === 'proxy-protocol' ? new WeakMap() : undefined;
    this.#requests = deps.metrics.forService('gateway').counter({ name: opts.metric.name, help: opts.metric.help, labelNames: ['endpoint', 'outcome'] as const });
  }

  /** Requests being served on this replica. */
  get inflight(): number {
    return this.#inflight;
  }

  /** Whether `req` is for these endpoints (the client listener asks before answering 404). */
  accepts(req: IncomingMessage): boolean {
    const path = (req.url ?? '').split('?')[0]!;
    return path === this.opts.prefix || path.startsWith(`${this.opts.prefix}/`);
  }

  /** Answers one request; never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const { errors, label } = this.opts;
    const path = (req.url ?? '').split('?')[0]!;
    const found = this.#paths.get(path);
    const name = found?.[0] ?? 'unknown';
    const fail = (err: E, headers: Record<string, string> = {}): void => this.#fail(req, res, name, err, headers);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { ..._CORS, 'access-control-allow-methods': 'POST, OPTIONS', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '86400' });
      res.end();
      return;
    }
    if (!found) return fail(errors.make(errors.unknownPath, 'path', `no ${label} endpoint at ${JSON.stringify(path.slice(0, 64))}; ${this.#listing}`));
    const endpoint = found[1];
    if (req.method !== 'POST') return fail(errors.make('BAD_METHOD', 'method', `"method" expected POST, got ${String(req.method).slice(0, 16)}`), { allow: 'POST, OPTIONS' });
    if (!this.deps.shutdown.accepting) return fail(errors.make('UNAVAILABLE', 'gateway', 'the gateway is draining; retry'), { 'retry-after': '1' });
    const declared = Number(req.headers['content-length'] ?? 0);
    if (!(declared <= endpoint.maxBody)) return fail(errors.make('TOO_LARGE', 'body', `"body" expected at most ${endpoint.maxBody} bytes, got ${req.headers['content-length']}`));
    if (this.#inflight >= this.opts.maxInflight) return fail(errors.make('UNAVAILABLE', 'gateway', `too many ${label} requests in flight here; retry`), { 'retry-after': '1' });
    this.#inflight++;
    void this.#serve(req, res, name, endpoint)
      .catch((err: unknown) => {
        if (errors.is(err)) {
          const retry = err.code === 'UNAVAILABLE' ? '1' : err.code === 'RATE_LIMITED' && errors.serviceRetryAfterS ? String(errors.serviceRetryAfterS) : undefined;
          return fail(err, retry ? { 'retry-after': retry } : {});
        }
        if (err instanceof UnavailableError || err instanceof NoRespondersError || err instanceof TimeoutError)
          return fail(errors.make('UNAVAILABLE', errors.unavailable.field, errors.unavailable.message), { 'retry-after': '1' });
        this.deps.log.error(`${label}_endpoint_failed`, { endpoint: name, error: err instanceof Error ? err.name : 'unknown' });
        return fail(errors.make('INTERNAL', 'gateway', 'internal error'));
      })
      .finally(() => this.#inflight--);
  }

  async #serve(req: IncomingMessage, res: ServerResponse, name: string, endpoint: Endpoint): Promise<void> {
    const address = this.#clientAddress(req);
    // Counted before the body is read: a client over its window spends no more of ours, nor the service's.
    const taken = await this.deps.limiter.take(endpoint.limit, address, endpoint.perMinute);
    if (!taken.ok) {
      const err = this.opts.errors.make('RATE_LIMITED', 'requester', `more than ${endpoint.perMinute} ${endpoint.what} a minute from this address; retry after ${taken.retryAfterS} s`);
      return this.#fail(req, res, name, err, { 'retry-after': String(taken.retryAfterS) });
    }
    const out = await endpoint.serve(await this.#body(req, endpoint.maxBody), address);
    this.#requests.inc({ endpoint: name, outcome: 'ok' });
    if (res.destroyed) return;
    const length = typeof out === 'string' ? Buffer.byteLength(out) : out.length;
    res.writeHead(200, { ..._CORS, 'content-type': this.opts.contentType, 'content-length': String(length), 'cache-control': 'no-store' });
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
    if (!cache) return this.deps.addresses.of(req);
    let a = cache.get(req.socket);
    if (a === undefined) {
      a = this.deps.addresses.of(req);
      cache.set(req.socket, a);
    }
    return a;
  }

  /** The request body, at most `max` bytes and within the body timeout; TOO_LARGE, TIMEOUT or MALFORMED (cut off) otherwise. */
  #body(req: IncomingMessage, max: number): Promise<Uint8Array> {
    const { errors, bodyTimeoutMs } = this.opts;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = (err: E | undefined): void => {
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
        if (size > max) done(errors.make('TOO_LARGE', 'body', `"body" expected at most ${max} bytes, got more`));
        else chunks.push(chunk);
      };
      const onEnd = (): void => done(undefined);
      const onError = (): void => done(errors.make('MALFORMED', 'body', '"body" was cut off'));
      // A client gone before its body ended frees its slot at once, not at the body timeout.
      const onClose = (): void => {
        if (!req.complete) onError();
      };
      const timer = setTimeout(() => done(errors.make('TIMEOUT', 'body', `"body" did not arrive within ${bodyTimeoutMs} ms`)), bodyTimeoutMs);
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
  #fail(req: IncomingMessage, res: ServerResponse, name: string, err: E, headers: Record<string, string>): void {
    this.#requests.inc({ endpoint: name, outcome: err.code });
    if (res.headersSent || res.destroyed) return;
    const body = this.opts.errors.body(err);
    const unread = !req.complete;
    res.writeHead(this.opts.errors.status(err), {
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
