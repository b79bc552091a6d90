import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _toHex } from './_vectors.js';
import { nobleBackend } from './noble.js';
import { nodeBackend } from './node.js';

// Both backends must agree byte for byte. Inputs are random (the hex is in any failure message);
// counts are small and fixed so the suite stays fast.
const RUNS = 24;
const rnd = (n: number) => nodeBackend.randomBytes(n);
const rlen = (max: number) => rnd(2).reduce((a, b) => a * 256 + b, 0) % (max + 1);

describe('node vs noble', () => {
  it('X25519: public keys and shared secrets agree', () => {
    for (let i = 0; i < RUNS; i++) {
      const [a, b] = [rnd(32), rnd(32)];
      const pa = nodeBackend.x25519.getPublicKey(a);
      assert.deepEqual(pa, nobleBackend.x25519.getPublicKey(a), _toHex(a));
      // A random 32-byte string as peer key: on the curve or its twist, both must compute the same.
      const peer = rnd(32);
      assert.deepEqual(nodeBackend.x25519.getSharedSecret(b, peer), nobleBackend.x25519.getSharedSecret(b, peer), _toHex(peer));
      assert.deepEqual(nodeBackend.x25519.getSharedSecret(b, pa), nobleBackend.x25519.getSharedSecret(a, nobleBackend.x25519.getPublicKey(b)));
    }
  });

  it('X25519: generated keys are consistent across backends', () => {
    for (const [gen, other] of [[nodeBackend, nobleBackend], [nobleBackend, nodeBackend]] as const) {
      const kp = gen.x25519.keygen();
      assert.deepEqual(other.x25519.getPublicKey(kp.secretKey), kp.publicKey);
      const e = gen.x25519.ephemeral(kp.publicKey);
      assert.deepEqual(other.x25519.getSharedSecret(kp.secretKey, e.publicKey), e.sharedSecret);
    }
  });

  it('Ed25519: identical deterministic signatures, cross verification', () => {
    for (let i = 0; i < RUNS; i++) {
      const sk = rnd(32);
      const msg = rnd(rlen(300));
      const pk = nodeBackend.ed25519.getPublicKey(sk);
      assert.deepEqual(pk, nobleBackend.ed25519.getPublicKey(sk));
      const sig = nodeBackend.ed25519.sign(sk, msg);
      assert.deepEqual(sig, nobleBackend.ed25519.sign(sk, msg), `${_toHex(sk)} ${_toHex(msg)}`);
      assert.equal(nobleBackend.ed25519.verify(pk, msg, sig), true);
      const bad = sig.slice();
      bad[rlen(63)]! ^= 1 << rlen(7);
      assert.equal(nodeBackend.ed25519.verify(pk, msg, bad), false);
      assert.equal(nobleBackend.ed25519.verify(pk, msg, bad), false);
    }
    const kp = nobleBackend.ed25519.keygen();
    assert.deepEqual(nodeBackend.ed25519.getPublicKey(kp.secretKey), kp.publicKey);
  });

  it('AES-256-GCM: identical ciphertexts, cross decryption', () => {
    for (let i = 0; i < RUNS; i++) {
      const [key, nonce, pt, aad] = [rnd(32), rnd(12), rnd(rlen(1000)), rnd(rlen(40))];
      const ct = nodeBackend.aes256gcm.encrypt(key, nonce, pt, aad);
      assert.deepEqual(ct, nobleBackend.aes256gcm.encrypt(key, nonce, pt, aad), `${_toHex(key)} ${_toHex(nonce)}`);
      assert.deepEqual(nobleBackend.aes256gcm.decrypt(key, nonce, ct, aad), pt);
    }
  });

  it('HKDF-SHA256 and HMAC-SHA256 agree', () => {
    for (let i = 0; i < RUNS; i++) {
      const [ikm, salt, info, n] = [rnd(rlen(100)), rnd(rlen(100)), rnd(rlen(100)), 1 + rlen(500)];
      assert.deepEqual(nodeBackend.hkdfSha256(ikm, salt, info, n), nobleBackend.hkdfSha256(ikm, salt, info, n), `${_toHex(ikm)} ${n}`);
      assert.deepEqual(nodeBackend.hmacSha256(ikm, info), nobleBackend.hmacSha256(ikm, info));
    }
  });

  for (const name of ['mlkem768', 'mlkem1024'] as const) {
    it(`${name}: same keys from a seed, cross encapsulation, same implicit rejection`, () => {
      const [a, b] = [nodeBackend[name], nobleBackend[name]];
      for (let i = 0; i < 4; i++) {
        const seed = rnd(64);
        const ka = a.keygen(seed);
        const kb = b.keygen(seed);
        assert.deepEqual(ka.publicKey, kb.publicKey, _toHex(seed));
        assert.deepEqual(ka.secretKey, seed);
        const e1 = a.encapsulate(ka.publicKey);
        assert.deepEqual(b.decapsulate(kb.secretKey, e1.ciphertext), e1.sharedSecret);
        const e2 = b.encapsulate(kb.publicKey);
        assert.deepEqual(a.decapsulate(ka.secretKey, e2.ciphertext), e2.sharedSecret);
        const forged = rnd(a.lengths.ciphertext);
        assert.deepEqual(a.decapsulate(ka.secretKey, forged), b.decapsulate(kb.secretKey, forged));
      }
    });
  }
});

describe('key caches', () => {
  for (const sut of [nodeBackend, nobleBackend]) {
    it(`${sut.name}: a key array changed in place is never served a stale cached key`, () => {
      const a = sut.x25519.keygen();
      const b = sut.x25519.keygen();
      const sk = a.secretKey.slice();
      assert.deepEqual(sut.x25519.getPublicKey(sk), a.publicKey);
      sk.set(b.secretKey);
      assert.deepEqual(sut.x25519.getPublicKey(sk), b.publicKey);
      const msg = new Uint8Array([1]);
      const e = sut.ed25519.keygen();
      const esk = e.secretKey.slice();
      sut.ed25519.sign(esk, msg);
      esk[0]! ^= 1;
      assert.deepEqual(sut.ed25519.sign(esk, msg), nobleBackend.ed25519.sign(esk, msg));
      const k = sut.mlkem768.keygen();
      const seed = k.secretKey;
      const enc = sut.mlkem768.encapsulate(k.publicKey);
      assert.deepEqual(sut.mlkem768.decapsulate(seed, enc.ciphertext), enc.sharedSecret);
      seed[0]! ^= 1;
      assert.notDeepEqual(sut.mlkem768.decapsulate(seed, enc.ciphertext), enc.sharedSecret);
      assert.deepEqual(sut.mlkem768.getPublicKey(seed), nobleBackend.mlkem768.keygen(seed).publicKey);
    });

    it(`${sut.name}: results stay right after clearKeyCache`, () => {
      const kp = sut.x25519.keygen();
      sut.clearKeyCache();
      assert.deepEqual(sut.x25519.getPublicKey(kp.secretKey), kp.publicKey);
    });
  }

  it('node: public-key LRU hits and evictions give the same results', () => {
    const me = nodeBackend.x25519.keygen();
    // 260 distinct peers overflow the 256-entry LRU; any 32 bytes is a usable u-coordinate.
    const peers = Array.from({ length: 260 }, () => rnd(32));
    const first = peers.map((p) => nodeBackend.x25519.getSharedSecret(me.secretKey, p));
    const again = [...peers.slice(-10), ...peers].map((p) => nodeBackend.x25519.getSharedSecret(me.secretKey, p.slice()));
    assert.deepEqual(again, [...first.slice(-10), ...first]);
    for (const i of [0, 100, 259]) assert.deepEqual(first[i], nobleBackend.x25519.getSharedSecret(me.secretKey, peers[i]!));
  });
});
