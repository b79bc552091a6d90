import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoError } from './errors.js';

interface _AeadCase extends _Case {
  readonly key: string;
  readonly iv: string;
  readonly aad: string;
  readonly msg: string;
  readonly ct: string;
  readonly tag: string;
}
interface _AeadGroup {
  readonly ivSize: number;
  readonly keySize: number;
  readonly tagSize: number;
  readonly tests: readonly _AeadCase[];
}

const file = _readVectors<_Wycheproof<_AeadGroup>>('wycheproof/aes_gcm_test.json');
// The API is AES-256-GCM with 12-byte nonces and 16-byte tags only; other groups do not apply.
const applies = (g: _AeadGroup) => g.ivSize === 96 && g.keySize === 256 && g.tagSize === 128;

describe('Wycheproof aes_gcm_test.json', () => {
  it('skips only groups outside AES-256 / 96-bit IV / 128-bit tag, and counts them', () => {
    let run = 0;
    let skipped = 0;
    for (const g of file.testGroups) {
      if (applies(g)) run += g.tests.length;
      else skipped += g.tests.length;
    }
    assert.equal(run + skipped, file.numberOfTests);
    assert.deepEqual({ run, skipped }, { run: 66, skipped: 250 });
  });

  for (const sut of _backends) {
    it(`${sut.name}: valid cases encrypt and decrypt, modified tags are refused`, () => {
      const failures: string[] = [];
      for (const g of file.testGroups.filter(applies)) {
        for (const t of g.tests) {
          const [key, iv, aad, msg] = [_h(t.key), _h(t.iv), _h(t.aad), _h(t.msg)];
          const sealed = _h(t.ct + t.tag);
          let opened: Uint8Array | undefined;
          const err = _thrown(() => (opened = sut.aes256gcm.decrypt(key, iv, sealed, aad)));
          if (t.result === 'valid') {
            const enc = _toHex(sut.aes256gcm.encrypt(key, iv, msg, aad));
            if (enc !== t.ct + t.tag) failures.push(`tcId ${t.tcId}: encrypt ${enc}`);
            if (opened === undefined || _toHex(opened) !== t.msg) failures.push(`tcId ${t.tcId}: decrypt ${String(err)}`);
          } else if (!(err instanceof CryptoError) || err.code !== 'AUTH_FAILED' || err.field !== 'tag')
            failures.push(`tcId ${t.tcId} (${t.flags.join()}): accepted or wrong error: ${String(err ?? 'accepted')}`);
        }
      }
      assert.deepEqual(failures, []);
    });
  }
});
