import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoRangeError } from './errors.js';

interface _HkdfCase extends _Case {
  readonly ikm: string;
  readonly salt: string;
  readonly info: string;
  readonly size: number;
  readonly okm: string;
}

const file = _readVectors<_Wycheproof<{ tests: _HkdfCase[] }>>('wycheproof/hkdf_sha256_test.json');

describe('Wycheproof hkdf_sha256_test.json', () => {
  for (const sut of _backends) {
    it(`${sut.name}: valid outputs match, oversize outputs are refused`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const g of file.testGroups) {
        for (const t of g.tests) {
          checked++;
          let okm: Uint8Array | undefined;
          const err = _thrown(() => (okm = sut.hkdfSha256(_h(t.ikm), _h(t.salt), _h(t.info), t.size)));
          if (t.result === 'valid') {
            if (okm === undefined || _toHex(okm) !== t.okm) failures.push(`tcId ${t.tcId}: ${String(err ?? _toHex(okm!))}`);
          } else if (!(err instanceof CryptoRangeError) || err.field !== 'length' || err.code !== 'BAD_VALUE')
            failures.push(`tcId ${t.tcId} (size ${t.size}): ${String(err ?? 'accepted')}`);
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(checked, file.numberOfTests);
    });
  }
});
