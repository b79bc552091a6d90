import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleBackend, nodeBackend } from '@tacit/crypto';
import { _converse, type _Party } from './_conversation.js';
import { _LibsignalPeer } from './_libsignal-peer.js';
import { safetyNumber } from './safety-number.js';
import { SessionManager } from './session-manager.js';
import { MemoryStore } from './store.js';

// Interop with libsignal 0.90.0 (the devDependency, used by tests only): either side starts the
// session from the other's bundle, then 1,000 messages each way, shuffled, some held back past a
// ratchet step. Both backends (node:crypto and noble) of the SDK.
const NS = new Uint8Array(32).fill(7);
const enc = new TextEncoder();
const dec = new TextDecoder();

function tacitParty(name: string, sut: SessionManager): _Party {
  return {
    name,
    encrypt: (peer, pt) => sut.encrypt(peer, pt),
    async decrypt(peer, m) {
      const r = await sut.decrypt(peer, m);
      await sut.acknowledge(r.id);
      return r.plaintext;
    },
  };
}

function libParty(name: string, lib: _LibsignalPeer): _Party {
  return { name, encrypt: (peer, pt) => lib.encrypt(peer, pt), decrypt: (peer, m) => lib.decrypt(peer, m) };
}

for (const backend of [nodeBackend, nobleBackend]) {
  describe(`sessions against libsignal 0.90.0 (${backend.name} backend)`, () => {
    it('Tacit starts from a libsignal bundle, libsignal decrypts; then 1,000 messages each way out of order', async () => {
      const lib = new _LibsignalPeer();
      const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend, kem: 'kyber1024' });
      await sut.startSession('lib', await lib.bundle());
      const first = await sut.encrypt('lib', enc.encode('first contact'));
      assert.equal(first.type, 3);
      assert.equal(dec.decode(await lib.decrypt('tacit', first)), 'first contact');
      const { turns } = await _converse(tacitParty('tacit', sut), libParty('lib', lib), 1000, 1);
      assert.ok(turns > 60, `only ${turns} turns`);
    });

    it('libsignal starts from a Tacit bundle (one-time keys used and consumed), Tacit decrypts; then 1,000 each way', async () => {
      const lib = new _LibsignalPeer();
      const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend, kem: 'kyber1024' });
      await sut.generatePreKeys(3, 3);
      const bundle = await sut.bundle({ oneTime: true });
      assert.ok(bundle.preKey !== undefined);
      await lib.startSession('tacit', bundle);
      const first = await lib.encrypt('tacit', enc.encode('first contact'));
      assert.equal(first.type, 3);
      const r = await sut.decrypt('lib', first);
      assert.equal(dec.decode(r.plaintext), 'first contact');
      await sut.acknowledge(r.id);
      // The one-time keys it named are gone: the next bundle offers other ones.
      const next = await sut.bundle({ oneTime: true });
      assert.notEqual(next.preKey!.id, bundle.preKey!.id);
      assert.notEqual(next.kyberPreKey.id, bundle.kyberPreKey.id);
      const { turns } = await _converse(libParty('lib', lib), tacitParty('tacit', sut), 1000, 2);
      assert.ok(turns > 60, `only ${turns} turns`);
    });

    it('libsignal starts from a Tacit bundle with only the last-resort post-quantum key', async () => {
      const lib = new _LibsignalPeer();
      const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend, kem: 'kyber1024' });
      await lib.startSession('tacit', await sut.bundle());
      const m = await lib.encrypt('tacit', enc.encode('via last resort'));
      assert.equal(dec.decode((await sut.decrypt('lib', m)).plaintext), 'via last resort');
      assert.equal(dec.decode(await lib.decrypt('tacit', await sut.encrypt('lib', enc.encode('answer')))), 'answer');
    });

    it('safety numbers: the same 60 digits and scannable bytes as libsignal, on both sides', async () => {
      const lib = new _LibsignalPeer();
      const sut = await SessionManager.open({ store: new MemoryStore(), namespaceId: NS, backend });
      const tacitId = sut.mailboxKey.publicKey;
      const libId = enc.encode('lib-user-0001');
      const ours = safetyNumber({ localId: tacitId, localIdentityKey: sut.identityKey, remoteId: libId, remoteIdentityKey: lib.identityKey, backend });
      const theirs = lib.safetyNumber(libId, tacitId, sut.identityKey);
      assert.match(ours.digits, /^\d{60}$/);
      assert.equal(ours.digits, theirs.digits);
      const v1 = safetyNumber({ localId: libId, localIdentityKey: lib.identityKey, remoteId: tacitId, remoteIdentityKey: sut.identityKey, version: 1, backend });
      assert.deepEqual(v1.scannable, lib.safetyNumber(libId, tacitId, sut.identityKey, 5200, 1).scannable);
      const v2 = safetyNumber({ localId: libId, localIdentityKey: lib.identityKey, remoteId: tacitId, remoteIdentityKey: sut.identityKey, backend });
      assert.deepEqual(v2.scannable, theirs.scannable);
    });
  });
}
