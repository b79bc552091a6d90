import assert from 'node:assert/strict';
import { createLogger } from '@tacit/kit';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ed25519 } from '@tacit/crypto';
import {
  claimProofMessage,
  CloseCode,
  currentEpoch,
  destHash,
  encodeClientFrame,
  ErrorCode,
  GoawayReason,
  mailboxId,
  pad,
  type ServerFrame,
} from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, type ReceivedMessage } from '@tacit/sdk';
import { httpGet } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';
import { openRaw, type Raw } from './raw-client.js';

const quiet = createLogger({ service: 'node', write: () => {} });

const open = (node: RunningNode, sayHello = true): Promise<Raw> => openRaw(node.url, sayHello);

describe('gateway bad input (node shape)', () => {
  let dir: string;
  let sut: RunningNode;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-bad-'));
    sut = await startNode(
      { PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir, GATEWAY_CONN_RATE: '50', GATEWAY_CONN_BURST: '50', GATEWAY_MAX_CLAIMS: '8' },
      quiet,
    );
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('malformed frame → MALFORMED_FRAME, close 4400', async () => {
    const raw = await open(sut);
    raw.send(new Uint8Array([0x7f, 1, 2, 3]));
    assert.equal((await raw.error()).code, ErrorCode.MALFORMED_FRAME);
    assert.equal(await raw.closed, CloseCode.MALFORMED_FRAME);
  });

  it('truncated SEND → MALFORMED_FRAME naming the field, close 4400', async () => {
    const raw = await open(sut);
    raw.send(new Uint8Array([0x03, 1, 8, 0, 0]));
    const err = await raw.error();
    assert.equal(err.code, ErrorCode.MALFORMED_FRAME);
    assert.match(err.message, /"[a-zA-Z]+"/);
    assert.equal(await raw.closed, 4400);
  });

  it('text message → MALFORMED_FRAME, close 4400', async () => {
    const raw = await open(sut);
    raw.send('{"type":"hello"}');
    assert.equal((await raw.error()).code, ErrorCode.MALFORMED_FRAME);
    assert.equal(await raw.closed, 4400);
  });

  it('oversize frame → FRAME_TOO_LARGE, close 1009', async () => {
    const raw = await open(sut);
    raw.send(new Uint8Array(70_000).fill(3));
    assert.equal((await raw.error()).code, ErrorCode.FRAME_TOO_LARGE);
    assert.equal(await raw.closed, 1009);
  });

  it('unknown version → UNSUPPORTED_VERSION, close 4426', async () => {
    const raw = await open(sut, false);
    raw.send(encodeClientFrame({ type: 'hello', minVersion: 7, maxVersion: 9 }));
    assert.equal((await raw.error()).code, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(await raw.closed, 4426);
  });

  it('frame before HELLO → HELLO_REQUIRED, close 4401', async () => {
    const raw = await open(sut, false);
    raw.send(encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
    assert.equal((await raw.error()).code, ErrorCode.HELLO_REQUIRED);
    assert.equal(await raw.closed, 4401);
  });

  it('claim with a bad proof → BAD_PROOF, connection stays open', async () => {
    const raw = await open(sut);
    const victim = newMailboxIdentity();
    const attacker = newMailboxIdentity();
    const welcome = (await raw.next('welcome')) as Extract<ServerFrame, { type: 'welcome' }>;
    const dests = [new Uint8Array(32).fill(1)];
    // The attacker signs with its own key but names the victim's: the proof does not verify.
    const signature = ed25519.sign(attacker.secretKey, claimProofMessage(welcome.challenge, dests));
    raw.send(encodeClientFrame({ type: 'claim', requestId: 9, peerKey: victim.publicKey, signature, dests }));
    const err = await raw.error();
    assert.equal(err.code, ErrorCode.BAD_PROOF);
    assert.deepEqual([...err.ref.subarray(0, 4)], [0, 0, 0, 9]);
    raw.send(encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8).fill(5) }));
    await raw.next('pong');
    raw.close();
  });

  it('too many claims → TOO_MANY_CLAIMS, connection stays open', async () => {
    const raw = await open(sut);
    const me = newMailboxIdentity();
    const welcome = (await raw.next('welcome')) as Extract<ServerFrame, { type: 'welcome' }>;
    const dests = Array.from({ length: 9 }, (_, i) => new Uint8Array(32).fill(i + 1));
    const signature = ed25519.sign(me.secretKey, claimProofMessage(welcome.challenge, dests));
    raw.send(encodeClientFrame({ type: 'claim', requestId: 3, peerKey: me.publicKey, signature, dests }));
    assert.equal((await raw.error()).code, ErrorCode.TOO_MANY_CLAIMS);
    raw.send(encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
    await raw.next('pong');
    raw.close();
  });

  it('ack of a packet never delivered → UNKNOWN_PACKET, nothing deleted', async () => {
    const raw = await open(sut);
    raw.send(encodeClientFrame({ type: 'ack', packetIds: [new Uint8Array(16).fill(4)] }));
    const err = await raw.error();
    assert.equal(err.code, ErrorCode.UNKNOWN_PACKET);
    assert.deepEqual([...err.ref], [...new Uint8Array(16).fill(4)], 'names the id');
    raw.send(encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
    await raw.next('pong');
    raw.close();
  });

  it('ACK whose count does not match its ids → MALFORMED_FRAME naming the field, close 4400', async () => {
    const raw = await open(sut);
    const ack = encodeClientFrame({ type: 'ack', packetIds: [new Uint8Array(16).fill(4), new Uint8Array(16).fill(5)] });
    raw.send(ack.subarray(0, ack.length - 16));
    const err = await raw.error();
    assert.equal(err.code, ErrorCode.MALFORMED_FRAME);
    assert.match(err.message, /packetIds/);
    assert.equal(await raw.closed, CloseCode.MALFORMED_FRAME);
  });

  it('flood past the rate limit → RATE_LIMITED, then close 4429; other clients unaffected', async () => {
    const inbox: ReceivedMessage[] = [];
    const ns = new Uint8Array(32).fill(9);
    const a = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: newMailboxIdentity() });
    const b = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: newMailboxIdentity(), onMessage: (m) => void inbox.push(m) });
    await Promise.all([a.connect(), b.connect()]);
    const raw = await open(sut);
    const ping = encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) });
    for (let i = 0; i < 200; i++) raw.send(ping);
    const err = await raw.error();
    assert.equal(err.code, ErrorCode.RATE_LIMITED);
    assert.equal(await raw.closed, CloseCode.RATE_LIMITED);
    await a.send(b.peerKey, new Uint8Array([1, 2, 3]));
    const end = Date.now() + 3000;
    while (inbox.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.equal(inbox.length, 1);
    a.close();
    b.close();
  });

  it('a claim cannot receive another owner\'s packets: a contact claiming with its own key gets nothing', async () => {
    const ns = new Uint8Array(32).fill(11);
    const victim = newMailboxIdentity();
    const sender = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: newMailboxIdentity(), receive: false });
    await sender.connect();
    await sender.send(victim.publicKey, new TextEncoder().encode('for the victim only'));
    // The malicious contact knows the victim's peer key and namespace, so it knows every dest hash,
    // but it can only sign with its own key: the mailbox ids it derives are not the victim's.
    const stolen: ReceivedMessage[] = [];
    const thief = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: newMailboxIdentity(), onMessage: (m) => void stolen.push(m) });
    await thief.connect();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(stolen.length, 0);
    const got: ReceivedMessage[] = [];
    const owner = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: victim, onMessage: (m) => void got.push(m) });
    await owner.connect();
    const end = Date.now() + 3000;
    while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    assert.equal(new TextDecoder().decode(got[0]!.payload), 'for the victim only');
    for (const c of [sender, thief, owner]) c.close();
  });

  it('a RESEND of a packet already made safe is ACCEPTED without a second delivery; a repeated SEND is delivered again', async () => {
    const ns = new Uint8Array(32).fill(12);
    const rx = newMailboxIdentity();
    const got: ReceivedMessage[] = [];
    const receiver = new RelayClient({ urls: [sut.url], namespaceId: ns, identity: rx, onMessage: (m) => void got.push(m) });
    await receiver.connect();
    const dest = destHash(ns, rx.publicKey, currentEpoch(Date.now()));
    const packet = {
      version: 1 as const,
      hopLimit: 1,
      destHash: dest,
      mailboxId: mailboxId(dest, rx.publicKey),
      packetId: new Uint8Array(16).fill(7),
      ttlSeconds: 60,
      payload: pad(new TextEncoder().encode('once')),
    };
    const raw = await open(sut);
    const acceptedCount = () => raw.frames.filter((f) => f.type === 'accepted').length;
    const settle = async (n: number) => {
      const end = Date.now() + 3000;
      while (acceptedCount() < n && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
      assert.equal(acceptedCount(), n);
    };
    raw.send(encodeClientFrame({ type: 'send', packet }));
    await settle(1);
    assert.equal(receiver.stats.delivered, 1);
    raw.send(encodeClientFrame({ type: 'send', packet, resend: true }));
    await settle(2);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(receiver.stats.delivered + receiver.stats.duplicates, 1, 'the RESEND was answered from the safe set');
    // A client that repeats a packet id without saying so only gets its own duplicate delivered,
    // which the recipient's SDK drops: the application still sees the packet once.
    raw.send(encodeClientFrame({ type: 'send', packet }));
    await settle(3);
    assert.equal(receiver.stats.duplicates, 1);
    assert.equal(got.length, 1);
    raw.close();
    receiver.close();
  });

  it('the process is still serving after all of the above', async () => {
    assert.equal((await httpGet(`${sut.opsUrl}/healthz`)).status, 200);
  });
});

describe('gateway idle timeout (node shape)', () => {
  let dir: string;
  let sut: RunningNode;
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-idle-'));
    sut = await startNode({ PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir, GATEWAY_IDLE_TIMEOUT_MS: '1000' }, quiet);
  });
  after(async () => {
    await sut.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a silent connection gets GOAWAY and IDLE_TIMEOUT, then close 4408, about the timeout after its last frame; one that pings stays', async () => {
    const silent = await open(sut);
    const silentSince = Date.now();
    const unhelloed = await open(sut, false);
    const pinging = await open(sut);
    const ping = encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) });
    const pinger = setInterval(() => pinging.send(ping), 300);
    try {
      assert.equal(await silent.closed, CloseCode.IDLE_TIMEOUT);
      const waited = Date.now() - silentSince;
      assert.ok(waited >= 950 && waited < 2500, `closed after ${waited} ms`);
      assert.deepEqual(await silent.next('goaway'), { type: 'goaway', reason: GoawayReason.IDLE_TIMEOUT, retryAfterMs: 0 });
      assert.equal((await silent.error()).code, ErrorCode.IDLE_TIMEOUT);
      // A connection that never said HELLO is idle from its upgrade.
      assert.equal(await unhelloed.closed, CloseCode.IDLE_TIMEOUT);
      await new Promise((r) => setTimeout(r, 1500));
      assert.equal(pinging.closeCode, undefined, 'the pinging connection is still open');
      assert.ok(pinging.frames.filter((f) => f.type === 'pong').length >= 5);
    } finally {
      clearInterval(pinger);
      pinging.close();
    }
  });
});
