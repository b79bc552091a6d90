import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BLOB_ID_BYTES, isBlobId, newBlobId } from './ids.js';

describe('blob ids', () => {
  it('are 18 random bytes as 24 base64url characters, none alike over 5,000', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = newBlobId();
      assert.match(id, /^[A-Za-z0-9_-]{24}$/);
      assert.equal(Buffer.from(id, 'base64url').length, BLOB_ID_BYTES);
      seen.add(id);
    }
    assert.equal(seen.size, 5000);
    assert.equal(BLOB_ID_BYTES * 8, 144);
  });

  it('refuse every other shape', () => {
    for (const bad of ['', 'A'.repeat(23), 'A'.repeat(25), `${'A'.repeat(23)}=`, `${'A'.repeat(23)}+`, `${'A'.repeat(23)}/`, `${'A'.repeat(19)}.info`, `${'A'.repeat(23)}\n`, '../../../etc/passwd']) {
      assert.equal(isBlobId(bad), false, JSON.stringify(bad));
    }
    assert.equal(isBlobId('abcdefghijklmnopqrstuv-_'), true);
  });
});
