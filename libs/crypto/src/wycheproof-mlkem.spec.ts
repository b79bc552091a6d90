import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoRangeError } from './errors.js';
import type { MlKem } from './ml-kem.js';

interface _MlKemCase extends _Case {
  readonly seed: string;
  readonly ek?: string;
  readonly c: string;
  readonly K: string;
}

// Valid cases: keygen from the 64-byte seed gives `ek`, decapsulating `c` gives `K` (including the
// implicit-rejection cases: random, bit-flipped and strcmp ciphertexts). Invalid cases are seeds
// or ciphertexts of the wrong length and must be refused with BAD_LENGTH.
for (const [name, pick] of [
  ['mlkem_768', (b) => b.mlkem768],
  ['mlkem_1024', (b) => b.mlkem1024],
] as const satisfies readonly (readonly [string, (b: (typeof _backends)[number]) => MlKem])[]) {
  const file = _readVectors<_Wycheproof<{ parameterSet: string; tests: _MlKemCase[] }>>(`wycheproof/${name}_test.json`);

  describe(`Wycheproof ${name}_test.json`, () => {
    for (const backend of _backends) {
      const sut = pick(backend);
      it(`${backend.name}: keys and shared secrets match, wrong lengths are refused`, () => {
        const failures: string[] = [];
        let checked = 0;
        for (const g of file.testGroups) {
          assert.equal(g.parameterSet, sut.name);
          for (const t of g.tests) {
            checked++;
            let ek: string | undefined;
            let k: string | undefined;
            const err = _thrown(() => {
              const kp = sut.keygen(_h(t.seed));
              ek = _toHex(kp.publicKey);
              k = _toHex(sut.decapsulate(kp.secretKey, _h(t.c)));
            });
            if (t.result === 'valid') {
              if (ek !== t.ek) failures.push(`tcId ${t.tcId}: ek ${String(err ?? 'differs')}`);
              if (k !== t.K) failures.push(`tcId ${t.tcId} (${t.comment}): K ${String(err ?? k)}`);
            } else {
              const field = /Private key/.test(t.comment) ? 'seed' : 'ciphertext';
              if (!(err instanceof CryptoRangeError) || err.code !== 'BAD_LENGTH' || err.field !== field)
                failures.push(`tcId ${t.tcId} (${t.comment}): ${String(err ?? 'accepted')}`);
            }
          }
        }
        assert.deepEqual(failures, []);
        assert.equal(checked, file.numberOfTests);
      });
    }
  });
}
