import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519, x25519 } from '@tacit/crypto';
import {
  channelKey,
  channelTagValid,
  CHANNEL_TAG_LEN,
  claimProofMessage,
  claimProofMessageV2,
  currentEpoch,
  decodeClientFrame,
  destHash,
  encodeServerFrame,
  ErrorCode,
  requestIdRef,
  type ClientFrame,
  type Packet,
  type ServerFrame,
} from '@tacit/protocol';
import { newMailboxIdentity, RelayClient, SendRejectedError, type WebSocketLike } from './relay-client.js';

// The client's view of a gateway, scripted frame by frame. The end-to-end behaviour against the
// real gateway is tested in services/node (both shapes, real servers); these tests pin the SDK's
// own rules: exactly-once surfacing, resend with the same id, claims, rejection.

const ns = new Uint8Array(32).fill(3);

class ScriptedSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  readonly sent: ClientFrame[] = [];
  constructor(readonly url: string) {
    queueMicrotask(() => {
      this.readyState = 1;
      this.onopen?.({});
    });
  }
  send(data: Uint8Array): void {
    this.sent.push(decodeClientFrame(data));
  }
  close(code = 1000, reason = ''): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
  /** The gateway sends a frame. */
  push(frame: ServerFrame): void {
    this.onmessage?.({ data: encodeServerFrame(frame) });
  }
}

/**
 * A scripted gateway: answers HELLO with a v2 WELCOME (its relay key: `relayKeyOf(url)`, by default
 * its own) and every CLAIM with CLAIMED (or what `onClaim` says). `raw` holds each socket's frames as
 * sent (for ACK tags).
 */
function gateway(
  onClaim: (claim: Extract<ClientFrame, { type: 'claim' }>) => ServerFrame = (f) => ({ type: 'claimed', requestId: f.requestId, count: f.dests.length }),
  opts: { relayKeyOf?: (url: string) => Uint8Array | undefined; version?: number } = {},
) {
  const sockets: ScriptedSocket[] = [];
  const raw = new Map<ScriptedSocket, Uint8Array[]>();
  const challenge = new Uint8Array(32).fill(9);
  const relay = x25519.keygen();
  const factory = (url: string) => {
    const s = new ScriptedSocket(url);
    const send = s.send.bind(s);
    raw.set(s, []);
    s.send = (data) => {
      send(data);
      raw.get(s)!.push(Uint8Array.from(data));
      const f = s.sent.at(-1)!;
      const version = opts.version ?? 2;
      const relayKey = version >= 2 ? (opts.relayKeyOf?.(url) ?? relay.publicKey) : undefined;
      if (f.type === 'hello') {
        const welcome = encodeServerFrame({ type: 'welcome', version: 1, challenge, maxFrameBytes: 65611, idleTimeoutMs: 60_000, maxClaim: 1024 });
        // Laid out by hand for v2 (and for keys the encoder would check), as a gateway would send it.
        const bytes = relayKey === undefined ? welcome : Uint8Array.from([...welcome, ...relayKey]);
        if (relayKey !== undefined) bytes[1] = version;
        queueMicrotask(() => s.onmessage?.({ data: bytes }));
      }
      if (f.type === 'claim') queueMicrotask(() => s.push(onClaim(f)));
    };
    sockets.push(s);
    return s;
  };
  /** The channel key the gateway agrees with the client of socket `s` (from its first claim's ephemeral key). */
  const channelOf = (s: ScriptedSocket): Uint8Array => {
    const claim = s.sent.find((f) => f.type === 'claim');
    assert.ok(claim && claim.type === 'claim' && claim.ephemeral);
    return channelKey(x25519.getSharedSecret(relay.secretKey, claim.ephemeral), challenge, relay.publicKey, claim.ephemeral);
  };
  return { sockets, factory, challenge, relay, raw, channelOf };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

/** A 256-byte payload padded as the protocol says (2 bytes of data). */
function pad256(): Uint8Array<ArrayBuffer> {
  const body = new Uint8Array(256);
  new DataView(body.buffer).setUint32(0, 2);
  return body;
}

function packet(id: number, payload = new Uint8Array(256)): Packet {
  return {
    version: 1,
    hopLimit: 8,
    destHash: new Uint8Array(32),
    mailboxId: new Uint8Array(16),
    packetId: new Uint8Array(16).fill(id),
    ttlSeconds: 60,
    payload,
  };
}

describe(RelayClient.name, () => {
  it('claims its skew window with a v2 proof the gateway can verify: bound to the relay key and an ephemeral key of the connection', async () => {
    const gw = gateway();
    const identity = newMailboxIdentity();
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity, webSocket: gw.factory });
    await sut.connect();
    const hello = gw.sockets[0]!.sent[0];
    assert.deepEqual(hello, { type: 'hello', minVersion: 2, maxVersion: 2 }, 'offers version 2 only: a v1 claim could be replayed');
    const claim = gw.sockets[0]!.sent.find((f) => f.type === 'claim');
    assert.ok(claim && claim.type === 'claim' && claim.ephemeral);
    const now = currentEpoch(Date.now());
    assert.deepEqual(claim.dests, [now - 1, now, now + 1].map((e) => destHash(ns, identity.publicKey, e)));
    assert.ok(ed25519.verify(claim.peerKey, claimProofMessageV2(gw.challenge, gw.relay.publicKey, claim.ephemeral, claim.dests), claim.signature));
    const otherRelay = x25519.keygen().publicKey;
    assert.ok(!ed25519.verify(claim.peerKey, claimProofMessageV2(gw.challenge, otherRelay, claim.ephemeral, claim.dests), claim.signature), 'not valid at another relay');
    sut.close();
  });

  it("tags every ACK with the connection's channel key: the gateway verifies it, a relaying party could not make it", async () => {
    const gw = gateway();
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, onMessage: () => undefined });
    await sut.connect();
    const s = gw.sockets[0]!;
    s.push({ type: 'deliver', packet: packet(1, pad256()) });
    s.push({ type: 'deliver', packet: packet(2, pad256()) });
    await tick();
    const acks = gw.raw.get(s)!.filter((b) => b[0] === 0x08);
    assert.ok(acks.length >= 1, 'ACK_V2 sent');
    const key = gw.channelOf(s);
    for (const a of acks) assert.ok(channelTagValid(key, a.subarray(0, a.length - CHANNEL_TAG_LEN), a.subarray(a.length - CHANNEL_TAG_LEN)));
    const ids = s.sent.filter((f) => f.type === 'ack').flatMap((f) => (f.type === 'ack' ? f.packetIds.map((i) => i[0]) : []));
    assert.deepEqual(ids.sort(), [1, 2]);
    sut.close();
  });

  it('refuses a gateway that shows a relay key other than the one pinned for its URL: closes before claiming, and tries the next URL', async () => {
    const gw = gateway(undefined, { relayKeyOf: (url) => (url === 'wss://a/v1' ? x25519.keygen().publicKey : undefined) });
    const mismatches: string[] = [];
    const sut = new RelayClient({
      urls: ['wss://a/v1', 'wss://b/v1'],
      namespaceId: ns,
      identity: newMailboxIdentity(),
      webSocket: gw.factory,
      relayKeys: { 'wss://a/v1': gw.relay.publicKey, 'wss://b/v1': gw.relay.publicKey },
      onRelayKeyMismatch: (url) => void mismatches.push(url),
      minBackoffMs: 1,
      maxBackoffMs: 2,
    });
    await sut.connect();
    const [a, b] = gw.sockets;
    assert.equal(a!.url, 'wss://a/v1');
    assert.ok(!a!.sent.some((f) => f.type === 'claim'), 'no claim to the impostor');
    assert.equal(a!.readyState, 3);
    assert.deepEqual(mismatches, ['wss://a/v1']);
    assert.equal(sut.stats.relayKeyMismatches, 1);
    assert.ok(b!.sent.some((f) => f.type === 'claim'), 'claimed at the next URL, whose key matches');
    sut.close();
  });

  it('with allowVersion1 (a rolling upgrade, or a benchmark of an older build), speaks version 1 to a gateway that speaks nothing newer: v1 claim and ACKs', async () => {
    const gw = gateway(undefined, { version: 1 });
    const identity = newMailboxIdentity();
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity, webSocket: gw.factory, allowVersion1: true, onMessage: () => undefined });
    await sut.connect();
    const s = gw.sockets[0]!;
    assert.deepEqual(s.sent[0], { type: 'hello', minVersion: 1, maxVersion: 2 });
    const claim = s.sent.find((f) => f.type === 'claim');
    assert.ok(claim && claim.type === 'claim' && claim.ephemeral === undefined);
    assert.ok(ed25519.verify(claim.peerKey, claimProofMessage(gw.challenge, claim.dests), claim.signature));
    s.push({ type: 'deliver', packet: packet(3, pad256()) });
    await tick();
    assert.ok(gw.raw.get(s)!.some((b) => b[0] === 0x04), 'a v1 ACK');
    sut.close();
  });

  it('refuses a version-1 gateway and one whose relay key is a low-order point: no claim, nothing thrown', async () => {
    for (const opts of [{ version: 1 }, { relayKeyOf: () => new Uint8Array(32) }]) {
      const gw = gateway(undefined, opts);
      const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, minBackoffMs: 50, maxBackoffMs: 100 });
      void sut.connect().catch(() => undefined);
      await tick();
      const s = gw.sockets[0]!;
      assert.equal(s.readyState, 3, JSON.stringify(opts));
      assert.ok(!s.sent.some((f) => f.type === 'claim'));
      sut.close();
    }
  });

  it('after being offline, also claims every epoch missed since it was last seen', async () => {
    const gw = gateway();
    const sut = new RelayClient({
      urls: ['wss://a/v1'],
      namespaceId: ns,
      identity: newMailboxIdentity(),
      webSocket: gw.factory,
      lastSeenMs: Date.now() - 10 * 3_600_000,
    });
    await sut.connect();
    const claim = gw.sockets[0]!.sent.find((f) => f.type === 'claim');
    assert.ok(claim && claim.type === 'claim' && claim.dests.length >= 12);
    sut.close();
  });

  it('surfaces each packet id once, and acks duplicates without surfacing them', async () => {
    const gw = gateway();
    const got: Uint8Array[] = [];
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, onMessage: (m) => void got.push(m.packetId) });
    await sut.connect();
    const s = gw.sockets[0]!;
    const body = new Uint8Array(256);
    new DataView(body.buffer).setUint32(0, 2); // padded: 2 bytes of data
    s.push({ type: 'deliver', packet: packet(1, body) });
    s.push({ type: 'deliver', packet: packet(1, body) });
    s.push({ type: 'deliver', packet: packet(2, body) });
    await tick();
    assert.equal(got.length, 2);
    assert.equal(sut.stats.duplicates, 1);
    const acked = s.sent.filter((f) => f.type === 'ack').flatMap((f) => (f.type === 'ack' ? f.packetIds.map((id) => id[0]) : []));
    assert.deepEqual(acked.sort(), [1, 1, 2]);
    sut.close();
  });

  it('acks and drops what it cannot read or handle (a contact\'s junk must not hold the mailbox up), and says so', async () => {
    const gw = gateway();
    const dropped: Array<[number, string]> = [];
    const got: number[] = [];
    const sut = new RelayClient({
      urls: ['wss://a/v1'],
      namespaceId: ns,
      identity: newMailboxIdentity(),
      webSocket: gw.factory,
      onMessage: (m) => {
        if (m.packetId[0] === 7) throw new Error('junk');
        if (m.packetId[0] === 8) return Promise.reject(new Error('junk, later'));
        got.push(m.packetId[0]!);
      },
      onDropped: (id, reason) => void dropped.push([id[0]!, reason]),
    });
    await sut.connect();
    const s = gw.sockets[0]!;
    const unpaddable = new Uint8Array(256).fill(0xff); // a padding length past the payload
    s.push({ type: 'deliver', packet: packet(6, unpaddable) });
    s.push({ type: 'deliver', packet: packet(7) });
    s.push({ type: 'deliver', packet: packet(8) });
    s.push({ type: 'deliver', packet: packet(9) });
    await tick();
    assert.deepEqual(got, [9]);
    assert.deepEqual(dropped, [[6, 'undecodable'], [7, 'handler_failed'], [8, 'handler_failed']]);
    const acked = s.sent.filter((f) => f.type === 'ack').flatMap((f) => (f.type === 'ack' ? f.packetIds.map((id) => id[0]) : []));
    assert.deepEqual(acked.sort(), [6, 7, 8, 9], 'every one acked');
    assert.equal(sut.stats.dropped, 3);
    sut.close();
  });

  it('refuses ws:// to anything but loopback unless allowInsecure: a plain connection\'s relay can be impersonated', () => {
    const identity = newMailboxIdentity();
    for (const url of ['ws://relay.example/v1', 'http://x/v1', 'not a url']) {
      assert.throws(() => new RelayClient({ urls: [url], namespaceId: ns, identity }), RangeError, url);
    }
    for (const url of ['wss://relay.example/v1', 'ws://127.0.0.1:8080/v1', 'ws://localhost/v1', 'ws://[::1]:1/v1']) {
      new RelayClient({ urls: [url], namespaceId: ns, identity }).close();
    }
    new RelayClient({ urls: ['ws://relay.example/v1'], namespaceId: ns, identity, allowInsecure: true }).close();
  });

  it('with separateSender, sends on a second connection that claims nothing', async () => {
    const gw = gateway();
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, separateSender: true });
    await sut.connect();
    assert.equal(gw.sockets.length, 2);
    const sending = sut.send(newMailboxIdentity().publicKey, new Uint8Array([1]));
    await tick();
    const claimsOn = gw.sockets.map((s) => s.sent.filter((f) => f.type === 'claim').length);
    const sendsOn = gw.sockets.map((s) => s.sent.filter((f) => f.type === 'send').length);
    // One connection claims and never sends; the other sends and never claims.
    assert.deepEqual([...claimsOn].sort(), [0, claimsOn.find((n) => n > 0)]);
    assert.equal(claimsOn.findIndex((n) => n > 0) !== sendsOn.findIndex((n) => n > 0), true);
    const sender = gw.sockets[sendsOn.findIndex((n) => n > 0)]!;
    const id = sender.sent.find((f) => f.type === 'send');
    assert.ok(id?.type === 'send');
    sender.push({ type: 'accepted', packetIds: [id.packet.packetId] });
    await sending;
    sut.close();
  });

  it('resends a send that was not accepted after a reconnect, as RESEND with the same packet id, to the next URL', async () => {
    const gw = gateway();
    const sut = new RelayClient({ urls: ['wss://a/v1', 'wss://b/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, minBackoffMs: 1, maxBackoffMs: 5 });
    await sut.connect();
    const recipient = newMailboxIdentity().publicKey;
    let accepted = false;
    const sending = sut.send(recipient, new Uint8Array([1, 2, 3])).then(() => (accepted = true));
    await tick();
    const first = gw.sockets[0]!.sent.find((f) => f.type === 'send');
    assert.ok(first && first.type === 'send');
    sut.dropConnection();
    for (let i = 0; i < 100 && gw.sockets.length < 2; i++) await tick();
    for (let i = 0; i < 100 && !gw.sockets[1]!.sent.some((f) => f.type === 'send'); i++) await tick();
    const again = gw.sockets[1]!.sent.find((f) => f.type === 'send');
    assert.equal(gw.sockets[1]!.url, 'wss://b/v1');
    assert.ok(again && again.type === 'send');
    assert.deepEqual(again.packet.packetId, first.packet.packetId);
    // The first attempt is a SEND, the second a RESEND: only that one costs the gateway a dedup lookup.
    assert.equal(first.resend, undefined);
    assert.equal(again.resend, true);
    assert.equal(accepted, false);
    gw.sockets[1]!.push({ type: 'accepted', packetIds: [again.packet.packetId] });
    await sending;
    assert.equal(sut.pendingSends, 0);
    sut.close();
  });

  it('retries a send refused with MAILBOX_FULL with backoff, then gives up with SendRejectedError; retries one rate-limited', async () => {
    const gw = gateway();
    let now = 1_000_000;
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory, fullRetryMs: 5000, now: () => now });
    await sut.connect();
    const s = gw.sockets[0]!;
    const recipient = newMailboxIdentity().publicKey;
    const full = sut.send(recipient, new Uint8Array([1]));
    const limited = sut.send(recipient, new Uint8Array([2]));
    await tick();
    const [a, b] = s.sent.filter((f) => f.type === 'send').map((f) => (f.type === 'send' ? f.packet.packetId : new Uint8Array()));
    s.push({ type: 'error', code: ErrorCode.MAILBOX_FULL, ref: a!, message: 'full' });
    s.push({ type: 'error', code: ErrorCode.RATE_LIMITED, ref: b!, message: 'slow down' });
    assert.equal(sut.stats.fullRetries, 1, 'the full one will be tried again');
    // Still full past fullRetryMs: given up.
    now += 5000;
    s.push({ type: 'error', code: ErrorCode.MAILBOX_FULL, ref: a!, message: 'full' });
    await assert.rejects(full, (e: unknown) => e instanceof SendRejectedError && e.code === ErrorCode.MAILBOX_FULL);
    for (let i = 0; i < 100 && s.sent.filter((f) => f.type === 'send').length < 3; i++) await tick();
    const resent = s.sent.filter((f) => f.type === 'send')[2];
    assert.ok(resent && resent.type === 'send');
    assert.deepEqual(resent.packet.packetId, b);
    s.push({ type: 'accepted', packetIds: [b!] });
    await limited;
    sut.close();
  });

  it('sends a claim refused with RATE_LIMITED again after a backoff (the relay charges claims per address and second), and connects once it is answered', async () => {
    let refusals = 2;
    const { sockets, factory } = gateway((f) =>
      refusals-- > 0 ? { type: 'error', code: ErrorCode.RATE_LIMITED, ref: requestIdRef(f.requestId), message: 'rate limit exceeded; slow down' } : { type: 'claimed', requestId: f.requestId, count: f.dests.length },
    );
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: factory, minBackoffMs: 1 });
    await sut.connect();
    const claims = sockets[0]!.sent.filter((f) => f.type === 'claim');
    assert.equal(claims.length, 3, 'the claim, sent three times');
    assert.ok(claims.every((c) => c.type === 'claim' && c.requestId === claims[0]!.requestId), 'the same claim each time');
    assert.equal(sockets.length, 1, 'on the same connection');
    sut.close();
  });

  it('stops and tells connect() why when the gateway refuses its claim', async () => {
    const { sockets, factory } = gateway((f) => ({ type: 'error', code: ErrorCode.BAD_PROOF, ref: requestIdRef(f.requestId), message: 'bad proof' }));
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: factory, minBackoffMs: 1 });
    await assert.rejects(sut.connect(), (e: unknown) => e instanceof SendRejectedError && e.code === ErrorCode.BAD_PROOF);
    assert.equal(sockets[0]!.readyState, 3);
    await tick();
    assert.equal(sockets.length, 1, 'no reconnect after a refused claim');
  });

  // Found by fuzzing (libs/sdk/src/fuzz/relay-client.fuzz.ts): a GOAWAY hint over 2^31 - 1 ms made
  // Node fire the close after 1 ms, and the timer outlived close().
  it('waits out a GOAWAY hint longer than a timer holds instead of leaving at once, and close() drops the wait', async () => {
    const gw = gateway();
    const sut = new RelayClient({ urls: ['wss://a/v1'], namespaceId: ns, identity: newMailboxIdentity(), webSocket: gw.factory });
    await sut.connect();
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    gw.sockets[0]!.push({ type: 'goaway', reason: 0, retryAfterMs: 0xffff_ffff });
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(gw.sockets[0]!.readyState, 1, 'still connected 30 ms after a GOAWAY that says to wait ~50 days');
    assert.equal(timers(), before + 1);
    sut.close();
    assert.equal(timers(), before, 'no timer left behind by close()');
  });
});
