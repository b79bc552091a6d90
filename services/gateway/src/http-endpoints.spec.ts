// The shared HTTP endpoint shell on a real listener, with a family of test endpoints (PushError is
// its typed error): every way a request can be refused — wrong method, unknown path, a body over the
// cap (declared or streamed), a body too slow, too many in flight, a window used up, a draining
// gateway, a service that does not answer, a bug — each answered as its typed error, status and
// headers, and nothing of it reaching the endpoint's handler.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, describe, it } from 'node:test';
import { createLogger, Metrics, NoRespondersError, TimeoutError, UnavailableError } from '@tacit/kit';
import { decodePushErrorBody, encodePushErrorBody, PushError } from '@tacit/protocol';
import { ClientAddresses } from './client-address.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import { HttpEndpoints, type EndpointErrors } from './http-endpoints.js';
import type { GatewayShutdown } from './shutdown.js';
import { midMinute, settings, until } from './spec-fixtures.js';
import { httpPost, rawHttp, type HttpAnswer } from './spec-http.js';

const ERRORS: EndpointErrors<PushError> = {
  is: (err: unknown): err is PushError => err instanceof PushError,
  make: (code, field, message) => new PushError(code, field, message),
  status: (err) => err.status,
  body: encodePushErrorBody,
  unknownPath: 'NOT_FOUND',
  unavailable: { field: 'test', message: 'the test service cannot answer now; retry' },
  serviceRetryAfterS: 60,
};

function typed(a: HttpAnswer): PushError {
  return decodePushErrorBody(a.status, a.body.toString());
}

describe(HttpEndpoints.name, () => {
  const servers: Server[] = [];
  const shutdown = { accepting: true } as GatewayShutdown;
  afterEach(() => {
    shutdown.accepting = true;
  });
  after(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  /** A shell under /v1/t: `echo` (16 bytes, window a), `hold` (waits for `release`), `fail` (throws `failWith`). */
  const start = async (over: { maxInflight?: number; bodyTimeoutMs?: number; perMinute?: number } = {}) => {
    const seen: Array<[string, Uint8Array, string]> = [];
    const held: Array<() => void> = [];
    const logged: string[] = [];
    const state: { failWith: unknown } = { failWith: undefined };
    const metrics = new Metrics({ service: 'gateway', defaultMetrics: false });
    const window = { limit: 'a', perMinute: over.perMinute ?? 1000, what: 'echoes' };
    const sut = new HttpEndpoints<PushError>(
      {
        prefix: '/v1/t',
        label: 'test',
        endpoints: {
          echo: { maxBody: 16, ...window, serve: async (body, address) => (seen.push(['echo', body, address]), Uint8Array.from(body).reverse()) },
          hold: { maxBody: 0, limit: 'b', perMinute: 1000, what: 'holds', serve: () => new Promise((r) => held.push(() => r('held'))) },
          fail: {
            maxBody: 0,
            limit: 'b',
            perMinute: 1000,
            what: 'holds',
            serve: async () => {
              throw state.failWith;
            },
          },
        },
        contentType: 'application/x-test',
        metric: { name: 'test_requests_total', help: 'test' },
        errors: ERRORS,
        maxInflight: over.maxInflight ?? 8,
        bodyTimeoutMs: over.bodyTimeoutMs ?? 10_000,
      },
      {
        limiter: new EndpointLimiter({ now: midMinute }),
        addresses: new ClientAddresses(settings()),
        shutdown,
        log: createLogger({ service: 'gateway', write: (line: string) => void logged.push(line) }),
        metrics,
        config: settings(),
      },
    );
    const server = createServer((req, res) => (sut.accepts(req) ? sut.handle(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    const outcomes = async (): Promise<Record<string, number>> =>
      Object.fromEntries(
        (await metrics.forService('gateway').counter({ name: 'test_requests_total', help: 'test', labelNames: ['endpoint', 'outcome'] as const }).get()).values.map((v) => [`${v.labels.endpoint}:${v.labels.outcome}`, v.value]),
      );
    return { sut, port: (server.address() as AddressInfo).port, seen, held, logged, state, outcomes };
  };

  it('passes a body to its endpoint with the client address and answers 200 with the bytes, no-store, readable from any origin; OPTIONS is a CORS preflight', async () => {
    const { port, seen, outcomes } = await start();
    const a = await httpPost(port, '/v1/t/echo?x=1', Uint8Array.of(1, 2, 3));
    assert.deepEqual([a.status, [...a.body], a.headers['content-type'], a.headers['cache-control'], a.headers['access-control-allow-origin']], [200, [3, 2, 1], 'application/x-test', 'no-store', '*']);
    assert.equal(a.headers['access-control-expose-headers'], 'retry-after');
    assert.deepEqual(seen, [['echo', Uint8Array.of(1, 2, 3), '127.0.0.1']]);
    const pre = await httpPost(port, '/v1/t/echo', undefined, { method: 'OPTIONS' });
    assert.deepEqual([pre.status, pre.headers['access-control-allow-methods'], pre.headers['access-control-allow-headers']], [204, 'POST, OPTIONS', 'content-type']);
    assert.deepEqual(await outcomes(), { 'echo:ok': 1 });
  });

  it('refuses an unknown path (naming the endpoints) and a method other than POST, typed, before any handler runs', async () => {
    const { port, seen, outcomes } = await start();
    const nope = await httpPost(port, '/v1/t/nope');
    assert.deepEqual([nope.status, typed(nope).code, typed(nope).field], [404, 'NOT_FOUND', 'path']);
    assert.equal(typed(nope).message, 'no test endpoint at "/v1/t/nope"; POST /v1/t/echo, /hold or /fail');
    assert.equal((await httpPost(port, '/v1/t')).status, 404, 'the prefix itself is no endpoint');
    const get = await httpPost(port, '/v1/t/echo', undefined, { method: 'GET' });
    assert.deepEqual([get.status, typed(get).code, typed(get).field, get.headers.allow], [405, 'BAD_METHOD', 'method', 'POST, OPTIONS']);
    assert.equal(get.headers['content-type'], 'application/json');
    assert.deepEqual(seen, []);
    assert.deepEqual(await outcomes(), { 'unknown:NOT_FOUND': 2, 'echo:BAD_METHOD': 1 });
  });

  it('refuses a body over the cap by its Content-Length, unread, and closes the connection', async () => {
    const { port, seen } = await start();
    const got = await rawHttp(port, 'POST /v1/t/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 17\r\n\r\n');
    assert.match(got, /^HTTP\/1\.1 413 /);
    assert.match(got, /"code":"TOO_LARGE","field":"body"/);
    assert.match(got, /connection: close/i);
    assert.deepEqual(seen, []);
  });

  it('cuts off a body that streams past the cap without a Content-Length (413)', async () => {
    const { port, seen } = await start();
    const chunk = Buffer.alloc(10, 1);
    const got = await rawHttp(port, 'POST /v1/t/echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n', Array.from({ length: 5 }, () => Buffer.from(`a\r\n${chunk.toString('latin1')}\r\n`, 'latin1')));
    assert.match(got, /^HTTP\/1\.1 413 /);
    assert.deepEqual(seen, []);
  });

  it('gives a body bodyTimeoutMs to arrive, then 408 TIMEOUT and the connection closes', async () => {
    const { port, seen } = await start({ bodyTimeoutMs: 150 });
    const t0 = Date.now();
    const got = await rawHttp(port, 'POST /v1/t/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n\x01');
    assert.match(got, /^HTTP\/1\.1 408 /);
    assert.match(got, /"code":"TIMEOUT","field":"body"/);
    assert.ok(Date.now() - t0 < 2000);
    assert.deepEqual(seen, []);
  });

  it('serves at most maxInflight requests at once: the next gets 503 UNAVAILABLE with Retry-After at once; a slot frees when its request ends', async () => {
    const { sut, port, held } = await start({ maxInflight: 2 });
    const slow = [httpPost(port, '/v1/t/hold'), httpPost(port, '/v1/t/hold')];
    await until(() => held.length === 2, 3000, 'two held requests');
    const third = await httpPost(port, '/v1/t/echo', Uint8Array.of(1));
    assert.deepEqual([third.status, typed(third).code, typed(third).field, third.headers['retry-after']], [503, 'UNAVAILABLE', 'gateway', '1']);
    assert.match(typed(third).message, /too many test requests in flight/);
    for (const r of held) r();
    assert.deepEqual((await Promise.all(slow)).map((a) => a.body.toString()), ['held', 'held']);
    assert.equal(sut.inflight, 0);
    assert.equal((await httpPost(port, '/v1/t/echo', Uint8Array.of(1))).status, 200);
  });

  it('counts each window per minute per address and answers 429 RATE_LIMITED with Retry-After past it, before the body is read; other windows are apart', async () => {
    const { port, seen, state } = await start({ perMinute: 2 });
    const echo = () => httpPost(port, '/v1/t/echo', Uint8Array.of(7));
    assert.deepEqual([(await echo()).status, (await echo()).status], [200, 200]);
    const over = await echo();
    assert.deepEqual([over.status, typed(over).code, typed(over).field], [429, 'RATE_LIMITED', 'requester']);
    assert.match(typed(over).message, /^more than 2 echoes a minute from this address; retry after \d+ s$/);
    const wait = Number(over.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    assert.equal(seen.length, 2, 'the refused request never reached the handler');
    // The refusal came before its body was read: a body over the window is not waited for.
    const unread = await rawHttp(port, 'POST /v1/t/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\n');
    assert.match(unread, /^HTTP\/1\.1 429 /);
    state.failWith = new PushError('NOT_FOUND', 'peerKey', 'nothing registered');
    assert.equal((await httpPost(port, '/v1/t/fail')).status, 404, 'window b is its own');
  });

  it('refuses everything with 503 UNAVAILABLE and Retry-After while the gateway drains', async () => {
    const { port, seen } = await start();
    shutdown.accepting = false;
    const a = await httpPost(port, '/v1/t/echo', Uint8Array.of(1));
    assert.deepEqual([a.status, typed(a).code, typed(a).field, a.headers['retry-after']], [503, 'UNAVAILABLE', 'gateway', '1']);
    assert.deepEqual(seen, []);
  });

  it('answers a service that does not answer (no responders, timeout, bus down) as 503 UNAVAILABLE with Retry-After, its details kept inside', async () => {
    const { port, state } = await start();
    for (const err of [new NoRespondersError('no one serves tacit.test.v1.fail'), new TimeoutError('tacit.test.v1.fail timed out'), new UnavailableError('bus closed')]) {
      state.failWith = err;
      const a = await httpPost(port, '/v1/t/fail');
      assert.deepEqual([a.status, typed(a).code, typed(a).field, typed(a).message, a.headers['retry-after']], [503, 'UNAVAILABLE', 'test', 'the test service cannot answer now; retry', '1']);
      assert.ok(!a.body.toString().includes('tacit.test'), 'bus details stay inside');
    }
  });

  it('answers the family\'s own errors as their status (a service RATE_LIMITED with its Retry-After), and a bug as 500 INTERNAL logged without its message', async () => {
    const { port, state, logged, outcomes } = await start();
    state.failWith = new PushError('STALE', 'issuedAtMs', 'too old');
    const stale = await httpPost(port, '/v1/t/fail');
    assert.deepEqual([stale.status, typed(stale).code, typed(stale).field, typed(stale).message, stale.headers['retry-after']], [409, 'STALE', 'issuedAtMs', 'too old', undefined]);
    state.failWith = new PushError('RATE_LIMITED', 'requester', 'slow down');
    const limited = await httpPost(port, '/v1/t/fail');
    assert.deepEqual([limited.status, limited.headers['retry-after']], [429, '60']);
    state.failWith = new RangeError('secret detail 0123abcd');
    const bug = await httpPost(port, '/v1/t/fail');
    assert.deepEqual([bug.status, typed(bug).code, typed(bug).message], [500, 'INTERNAL', 'internal error']);
    const line = logged.find((l) => l.includes('test_endpoint_failed'));
    assert.ok(line, 'the bug is logged');
    assert.doesNotMatch(line, /secret|0123abcd/, 'by its name only');
    assert.deepEqual(await outcomes(), { 'fail:STALE': 1, 'fail:RATE_LIMITED': 1, 'fail:INTERNAL': 1 });
  });

  it('frees the slot of a client that goes away before its body ended, at once rather than at the body timeout', async () => {
    const { sut, port, seen } = await start({ bodyTimeoutMs: 60_000 });
    const { connect } = await import('node:net');
    const s = connect(port, '127.0.0.1', () => s.write('POST /v1/t/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc'));
    await until(() => sut.inflight === 1, 3000, 'the request in flight');
    s.destroy();
    await until(() => sut.inflight === 0, 2000, 'the slot freed');
    assert.deepEqual(seen, []);
  });
});
