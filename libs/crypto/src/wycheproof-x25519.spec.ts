import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoError } from './errors.js';

interface _XdhCase extends _Case {
  readonly public: string;
  readonly private: string;
  readonly shared: string;
}

const file = _readVectors<_Wycheproof<{ curve: string; tests: _XdhCase[] }>>('wycheproof/x25519_test.json');

// Acceptable cases: we compute twist points and non-canonical public keys as RFC 7748 §5 defines
// them (the expected `shared` must match), and reject every case whose shared secret is all-zero
// (low-order public key) with LOW_ORDER_POINT, as RFC 7748 §6.1 allows.
describe('Wycheproof x25519_test.json', () => {
  for (const sut of _backends) {
    it(`${sut.name}: every case matches or is rejected as low-order`, () => {
      const failures: string[] = [];
      const tally = { valid: 0, acceptableComputed: 0, acceptableRejected: 0 };
      for (const g of file.testGroups) {
        assert.equal(g.curve, 'curve25519');
        for (const t of g.tests) {
          const zero = /^(00)+$/.test(t.shared);
          const err = _thrown(() => {
            const got = sut.x25519.getSharedSecret(_h(t.private), _h(t.public));
            if (_toHex(got) !== t.shared) failures.push(`tcId ${t.tcId}: shared ${_toHex(got)}, expected ${t.shared}`);
          });
          if (zero) {
            if (!(err instanceof CryptoError) || err.code !== 'LOW_ORDER_POINT' || err.field !== 'publicKey')
              failures.push(`tcId ${t.tcId}: low-order public key not rejected (${String(err)})`);
            else tally.acceptableRejected++;
            assert.notEqual(t.result, 'valid', 'a zero shared secret is never a valid case');
            continue;
          }
          if (err !== undefined) failures.push(`tcId ${t.tcId} (${t.result}): threw ${String(err)}`);
          else if (t.result === 'valid') tally.valid++;
          else tally.acceptableComputed++;
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(tally.valid + tally.acceptableComputed + tally.acceptableRejected, file.numberOfTests);
      // Pin the split so a changed vector file or policy shows up here.
      assert.deepEqual(tally, { valid: 264, acceptableComputed: 223, acceptableRejected: 31 });
    });
  }
});
