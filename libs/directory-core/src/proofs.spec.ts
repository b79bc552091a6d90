import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ed25519, randomBytes } from '@tacit/crypto';
import { DirectoryError, type DirectoryErrorCode } from './errors.js';
import { decodeGrant, encodeGrant, GRANT_LENGTH, signRegistration, signRelease, signTransfer, verifyGrant, verifyRegistration, type Grant } from './proofs.js';
import { controlKeyHash } from './record.js';

const ENTRY = new Uint8Array(32).fill(3);
const OTHER_ENTRY = new Uint8Array(32).fill(4);
const challenge = randomBytes(40);
const rh = new Uint8Array(32).fill(5);
const alice = ed25519.keygen();
const carol = ed25519.keygen();
const mallory = ed25519.keygen();
const NOW = 1_800_000_000_000;

function refused(code: DirectoryErrorCode, field?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof DirectoryError, `expected a DirectoryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  };
}

describe(verifyRegistration.name, () => {
  const proof = signRegistration(alice.secretKey, challenge, ENTRY, rh);

  it('accepts the control key\'s signature over the challenge, entry and record hash', () => {
    verifyRegistration(alice.publicKey, challenge, ENTRY, rh, proof);
  });

  it('refuses a registration without proof, or with a bad one, as BAD_PROOF', () => {
    assert.throws(() => verifyRegistration(alice.publicKey, challenge, ENTRY, rh, undefined), refused('BAD_PROOF', 'proof'));
    assert.throws(() => verifyRegistration(alice.publicKey, challenge, ENTRY, rh, new Uint8Array(0)), refused('BAD_PROOF', 'proof'));
    assert.throws(() => verifyRegistration(alice.publicKey, challenge, ENTRY, rh, new Uint8Array(64)), refused('BAD_PROOF', 'proof'));
    assert.throws(() => verifyRegistration(mallory.publicKey, challenge, ENTRY, rh, proof), refused('BAD_PROOF'));
  });

  it('refuses the proof for another challenge, entry or record (no replay, no swap)', () => {
    assert.throws(() => verifyRegistration(alice.publicKey, randomBytes(40), ENTRY, rh, proof), refused('BAD_PROOF'));
    assert.throws(() => verifyRegistration(alice.publicKey, challenge, OTHER_ENTRY, rh, proof), refused('BAD_PROOF'));
    assert.throws(() => verifyRegistration(alice.publicKey, challenge, ENTRY, new Uint8Array(32), proof), refused('BAD_PROOF'));
  });

  it('refuses a control key of the wrong length as MALFORMED', () => {
    assert.throws(() => verifyRegistration(new Uint8Array(31), challenge, ENTRY, rh, proof), refused('MALFORMED', 'controlKey'));
  });
});

describe(verifyGrant.name, () => {
  const ctx = { entryId: ENTRY, ownerKeyHash: controlKeyHash(alice.publicKey), sequence: 7, now: NOW };
  const transfer = signTransfer(alice.secretKey, ENTRY, 7, NOW + 60_000, carol.publicKey);
  const release = signRelease(alice.secretKey, ENTRY, 7, NOW + 60_000);

  it('accepts the owner\'s transfer to a new key and the owner\'s release', () => {
    verifyGrant('transfer', transfer, ctx);
    verifyGrant('release', release, ctx);
    assert.deepEqual(transfer.newOwnerKey, carol.publicKey);
    assert.deepEqual(release.newOwnerKey, new Uint8Array(32));
  });

  it('refuses a grant signed by anyone but the owner (NOT_OWNER)', () => {
    const g = signTransfer(mallory.secretKey, ENTRY, 7, NOW + 60_000, mallory.publicKey);
    assert.throws(() => verifyGrant('transfer', g, ctx), refused('NOT_OWNER', 'grant.ownerKey'));
  });

  const tampered: readonly (readonly [string, Partial<Grant>])[] = [
    ['a new owner swapped in', { newOwnerKey: mallory.publicKey }],
    ['a later expiry', { expiresAt: NOW + 3_600_000 }],
    ['another sequence', { sequence: 8 }],
    ['a flipped signature bit', { signature: Uint8Array.from(transfer.signature, (b, i) => (i === 5 ? b ^ 1 : b)) }],
    ['a zero signature', { signature: new Uint8Array(64) }],
  ];
  for (const [what, change] of tampered) {
    it(`refuses a transfer with ${what} (BAD_SIGNATURE), the owner unaffected`, () => {
      assert.throws(() => verifyGrant('transfer', { ...transfer, ...change }, ctx), refused('BAD_SIGNATURE', 'grant.signature'));
    });
  }

  it('refuses the owner\'s grant for another entry (BAD_SIGNATURE)', () => {
    assert.throws(() => verifyGrant('transfer', transfer, { ...ctx, entryId: OTHER_ENTRY }), refused('BAD_SIGNATURE'));
  });

  it('refuses an expired grant (EXPIRED), at its expiry and after', () => {
    assert.throws(() => verifyGrant('transfer', transfer, { ...ctx, now: NOW + 60_000 }), refused('EXPIRED', 'grant.expiresAt'));
    assert.throws(() => verifyGrant('release', release, { ...ctx, now: NOW + 61_000 }), refused('EXPIRED', 'grant.expiresAt'));
    verifyGrant('transfer', transfer, { ...ctx, now: NOW + 59_999 });
  });

  it('refuses a replayed grant (REPLAYED): once the entry moved on, and one made for a later state', () => {
    assert.throws(() => verifyGrant('transfer', transfer, { ...ctx, sequence: 8 }), refused('REPLAYED', 'grant.sequence'));
    assert.throws(() => verifyGrant('transfer', transfer, { ...ctx, sequence: 6 }), refused('REPLAYED', 'grant.sequence'));
  });

  it('refuses a release as a transfer and the other way round', () => {
    assert.throws(() => verifyGrant('transfer', release, ctx), refused('MALFORMED', 'grant.kind'));
    // A release re-labelled a transfer: its signature was made under the release label.
    assert.throws(() => verifyGrant('transfer', { ...release, kind: 'transfer' }, ctx), refused('BAD_SIGNATURE'));
    assert.throws(() => verifyGrant('release', { ...transfer, kind: 'release' }, ctx), refused('BAD_SIGNATURE'));
  });

  it('refuses keys and signatures of the wrong length as MALFORMED', () => {
    assert.throws(() => verifyGrant('transfer', { ...transfer, ownerKey: new Uint8Array(31) }, ctx), refused('MALFORMED', 'grant.ownerKey'));
    assert.throws(() => verifyGrant('transfer', { ...transfer, signature: new Uint8Array(63) }, ctx), refused('MALFORMED', 'grant.signature'));
  });
});

describe(decodeGrant.name, () => {
  const g = signTransfer(alice.secretKey, ENTRY, 2 ** 40, NOW, carol.publicKey);

  it('round-trips encodeGrant', () => {
    const bytes = encodeGrant(g);
    assert.equal(bytes.length, GRANT_LENGTH);
    assert.deepEqual(decodeGrant(bytes), g);
  });

  it('refuses a wrong length, version, kind or a number past 2^53 as MALFORMED', () => {
    const bytes = encodeGrant(g);
    assert.throws(() => decodeGrant(bytes.subarray(1)), refused('MALFORMED', 'grant'));
    assert.throws(() => decodeGrant(Uint8Array.from(bytes, (b, i) => (i === 0 ? 2 : b))), refused('MALFORMED', 'grant.version'));
    assert.throws(() => decodeGrant(Uint8Array.from(bytes, (b, i) => (i === 1 ? 3 : b))), refused('MALFORMED', 'grant.kind'));
    assert.throws(() => decodeGrant(Uint8Array.from(bytes, (b, i) => (i === 2 ? 0xff : b))), refused('MALFORMED', 'grant.sequence'));
  });
});

describe('golden vectors', () => {
  // Seeds 01…01 (owner) and 02…02 (new owner), entry 03…03, sequence 7, expiry 1.8e12 ms; Ed25519
  // is deterministic, so the bytes pin the layouts and labels of docs/directory.md.
  const owner = new Uint8Array(32).fill(1);
  const newOwner = ed25519.getPublicKey(new Uint8Array(32).fill(2));
  const GOLDEN = {
    transfer:
      '01010000000000000007000001a3185c50008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394eccb0b963d39a37ea805c433b384e1187d600cff69ba16bd7eb534ccd147ca6ea9382ccb206965ce1f5baf663e9d221b9e1dd4d0ca2d89d332a2e2bb12f5af05',
    release:
      '01020000000000000007000001a3185c50008a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c00000000000000000000000000000000000000000000000000000000000000002bb49689fe461515ab7b0d9ab325f1e56860194b28b963c3fd334da271ac5ca71608c67e2a7e48b52327026cb4357dd01c1fa3ccfd4a34c2e3a97224a499a10a',
    registration: 'edf75d3f1e1d8346462e19562a25ccd99085b737bed60b05c7d2f275eb0308f6f569772a8936594c636cf555a20b2af995f9b51405b448a9ce24480784b87800',
  };
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const lp = (...parts: Uint8Array[]): Buffer => Buffer.concat(parts.flatMap((p) => [Buffer.from([0, 0, p.length >> 8, p.length & 255]), Buffer.from(p)]));
  const u64 = (n: number): Buffer => {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    return b;
  };

  it('a transfer grant', () => {
    assert.equal(hex(encodeGrant(signTransfer(owner, ENTRY, 7, 1_800_000_000_000, newOwner))), GOLDEN.transfer);
    // The signed message as docs/directory.md writes it, checked with node:crypto's Ed25519.
    const g = decodeGrant(Buffer.from(GOLDEN.transfer, 'hex'));
    const msg = lp(Buffer.from('tacit/directory/v1/transfer'), ENTRY, u64(7), u64(1_800_000_000_000), newOwner);
    assert.ok(ed25519.verify(g.ownerKey, msg, g.signature));
  });

  it('a release grant', () => {
    assert.equal(hex(encodeGrant(signRelease(owner, ENTRY, 7, 1_800_000_000_000))), GOLDEN.release);
    const g = decodeGrant(Buffer.from(GOLDEN.release, 'hex'));
    assert.ok(ed25519.verify(g.ownerKey, lp(Buffer.from('tacit/directory/v1/release'), ENTRY, u64(7), u64(1_800_000_000_000)), g.signature));
  });

  it('a registration proof', () => {
    const challenge = new Uint8Array(40).fill(4);
    const rh = new Uint8Array(32).fill(5);
    assert.equal(hex(signRegistration(owner, challenge, ENTRY, rh)), GOLDEN.registration);
    assert.ok(ed25519.verify(ed25519.getPublicKey(owner), lp(Buffer.from('tacit/directory/v1/register'), challenge, ENTRY, rh), Buffer.from(GOLDEN.registration, 'hex')));
  });
});
