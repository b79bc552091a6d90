// The directory endpoints on a real HTTP listener, with a directory client the spec controls: what
// goes through (and the requester the gateway names: the client's address key, never a name from
// the body nor the address itself), what one anonymous client can spend (body bytes, requests a
// minute — shared across two replicas through a real Redis), and every refusal as its typed
// DirectoryError with its HTTP status.
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { DirectoryAddress, DirectoryClient, DirectoryLookup, DirectoryRegister, DirectoryRelease, DirectoryTransfer } from '@tacit/directory-client';
import { decodeDirectoryErrorBody, DirectoryError, encodeDirectoryRequest, fromBase64Url, MAX_DIRECTORY_BODY_BYTES, toBase64Url } from '@tacit/directory-core';
import { createLogger, Metrics, NoRespondersError } from '@tacit/kit';
import { AddressSalt } from './address-salt.js';
import { ClientAddresses } from './client-address.js';
import { DirectoryEndpoint } from './directory.js';
import { EndpointLimiter } from './endpoint-limiter.js';
import type { GatewayShutdown } from './shutdown.js';
import { midMinute, settings } from './spec-fixtures.js';
import { redisForSuite } from './redis-suite.js';

/** A directory client that records what reached it; `failWith` makes every call refuse. */
class FakeDirectory implements DirectoryClient {
  readonly calls: Array<[string, DirectoryAddress | undefined]> = [];
  failWith: Error | undefined;
  #gate(): void {
    if (this.failWith) throw this.failWith;
  }
  async challenge(): Promise<Uint8Array> {
    this.calls.push(['challenge', undefined]);
    this.#gate();
    return new Uint8Array(40).fill(7);
  }
  async register(req: DirectoryRegister): Promise<number> {
    this.calls.push(['register', req]);
    this.#gate();
    return 1;
  }
  async lookup(req: DirectoryAddress): Promise<DirectoryLookup> {
    this.calls.push(['lookup', req]);
    this.#gate();
    return { record: Uint8Array.of(9, 8, 7), sequence: 3 };
  }
  async transfer(req: DirectoryTransfer): Promise<number> {
    this.calls.push(['transfer', req]);
    this.#gate();
    return 4;
  }
  async release(req: DirectoryRelease): Promise<number> {
    this.calls.push(['release', req]);
    this.#gate();
    return 5;
  }
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function post(port: number, path: string, body?: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'POST', agent: false, headers: { 'content-type': 'application/json', ...opts.headers } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const lookupKey = new Uint8Array(32).fill(3);
const lookupBody = encodeDirectoryRequest({ policy: 'signed', lookupKey });

describe(DirectoryEndpoint.name, () => {
  const servers: Server[] = [];
  const shutdown = { accepting: true } as GatewayShutdown;
  const start = async (over: Record<string, string> = {}, limiter = new EndpointLimiter({ now: midMinute }), salt = new AddressSalt()): Promise<{ port: number; client: FakeDirectory; salt: AddressSalt }> => {
    const client = new FakeDirectory();
    const config = settings(over);
    const sut = new DirectoryEndpoint(client, limiter, salt, new ClientAddresses(config), shutdown, createLogger({ service: 'gateway', write: () => {} }), new Metrics({ service: 'gateway', defaultMetrics: false }), config);
    const server = createServer((req, res) => (sut.accepts(req) ? sut.handle(req, res) : res.writeHead(404).end()));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return { port: (server.address() as AddressInfo).port, client, salt };
  };
  after(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));

  it('passes each request to the directory with the client\'s address key as requester (not the address, not a name in the body) and its answer back', async () => {
    const { port, client, salt } = await start();
    const c = await post(port, '/v1/directory/challenge');
    assert.equal(c.status, 200);
    assert.deepEqual(fromBase64Url((JSON.parse(c.body) as { challenge: string }).challenge, 'challenge'), new Uint8Array(40).fill(7));
    assert.equal(c.headers['access-control-allow-origin'], '*');
    assert.equal(c.headers['cache-control'], 'no-store');
    const withName = JSON.stringify({ ...(JSON.parse(lookupBody) as object), requester: 'someone-else' });
    const l = await post(port, '/v1/directory/lookup', withName);
    assert.equal(l.status, 200);
    assert.deepEqual(JSON.parse(l.body), { record: toBase64Url(Uint8Array.of(9, 8, 7)), sequence: 3 });
    const seen = client.calls.find(([op]) => op === 'lookup')![1]!;
    assert.deepEqual(seen.lookupKey, lookupKey);
    assert.equal(seen.policy, 'signed');
    assert.equal(seen.requester, salt.key('127.0.0.1'));
    assert.doesNotMatch(seen.requester, /127\.0\.0\.1|someone/);
    const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);
    const reg = await post(port, '/v1/directory/register', encodeDirectoryRequest({ policy: 'last_writer_wins', lookupKey, record: bytes(100, 1), controlKey: bytes(32, 2), challenge: bytes(40, 7), proof: bytes(64, 4) }));
    assert.equal(reg.status, 200);
    assert.deepEqual(JSON.parse(reg.body), { sequence: 1 });
    const r = client.calls.find(([op]) => op === 'register')![1] as DirectoryRegister;
    assert.equal(r.policy, 'last_writer_wins');
    assert.deepEqual(r.record, bytes(100, 1));
    assert.deepEqual(r.proof, bytes(64, 4));
    const t = await post(port, '/v1/directory/transfer', encodeDirectoryRequest({ policy: 'signed', lookupKey, grant: bytes(146, 5), record: bytes(100, 1), challenge: bytes(40, 7), proof: bytes(64, 4) }));
    assert.deepEqual(JSON.parse(t.body), { sequence: 4 });
    const rel = await post(port, '/v1/directory/release', encodeDirectoryRequest({ policy: 'signed', lookupKey, grant: bytes(146, 6) }));
    assert.deepEqual(JSON.parse(rel.body), { sequence: 5 });
  });

  it('refuses what it cannot pass on with a typed error and its status, before the directory sees it', async () => {
    const { port, client } = await start();
    const refused = async (a: Promise<Answer>, status: number, code: string, field?: string): Promise<void> => {
      const got = await a;
      assert.equal(got.status, status, got.body);
      const err = decodeDirectoryErrorBody(got.status, got.body);
      assert.ok(err instanceof DirectoryError);
      assert.equal(err.code, code);
      if (field) assert.equal(err.field, field);
    };
    await refused(post(port, '/v1/directory/nope'), 405, 'BAD_METHOD', 'path');
    await refused(post(port, '/v1/directory/lookup', undefined, { method: 'GET' }), 405, 'BAD_METHOD', 'method');
    await refused(post(port, '/v1/directory/register', 'x'.repeat(MAX_DIRECTORY_BODY_BYTES + 1)), 413, 'TOO_LARGE', 'body');
    await refused(post(port, '/v1/directory/lookup', 'not json'), 400, 'MALFORMED', 'body');
    await refused(post(port, '/v1/directory/lookup', JSON.stringify({ policy: 'anyone', lookupKey: 'AA' })), 400, 'MALFORMED', 'policy');
    await refused(post(port, '/v1/directory/lookup', JSON.stringify({ policy: 'signed', lookupKey: 'a+b/' })), 400, 'MALFORMED', 'lookupKey');
    await refused(post(port, '/v1/directory/register', lookupBody), 400, 'MALFORMED', 'record');
    assert.deepEqual(client.calls, [], 'none reached the directory');
    shutdown.accepting = false;
    try {
      await refused(post(port, '/v1/directory/lookup', lookupBody), 503, 'UNAVAILABLE');
    } finally {
      shutdown.accepting = true;
    }
  });

  it('answers the directory\'s refusals with their status, and a directory that does not answer as UNAVAILABLE', async () => {
    const { port, client } = await start();
    const cases: Array<[Error, number, string]> = [
      [new DirectoryError('NOT_FOUND', 'lookupKey', 'no such handle'), 404, 'NOT_FOUND'],
      [new DirectoryError('TAKEN', 'lookupKey', 'taken'), 409, 'TAKEN'],
      [new DirectoryError('BAD_SIGNATURE', 'grant.signature', 'bad'), 403, 'BAD_SIGNATURE'],
      [new DirectoryError('EXPIRED', 'grant.expiresAt', 'past'), 403, 'EXPIRED'],
      [new DirectoryError('REPLAYED', 'grant.sequence', 'used'), 409, 'REPLAYED'],
      [new DirectoryError('BAD_PROOF', 'proof', 'bad'), 403, 'BAD_PROOF'],
      [new DirectoryError('RATE_LIMITED', 'requester', 'slow down'), 429, 'RATE_LIMITED'],
      [new NoRespondersError('tacit.directory.v1.lookup'), 503, 'UNAVAILABLE'],
    ];
    for (const [err, status, code] of cases) {
      client.failWith = err;
      const got = await post(port, '/v1/directory/lookup', lookupBody);
      assert.equal(got.status, status, code);
      assert.equal(decodeDirectoryErrorBody(got.status, got.body).code, code);
    }
  });

  it('a lookup flood is RATE_LIMITED with Retry-After past GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE, writes counted apart', async () => {
    const { port, client } = await start({ GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: '3', GATEWAY_DIRECTORY_WRITES_PER_MINUTE: '2' });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await post(port, '/v1/directory/lookup', lookupBody)).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
    const last = await post(port, '/v1/directory/lookup', lookupBody);
    assert.equal(decodeDirectoryErrorBody(last.status, last.body).code, 'RATE_LIMITED');
    assert.ok(Number(last.headers['retry-after']) >= 1);
    assert.equal(client.calls.length, 3, 'refused lookups never reached the directory');
    assert.equal((await post(port, '/v1/directory/challenge')).status, 200, 'writes have their own window');
  });

  describe('with Redis', () => {
    const { connect } = redisForSuite();

    it('two replicas share one lookup window and one address key: the directory sees one requester', async () => {
      const replica = async () => {
        const r = connect();
        const salt = new AddressSalt({ redis: r });
        await salt.start();
        salt.close();
        return start({ GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: '4' }, new EndpointLimiter({ redis: r, salt, now: midMinute }), salt);
      };
      const [a, b] = [await replica(), await replica()];
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await post(a.port, '/v1/directory/lookup', lookupBody)).status);
      for (let i = 0; i < 3; i++) statuses.push((await post(b.port, '/v1/directory/lookup', lookupBody)).status);
      assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
      const requesters = new Set([...a.client.calls, ...b.client.calls].map(([, r]) => r!.requester));
      assert.equal(requesters.size, 1);
      const keys = await connect().keys('tacit:*');
      assert.ok(keys.length > 0);
      for (const k of keys) assert.doesNotMatch(k, /127\.0\.0\.1/, 'no address in Redis');
    });
  });
});
