import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoRangeError } from './errors.js';

interface _MacCase extends _Case {
  readonly key: string;
  readonly msg: string;
  readonly tag: string;
}

const file = _readVectors<_Wycheproof<{ keySize: number; tagSize: number; tests: _MacCase[] }>>(
  'wycheproof/hmac_sha256_test.json',
);

// Full 256-bit tags go through hmacSha256Verify. The 128-bit groups test truncated tags, which
// hmacSha256Verify refuses by design (BAD_LENGTH); there the computed MAC's first 16 bytes are
// compared, so an invalid (modified) tag still fails the test if it matches.
describe('Wycheproof hmac_sha256_test.json', () => {
  for (const sut of _backends) {
    it(`${sut.name}: valid tags match, modified tags are refused`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const g of file.testGroups) {
        for (const t of g.tests) {
          checked++;
          const [key, msg, tag] = [_h(t.key), _h(t.msg), _h(t.tag)];
          const mac = sut.hmacSha256(key, msg);
          const prefixMatches = _toHex(mac.subarray(0, tag.length)) === t.tag;
          if (prefixMatches !== (t.result === 'valid')) failures.push(`tcId ${t.tcId}: mac ${_toHex(mac)}`);
          if (g.tagSize === 256) {
            if (sut.hmacSha256Verify(key, msg, tag) !== (t.result === 'valid')) failures.push(`tcId ${t.tcId}: verify`);
          } else {
            const err = _thrown(() => sut.hmacSha256Verify(key, msg, tag));
            if (!(err instanceof CryptoRangeError) || err.field !== 'tag') failures.push(`tcId ${t.tcId}: truncated tag accepted`);
          }
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(checked, file.numberOfTests);
    });
  }
});
