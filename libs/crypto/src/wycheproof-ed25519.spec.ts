import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _backends, _Case, _h, _readVectors, _thrown, _toHex, _Wycheproof } from './_vectors.js';
import { CryptoRangeError } from './errors.js';

interface _EddsaCase extends _Case {
  readonly msg: string;
  readonly sig: string;
}
interface _EddsaGroup {
  readonly publicKey: { readonly curve: string; readonly pk: string };
  readonly tests: readonly _EddsaCase[];
}

const file = _readVectors<_Wycheproof<_EddsaGroup>>('wycheproof/ed25519_test.json');

// RFC 8032 §7.1 tests 1-3: the Wycheproof file has no secret keys, so signing is pinned here.
const RFC8032 = [
  {
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('Wycheproof ed25519_test.json', () => {
  for (const sut of _backends) {
    it(`${sut.name}: valid signatures verify, invalid ones are refused`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const g of file.testGroups) {
        assert.equal(g.publicKey.curve, 'edwards25519');
        const pk = _h(g.publicKey.pk);
        for (const t of g.tests) {
          const sig = _h(t.sig);
          let ok: boolean | undefined;
          const err = _thrown(() => (ok = sut.ed25519.verify(pk, _h(t.msg), sig)));
          checked++;
          if (t.result === 'valid') {
            if (ok !== true) failures.push(`tcId ${t.tcId}: valid signature refused (${String(err ?? ok)})`);
          } else if (sig.length !== 64) {
            // Wrong lengths are a typed error, not a quiet false.
            if (!(err instanceof CryptoRangeError) || err.field !== 'signature')
              failures.push(`tcId ${t.tcId}: ${sig.length}-byte signature gave ${String(err ?? ok)}`);
          } else if (ok !== false) failures.push(`tcId ${t.tcId} (${t.comment}): invalid signature gave ${String(err ?? ok)}`);
        }
      }
      assert.deepEqual(failures, []);
      assert.equal(checked, file.numberOfTests);
    });
  }
});

describe('RFC 8032 §7.1 Ed25519', () => {
  for (const sut of _backends) {
    it(`${sut.name}: public key, deterministic signature, verification`, () => {
      for (const v of RFC8032) {
        assert.equal(_toHex(sut.ed25519.getPublicKey(_h(v.sk))), v.pk);
        assert.equal(_toHex(sut.ed25519.sign(_h(v.sk), _h(v.msg))), v.sig);
        assert.equal(sut.ed25519.verify(_h(v.pk), _h(v.msg), _h(v.sig)), true);
      }
    });
  }
});
