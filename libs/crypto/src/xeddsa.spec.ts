import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { _backends, _h, _thrown, _toHex } from './_vectors.js';
import { CryptoRangeError } from './errors.js';
import { _montgomeryToEdwardsY } from './xeddsa.js';

// libsignal's own XEdDSA vector (rust/core/src/curve/curve25519.rs, test_signature): an identity
// key signing a serialized (0x05-prefixed) public key, with the sign bit carried in byte 63.
const V = {
  secretKey: _h('c097248412e58bf05df48796820513279417 8e367637f5818f81e0e6ce73e865'.replace(' ', '')),
  publicKey: _h('ab7e717d4a163b7d9a1d8071dfe9dcf8cdcd1cea3339b6356be84d887e322c64'),
  message: _h('05edce9d9c415ca78cb7252e72c2c4a554d3eb29485a0e1d503118d1a82d99fb4a'),
  signature: _h(
    '5de88ca9a89b4a115da79109c67c9c7464a3e4180274f1cb8c63c2984e286dfb' +
      'ede82deb9dcd9fae0bfbb821569b3d9001bd8130cd11d486cef047bd60b86e88',
  ),
};

const p = 2n ** 255n - 19n;
const le = (b: Uint8Array) => b.reduceRight((n, x) => (n << 8n) | BigInt(x), 0n);
const modPow = (b: bigint, e: bigint): bigint => {
  let r = 1n;
  for (b %= p; e > 0n; e >>= 1n, b = (b * b) % p) if (e & 1n) r = (r * b) % p;
  return r;
};

describe('XEdDSA', () => {
  for (const sut of _backends) {
    it(`${sut.name}: libsignal's vector verifies, and no single flipped bit does`, () => {
      assert.deepEqual(sut.x25519.getPublicKey(V.secretKey), V.publicKey);
      assert.equal(sut.xeddsa.verify(V.publicKey, V.message, V.signature), true);
      for (let bit = 0; bit < 512; bit++) {
        const bad = V.signature.slice();
        bad[bit >> 3]! ^= 1 << (bit & 7);
        assert.equal(sut.xeddsa.verify(V.publicKey, V.message, bad), false, `bit ${bit}`);
      }
      const msg = V.message.slice();
      msg[0]! ^= 1;
      assert.equal(sut.xeddsa.verify(V.publicKey, msg, V.signature), false);
    });

    it(`${sut.name}: signatures of fresh keys verify, carry the Edwards sign bit, and bind key and message`, () => {
      let signBits = 0;
      for (let i = 0; i < 16; i++) {
        const kp = sut.x25519.keygen();
        const msg = sut.randomBytes(i * 7);
        const sig = sut.xeddsa.sign(kp.secretKey, msg);
        assert.equal(sut.xeddsa.verify(kp.publicKey, msg, sig), true);
        signBits += sig[63]! >> 7;
        assert.equal(sut.xeddsa.verify(sut.x25519.keygen().publicKey, msg, sig), false);
        assert.equal(sut.xeddsa.verify(kp.publicKey, new Uint8Array([...msg, 0]), sig), false);
      }
      // Half the keys have an odd x: a signer forcing bit 255 to 0 would show 0 here.
      assert.ok(signBits > 0 && signBits < 16, `sign bits set: ${signBits}/16`);
    });

    it(`${sut.name}: verify leaves its inputs as they were, Node Buffers (whose slice is a view) included`, () => {
      // libsignal's vector has its sign bit set: a verify that cleared it in place would break the
      // caller's copy (found by the prekey service, which verifies a signature and then stores it).
      const key = Buffer.from(V.publicKey);
      const msg = Buffer.from(V.message);
      const wire = Buffer.concat([Buffer.alloc(7), V.signature]);
      const sig = wire.subarray(7);
      assert.equal(sig[63]! >> 7, 1);
      for (let i = 0; i < 3; i++) assert.equal(sut.xeddsa.verify(key, msg, sig), true, `verify #${i + 1}`);
      assert.deepEqual(new Uint8Array(sig), V.signature);
      assert.deepEqual(new Uint8Array(key), V.publicKey);
      const u = Buffer.from(V.publicKey);
      u[31]! |= 0x80;
      _montgomeryToEdwardsY(u);
      assert.equal(u[31]! >> 7, 1, '_montgomeryToEdwardsY ignores bit 255 on a copy');
    });

    it(`${sut.name}: a signature made the specification's way (negated scalar, sign bit 0) verifies`, () => {
      const kp = sut.x25519.keygen();
      const k = kp.secretKey.slice();
      k[0]! &= 248;
      k[31]! &= 127;
      k[31]! |= 64;
      const L = nobleEd.Point.Fn.ORDER;
      let a = le(k) % L;
      const A0 = nobleEd.Point.BASE.multiply(a);
      if (A0.toBytes()[31]! & 0x80) a = L - a;
      const A = nobleEd.Point.BASE.multiply(a).toBytes();
      assert.equal(A[31]! & 0x80, 0);
      const msg = new Uint8Array([1, 2, 3]);
      const r = (le(sut.randomBytes(64)) % L) || 1n;
      const R = nobleEd.Point.BASE.multiply(r).toBytes();
      const h = le(sut.sha512(new Uint8Array([...R, ...A, ...msg]))) % L;
      const s = (h * a + r) % L;
      const sig = new Uint8Array(64);
      sig.set(R);
      for (let i = 0, v = s; i < 32; i++, v >>= 8n) sig[32 + i] = Number(v & 0xffn);
      assert.equal(sut.xeddsa.verify(kp.publicKey, msg, sig), true);
    });

    it(`${sut.name}: keys with no Edwards image, low-order keys and oversized s are refused`, () => {
      const sig = sut.xeddsa.sign(V.secretKey, V.message);
      const minusOne = _h('ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
      assert.equal(sut.xeddsa.verify(minusOne, V.message, sig), false);
      // u = 0 and u = 1 are low-order points (Edwards y = -1 and y = 0).
      assert.equal(sut.xeddsa.verify(new Uint8Array(32), V.message, sig), false);
      assert.equal(sut.xeddsa.verify(_h('01'.padEnd(64, '0')), V.message, sig), false);
      const big = V.signature.slice();
      big[63]! |= 0x20;
      assert.equal(sut.xeddsa.verify(V.publicKey, V.message, big), false);
      // s + L is the same scalar mod L: libsignal's 253-bit check lets it through, the strict check here does not.
      const L = nobleEd.Point.Fn.ORDER;
      const s = le(V.signature.subarray(32)) & ((1n << 255n) - 1n);
      const sPlusL = s + L;
      const malleable = V.signature.slice();
      for (let i = 0, v = sPlusL; i < 32; i++, v >>= 8n) malleable[32 + i] = Number(v & 0xffn);
      malleable[63]! |= V.signature[63]! & 0x80;
      assert.equal(sut.xeddsa.verify(V.publicKey, V.message, malleable), false);
    });

    it(`${sut.name}: wrong lengths throw CryptoRangeError naming the field`, () => {
      const sk = sut.x25519.keygen().secretKey;
      for (const [field, fn] of [
        ['secretKey', () => sut.xeddsa.sign(sk.subarray(1), V.message)],
        ['random', () => sut.xeddsa.sign(sk, V.message, new Uint8Array(63))],
        ['publicKey', () => sut.xeddsa.verify(V.publicKey.subarray(1), V.message, V.signature)],
        ['signature', () => sut.xeddsa.verify(V.publicKey, V.message, V.signature.subarray(1))],
      ] as const) {
        const err = _thrown(fn);
        assert.ok(err instanceof CryptoRangeError, `${field}: ${String(err)}`);
        assert.equal(err.field, field);
      }
    });
  }

  it('both backends make the same signature from the same nonce input', () => {
    const z = new Uint8Array(64).fill(7);
    const [a, b] = _backends.map((sut) => sut.xeddsa.sign(V.secretKey, V.message, z));
    assert.equal(_toHex(a!), _toHex(b!));
  });

  it('Montgomery to Edwards: y = (u - 1)/(u + 1) inverts u = (1 + y)/(1 - y) for Ed25519 keys', () => {
    for (let i = 0; i < 8; i++) {
      const ed = nobleEd.getPublicKey(_backends[0]!.randomBytes(32));
      const y = le(ed) & ((1n << 255n) - 1n);
      const u = ((1n + y) * modPow((1n - y + p) % p, p - 2n)) % p;
      const ub = new Uint8Array(32);
      for (let j = 0, v = u; j < 32; j++, v >>= 8n) ub[j] = Number(v & 0xffn);
      const back = _montgomeryToEdwardsY(ub)!;
      const want = ed.slice();
      want[31]! &= 0x7f;
      assert.equal(_toHex(back), _toHex(want));
    }
  });
});
