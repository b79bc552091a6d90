// The prekey endpoints on a real HTTP listener, with a prekey client the spec controls: what goes
// through, and what one anonymous client can spend (body bytes, body time, requests in flight,
// requests a minute), each refused with its typed error.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLogger, Metrics, NoRespondersError } from '@tacit/kit';
import type { PrekeyClient } from '@tacit/prekey-client';
import {
  decodePrekeyErrorBody,
  decodePrekeyUploadReply,
  encodePrekeyFetch,
  MAX_PREKEY_UPLOAD_BYTES,
  PrekeyError,
  type PrekeyUploadReply,
} from '@tacit/protocol';
import { ClientAddresses } from './client-address.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import { PrekeyEndpoint } from './prekeys.js';
import type { GatewayShutdown } from './shutdown.js';
import { midMinute, settings } from './spec-fixtures.js';
import { httpPost, type HttpAnswer } from './spec-http.js';

/** A prekey client that records what reached it; `hold` keeps calls pending until released. */
class FakePrekeys implements PrekeyClient {
  readonly calls: Array<[string, Uint8Array | undefined]> = [];
  failWith: Error | undefined;
  held: Array<() => void> | undefined;
  async #gate(): Promise<void> {
    if (this.failWith) throw this.failWith;
    if (this.held) await new Promise<void>((r) => this.held!.push(r));
  }
  async challenge(): Promise<Uint8Array> {
    this.calls.push(['challenge', undefined]);
    await this.#gate();
    return new Uint8Array(40).fill(7);
  }
  async upload(upload: Uint8Array): Promise<PrekeyUploadReply> {
    this.calls.push(['upload', upload]);
    await this.#gate();
    return { preKeys: 3, kyberPreKeys: 4, signedPreKey: true, lastResortKyberPreKey: true };
  }
  async fetch(address: Uint8Array): Promise<Uint8Array> {
    this.calls.push(['fetch', address]);
    await this.#gate();
    return Uint8Array.of(1, 2, 3);
  }
}

function typed(a: HttpAnswer): PrekeyError {
  return decodePrekeyErrorBody(a.status, a.body.toString());
}

describe(PrekeyEndpoint.name, () => {
  let server: Server;
  let port: number;
  let client: FakePrekeys;
  let sut: PrekeyEndpoint;
  const shutdown = { accepting: true } as GatewayShutdown;
  const start = async (over: Record<string, string> = {}): Promise<void> => {
    client = new FakePrekeys();
    const config = settings(over);
    sut = new PrekeyEndpoint(
      client,
      new EndpointLimiter({ now: midMinute }),
      new ClientAddresses(config),
      shutdown,
      createLogger({ service: 'gateway', write: () => {} }),
      new Metrics({ service: 'gateway', defaultMetrics: false }),
      config,
    );
    server = createServer((req, res) => (sut.accepts(req) ? sut.handle(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  };
  before(() => start());
  afterEach(() => {
    shutdown.accepting = true;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));
  const restart = async (over: Record<string, string>): Promise<void> => {
    await new Promise<void>((r) => server.close(() => r()));
    await start(over);
  };

  it('passes challenge, upload and fetch bodies to the prekey service and its answers back, readable from any origin', async () => {
    const c = await httpPost(port, '/v1/prekeys/challenge');
    assert.equal(c.status, 200);
    assert.deepEqual(new Uint8Array(c.body), new Uint8Array(40).fill(7));
    assert.equal(c.headers['access-control-allow-origin'], '*');
    assert.equal(c.headers['cache-control'], 'no-store');
    const upload = new Uint8Array(5000).fill(9);
    const u = await httpPost(port, '/v1/prekeys/upload', upload);
    assert.equal(u.status, 200);
    assert.deepEqual(decodePrekeyUploadReply(new Uint8Array(u.body)), { preKeys: 3, kyberPreKeys: 4, signedPreKey: true, lastResortKyberPreKey: true });
    const address = new Uint8Array(32).fill(4);
    const f = await httpPost(port, '/v1/prekeys/fetch', encodePrekeyFetch(address));
    assert.deepEqual([f.status, [...f.body]], [200, [1, 2, 3]]);
    assert.deepEqual(client.calls, [['challenge', undefined], ['upload', upload], ['fetch', address]]);
    const pre = await httpPost(port, '/v1/prekeys/upload', undefined, { method: 'OPTIONS', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers['access-control-allow-methods'], 'POST, OPTIONS');
    assert.equal(pre.headers['access-control-allow-headers'], 'content-type');
  });

  it('answers bad requests with typed errors, and refusals of the service as the service made them', async () => {
    const calls = client.calls.length;
    assert.deepEqual([typed(await httpPost(port, '/v1/prekeys/nope')).code, (await httpPost(port, '/v1/prekeys/nope')).status], ['NOT_FOUND', 404]);
    const get = await httpPost(port, '/v1/prekeys/fetch', undefined, { method: 'GET' });
    assert.deepEqual([get.status, typed(get).code, get.headers.allow], [405, 'BAD_METHOD', 'POST, OPTIONS']);
    const short = typed(await httpPost(port, '/v1/prekeys/fetch', Uint8Array.of(1, 2, 3)));
    assert.deepEqual([short.code, short.field], ['MALFORMED', 'address']);
    assert.equal(client.calls.length, calls, 'nothing malformed reached the service');
    client.failWith = new PrekeyError('BAD_SIGNATURE', 'kyberPreKeys[3].signature', '"kyberPreKeys[3].signature" does not verify');
    const bad = await httpPost(port, '/v1/prekeys/upload', new Uint8Array(100));
    assert.equal(bad.status, 400);
    assert.deepEqual([typed(bad).code, typed(bad).field], ['BAD_SIGNATURE', 'kyberPreKeys[3].signature']);
    client.failWith = new NoRespondersError('no one serves tacit.prekey.v1.fetch');
    const down = await httpPost(port, '/v1/prekeys/fetch', encodePrekeyFetch(new Uint8Array(32)));
    assert.deepEqual([down.status, typed(down).code, down.headers['retry-after']], [503, 'UNAVAILABLE', '1']);
    assert.ok(!down.body.toString().includes('tacit.prekey'), 'bus details stay inside');
    client.failWith = undefined;
    shutdown.accepting = false;
    const draining = await httpPost(port, '/v1/prekeys/challenge');
    assert.deepEqual([draining.status, typed(draining).code], [503, 'UNAVAILABLE']);
  });

  it('refuses a body over the cap by its Content-Length, unread, and closes the connection', async () => {
    const calls = client.calls.length;
    const big = await new Promise<{ head: string; closed: boolean }>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write(`POST /v1/prekeys/upload HTTP/1.1\r\nhost: x\r\ncontent-length: ${MAX_PREKEY_UPLOAD_BYTES + 1}\r\n\r\n`);
      });
      let head = '';
      s.on('data', (d) => (head += d.toString()));
      s.on('close', () => resolve({ head, closed: true }));
    });
    assert.match(big.head, /^HTTP\/1\.1 413 /);
    assert.match(big.head, /"code":"TOO_LARGE"/);
    assert.equal(client.calls.length, calls);
  });

  it('cuts off a body that streams past the cap without a Content-Length', async () => {
    const res = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.write('POST /v1/prekeys/fetch HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
        const chunk = Buffer.alloc(1000, 1);
        for (let i = 0; i < 20 && !s.destroyed; i++) s.write(`${chunk.length.toString(16)}\r\n${chunk.toString('latin1')}\r\n`);
      });
      let head = '';
      s.on('data', (d) => (head += d.toString()));
      s.on('error', () => undefined);
      s.on('close', () => resolve(head));
    });
    assert.match(res, /^HTTP\/1\.1 413 /);
  });

  it('gives a body GATEWAY_PREKEY_BODY_TIMEOUT_MS to arrive, then 408 and the connection closes', async () => {
    await restart({ GATEWAY_PREKEY_BODY_TIMEOUT_MS: '200' });
    const t0 = Date.now();
    const res = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('POST /v1/prekeys/fetch HTTP/1.1\r\nhost: x\r\ncontent-length: 33\r\n\r\n\x01'));
      let head = '';
      s.on('data', (d) => (head += d.toString()));
      s.on('close', () => resolve(head));
    });
    assert.match(res, /^HTTP\/1\.1 408 /);
    assert.match(res, /"code":"TIMEOUT"/);
    assert.ok(Date.now() - t0 < 2000);
  });

  it('frees the slot of a client that goes away before its body ended, at once rather than at the body timeout', async () => {
    await restart({ GATEWAY_PREKEY_BODY_TIMEOUT_MS: '60000' });
    const s = connect(port, '127.0.0.1', () => s.write('POST /v1/prekeys/upload HTTP/1.1\r\nhost: x\r\ncontent-length: 5000\r\n\r\nabc'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(sut.inflight, 1);
    s.destroy();
    const t0 = Date.now();
    while (sut.inflight > 0 && Date.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 10));
    assert.equal(sut.inflight, 0, 'the slot is free');
    assert.equal(client.calls.length, 0, 'nothing reached the service');
  });

  it('serves at most GATEWAY_PREKEY_MAX_INFLIGHT requests at once; the rest get 503 at once', async () => {
    await restart({ GATEWAY_PREKEY_MAX_INFLIGHT: '2' });
    client.held = [];
    const slow = [httpPost(port, '/v1/prekeys/challenge'), httpPost(port, '/v1/prekeys/challenge')];
    while (client.held.length < 2) await new Promise((r) => setTimeout(r, 5));
    const third = await httpPost(port, '/v1/prekeys/challenge');
    assert.deepEqual([third.status, typed(third).code, third.headers['retry-after']], [503, 'UNAVAILABLE', '1']);
    for (const r of client.held) r();
    client.held = undefined;
    assert.deepEqual((await Promise.all(slow)).map((a) => a.status), [200, 200]);
    assert.equal(sut.inflight, 0);
  });

  it('counts fetches and uploads per minute per address apart, and answers 429 with Retry-After past either', async () => {
    await restart({ GATEWAY_PREKEY_FETCHES_PER_MINUTE: '3', GATEWAY_PREKEY_UPLOADS_PER_MINUTE: '2' });
    const fetch = () => httpPost(port, '/v1/prekeys/fetch', encodePrekeyFetch(new Uint8Array(32)));
    assert.deepEqual((await Promise.all([fetch(), fetch(), fetch()])).map((a) => a.status), [200, 200, 200]);
    const over = await fetch();
    assert.deepEqual([over.status, typed(over).code, typed(over).field], [429, 'RATE_LIMITED', 'requester']);
    const wait = Number(over.headers['retry-after']);
    assert.ok(wait >= 1 && wait <= 60, `Retry-After ${wait}`);
    // Uploads have their own window, and the refused fetch did not reach the service.
    assert.equal(client.calls.filter(([k]) => k === 'fetch').length, 3);
    assert.equal((await httpPost(port, '/v1/prekeys/challenge')).status, 200);
    assert.equal((await httpPost(port, '/v1/prekeys/upload', new Uint8Array(10))).status, 200);
    assert.equal((await httpPost(port, '/v1/prekeys/challenge')).status, 429);
  });
});
