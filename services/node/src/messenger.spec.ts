// The messenger API end to end through the one-container node (gateway, queue and prekey service in
// one process): first contact from a fetched bundle while the recipient is offline, replies,
// replenishment of the prekey pool, and every bad input of issue 13 — each a typed error, the
// sessions still usable for the valid messages after it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { createLogger } from '@tacit/kit';
import {
  bindingMessage,
  contactId,
  encodeContent,
  MAX_MESSAGE_BYTES,
  MemoryStore,
  Messenger,
  MessengerError,
  newMailboxIdentity,
  PrekeyError,
  PREKEY_OVERHEAD,
  RelayClient,
  sealEnvelope,
  SessionError,
  type FetchLike,
  type IncomingMessage,
  type MessengerOptions,
  type SessionStore,
} from '@tacit/sdk';
import { defaultBackend } from '@tacit/crypto';
import { pad, prekeyAddressOf } from '@tacit/protocol';
import { waitFor } from '@tacit/testing';
import { startNode, type RunningNode } from './node.js';

const ns = new Uint8Array(32).fill(11);
const quiet = createLogger({ service: 'node', write: () => {} });

/** A messenger and what reached it. */
interface Party {
  m: Messenger;
  store: SessionStore;
  got: IncomingMessage[];
  errors: Error[];
}

const opened: Messenger[] = [];
const relays: RelayClient[] = [];

describe('Messenger through the node', { timeout: 180_000 }, () => {
  let dir: string;
  let node: RunningNode;
  const party = async (opts: Partial<MessengerOptions> = {}, store: SessionStore = new MemoryStore()): Promise<Party> => {
    const got: IncomingMessage[] = [];
    const errors: Error[] = [];
    const m = await Messenger.create({ namespaceId: ns, relays: [node.url], store, preKeys: { target: 8, lowWater: 4 }, maintainEveryMs: 0, minBackoffMs: 50, maxBackoffMs: 200, ...opts });
    opened.push(m);
    m.onMessage((msg) => void got.push(msg));
    // What the specs count: refused packets. A background prekey check that could not reach the node
    // (a loaded machine) is not one of them.
    m.onError((e) => void (e instanceof PrekeyError && e.retryable ? undefined : errors.push(e)));
    return { m, store, got, errors };
  };
  /** Sends raw packet payloads to a mailbox, as any client of the relay can. */
  const raw = async (): Promise<RelayClient> => {
    const c = new RelayClient({ urls: [node.url], namespaceId: ns, identity: newMailboxIdentity(), receive: false });
    relays.push(c);
    await c.connect();
    return c;
  };
  const texts = (p: Party) => p.got.map((x) => x.text());

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tacit-messenger-'));
    node = await startNode(
      { PORT: '0', HOST: '127.0.0.1', OPS_PORT: '0', OPS_HOST: '127.0.0.1', DATA_DIR: dir, GATEWAY_PREKEY_UPLOADS_PER_MINUTE: '100000', GATEWAY_PREKEY_FETCHES_PER_MINUTE: '100000' },
      quiet,
    );
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((m) => m.close()));
    for (const c of relays.splice(0)) c.close();
  });
  after(async () => {
    await node.stop(100);
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts a session from a bundle fetched while the recipient is offline; every message arrives once, in order, both ways', async () => {
    const bobStore = new MemoryStore();
    const bob0 = await party({}, bobStore);
    const invite = bob0.m.invite();
    await bob0.m.close();
    const alice = await party();
    for (let i = 0; i < 5; i++) await alice.m.send(invite, `hello ${i}`);
    // Bob comes back: the same store, a new process.
    const bob = await party({}, bobStore);
    await waitFor(() => bob.got.length === 5, { timeoutMs: 10_000, intervalMs: 10, what: "Bob's five messages" });
    assert.deepEqual(texts(bob), ['hello 0', 'hello 1', 'hello 2', 'hello 3', 'hello 4']);
    assert.equal(bob.got[0]!.from.id, alice.m.id);
    assert.deepEqual(bob.got[0]!.from.identityKey, alice.m.identityKey);
    await bob.m.send(bob.got[0]!.from, 'hi alice');
    await waitFor(() => alice.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'the reply' });
    assert.equal(alice.got[0]!.text(), 'hi alice');
    assert.equal(alice.got[0]!.from.id, contactId(bob.m.relay.peerKey));
    for (let i = 0; i < 20; i++) await (i % 2 ? alice.m.send(bob.m.id, `a${i}`) : bob.m.send(alice.m.id, `b${i}`));
    await waitFor(() => alice.got.length === 11 && bob.got.length === 15, { timeoutMs: 10_000, intervalMs: 10, what: 'the conversation' });
    assert.deepEqual(texts(bob).slice(5), Array.from({ length: 10 }, (_, k) => `a${2 * k + 1}`));
    assert.deepEqual(await bob.m.sessions.pending(), [], 'every message left the inbox once handled');
    assert.deepEqual([...alice.errors, ...bob.errors], []);
    // The largest message fits whatever the session's state.
    const big = new Uint8Array(MAX_MESSAGE_BYTES).fill(0x61);
    await alice.m.send(bob.m.id, big);
    await waitFor(() => bob.got.length === 16, { timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(bob.got[15]!.data.length, MAX_MESSAGE_BYTES);
    await assert.rejects(alice.m.send(bob.m.id, new Uint8Array(MAX_MESSAGE_BYTES + 1)), (e: unknown) => e instanceof MessengerError && e.code === 'TOO_LARGE');
  });

  it('tops its one-time prekeys up when sessions start on them, and hands each out once', async () => {
    const bob = await party();
    assert.deepEqual(await bob.m.maintainPreKeys(), { preKeys: 8, kyberPreKeys: 8, signedPreKey: true, lastResortKyberPreKey: true });
    const invite = bob.m.invite();
    const senders = await Promise.all(Array.from({ length: 6 }, () => party()));
    for (const [i, s] of senders.entries()) await s.m.send(invite, `from ${i}`);
    await waitFor(() => bob.got.length === 6, { timeoutMs: 10_000, intervalMs: 10, what: 'six first messages' });
    // Six sessions took six keys of each kind (8 → 2, under the low-water mark of 4): topped up to 8.
    await waitFor(async () => (await bob.m.maintainPreKeys()).preKeys === 8, { timeoutMs: 10_000, intervalMs: 200, what: 'the pool topped up' });
    assert.deepEqual(bob.errors, []);
    assert.equal(node.prekeys.stats().fetchesOneTime >= 6, true);
  });

  it('refuses bad bundles from a relay with typed errors, then starts from a good one', async () => {
    const bob = await party();
    let spoil: ((b: Uint8Array) => Uint8Array) | undefined;
    const tampering: FetchLike = async (url, init) => {
      const res = await fetch(url, init);
      if (!spoil || !url.endsWith('/fetch') || res.status !== 200) return res;
      const body = spoil(new Uint8Array(await res.arrayBuffer()));
      return { status: 200, arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer, text: async () => '' };
    };
    const alice = await party({ fetch: tampering });
    const invite = bob.m.invite();
    // A signature bit flipped: the signed prekey (at 2 + 33 + 4 + 4 + 33) no longer verifies.
    spoil = (b) => b.map((x, i) => (i === 80 ? x ^ 1 : x));
    await assert.rejects(alice.m.send(invite, 'x'), (e: unknown) => e instanceof SessionError && e.code === 'BAD_SIGNATURE' && e.field === 'bundle.signedPreKey.signature');
    // A key of the wrong length: the body no longer decodes.
    spoil = (b) => b.subarray(0, b.length - 1);
    await assert.rejects(alice.m.send(invite, 'x'), (e: unknown) => e instanceof PrekeyError && e.code === 'MALFORMED');
    // A key with the wrong type byte.
    spoil = (b) => b.map((x, i) => (i === 2 ? 0x06 : x));
    await assert.rejects(alice.m.send(invite, 'x'), (e: unknown) => e instanceof PrekeyError && e.code === 'BAD_KEY' && e.field === 'identityKey');
    // Someone else's bundle: not the identity the invite names.
    const carol = await party();
    const carolBundle = new Uint8Array(await (await fetch(`${node.url.replace('ws:', 'http:')}/prekeys/fetch`, { method: 'POST', body: Uint8Array.of(1, ...prekeyAddressOf(ns, Uint8Array.of(5, ...carol.m.identityKey))) })).arrayBuffer());
    spoil = () => carolBundle;
    await assert.rejects(alice.m.send(invite, 'x'), (e: unknown) => e instanceof MessengerError && e.code === 'BUNDLE_MISMATCH');
    spoil = undefined;
    await alice.m.send(invite, 'good');
    await waitFor(() => bob.got.length === 1, { timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(bob.got[0]!.text(), 'good');
    // Unknown addresses and invites of another app are typed too.
    await assert.rejects(alice.m.send('TACIT1:AAAA', 'x'), (e: unknown) => e instanceof MessengerError && e.code === 'BAD_INVITE');
    const stranger = newMailboxIdentity();
    await assert.rejects(alice.m.send(contactId(stranger.publicKey), 'x'), (e: unknown) => e instanceof MessengerError && e.code === 'UNKNOWN_CONTACT');
  });

  it('refuses a replayed one-time key, tampered and replayed packets, unknown sessions, impostors and a skipped-key flood, and goes on', async () => {
    const bob = await party();
    const invite = bob.m.invite();
    const contact = bob.m.contact(invite);
    // A relay that hands the same bundle (the same one-time keys) to two senders.
    let cached: Uint8Array | undefined;
    const replaying: FetchLike = async (url, init) => {
      if (url.endsWith('/fetch') && cached) return { status: 200, arrayBuffer: async () => cached!.slice().buffer, text: async () => '' };
      const res = await fetch(url, init);
      if (!url.endsWith('/fetch')) return res;
      cached = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, arrayBuffer: async () => cached!.slice().buffer, text: async () => '' };
    };
    const [alice, mallory] = [await party({ fetch: replaying }), await party({ fetch: replaying })];
    await alice.m.send(contact, 'alice 1');
    await waitFor(() => bob.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: `step 1 (bob errors: ${bob.errors.map(String).join('; ')})` });
    await mallory.m.send(contact, 'mallory 1');
    await waitFor(() => bob.errors.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: 'the refused start' });
    assert.ok(bob.errors[0] instanceof SessionError && bob.errors[0].code === 'UNKNOWN_PREKEY', String(bob.errors[0]));

    const injector = await raw();
    const sealedFrom = async (who: Party, body: Uint8Array, kind: 2 | 3) =>
      sealEnvelope(defaultBackend, bob.m.identityKey, {
        kind,
        sender: who.m.relay.peerKey,
        identityKey: who.m.identityKey,
        binding: defaultBackend.ed25519.sign(who.m.sessions.mailboxKey.secretKey, bindingMessage(who.m.identityKey)),
        message: body,
      });
    // Tampered on the way: the sealed box no longer authenticates.
    const tampered = await sealedFrom(alice, (await alice.m.sessions.encrypt(bob.m.id, new Uint8Array(200))).body, 3);
    tampered[300]! ^= 1;
    await injector.send(bob.m.relay.peerKey, tampered);
    await waitFor(() => bob.errors.length === 2, { timeoutMs: 10_000, intervalMs: 10, what: `step 2 (bob errors: ${bob.errors.map(String).join('; ')})` });
    assert.ok(bob.errors[1] instanceof MessengerError && bob.errors[1].code === 'BAD_ENVELOPE');
    // Replayed by the relay (the same envelope as a new packet): taken as a duplicate, shown once.
    const once = await sealedFrom(alice, (await alice.m.sessions.encrypt(bob.m.id, pad(encodeContent({ kind: 'data', data: new TextEncoder().encode('once') }), PREKEY_OVERHEAD))).body, 3);
    await injector.send(bob.m.relay.peerKey, once);
    await injector.send(bob.m.relay.peerKey, once);
    await waitFor(() => bob.got.length === 2, { timeoutMs: 10_000, intervalMs: 10, what: `step 4 (bob errors: ${bob.errors.map(String).join('; ')})` });
    // An impostor: Mallory's first message claiming Alice's mailbox key.
    const impostor = sealEnvelope(defaultBackend, bob.m.identityKey, {
      kind: 3,
      sender: alice.m.relay.peerKey,
      identityKey: mallory.m.identityKey,
      binding: defaultBackend.ed25519.sign(mallory.m.sessions.mailboxKey.secretKey, bindingMessage(mallory.m.identityKey)),
      message: (await mallory.m.sessions.encrypt(bob.m.id, new Uint8Array(10))).body,
    });
    await injector.send(bob.m.relay.peerKey, impostor);
    // A Whisper message from someone Bob has no session with.
    const dave = await party();
    const eve = await party();
    await dave.m.send(eve.m.invite(), 'to eve');
    await waitFor(() => eve.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: `step 5 (bob errors: ${bob.errors.map(String).join('; ')})` });
    await eve.m.send(eve.got[0]!.from, 'to dave');
    await waitFor(() => dave.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: `step 6 (bob errors: ${bob.errors.map(String).join('; ')})` });
    const stray = await sealedFrom(dave, (await dave.m.sessions.encrypt(eve.m.id, new Uint8Array(10))).body, 2);
    await injector.send(bob.m.relay.peerKey, stray);
    await waitFor(() => bob.errors.length === 4, { timeoutMs: 10_000, intervalMs: 10, what: `step 7 (bob errors: ${bob.errors.map(String).join('; ')})` });
    const codes = bob.errors.slice(2).map((e) => (e as unknown as { code: string }).code).sort();
    assert.deepEqual(codes, ['BAD_SENDER', 'NO_SESSION']);

    // Alice is answered (her next messages are Whisper messages), then floods: a counter 25 001 ahead.
    await bob.m.send(alice.m.id, 'ack');
    await waitFor(() => alice.got.length === 1, { timeoutMs: 10_000, intervalMs: 10, what: `step 8 (bob errors: ${bob.errors.map(String).join('; ')})` });
    await alice.m.send(bob.m.id, 'alice 2');
    await waitFor(() => bob.got.length === 3, { timeoutMs: 10_000, intervalMs: 10, what: `step 9 (bob errors: ${bob.errors.map(String).join('; ')})` });
    // Tampered inside a well-sealed envelope (by a contact): the session's MAC refuses it.
    const inner = (await alice.m.sessions.encrypt(bob.m.id, pad(new Uint8Array(200), PREKEY_OVERHEAD))).body;
    inner[inner.length - 1]! ^= 1;
    await injector.send(bob.m.relay.peerKey, await sealedFrom(alice, inner, 2));
    await waitFor(() => bob.errors.length === 5, { timeoutMs: 10_000, intervalMs: 10, what: `tampered (bob errors: ${bob.errors.map(String).join('; ')})` });
    assert.ok(bob.errors[4] instanceof SessionError && bob.errors[4].code === 'AUTH_FAILED', String(bob.errors[4]));
    let far: Uint8Array | undefined;
    for (let i = 0; i <= 25_001; i++) far = (await alice.m.sessions.encrypt(bob.m.id, new Uint8Array(1))).body;
    await injector.send(bob.m.relay.peerKey, await sealedFrom(alice, far!, 2));
    await waitFor(() => bob.errors.length === 6, { timeoutMs: 10_000, intervalMs: 10, what: `step 10 (bob errors: ${bob.errors.map(String).join('; ')})` });
    assert.ok(bob.errors[5] instanceof SessionError && bob.errors[5].code === 'TOO_FAR_AHEAD', String(bob.errors[5]));
    // And after all of it, the sessions still work both ways.
    await bob.m.send(alice.m.id, 'still here');
    await waitFor(() => alice.got.length === 2, { timeoutMs: 10_000, intervalMs: 10, what: `step 11 (bob errors: ${bob.errors.map(String).join('; ')})` });
    await alice.m.send(bob.m.id, 'alice 3');
    await waitFor(() => bob.got.length === 4, { timeoutMs: 10_000, intervalMs: 10, what: `step 12 (bob errors: ${bob.errors.map(String).join('; ')})` });
    assert.deepEqual(texts(bob), ['alice 1', 'once', 'alice 2', 'alice 3']);
    assert.equal(alice.got[1]!.text(), 'still here');
    assert.equal(bob.errors.length, 6, bob.errors.slice(6).map(String).join('; '));
  });
});
