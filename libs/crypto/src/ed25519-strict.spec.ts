import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ed25519 as nobleEd } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { _backends, _h } from './_vectors.js';
import { _weakPoint } from './ed25519.js';

// Beyond RFC 8032: small-order and non-canonical A or R are refused by both backends (libsodium's
// policy), because OpenSSL alone would accept the trivial signature under a small-order key.
const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  '0000000000000000000000000000000000000000000000000000000000000080',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85',
  '0000000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa',
];
// y = p and y = p + 1 (0 and 1 encoded non-canonically), with and without the x sign bit.
const NON_CANONICAL = ['edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'];

describe('Ed25519 small-order and non-canonical points', () => {
  it('the list is the whole 8-torsion subgroup', () => {
    const pts = SMALL_ORDER.map((h) => nobleEd.Point.fromBytes(_h(h)));
    for (const p of pts) assert.ok(p.isSmallOrder());
    assert.equal(new Set(SMALL_ORDER).size, 8);
    for (const h of SMALL_ORDER) assert.ok(_weakPoint(_h(h)), h);
    for (const h of NON_CANONICAL) assert.ok(_weakPoint(_h(h)), h);
  });

  it('ordinary public keys are not flagged', () => {
    for (let i = 0; i < 16; i++) assert.equal(_weakPoint(nobleEd.getPublicKey(_backends[0]!.randomBytes(32))), false);
  });

  for (const sut of _backends) {
    it(`${sut.name}: the trivial signature (R = identity, S = 0) under a small-order key is refused`, () => {
      const msg = new Uint8Array([1, 2, 3]);
      const sig = new Uint8Array(64);
      sig[0] = 1;
      for (const pk of [...SMALL_ORDER, ...NON_CANONICAL]) assert.equal(sut.ed25519.verify(_h(pk), msg, sig), false, pk);
    });

    it(`${sut.name}: a small-order R is refused even under a normal key`, () => {
      const kp = sut.ed25519.keygen();
      const sig = sut.ed25519.sign(kp.secretKey, new Uint8Array(1));
      for (const r of SMALL_ORDER) {
        const bad = sig.slice();
        bad.set(_h(r), 0);
        assert.equal(sut.ed25519.verify(kp.publicKey, new Uint8Array(1), bad), false);
      }
    });
  }
});

// A signer may publish A = aB + T with T of order 8 and sign honestly with a. The cofactorless
// equation [S]B = R + [k]A then holds exactly when [k]T = 0, i.e. k = 0 mod 8. Both backends must
// give that answer (noble's built-in cofactored check would accept every one of these).
describe('Ed25519 mixed-order public keys', () => {
  const P = nobleEd.Point;
  const L = P.Fn.ORDER;
  const le = (b: Uint8Array) => Array.from(b).reverse().reduce((n, x) => (n << 8n) | BigInt(x), 0n);
  const toLE = (n: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));
  const T = P.fromBytes(_h(SMALL_ORDER[3]!));
  const rnd = () => (le(_backends[0]!.randomBytes(40)) % (L - 1n)) + 1n;
  const make = () => {
    const a = rnd();
    const r = rnd();
    const A = P.BASE.multiply(a).add(T).toBytes();
    const R = P.BASE.multiply(r).toBytes();
    const msg = _backends[0]!.randomBytes(8);
    const k = le(sha512(new Uint8Array([...R, ...A, ...msg]))) % L;
    return { A, msg, sig: new Uint8Array([...R, ...toLE((r + k * a) % L)]), expect: k % 8n === 0n };
  };
  // Keep drawing (bounded) until both outcomes are represented: about 1 in 8 is accepted. Both
  // counts are waited for: stopping at the third accepted case alone left fewer than six refused
  // ones in ~7 % of runs (three accepted among the first eight draws).
  const cases: ReturnType<typeof make>[] = [];
  let accepted = 0;
  let refused = 0;
  for (let i = 0; i < 400 && (accepted < 3 || refused < 6); i++) {
    const c = make();
    if (c.expect) {
      if (accepted < 3) {
        cases.push(c);
        accepted++;
      }
    } else if (refused < 9) {
      cases.push(c);
      refused++;
    }
  }

  it('draws both accepted and refused cases', () => {
    assert.ok(cases.filter((c) => c.expect).length >= 3);
    assert.ok(cases.filter((c) => !c.expect).length >= 6);
  });

  for (const sut of _backends) {
    it(`${sut.name}: accepts exactly when k = 0 mod 8 (cofactorless)`, () => {
      for (const c of cases) assert.equal(sut.ed25519.verify(c.A, c.msg, c.sig), c.expect);
    });
  }
});
