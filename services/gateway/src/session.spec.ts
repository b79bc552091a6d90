import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NoRespondersError } from '@tacit/kit';
import { create, GATEWAY_SUBJECTS, gatewayV1, toBinary } from '@tacit/proto';
import { x25519 } from '@tacit/crypto';
import { channelKey, channelTag, CHANNEL_TAG_LEN, CloseCode, encodeClientFrame, encodePacket, ErrorCode, MAX_CLAIM, SUPPORTED_VERSIONS, type ServerFrame } from '@tacit/protocol';
import { hexId } from './presence.js';
import { Session } from './session.js';
import { Owner, replica, until, type Replica } from './spec-fixtures.js';

const hello = (min = 1, max = 1) => encodeClientFrame({ type: 'hello', minVersion: min, maxVersion: max });
const poke = toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, { event: { case: 'poke', value: {} } }));

describe(Session.name, () => {
  let sut: Replica;
  afterEach(async () => sut?.close());

  it('answers HELLO with WELCOME: the version agreed, a fresh 32-byte challenge and the limits', () => {
    sut = replica({ config: { GATEWAY_MAX_FRAME_BYTES: '4096', GATEWAY_IDLE_TIMEOUT_MS: '5000' } });
    const a = sut.connect();
    const b = sut.connect();
    sut.receive(a.conn, hello(1, 9));
    sut.receive(b.conn, hello());
    const [wa] = a.ws.frames();
    const [wb] = b.ws.frames();
    assert.ok(wa?.type === 'welcome' && wb?.type === 'welcome');
    assert.deepEqual([wa.version, wa.maxFrameBytes, wa.idleTimeoutMs, wa.maxClaim], [SUPPORTED_VERSIONS.at(-1), 4096, 5000, MAX_CLAIM]);
    assert.equal(wa.challenge.length, 32);
    assert.notDeepEqual(wa.challenge, wb.challenge, 'each connection its own challenge');
    assert.equal(a.conn.state, 'open');
  });

  it('refuses a HELLO with no common version (UNSUPPORTED_VERSION, close 4426) and any frame before HELLO (HELLO_REQUIRED, 4401)', () => {
    sut = replica();
    const a = sut.connect();
    sut.receive(a.conn, hello(3, 4));
    assert.equal((a.ws.frames()[0] as { code: number }).code, ErrorCode.UNSUPPORTED_VERSION);
    assert.equal(a.ws.closed?.code, CloseCode.UNSUPPORTED_VERSION);
    const b = sut.connect();
    sut.receive(b.conn, encodeClientFrame({ type: 'ping', nonce: new Uint8Array(8) }));
    assert.equal((b.ws.frames()[0] as { code: number }).code, ErrorCode.HELLO_REQUIRED);
    assert.equal(b.ws.closed?.code, CloseCode.HELLO_REQUIRED);
  });

  it('claims with a valid proof: CLAIMED with the count, the mailbox served on the bus here, its drain started', async () => {
    sut = replica();
    const owner = new Owner();
    const queued = owner.packet();
    sut.queue.stored.push({ seq: 1n, expiryDay: 20_000, mailboxId: owner.mailbox, packetId: queued.packetId, packet: encodePacket(queued) });
    const { conn, ws, count } = await sut.claimed(owner, [owner.dest, new Uint8Array(32).fill(3)]);
    assert.equal(count, 2);
    assert.equal(conn.claimed.size, 2);
    assert.ok(sut.presence.has([...conn.claimed.keys()][0]!));
    // Served on the bus: a poke to its subject is answered (POKED), by this replica.
    const reply = await sut.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(owner.mailbox), poke);
    assert.equal(reply.length > 0, true);
    await until(() => ws.written.length > 0, 3000, 'the queued packet');
    const [deliver] = ws.frames();
    assert.ok(deliver?.type === 'deliver');
    assert.deepEqual(Buffer.from(deliver.packet.packetId), Buffer.from(queued.packetId));
    assert.ok(sut.queue.drains[0]?.mailboxIds.some((m) => Buffer.from(m).equals(Buffer.from(owner.mailbox))));
  });

  it('refuses a proof that does not sign this connection\'s challenge, or by another key (BAD_PROOF), and claims nothing', async () => {
    sut = replica();
    const owner = new Owner();
    const { conn, ws } = sut.connect();
    sut.receive(conn, hello());
    ws.frames();
    // Replayed from another connection's challenge.
    sut.receive(conn, encodeClientFrame(owner.claim(new Uint8Array(32).fill(1))));
    // Signed by someone else for the owner's mailbox.
    const thief = new Owner();
    const stolen = { ...thief.claim(conn.challenge!, [owner.dest]), peerKey: owner.publicKey };
    sut.receive(conn, encodeClientFrame(stolen));
    await until(() => ws.written.length >= 2);
    assert.deepEqual(ws.frames().map((f) => [f.type, (f as { code?: number }).code]), [['error', ErrorCode.BAD_PROOF], ['error', ErrorCode.BAD_PROOF]]);
    assert.equal(conn.claimed.size, 0);
    assert.equal(sut.presence.size, 0);
    await assert.rejects(sut.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(owner.mailbox), poke), NoRespondersError);
    assert.equal(ws.closed, undefined, 'the connection stays usable');
  });

  it('refuses claims past GATEWAY_MAX_CLAIMS on a connection (TOO_MANY_CLAIMS, the request id echoed)', async () => {
    sut = replica({ config: { GATEWAY_MAX_CLAIMS: '2' } });
    const owner = new Owner();
    const dests = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2), new Uint8Array(32).fill(3)];
    const { conn, ws } = sut.connect();
    sut.receive(conn, hello());
    ws.frames();
    sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!, dests, 42)));
    await until(() => ws.written.length > 0);
    const [err] = ws.frames();
    assert.ok(err?.type === 'error');
    assert.equal(err.code, ErrorCode.TOO_MANY_CLAIMS);
    assert.match(err.message, /would claim 3 mailboxes on this connection; at most 2/);
    assert.equal(conn.claimed.size, 0);
  });

  it('two connections claiming one mailbox share one subscription; the last to close ends it', async () => {
    sut = replica();
    const owner = new Owner();
    const a = await sut.claimed(owner);
    const b = await sut.claimed(owner);
    const key = [...a.conn.claimed.keys()][0]!;
    assert.equal(sut.presence.claimants(key)?.size, 2);
    sut.connections.detach(a.conn);
    assert.equal(sut.presence.claimants(key)?.size, 1);
    sut.connections.detach(b.conn);
    assert.equal(sut.presence.has(key), false);
    await assert.rejects(sut.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(owner.mailbox), poke), NoRespondersError);
  });

  it('caps the mailboxes one address and the replica hold (TOO_MANY_CLAIMS), and gives them back when a connection closes', async () => {
    sut = replica({ config: { GATEWAY_MAX_CLAIMS_PER_IP: '3', GATEWAY_MAX_CLAIMS_TOTAL: '1000' } });
    const owner = new Owner();
    const dests = (from: number, n: number) => Array.from({ length: n }, (_, i) => new Uint8Array(32).fill(from + i));
    const a = await sut.claimed(owner, dests(1, 2));
    const b = sut.open();
    sut.receive(b.conn, encodeClientFrame(owner.claim(b.conn.challenge!, dests(10, 2))));
    await until(() => b.ws.written.length > 0);
    const [err] = b.ws.frames();
    assert.ok(err?.type === 'error' && err.code === ErrorCode.TOO_MANY_CLAIMS, 'the address holds 2 of 3: 2 more do not fit');
    assert.equal(b.conn.claimed.size, 0);
    // Mailboxes this connection claims again are not charged twice.
    sut.receive(a.conn, encodeClientFrame(owner.claim(a.conn.challenge!, [...dests(1, 2), ...dests(20, 1)])));
    await until(() => a.ws.written.length > 0);
    assert.equal(a.ws.frames()[0]?.type, 'claimed');
    assert.equal(sut.connections.claims, 3);
    sut.connections.detach(a.conn);
    assert.equal(sut.connections.claims, 0);
    const c = await sut.claimed(owner, dests(10, 3));
    assert.equal(c.count, 3);
  });

  it('refuses a claim that cannot fit the address\'s share before checking its proof or deriving its mailbox ids; a dest repeated in one claim is one mailbox', async () => {
    sut = replica({ config: { GATEWAY_MAX_CLAIMS_PER_IP: '3' } });
    const owner = new Owner();
    const d = (i: number) => new Uint8Array(32).fill(i);
    // Five dests, three of them distinct: three mailboxes, the address's whole share.
    const a = await sut.claimed(owner, [d(1), d(2), d(1), d(3), d(2)]);
    assert.equal(a.conn.claimed.size, 3);
    assert.equal(sut.connections.claims, 3);
    // A new connection's claim is at least one new mailbox: refused with TOO_MANY_CLAIMS, not
    // BAD_PROOF — the (bad) signature was never checked.
    const b = sut.open();
    const bad = owner.claim(b.conn.challenge!, [d(4)]);
    sut.receive(b.conn, encodeClientFrame({ ...bad, signature: new Uint8Array(64) }));
    await until(() => b.ws.written.length > 0);
    const [err] = b.ws.frames();
    assert.ok(err?.type === 'error' && err.code === ErrorCode.TOO_MANY_CLAIMS, JSON.stringify(err));
    assert.equal(b.conn.badProofs, 0);
    // The holder's repeat of what it holds still passes at the cap (its dests are not new).
    sut.receive(a.conn, encodeClientFrame(owner.claim(a.conn.challenge!, [d(3), d(1), d(2)])));
    await until(() => a.ws.written.length > 0);
    assert.equal(a.ws.frames()[0]?.type, 'claimed');
  });

  it('two big claims of one connection derived side by side (a slice a turn) hold and charge each mailbox once', async () => {
    sut = replica();
    const owner = new Owner();
    const d = (i: number) => new Uint8Array(32).fill(5).fill(i & 0xff, 0, 1).fill(i >> 8, 1, 2);
    const { conn, ws } = sut.open();
    // 0–299 and 100–399: 400 mailboxes, 200 of them in both.
    sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!, Array.from({ length: 300 }, (_, i) => d(i)), 1)));
    sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!, Array.from({ length: 300 }, (_, i) => d(100 + i)), 2)));
    await until(() => ws.written.length >= 2);
    assert.deepEqual(ws.frames().map((f) => f.type), ['claimed', 'claimed']);
    assert.equal(conn.claimed.size, 400);
    assert.equal(sut.connections.claims, 400);
    sut.connections.detach(conn);
    assert.equal(sut.connections.claims, 0);
  });

  it('two big claims of one connection derived side by side cannot take it past GATEWAY_MAX_CLAIMS together', async () => {
    sut = replica({ config: { GATEWAY_MAX_CLAIMS: '500' } });
    const owner = new Owner();
    const d = (i: number) => new Uint8Array(32).fill(6).fill(i & 0xff, 0, 1).fill(i >> 8, 1, 2);
    const { conn, ws } = sut.open();
    // 300 each, none shared: each fits alone (0 + 300 ≤ 500), not both.
    sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!, Array.from({ length: 300 }, (_, i) => d(i)), 1)));
    sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!, Array.from({ length: 300 }, (_, i) => d(300 + i)), 2)));
    await until(() => ws.written.length >= 2);
    const answers = ws.frames().map((f) => (f.type === 'error' ? f.code : f.type));
    assert.deepEqual(answers.sort(), ['claimed', ErrorCode.TOO_MANY_CLAIMS].sort());
    assert.equal(conn.claimed.size, 300);
    assert.equal(sut.connections.claims, 300);
  });

  it('a repeated claim of mailboxes held already does not start the drain again', async () => {
    sut = replica();
    const owner = new Owner();
    const { conn, ws } = await sut.claimed(owner);
    await until(() => !conn.draining);
    const drains = sut.queue.drains.length;
    for (let i = 0; i < 5; i++) sut.receive(conn, encodeClientFrame(owner.claim(conn.challenge!)));
    await until(() => ws.written.length === 5);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(sut.queue.drains.length, drains);
  });

  it('closes a connection after GATEWAY_MAX_BAD_PROOFS bad proofs (4429): each costs a signature check', async () => {
    sut = replica({ config: { GATEWAY_MAX_BAD_PROOFS: '3' } });
    const owner = new Owner();
    const { conn, ws } = sut.open();
    for (let i = 0; i < 3; i++) sut.receive(conn, encodeClientFrame(owner.claim(new Uint8Array(32).fill(i))));
    await until(() => ws.closed !== undefined);
    assert.equal(ws.closed?.code, CloseCode.RATE_LIMITED);
  });

  describe('version 2: a claim is bound to the relay key and the connection', () => {
    /** A v2 connection: WELCOME's relay key, and the client's ephemeral key pair and channel key. */
    const openV2 = () => {
      const c = sut.connect();
      sut.receive(c.conn, hello(1, 2));
      const welcome = c.ws.frames()[0];
      assert.ok(welcome?.type === 'welcome' && welcome.relayKey);
      const ephemeral = x25519.keygen();
      const key = channelKey(x25519.getSharedSecret(ephemeral.secretKey, welcome.relayKey), welcome.challenge, welcome.relayKey, ephemeral.publicKey);
      return { ...c, welcome, relayKey: welcome.relayKey, ephemeral, key };
    };
    /** An ACK_V2 of `ids` tagged with `key`. */
    const ackV2 = (ids: Uint8Array[], key: Uint8Array) => {
      const frame = encodeClientFrame({ type: 'ack', packetIds: ids, tag: new Uint8Array(CHANNEL_TAG_LEN) });
      frame.set(channelTag(key, frame.subarray(0, frame.length - CHANNEL_TAG_LEN)), frame.length - CHANNEL_TAG_LEN);
      return frame;
    };
    const codes = (frames: ServerFrame[]) => frames.map((f) => (f.type === 'error' ? f.code : f.type));

    it("WELCOME shows the relay's key; a claim bound to it and an ephemeral key is CLAIMED; only ACKs tagged with the channel key delete", async () => {
      sut = replica();
      const owner = new Owner();
      const queued = owner.packet();
      sut.queue.stored.push({ seq: 1n, expiryDay: 20_000, mailboxId: owner.mailbox, packetId: queued.packetId, packet: encodePacket(queued) });
      const c = openV2();
      assert.equal(c.welcome.version, 2);
      assert.deepEqual(c.relayKey, sut.relayKey.publicKey);
      sut.receive(c.conn, encodeClientFrame(owner.claimV2(c.welcome.challenge, c.relayKey, c.ephemeral.publicKey)));
      await until(() => c.ws.written.length >= 2);
      assert.deepEqual(codes(c.ws.frames()), ['claimed', 'deliver']);
      // A v1 ACK, an ACK_V2 tagged with another key (a party relaying the bytes has no other), and one
      // with a tag of the right key over other ids: none deletes.
      sut.receive(c.conn, encodeClientFrame({ type: 'ack', packetIds: [queued.packetId] }));
      sut.receive(c.conn, ackV2([queued.packetId], new Uint8Array(32).fill(1)));
      const forged = ackV2([new Uint8Array(16)], c.key);
      forged.set(queued.packetId, 3);
      sut.receive(c.conn, forged);
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(codes(c.ws.frames()), [ErrorCode.MALFORMED_FRAME, ErrorCode.BAD_PROOF, ErrorCode.BAD_PROOF]);
      assert.equal(sut.queue.acks.length, 0, 'nothing deleted');
      assert.equal(sut.queue.stored.length, 1);
      sut.receive(c.conn, ackV2([queued.packetId], c.key));
      await until(() => sut.queue.acks.length === 1);
      assert.equal(sut.queue.stored.length, 0, 'the tagged ACK deleted it');
    });

    it('refuses a claim made for another relay key (what a gateway in the middle showing its own key would pass on), a v1 CLAIM, another ephemeral key, and a low-order one', async () => {
      sut = replica({ config: { GATEWAY_MAX_BAD_PROOFS: '100' } });
      const owner = new Owner();
      const c = openV2();
      const impostor = x25519.keygen().publicKey;
      sut.receive(c.conn, encodeClientFrame(owner.claimV2(c.welcome.challenge, impostor, c.ephemeral.publicKey)));
      sut.receive(c.conn, encodeClientFrame(owner.claim(c.welcome.challenge)));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(codes(c.ws.frames()), [ErrorCode.BAD_PROOF, ErrorCode.MALFORMED_FRAME]);
      assert.equal(c.conn.claimed.size, 0);
      sut.receive(c.conn, encodeClientFrame(owner.claimV2(c.welcome.challenge, c.relayKey, c.ephemeral.publicKey)));
      await until(() => c.ws.written.length > 0);
      assert.deepEqual(codes(c.ws.frames()), ['claimed']);
      // The channel is the first claim's: a later claim with another ephemeral key is refused.
      const other = new Owner();
      sut.receive(c.conn, encodeClientFrame(other.claimV2(c.welcome.challenge, c.relayKey, x25519.keygen().publicKey)));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(codes(c.ws.frames()), [ErrorCode.BAD_PROOF]);
      const d = openV2();
      sut.receive(d.conn, encodeClientFrame(owner.claimV2(d.welcome.challenge, d.relayKey, new Uint8Array(32))));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(codes(d.ws.frames()), [ErrorCode.BAD_PROOF], 'a low-order ephemeral key agrees no channel');
      assert.equal(d.conn.claimed.size, 0);
    });

    it('a v1 connection takes neither CLAIM_V2 nor ACK_V2', async () => {
      sut = replica();
      const owner = new Owner();
      const { conn, ws } = sut.open();
      sut.receive(conn, encodeClientFrame(owner.claimV2(conn.challenge!, sut.relayKey.publicKey, x25519.keygen().publicKey)));
      sut.receive(conn, ackV2([new Uint8Array(16)], new Uint8Array(32)));
      await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(codes(ws.frames()), [ErrorCode.MALFORMED_FRAME, ErrorCode.MALFORMED_FRAME]);
    });
  });
});
