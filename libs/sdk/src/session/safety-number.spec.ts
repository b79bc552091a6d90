import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nobleBackend, nodeBackend } from '@tacit/crypto';
import { SessionError } from './errors.js';
import { safetyNumber } from './safety-number.js';

// libsignal's own vectors (rust/protocol/src/fingerprint.rs, testVectorsVersion1/2 in Java):
// two identity keys, phone numbers as stable ids, 5200 iterations.
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const ALICE = hex('06863bc66d02b40d27b8d49ca7c09e9239236f9d7d25d6fcca5ce13c7064d868');
const BOB = hex('f781b6fb32fed9ba1cf2de978d4d5da28dc34046ae814402b5c0dbd96fda907b');
const ALICE_ID = new TextEncoder().encode('+14152222222');
const BOB_ID = new TextEncoder().encode('+14153333333');
const DIGITS = '300354477692869396892869876765458257569162576843440918079131';
const ALICE_V1 =
  '080112220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df1a220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d';
const BOB_V1 =
  '080112220a20d62cbf73a11592015b6b9f1682ac306fea3aaf3885b84d12bca631e9d4fb3a4d1a220a201e301a0353dce3dbe7684cb8336e85136cdc0ee96219494ada305d62a7bd61df';
const ALICE_V2 = `0802${ALICE_V1.slice(4)}`;

describe('safety numbers', () => {
  for (const backend of [nodeBackend, nobleBackend]) {
    it(`${backend.name}: libsignal's vectors, versions 1 and 2, from both sides`, () => {
      const a = safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: BOB_ID, remoteIdentityKey: BOB, version: 1, backend });
      const b = safetyNumber({ localId: BOB_ID, localIdentityKey: BOB, remoteId: ALICE_ID, remoteIdentityKey: ALICE, version: 1, backend });
      assert.equal(a.digits, DIGITS);
      assert.equal(b.digits, DIGITS);
      assert.equal(Buffer.from(a.scannable).toString('hex'), ALICE_V1);
      assert.equal(Buffer.from(b.scannable).toString('hex'), BOB_V1);
      const a2 = safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: BOB_ID, remoteIdentityKey: BOB, backend });
      assert.equal(Buffer.from(a2.scannable).toString('hex'), ALICE_V2);
    });
  }

  it('a different key or id changes the digits', () => {
    const base = safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: BOB_ID, remoteIdentityKey: BOB });
    const other = BOB.slice();
    other[0]! ^= 1;
    assert.notEqual(safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: BOB_ID, remoteIdentityKey: other }).digits, base.digits);
    assert.notEqual(safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: ALICE_ID, remoteIdentityKey: BOB }).digits, base.digits);
  });

  it('bad keys and iteration counts are typed errors', () => {
    assert.throws(
      () => safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE.subarray(1), remoteId: BOB_ID, remoteIdentityKey: BOB }),
      (e: unknown) => e instanceof SessionError && e.code === 'BAD_KEY' && e.field === 'localIdentityKey' && /32 bytes, got 31/.test(e.message),
    );
    for (const iterations of [1, 1_000_001, 2.5])
      assert.throws(
        () => safetyNumber({ localId: ALICE_ID, localIdentityKey: ALICE, remoteId: BOB_ID, remoteIdentityKey: BOB, iterations }),
        (e: unknown) => e instanceof SessionError && e.field === 'iterations',
      );
  });
});
