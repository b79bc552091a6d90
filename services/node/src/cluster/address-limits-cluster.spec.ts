// Limits documented as "per client address, across replicas" are one limit, whichever gateway
// replica the client reaches: every replica keys an address with the salt shared through Redis
// (AddressSalt), so their counts add up in one Redis key. Before, each replica salted with random
// bytes of its own and a client spreading its connections over N replicas got N budgets.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { encodePrekeyFetch, ErrorCode, PACKET_HEADER_LEN, SIZE_BUCKETS } from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, type WebSocketLike } from '@tacit/sdk';
import { earlyInWindow } from '@tacit/testing';
import { Cluster } from './harness.js';

/** The hourly queue quota the spec sets (the setting's minimum). */
const QUOTA = 65_536;

/** A counter of a gateway's /metrics (summed over the series whose labels include `labels`). */
async function metric(opsPort: number, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${opsPort}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    const m = /^(\w+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (m && m[1] === name && (m[2] ?? '').includes(labels)) sum += Number(m[3]);
  }
  return sum;
}

describe('per-address limits across two gateway replicas', { timeout: 120_000 }, () => {
  let cluster: Cluster;
  const opened: RelayClient[] = [];
  before(async () => {
    cluster = await Cluster.start({ gateways: 2, env: { GATEWAY_PREKEY_FETCHES_PER_MINUTE: '4', GATEWAY_IP_QUEUE_BYTES_PER_HOUR: String(QUOTA) } });
  });
  after(async () => {
    for (const c of opened) c.close();
    await cluster.stop();
  });

  it('prekey fetches: one client address counted once, whichever replica it asks', async () => {
    const urls = cluster.gateways.map((g) => `http://127.0.0.1:${g.port}/v1/prekeys/fetch`);
    // Fixed one-minute windows: keep the six requests inside one.
    await earlyInWindow(60_000, 5_000);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await fetch(urls[i % 2]!, { method: 'POST', body: encodePrekeyFetch(new Uint8Array(32).fill(i)) });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // Four fetches in all (no bundle at these addresses: 404), then 429 from both replicas.
    assert.deepEqual(statuses, [404, 404, 404, 404, 429, 429]);
  });

  it("the hourly queue quota: what one address queued through replica A counts on replica B", async () => {
    const [a, b] = cluster.gateways;
    // Two senders from one address (127.0.0.1), one on each replica, to a recipient who is offline.
    const sender = (url: string) => {
      const c = new RelayClient({
        urls: [url],
        namespaceId: new Uint8Array(32).fill(7),
        identity: newMailboxIdentity(),
        webSocket: (u: string) => new WebSocket(u) as unknown as WebSocketLike,
        minBackoffMs: 50,
        maxBackoffMs: 200,
      });
      opened.push(c);
      return c;
    };
    const offline = newMailboxIdentity().publicKey;
    const [onA, onB] = [sender(a!.url), sender(b!.url)];
    await Promise.all([onA.connect(), onB.connect()]);
    let accepted = 0;
    // Each packet is a 256-byte bucket plus its header: 120 of them are ~40 KB, within the quota; on
    // A they are all accepted.
    await Promise.all(Array.from({ length: 120 }, () => onA.send(offline, new Uint8Array([1])).then(() => void accepted++)));
    assert.equal(accepted, 120);
    // A tells Redis what it counted within its flush interval (100 ms).
    await new Promise((r) => setTimeout(r, 500));
    const limitedBefore = await metric(b!.opsPort, 'tacit_gateway_errors_total', `code="${ErrorCode.RATE_LIMITED}"`);
    // B sends a few, and learns the address's count across replicas at its flush.
    await Promise.all(Array.from({ length: 20 }, () => onB.send(offline, new Uint8Array([1])).then(() => void accepted++)));
    await new Promise((r) => setTimeout(r, 500));
    // 120 more through B would make ~85 KB in all: past the quota, so B must refuse some. (With a
    // salt per replica B counted only its own ~13 KB and accepted every one.)
    void Promise.all(Array.from({ length: 120 }, () => onB.send(offline, new Uint8Array([1])).then(() => void accepted++))).catch(() => undefined);
    const limited = () => metric(b!.opsPort, 'tacit_gateway_errors_total', `code="${ErrorCode.RATE_LIMITED}"`);
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && (await limited()) === limitedBefore) await new Promise((r) => setTimeout(r, 100));
    assert.ok((await limited()) > limitedBefore, 'replica B refused sends past the quota A had mostly used');
    await new Promise((r) => setTimeout(r, 1_000));
    const packetBytes = PACKET_HEADER_LEN + SIZE_BUCKETS[0]!;
    const fit = Math.floor(QUOTA / packetBytes);
    assert.ok(accepted < 260, `accepted ${accepted} of 260`);
    // What B admits before its next flush may overshoot by one flush interval's sends.
    assert.ok(accepted <= fit + 40, `accepted ${accepted} packets of ${packetBytes} bytes: about one quota (${fit})`);
  });
});
