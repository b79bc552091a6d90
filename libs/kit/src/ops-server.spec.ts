import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthRegistry } from './health.js';
import { Metrics } from './metrics.js';
import { createOpsHandler, startOpsServer, type OpsServer } from './ops-server.js';

describe(startOpsServer.name, () => {
  let sut: OpsServer;
  let dbUp = true;
  const health = new HealthRegistry({ timeoutMs: 100 });
  health.addReadiness('postgres', () => {
    if (!dbUp) throw new Error('connect ECONNREFUSED postgres://app:hunter2@db');
  });
  const metrics = new Metrics({ service: 'queue', defaultMetrics: false });
  metrics.counter({ name: 'acks_total', help: 'Acks.' }).inc();

  before(async () => {
    sut = await startOpsServer({ port: 0, health, metrics });
  });
  after(() => sut.close());

  it('answers /healthz while the event loop runs', async () => {
    const res = await fetch(`${sut.url}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  it('answers /readyz 200, then 503 naming the failing check without its error', async () => {
    assert.equal((await fetch(`${sut.url}/readyz`)).status, 200);
    dbUp = false;
    try {
      const res = await fetch(`${sut.url}/readyz?verbose`);
      assert.equal(res.status, 503);
      const text = await res.text();
      assert.deepEqual(JSON.parse(text), { status: 'fail', failing: ['postgres'] });
      assert.doesNotMatch(text, /hunter2|ECONNREFUSED/);
    } finally {
      dbUp = true;
    }
  });

  it('serves Prometheus text on /metrics', async () => {
    const res = await fetch(`${sut.url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/plain/);
    assert.match(await res.text(), /^tacit_queue_acks_total\{service="queue"\} 1$/m);
  });

  it('answers 404 elsewhere, 405 for other methods, and HEAD without a body', async () => {
    assert.equal((await fetch(`${sut.url}/`)).status, 404);
    const post = await fetch(`${sut.url}/healthz`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    const head = await fetch(`${sut.url}/healthz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), '');
  });
});

describe(createOpsHandler.name, () => {
  it('mounts on a service HTTP server and leaves other paths to it', async () => {
    const handle = createOpsHandler({ health: new HealthRegistry() });
    const server = createServer(async (req, res) => {
      if (await handle(req, res)) return;
      res.writeHead(200).end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal(await (await fetch(`${base}/v1/send`)).text(), 'app');
      assert.equal((await fetch(`${base}/metrics`)).status, 404, 'no metrics source given');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
