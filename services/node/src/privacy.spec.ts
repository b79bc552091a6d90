// The relay learns as little as possible: after live traffic, a drain, and each kind of bad input,
// nothing the node logged (at debug level) or exposes on /metrics carries a peer key, destination
// hash, mailbox id, packet id or payload, in any of the encodings a log would use.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@tacit/kit';
import { currentEpoch, destHash, encodeClientFrame, mailboxId } from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, type MailboxIdentity, type ReceivedMessage } from '@tacit/sdk';
import { httpGet, waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';
import { openRaw } from './raw-client.js';

const ns = new Uint8Array(randomBytes(32));

/** The spellings an id could take in a log line or a metric label. */
function spellings(b: Uint8Array): string[] {
  const buf = Buffer.from(b);
  return [buf.toString('hex'), buf.toString('hex').toUpperCase(), buf.toString('base64').replace(/=+$/, ''), buf.toString('base64url')];
}

describe('what the relay keeps of its traffic: logs and metrics', () => {
  let dir: string;
  let sut: RunningNode;
  const lines: string[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-privacy-'));
    const log = createLogger({ service: 'node', level: 'debug', write: (l) => void lines.push(l) });
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir, GATEWAY_CONN_RATE: '20', GATEWAY_CONN_BURST: '20' }, log);
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries no peer key, destination hash, mailbox id, packet id or payload after traffic and bad input', async () => {
    const secrets: Uint8Array[] = [];
    const ids: MailboxIdentity[] = [newMailboxIdentity(), newMailboxIdentity(), newMailboxIdentity()];
    const epoch = currentEpoch(Date.now());
    for (const id of ids) {
      secrets.push(id.publicKey);
      for (const e of [epoch - 1, epoch, epoch + 1]) {
        const dest = destHash(ns, id.publicKey, e);
        secrets.push(dest, mailboxId(dest, id.publicKey));
      }
    }
    const payload = (s: string) => new TextEncoder().encode(`${s}-${randomBytes(8).toString('hex')}`);
    const inboxes: ReceivedMessage[][] = [[], [], []];
    const clients = ids.map((identity, i) => new RelayClient({ urls: [sut.url], namespaceId: ns, identity, onMessage: (m) => void inboxes[i]!.push(m) }));
    const [a, b, c] = clients as [RelayClient, RelayClient, RelayClient];
    try {
      await Promise.all([a.connect(), b.connect()]);
      // Live both ways, then queued for C and drained when it connects.
      const sent: Uint8Array[] = [];
      for (let k = 0; k < 10; k++) {
        for (const [from, to] of [[a, b], [b, a], [a, c]] as const) {
          const p = payload('secret');
          sent.push(p);
          await from.send(to.peerKey, p);
        }
      }
      await c.connect();
      await waitFor(() => inboxes.every((box) => box.length === 10), { timeoutMs: 5000, intervalMs: 10, what: 'every inbox' });
      for (const box of inboxes) for (const m of box) secrets.push(m.packetId);
      // Bad input: a claim with a bad proof, an ack of an unknown packet, a malformed frame, a flood.
      const bad = await openRaw(sut.url);
      const dests = [destHash(ns, ids[0]!.publicKey, epoch)];
      bad.send(encodeClientFrame({ type: 'claim', requestId: 1, peerKey: ids[0]!.publicKey, signature: new Uint8Array(64), dests }));
      const unknown = new Uint8Array(randomBytes(16));
      secrets.push(unknown);
      bad.send(encodeClientFrame({ type: 'ack', packetIds: [unknown] }));
      await waitFor(() => bad.frames.filter((f) => f.type === 'error').length >= 2, { timeoutMs: 5000, intervalMs: 10, what: 'two error frames' });
      const flood = await openRaw(sut.url);
      for (let i = 0; i < 60; i++) flood.send(encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
      await flood.error();
      bad.send(Uint8Array.of(0x7f, 1, 2, 3));
      await bad.closed;
      flood.close();
      const metrics = (await httpGet(`${sut.opsUrl}/metrics`)).text;
      const text = `${lines.join('\n')}\n${metrics}`;
      assert.ok(lines.length > 0 && metrics.includes('tacit_gateway_'), 'there are logs and metrics to read');
      for (const s of secrets) {
        for (const spelled of spellings(s)) assert.ok(!text.includes(spelled), `found ${spelled} in the logs or metrics`);
      }
      for (const p of sent) {
        const plain = new TextDecoder().decode(p);
        assert.ok(!text.includes(plain), `found a payload (${plain}) in the logs or metrics`);
        for (const spelled of spellings(p)) assert.ok(!text.includes(spelled), 'found a payload encoded in the logs or metrics');
      }
    } finally {
      for (const cl of clients) cl.close();
    }
  });
});
