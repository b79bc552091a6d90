import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blake3 } from '@tacit/crypto';
import { destHash, mailboxId } from './address.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const seq = (start: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => start + i);

describe(destHash.name, () => {
  // Hand-checked: preimage written out byte by byte, digest from the BLAKE3 reference
  // implementation (Rust, via the Python `blake3` package), not from @noble/hashes.
  const namespaceId = seq(0x00, 32);
  const peerKey = seq(0x20, 32);
  const epochHour = 498_192; // 2026-11-01T00:00Z = 0x00079a10
  const preimage =
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f' +
    '202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f' +
    '00079a10';
  const expected = '9328632ca14de732cb2fbc59fa07d6421ea4732a8f60f0eb25fbd02fad23610f';

  it('hashes namespaceId || peerKey || u32be(epochHour) with BLAKE3', () => {
    const sut = destHash(namespaceId, peerKey, epochHour);
    assert.equal(hex(sut), expected);
    assert.equal(hex(blake3(Buffer.from(preimage, 'hex'))), expected);
  });

  it('rotates every epoch and differs per namespace and per key', () => {
    const sut = hex(destHash(namespaceId, peerKey, epochHour));
    assert.notEqual(hex(destHash(namespaceId, peerKey, epochHour + 1)), sut);
    assert.notEqual(hex(destHash(seq(1, 32), peerKey, epochHour)), sut);
    assert.notEqual(hex(destHash(namespaceId, seq(0x21, 32), epochHour)), sut);
  });

  it('rejects bad inputs, naming the field and the limit', () => {
    assert.throws(() => destHash(seq(0, 31), peerKey, 0), { name: 'RangeError', message: '"namespaceId" expected 32 bytes, got 31' });
    assert.throws(() => destHash(namespaceId, seq(0, 33), 0), { name: 'RangeError', message: '"peerKey" expected 32 bytes, got 33' });
    assert.throws(() => destHash(namespaceId, 'k' as unknown as Uint8Array, 0), { name: 'TypeError', message: /"peerKey" expected Uint8Array/ });
    assert.throws(() => destHash(namespaceId, peerKey, -1), { name: 'RangeError', message: /"epochHour" expected integer 0\.\.4294967295/ });
    assert.throws(() => destHash(namespaceId, peerKey, 2 ** 32), RangeError);
    assert.throws(() => destHash(namespaceId, peerKey, 1.5), RangeError);
  });
});

describe(mailboxId.name, () => {
  it('matches the BLAKE3 reference derive_key output, truncated to 16 bytes', () => {
    const dest = Buffer.from('9328632ca14de732cb2fbc59fa07d6421ea4732a8f60f0eb25fbd02fad23610f', 'hex');
    const sut = mailboxId(dest, seq(0x20, 32));
    assert.equal(hex(sut), 'd4deb10e25431a6ac0839493bf47cf1c');
  });

  it('depends on the peer key: a claim with another key yields another mailbox', () => {
    const dest = new Uint8Array(32);
    assert.notEqual(hex(mailboxId(dest, seq(1, 32))), hex(mailboxId(dest, seq(2, 32))));
  });

  it('rejects bad lengths', () => {
    assert.throws(() => mailboxId(new Uint8Array(16), new Uint8Array(32)), { message: '"destHash" expected 32 bytes, got 16' });
    assert.throws(() => mailboxId(new Uint8Array(32), new Uint8Array(0)), { message: '"peerKey" expected 32 bytes, got 0' });
  });
});
