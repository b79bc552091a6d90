import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { argon2Sync, hkdfSync } from 'node:crypto';
import { DirectoryError } from './errors.js';
import { deriveHandleKeys, deriveHandleKeysAsync, HANDLE_KDF_PARAMS } from './kdf.js';
import { entryId } from './policy.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const NS = Uint8Array.from({ length: 32 }, (_, i) => i);

// Committed vector: namespace 00 01 … 1f, handle "Alice". Changing any parameter, label or handle
// rule that touches "alice" fails here, and would orphan every entry already stored.
const VECTOR = {
  lookupKey: 'eee92e2052c129f8337daf2c4dad4cceca7c93765270fdf31ed726422dd4f897',
  recordKey: 'bcaa5d7c6d24f66790d1f44cea1df4edd22afb39599ad5d014c71dbeaccf1abc',
};

describe(deriveHandleKeys.name, () => {
  it('costs Argon2id m = 19 MiB, t = 2, p = 1', () => {
    assert.deepEqual({ ...HANDLE_KDF_PARAMS }, { m: 19_456, t: 2, p: 1 });
  });

  it('gives the committed vector', () => {
    const sut = deriveHandleKeys(NS, 'Alice');
    assert.equal(sut.handle, 'alice');
    assert.equal(hex(sut.lookupKey), VECTOR.lookupKey);
    assert.equal(hex(sut.recordKey), VECTOR.recordKey);
  });

  it('agrees with node:crypto\'s Argon2id (OpenSSL) and HKDF, an independent implementation', () => {
    const lp = (...parts: Buffer[]): Buffer =>
      Buffer.concat(parts.flatMap((p) => [Buffer.from([p.length >>> 24, (p.length >>> 16) & 255, (p.length >>> 8) & 255, p.length & 255]), p]));
    const master = argon2Sync('argon2id', {
      message: lp(Buffer.from('tacit/directory/v1/handle'), Buffer.from('alice')),
      nonce: NS,
      parallelism: 1,
      tagLength: 32,
      memory: 19_456,
      passes: 2,
    });
    const expand = (info: string): string => hex(new Uint8Array(hkdfSync('sha256', master, new Uint8Array(0), info, 32)));
    assert.equal(expand('tacit/directory/v1/lookup'), VECTOR.lookupKey);
    assert.equal(expand('tacit/directory/v1/record'), VECTOR.recordKey);
  });

  it('keys look-alikes and typed variants alike, and other handles and namespaces apart', () => {
    const alice = deriveHandleKeys(NS, 'alice');
    assert.equal(hex(deriveHandleKeys(NS, '@ALICE').lookupKey), hex(alice.lookupKey));
    assert.equal(hex(deriveHandleKeys(NS, 'a1ice').lookupKey), hex(alice.lookupKey)); // 1 ~ l
    assert.notEqual(hex(deriveHandleKeys(NS, 'alicf').lookupKey), hex(alice.lookupKey));
    const other = NS.slice();
    other[0] = 1;
    assert.notEqual(hex(deriveHandleKeys(other, 'alice').lookupKey), hex(alice.lookupKey));
    assert.notEqual(hex(alice.lookupKey), hex(alice.recordKey));
  });

  it('async gives the same keys', async () => {
    const sut = await deriveHandleKeysAsync(NS, 'Alice');
    assert.equal(hex(sut.lookupKey), VECTOR.lookupKey);
    assert.equal(hex(sut.recordKey), VECTOR.recordKey);
  });

  it('refuses a bad handle with its rule before any hashing, and a bad namespace id as a caller bug', () => {
    assert.throws(() => deriveHandleKeys(NS, 'pаypal'), (e: unknown) => e instanceof DirectoryError && e.code === 'MIXED_SCRIPTS');
    assert.throws(() => deriveHandleKeys(new Uint8Array(31), 'alice'), { name: 'RangeError', message: '"namespaceId" expected 32 bytes, got 31' });
  });
});

describe(entryId.name, () => {
  it('differs by policy: an entry under one policy is not found under the other', () => {
    const { lookupKey } = deriveHandleKeys(NS, 'alice');
    assert.notEqual(hex(entryId('signed', lookupKey)), hex(entryId('last_writer_wins', lookupKey)));
    assert.equal(entryId('signed', lookupKey).length, 32);
    assert.throws(() => entryId('open' as 'signed', lookupKey), { name: 'RangeError' });
  });
});
