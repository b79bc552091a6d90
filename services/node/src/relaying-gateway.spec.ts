// Issue 12, attack 7: a gateway the client connected to (one of its relay URLs, malicious) passes
// the client's connection on to the real relay, to take over its claim and drain and delete its
// packets. Protocol v2 binds a claim to the relay's key and the connection's ephemeral key and tags
// every ACK with a key only the client and the relay can compute (docs/protocol.md §4.1). Here the
// real relay is the one-container node; the gateway in the middle is a WebSocket relay of our own
// on another loopback port, which (a) shows its own relay key, or (b) shows the real one, keeps
// every DELIVER from the client and ACKs them itself. Neither gets a claim accepted nor deletes a
// packet: the client, connecting to the node directly afterwards, receives every one.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { randomBytes, x25519 } from '@tacit/crypto';
import { createLogger } from '@tacit/kit';
import { CHANNEL_TAG_LEN, decodeServerFrame, encodeClientFrame, ErrorCode } from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, SendRejectedError, type ReceivedMessage } from '@tacit/sdk';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(32).fill(12);
const quiet = createLogger({ service: 'node', write: () => {} });

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** What the gateway in the middle saw and did. */
interface Middle {
  url: string;
  delivers: number;
  /** ERROR codes the real relay answered. */
  errors: number[];
  close(): Promise<void>;
}

/**
 * A gateway in the middle: every client connection is passed on to `upstream`, frame by frame.
 * `ownKey` puts its own relay key in WELCOME; `steal` keeps DELIVERs from the client and sends an
 * ACK of each itself (an ACK_V2 with a tag of its own making, and a v1 ACK).
 */
async function middle(upstream: string, mode: { ownKey?: boolean; steal?: boolean }): Promise<Middle> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, path: '/v1' });
  await new Promise((r) => wss.once('listening', r));
  const own = x25519.keygen().publicKey;
  const m: Middle = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}/v1`,
    delivers: 0,
    errors: [],
    close: () => {
      for (const c of wss.clients) c.terminate();
      return new Promise((r) => wss.close(() => r()));
    },
  };
  wss.on('connection', (client) => {
    const up = new WebSocket(upstream);
    const early: Buffer[] = [];
    client.on('message', (data: Buffer) => (up.readyState === WebSocket.OPEN ? up.send(data) : early.push(data)));
    up.on('open', () => {
      for (const d of early.splice(0)) up.send(d);
    });
    up.on('message', (data: Buffer) => {
      const bytes = new Uint8Array(data);
      const frame = decodeServerFrame(bytes);
      // From version 2 the relay key is WELCOME's last 32 bytes.
      if (frame.type === 'welcome' && mode.ownKey) bytes.set(own, bytes.length - 32);
      if (frame.type === 'error') m.errors.push(frame.code);
      if (frame.type === 'deliver' && mode.steal) {
        m.delivers++;
        const id = frame.packet.packetId;
        const ack = encodeClientFrame({ type: 'ack', packetIds: [id], tag: new Uint8Array(CHANNEL_TAG_LEN) });
        ack.set(randomBytes(CHANNEL_TAG_LEN), ack.length - CHANNEL_TAG_LEN);
        up.send(ack);
        up.send(encodeClientFrame({ type: 'ack', packetIds: [id] }));
        return;
      }
      if (frame.type === 'error' && mode.steal) return;
      client.send(bytes);
    });
    const end = () => {
      client.terminate();
      up.terminate();
    };
    client.on('close', end);
    up.on('close', end);
    client.on('error', end);
    up.on('error', end);
  });
  return m;
}

describe('a gateway in the middle of a client and its relay (protocol v2)', { timeout: 120_000 }, () => {
  let node: RunningNode;
  let dir: string;
  const opened: RelayClient[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-mitm-'));
    node = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir }, quiet);
  });
  after(async () => {
    for (const c of opened) c.close();
    await node.stop(0);
    rmSync(dir, { recursive: true, force: true });
  });

  const client = (urls: string[], identity = newMailboxIdentity(), inbox?: ReceivedMessage[]) => {
    const c = new RelayClient({ urls, namespaceId: ns, identity, onMessage: inbox ? (msg) => void inbox.push(msg) : undefined, minBackoffMs: 50, maxBackoffMs: 200 });
    opened.push(c);
    return c;
  };

  /** Five packets queued for a new recipient who is offline. */
  const queuedFor = async () => {
    const recipient = newMailboxIdentity();
    const sender = client([node.url]);
    await sender.connect();
    const bodies = Array.from({ length: 5 }, (_, i) => `for the recipient #${i}`);
    await Promise.all(bodies.map((b) => sender.send(recipient.publicKey, new TextEncoder().encode(b))));
    sender.close();
    return { recipient, bodies };
  };

  /** The recipient connects to the node directly: what it receives. */
  const receiveDirectly = async (recipient: ReturnType<typeof newMailboxIdentity>, n: number) => {
    const inbox: ReceivedMessage[] = [];
    const c = client([node.url], recipient, inbox);
    await c.connect();
    await until(() => inbox.length >= n, 20_000, `${n} packets at the real relay`);
    c.close();
    return inbox.map((m) => new TextDecoder().decode(m.payload)).sort();
  };

  it('showing its own relay key, it gets a proof the real relay refuses: no claim, nothing drained', async () => {
    const { recipient, bodies } = await queuedFor();
    const mitm = await middle(node.url, { ownKey: true });
    try {
      const victim = client([mitm.url], recipient, []);
      await assert.rejects(victim.connect(), (err: unknown) => err instanceof SendRejectedError && err.code === ErrorCode.BAD_PROOF);
      assert.deepEqual(mitm.errors, [ErrorCode.BAD_PROOF]);
    } finally {
      await mitm.close();
    }
    assert.deepEqual(await receiveDirectly(recipient, 5), bodies.sort());
  });

  it('showing the real key, it can keep the DELIVERs from the client but its ACKs are refused: every packet is still queued', async () => {
    const { recipient, bodies } = await queuedFor();
    const mitm = await middle(node.url, { steal: true });
    try {
      const victim = client([mitm.url], recipient, []);
      await victim.connect();
      await until(() => mitm.delivers >= 5 && mitm.errors.length >= 10, 20_000, 'the stolen deliveries and the answers to their ACKs');
      // Each ACK_V2 with a made-up tag: BAD_PROOF; each v1 ACK on a v2 connection: MALFORMED_FRAME.
      assert.deepEqual(
        [...new Set(mitm.errors)].sort((a, b) => a - b),
        [ErrorCode.MALFORMED_FRAME, ErrorCode.BAD_PROOF].sort((a, b) => a - b),
      );
      victim.close();
    } finally {
      await mitm.close();
    }
    assert.deepEqual(await receiveDirectly(recipient, 5), bodies.sort(), 'nothing was deleted');
  });
});
