// The prekey endpoints' per-requester limit holds across gateway replicas (one count in Redis): a
// client that spreads its fetches over two replicas gets no more than the limit in all.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodePrekeyFetch } from '@tacit/protocol';
import { Cluster } from './harness.js';

describe('prekey fetch limit across two gateway replicas', { timeout: 120_000 }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await Cluster.start({ gateways: 2, env: { GATEWAY_PREKEY_FETCHES_PER_MINUTE: '4' } });
  });
  after(async () => {
    await cluster.stop();
  });

  it('counts one client address once, whichever replica it asks', async () => {
    const urls = cluster.gateways.map((g) => `http://127.0.0.1:${g.port}/v1/prekeys/fetch`);
    // Fixed one-minute windows: keep the six requests inside one.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 55_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(urls[i % 2]!, { method: 'POST', body: encodePrekeyFetch(new Uint8Array(32).fill(i)) });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // Four fetches in all (no bundle at these addresses: 404), then 429 from both replicas.
    assert.deepEqual(statuses, [404, 404, 404, 404, 429, 429]);
  });
});
