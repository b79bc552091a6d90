import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { _readVectors, _toHex } from './_vectors.js';
import { blake3, blake3DeriveKey, blake3Keyed } from './blake3.js';

interface _Blake3File {
  readonly key: string;
  readonly context_string: string;
  readonly cases: readonly { input_len: number; hash: string; keyed_hash: string; derive_key: string }[];
}

const file = _readVectors<_Blake3File>('blake3/test_vectors.json');
const input = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

// Node has no BLAKE3, so there is one implementation (@noble/hashes) and no backend split.
// Each expected value is 131 bytes of extended output; its first 32 bytes are the default.
describe('BLAKE3 official test_vectors.json', () => {
  const key = new TextEncoder().encode(file.key);

  it('hash: default and extended output', () => {
    for (const c of file.cases) {
      assert.equal(_toHex(blake3(input(c.input_len))), c.hash.slice(0, 64), `len ${c.input_len}`);
      assert.equal(_toHex(blake3(input(c.input_len), c.hash.length / 2)), c.hash, `len ${c.input_len} xof`);
    }
  });

  it('keyed_hash: default and extended output', () => {
    for (const c of file.cases) {
      assert.equal(_toHex(blake3Keyed(key, input(c.input_len))), c.keyed_hash.slice(0, 64), `len ${c.input_len}`);
      assert.equal(_toHex(blake3Keyed(key, input(c.input_len), c.keyed_hash.length / 2)), c.keyed_hash);
    }
  });

  it('derive_key: default and extended output', () => {
    for (const c of file.cases) {
      const m = input(c.input_len);
      assert.equal(_toHex(blake3DeriveKey(file.context_string, m)), c.derive_key.slice(0, 64), `len ${c.input_len}`);
      assert.equal(_toHex(blake3DeriveKey(file.context_string, m, c.derive_key.length / 2)), c.derive_key);
    }
  });

  it('covers every case in the file', () => {
    assert.equal(file.cases.length, 35);
    assert.equal(file.key.length, 32);
  });
});
