import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleBackend, nodeBackend, type CryptoBackend } from '@tacit/crypto';
import type { PreKeyBundle } from './bundle.js';
import { SessionError, type SessionErrorCode } from './errors.js';
import { ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { _decodePreKeySignalMessage, _decodeSignalMessage, _encodePreKeySignalMessage, type CiphertextMessage } from './messages.js';
import { _decodeProto, _ProtoWriter } from './proto.js';
import { MAX_SKIPPED_KEYS } from './ratchet.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

const NS = new Uint8Array(32).fill(3);
const enc = new TextEncoder();
const dec = new TextDecoder();

async function open(backend: CryptoBackend, now?: () => number) {
  const store = new MemoryStore();
  return { store, sut: await SessionManager.open({ store, namespaceId: NS, backend, now }) };
}

/** Every key and value of a store, to show a failed operation stored nothing. */
async function snapshot(store: MemoryStore): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const k of await store.keys('')) out.set(k, Buffer.from((await store.get(k))!).toString('hex'));
  return out;
}

async function rejects(p: Promise<unknown>, code: SessionErrorCode, field?: string | RegExp): Promise<SessionError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof SessionError, `expected SessionError ${code}, got ${String(err)}`);
  assert.equal(err.code, code, err.message);
  if (typeof field === 'string') assert.equal(err.field, field);
  else if (field !== undefined) assert.match(err.field, field);
  return err;
}

/** Alice with a session to Bob, Bob having decrypted her first message. */
async function pair(ba: CryptoBackend, bb: CryptoBackend, bundleOpts?: { oneTime?: boolean }) {
  const a = await open(ba);
  const b = await open(bb);
  await b.sut.generatePreKeys(4, 4);
  const bundle = await b.sut.bundle(bundleOpts);
  await a.sut.startSession('bob', bundle);
  const first = await a.sut.encrypt('bob', enc.encode('hello'));
  assert.equal(dec.decode((await b.sut.decrypt('alice', first)).plaintext), 'hello');
  return { alice: a.sut, bob: b.sut, aliceStore: a.store, bobStore: b.store, bundle, first };
}

async function roundTrip(from: SessionManager, fromName: string, to: SessionManager, toName: string, text: string) {
  const m = await from.encrypt(toName, enc.encode(text));
  assert.equal(dec.decode((await to.decrypt(fromName, m)).plaintext), text);
}

const P = 2n ** 255n - 19n;
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const le32 = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
const inv = (x: bigint) => {
  let r = 1n;
  for (let b = x % P, e = P - 2n; e > 0n; e >>= 1n, b = (b * b) % P) if (e & 1n) r = (r * b) % P;
  return r;
};

/** The Montgomery u of (the point of u) + (a point of order 8): y = (u-1)/(u+1), add on Edwards, u = (1+y)/(1-y). */
function addTorsion(u: Uint8Array): Uint8Array {
  const y = (((le(u) - 1n + P) % P) * inv((le(u) + 1n) % P)) % P;
  const A = nobleEd.Point.fromBytes(le32(y));
  const T = nobleEd.Point.fromBytes(Buffer.from('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', 'hex'));
  const y2 = le(A.add(T).toBytes()) & ((1n << 255n) - 1n);
  return le32(((1n + y2) * inv((1n - y2 + P) % P)) % P);
}

/** A PreKeySignalMessage re-encoded with another base key. */
function withBaseKey(m: CiphertextMessage, baseKey: Uint8Array): CiphertextMessage {
  const d = _decodePreKeySignalMessage(m.body);
  const f = _decodeProto(m.body.subarray(1), 'm');
  return {
    type: 3,
    body: _encodePreKeySignalMessage({
      registrationId: d.registrationId,
      preKeyId: d.preKeyId,
      signedPreKeyId: d.signedPreKeyId,
      kyberPreKeyId: d.kyberPreKeyId,
      kyberCiphertext: f.bytes.get(8)!,
      baseKey,
      identityKey: d.identityKey,
      message: f.bytes.get(4)!,
    }),
  };
}

/** A SignalMessage re-encoded with another counter (its MAC no longer matches). */
function withCounter(m: CiphertextMessage, counter: number): CiphertextMessage {
  const d = _decodeSignalMessage(m.body);
  const proto = new _ProtoWriter()
    .bytes(1, new Uint8Array([5, ...d.ratchetKey]))
    .uint32(2, counter)
    .uint32(3, d.previousCounter)
    .bytes(4, d.ciphertext)
    .finish();
  return { type: 2, body: new Uint8Array([0x44, ...proto, ...d.mac]) };
}

for (const [ba, bb] of [
  [nodeBackend, nodeBackend],
  [nobleBackend, nobleBackend],
  [nodeBackend, nobleBackend],
] as const) {
  describe(`${SessionManager.name} (${ba.name} → ${bb.name})`, () => {
    it('starts a session from a bundle, converses both ways, and keeps state across a reopen of the store', async () => {
      const { alice, bob, bobStore, bundle } = await pair(ba, bb, { oneTime: true });
      assert.equal(bundle.kyberPreKey.publicKey[0], 0x0a, 'ML-KEM-1024 is the default KEM');
      await roundTrip(bob, 'bob', alice, 'alice', 'hi alice');
      await roundTrip(alice, 'alice', bob, 'bob', 'third');
      const again = await SessionManager.open({ store: bobStore, namespaceId: NS, backend: bb });
      assert.deepEqual(again.identityKey, bob.identityKey);
      assert.deepEqual(again.mailboxKey, bob.mailboxKey);
      assert.equal(again.registrationId, bob.registrationId);
      await roundTrip(alice, 'alice', again, 'bob', 'after reopen');
      await roundTrip(again, 'bob', alice, 'alice', 'from reopened');
    });

    it('a bundle with a bad signature or a wrong key length is refused with nothing stored; a good one then works', async () => {
      const a = await open(ba);
      const b = await open(bb);
      const good = await b.sut.bundle();
      const other = await (await open(bb)).sut.bundle();
      const before = await snapshot(a.store);
      const flip = (u: Uint8Array, i: number) => {
        const c = u.slice();
        c[i]! ^= 1;
        return c;
      };
      const cases: [PreKeyBundle, SessionErrorCode, string][] = [
        [{ ...good, signedPreKey: { ...good.signedPreKey, signature: flip(good.signedPreKey.signature, 5) } }, 'BAD_SIGNATURE', 'bundle.signedPreKey.signature'],
        [{ ...good, kyberPreKey: { ...good.kyberPreKey, signature: flip(good.kyberPreKey.signature, 40) } }, 'BAD_SIGNATURE', 'bundle.kyberPreKey.signature'],
        [{ ...good, signedPreKey: other.signedPreKey }, 'BAD_SIGNATURE', 'bundle.signedPreKey.signature'],
        [{ ...good, kyberPreKey: { ...good.kyberPreKey, publicKey: flip(good.kyberPreKey.publicKey, 700) } }, 'BAD_SIGNATURE', 'bundle.kyberPreKey.signature'],
        [{ ...good, identityKey: good.identityKey.subarray(1) }, 'BAD_KEY', 'bundle.identityKey'],
        [{ ...good, signedPreKey: { ...good.signedPreKey, publicKey: good.signedPreKey.publicKey.subarray(0, 32) } }, 'BAD_KEY', 'bundle.signedPreKey.publicKey'],
        [{ ...good, kyberPreKey: { ...good.kyberPreKey, publicKey: good.kyberPreKey.publicKey.subarray(0, 1568) } }, 'BAD_KEY', 'bundle.kyberPreKey.publicKey'],
        [{ ...good, kyberPreKey: { ...good.kyberPreKey, publicKey: new Uint8Array([7, ...good.kyberPreKey.publicKey.subarray(1)]) } }, 'BAD_KEY', 'bundle.kyberPreKey.publicKey'],
        [{ ...good, signedPreKey: { ...good.signedPreKey, signature: good.signedPreKey.signature.subarray(1) } }, 'BAD_KEY', 'bundle.signedPreKey.signature'],
        [{ ...good, preKey: { id: 1, publicKey: new Uint8Array(34).fill(5) } }, 'BAD_KEY', 'bundle.preKey.publicKey'],
        [{ ...good, deviceId: 0 }, 'MALFORMED', 'bundle.deviceId'],
      ];
      for (const [bundle, code, field] of cases) {
        const err = await rejects(a.sut.startSession('bob', bundle), code, field);
        assert.ok(!/[0-9a-f]{16}/.test(err.message), 'no key bytes in messages');
      }
      assert.deepEqual(await snapshot(a.store), before);
      assert.equal(await a.sut.hasSession('bob'), false);
      await a.sut.startSession('bob', good);
      await roundTrip(a.sut, 'alice', b.sut, 'bob', 'after the bad bundles');
    });

    it('a replayed one-time prekey is refused; a replayed session start is a duplicate; the session goes on', async () => {
      const { alice, bob, bobStore, bundle, first } = await pair(ba, bb, { oneTime: true });
      const before = await snapshot(bobStore);
      // The same prekey message again from the same peer finds its session: a duplicate message.
      await rejects(bob.decrypt('alice', first), 'DUPLICATE_MESSAGE');
      // Replayed as if from someone else, it names one-time keys that were used up.
      await rejects(bob.decrypt('mallory', first), 'UNKNOWN_PREKEY', /^message\.(kyber_)?pre_key_id$/);
      // Another initiator fed the same bundle (the service handed it out twice) fares the same.
      const carol = (await open(ba)).sut;
      await carol.startSession('bob', bundle);
      await rejects(bob.decrypt('carol', await carol.encrypt('bob', enc.encode('x'))), 'UNKNOWN_PREKEY');
      assert.deepEqual(await snapshot(bobStore), before);
      await roundTrip(alice, 'alice', bob, 'bob', 'still fine');
      await roundTrip(bob, 'bob', alice, 'alice', 'still fine too');
    });

    it('a session start on the last-resort key, replayed from another sender or with a twisted base key, is PREKEY_REUSED', async () => {
      const { alice, bob, bobStore, first } = await pair(ba, bb);
      const before = await snapshot(bobStore);
      await rejects(bob.decrypt('mallory', first), 'PREKEY_REUSED', 'message.base_key');
      // The base key plus a point of order 8: other bytes, same X25519 results, same session keys.
      const twisted = withBaseKey(first, addTorsion(_decodePreKeySignalMessage(first.body).baseKey));
      await rejects(bob.decrypt('alice', twisted), 'PREKEY_REUSED', 'message.base_key');
      // A base key at or above p has two encodings: refused outright.
      await rejects(bob.decrypt('alice', withBaseKey(first, new Uint8Array(32).fill(0xff).fill(0x7f, 31))), 'BAD_KEY', 'message.base_key');
      assert.deepEqual(await snapshot(bobStore), before);
      await roundTrip(alice, 'alice', bob, 'bob', 'still fine');
    });

    it('a tampered ciphertext or MAC is AUTH_FAILED and stores nothing; the untampered message then decrypts', async () => {
      const { alice, bob, bobStore } = await pair(ba, bb);
      await roundTrip(bob, 'bob', alice, 'alice', 'answer');
      const m = await alice.encrypt('bob', enc.encode('tamper with me'));
      const before = await snapshot(bobStore);
      for (const i of [3, 40, m.body.length - 20, m.body.length - 1]) {
        const bad = m.body.slice();
        bad[i]! ^= 0x01;
        const err = await bob.decrypt('alice', { type: 2, body: bad }).then(
          () => undefined,
          (e: unknown) => e,
        );
        assert.ok(err instanceof SessionError && ['AUTH_FAILED', 'MALFORMED', 'BAD_KEY'].includes(err.code), `byte ${i}: ${String(err)}`);
      }
      // A flipped body byte past the key and counter: the MAC check catches it.
      const body = m.body.slice();
      body[m.body.length - 20]! ^= 0x80;
      await rejects(bob.decrypt('alice', { type: 2, body }), 'AUTH_FAILED', 'message.mac');
      assert.deepEqual(await snapshot(bobStore), before);
      assert.equal(dec.decode((await bob.decrypt('alice', m)).plaintext), 'tamper with me');
    });

    it('a replayed message is DUPLICATE_MESSAGE; a message for no session is NO_SESSION', async () => {
      const { alice, bob } = await pair(ba, bb);
      await roundTrip(bob, 'bob', alice, 'alice', 'answer');
      const m = await alice.encrypt('bob', enc.encode('once'));
      await bob.decrypt('alice', m);
      await rejects(bob.decrypt('alice', m), 'DUPLICATE_MESSAGE', 'message.counter');
      await rejects(bob.decrypt('carol', m), 'NO_SESSION', 'peer');
      await rejects(alice.encrypt('dave', enc.encode('x')), 'NO_SESSION', 'peer');
      await roundTrip(alice, 'alice', bob, 'bob', 'after the replay');
    });

    it('a counter too far ahead is TOO_FAR_AHEAD; past 2,000 skipped keys the oldest are dropped, the rest decrypt', async () => {
      const { alice, bob, bobStore } = await pair(ba, bb);
      await roundTrip(bob, 'bob', alice, 'alice', 'answer');
      const probe = await alice.encrypt('bob', enc.encode('probe'));
      const before = await snapshot(bobStore);
      await rejects(bob.decrypt('alice', withCounter(probe, 25_001 + 1)), 'TOO_FAR_AHEAD', 'message.counter');
      await rejects(bob.decrypt('alice', withCounter(probe, 0xffffffff)), 'TOO_FAR_AHEAD');
      assert.deepEqual(await snapshot(bobStore), before);
      const n = MAX_SKIPPED_KEYS + 50;
      const flood: CiphertextMessage[] = [];
      for (let i = 0; i < n; i++) flood.push(await alice.encrypt('bob', enc.encode(`m${i}`)));
      assert.equal(dec.decode((await bob.decrypt('alice', flood[n - 1]!)).plaintext), `m${n - 1}`);
      // 2,050 keys were skipped (the probe and flood 0..2048): the oldest 50 are dropped.
      await rejects(bob.decrypt('alice', probe), 'DUPLICATE_MESSAGE');
      await rejects(bob.decrypt('alice', flood[48]!), 'DUPLICATE_MESSAGE');
      for (const i of [49, 50, 1000, n - 2]) assert.equal(dec.decode((await bob.decrypt('alice', flood[i]!)).plaintext), `m${i}`);
      await roundTrip(bob, 'bob', alice, 'alice', 'after the flood');
    });

    it('malformed messages and other protocol versions are typed errors', async () => {
      const { alice, bob } = await pair(ba, bb);
      const m = await alice.encrypt('bob', enc.encode('x'));
      await rejects(bob.decrypt('alice', { type: 2, body: new Uint8Array(0) }), 'MALFORMED');
      await rejects(bob.decrypt('alice', { type: 2, body: m.body.subarray(0, 12) }), 'MALFORMED');
      await rejects(bob.decrypt('alice', { type: 2, body: new Uint8Array([0x33, ...m.body.subarray(1)]) }), 'BAD_VERSION');
      await rejects(bob.decrypt('alice', { type: 3, body: new Uint8Array([0x44, 0xff, 0xff]) }), 'MALFORMED');
      await rejects(bob.decrypt('alice', { type: 3, body: new Uint8Array([0x44, 0x08, 0x01]) }), 'MALFORMED');
      await rejects(bob.decrypt('alice', { type: 5 as 2, body: m.body }), 'MALFORMED', 'message.type');
      await rejects(bob.decrypt('not a peer id!', m), 'MALFORMED', 'peer');
      assert.equal(dec.decode((await bob.decrypt('alice', m)).plaintext), 'x');
    });

    it('a changed identity key is UNTRUSTED_IDENTITY until trustIdentity accepts it', async () => {
      const { alice, bob } = await pair(ba, bb);
      const impostor = (await open(bb)).sut;
      await rejects(alice.startSession('bob', await impostor.bundle()), 'UNTRUSTED_IDENTITY', 'bundle.identityKey');
      const mal = (await open(ba)).sut;
      await mal.startSession('bob', await bob.bundle());
      await rejects(bob.decrypt('alice', await mal.encrypt('bob', enc.encode('I am alice'))), 'UNTRUSTED_IDENTITY', 'message.identity_key');
      await roundTrip(alice, 'alice', bob, 'bob', 'the real alice');
      await alice.trustIdentity('bob', impostor.identityKey);
      assert.deepEqual(await alice.peerIdentity('bob'), impostor.identityKey);
      assert.equal(await alice.hasSession('bob'), false);
      await alice.startSession('bob', await impostor.bundle());
      await roundTrip(alice, 'alice', impostor, 'bob', 'to the new key');
    });

    it('a peer that starts over gets a new session; messages still in flight on the old one decrypt', async () => {
      const { alice, bob } = await pair(ba, bb);
      await roundTrip(bob, 'bob', alice, 'alice', 'answer');
      const inFlight = await alice.encrypt('bob', enc.encode('old session'));
      await alice.startSession('bob', await bob.bundle());
      await roundTrip(alice, 'alice', bob, 'bob', 'new session');
      assert.equal(dec.decode((await bob.decrypt('alice', inFlight)).plaintext), 'old session');
      await roundTrip(bob, 'bob', alice, 'alice', 'answer on the new one');
    });
  });
}

describe(`${SessionManager.name}: clock`, () => {
  it('a session never answered in 30 days is not sent on (NO_SESSION)', async () => {
    let now = Date.UTC(2026, 0, 1);
    const a = await open(nodeBackend, () => now);
    const b = await open(nodeBackend);
    await a.sut.startSession('bob', await b.sut.bundle());
    await a.sut.encrypt('bob', enc.encode('1'));
    now += 30 * 86_400_000 + 1;
    await rejects(a.sut.encrypt('bob', enc.encode('2')), 'NO_SESSION');
  });
});
