import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { x25519 } from '@tacit/crypto';
import { DirectoryError, type DirectoryErrorCode } from './errors.js';
import { deriveHandleKeys } from './kdf.js';
import { entryId } from './policy.js';
import { controlKeyHash, deriveControlKey, MAX_INVITE_LENGTH, MAX_RECORD_LENGTH, openRecord, recordHash, sealRecord } from './record.js';

const NS = new Uint8Array(32).fill(9);
const alice = deriveHandleKeys(NS, 'alice');
const bob = deriveHandleKeys(NS, 'bob');
const identity = x25519.keygen();
const control = deriveControlKey(identity.secretKey, alice.lookupKey);
const invite = new TextEncoder().encode('TACIT1:an invite of some length');

function refused(code: DirectoryErrorCode, field?: string): (e: unknown) => boolean {
  return (e) => {
    assert.ok(e instanceof DirectoryError, `expected a DirectoryError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  };
}

describe(sealRecord.name, () => {
  it('round-trips: whoever knows the namespace and the handle reads the owner\'s keys and invite', () => {
    const sut = sealRecord({ keys: alice, policy: 'signed', identity, controlKey: control.publicKey, invite });
    assert.deepEqual(sut.entryId, entryId('signed', alice.lookupKey));
    const reader = deriveHandleKeys(NS, '@ALICE');
    const r = openRecord(reader, 'signed', sut.ciphertext);
    assert.equal(r.handle, 'alice');
    assert.equal(r.policy, 'signed');
    assert.deepEqual(r.identityKey, identity.publicKey);
    assert.deepEqual(r.controlKey, control.publicKey);
    assert.deepEqual(r.invite, invite);
  });

  it('hides the lengths: handles and invites pad to 256-byte blocks; holds no key in the clear', () => {
    const short = sealRecord({ keys: alice, policy: 'signed', identity, controlKey: control.publicKey, invite: new Uint8Array(1) });
    const long = sealRecord({ keys: deriveHandleKeys(NS, 'a_much_longer_handle_here'), policy: 'signed', identity, controlKey: control.publicKey, invite: new Uint8Array(50) });
    assert.equal(short.ciphertext.length, long.ciphertext.length);
    assert.equal(short.ciphertext.length, 1 + 12 + 256 + 16);
    const hay = Buffer.from(short.ciphertext);
    assert.equal(hay.indexOf(Buffer.from(identity.publicKey)), -1);
    assert.equal(hay.indexOf(Buffer.from(control.publicKey)), -1);
    assert.equal(hay.indexOf(Buffer.from('alice')), -1);
  });

  it('takes an invite up to MAX_INVITE_LENGTH, within MAX_RECORD_LENGTH', () => {
    const sut = sealRecord({ keys: alice, policy: 'signed', identity, controlKey: control.publicKey, invite: new Uint8Array(MAX_INVITE_LENGTH).fill(1) });
    assert.ok(sut.ciphertext.length <= MAX_RECORD_LENGTH);
    assert.equal(openRecord(alice, 'signed', sut.ciphertext).invite.length, MAX_INVITE_LENGTH);
    assert.throws(() => sealRecord({ keys: alice, policy: 'signed', identity, controlKey: control.publicKey, invite: new Uint8Array(MAX_INVITE_LENGTH + 1) }), {
      name: 'RangeError',
    });
  });
});

describe(openRecord.name, () => {
  const { ciphertext } = sealRecord({ keys: alice, policy: 'signed', identity, controlKey: control.publicKey, invite });

  it('refuses every flipped bit of the ciphertext (BAD_RECORD, or MALFORMED for the version byte)', () => {
    for (let i = 0; i < ciphertext.length; i++) {
      const bad = ciphertext.slice();
      bad[i]! ^= 1 << (i % 8);
      assert.throws(() => openRecord(alice, 'signed', bad), refused(i === 0 ? 'MALFORMED' : 'BAD_RECORD'));
    }
  });

  it('refuses it under another handle, namespace or policy', () => {
    assert.throws(() => openRecord(bob, 'signed', ciphertext), refused('BAD_RECORD', 'record'));
    assert.throws(() => openRecord(deriveHandleKeys(new Uint8Array(32), 'alice'), 'signed', ciphertext), refused('BAD_RECORD', 'record'));
    // Under the other policy the entry id, hence the AAD, differs.
    assert.throws(() => openRecord(alice, 'last_writer_wins', ciphertext), refused('BAD_RECORD', 'record'));
  });

  it('refuses a record whose binding is not the identity key\'s (someone else\'s key claimed)', () => {
    const mallory = x25519.keygen();
    // Sealed with Alice's public key but Mallory's secret: the binding does not verify.
    const forged = sealRecord({ keys: alice, policy: 'signed', identity: { secretKey: mallory.secretKey, publicKey: identity.publicKey }, controlKey: control.publicKey, invite });
    assert.throws(() => openRecord(alice, 'signed', forged.ciphertext), refused('BAD_RECORD', 'record.binding'));
  });

  it('refuses truncated or padded-out bytes as MALFORMED before decrypting', () => {
    assert.throws(() => openRecord(alice, 'signed', ciphertext.subarray(0, ciphertext.length - 1)), refused('MALFORMED', 'record'));
    assert.throws(() => openRecord(alice, 'signed', new Uint8Array(0)), refused('MALFORMED', 'record'));
    assert.throws(() => openRecord(alice, 'signed', new Uint8Array(MAX_RECORD_LENGTH + 256)), refused('MALFORMED', 'record'));
  });
});

describe(deriveControlKey.name, () => {
  it('is stable for one identity and entry, and differs across entries and identities', () => {
    assert.deepEqual(deriveControlKey(identity.secretKey, alice.lookupKey).publicKey, control.publicKey);
    assert.notDeepEqual(deriveControlKey(identity.secretKey, bob.lookupKey).publicKey, control.publicKey);
    assert.notDeepEqual(deriveControlKey(x25519.keygen().secretKey, alice.lookupKey).publicKey, control.publicKey);
    assert.notDeepEqual(control.publicKey, identity.publicKey);
  });

  it('hashes under its own labels: controlKeyHash and recordHash are 32 bytes and differ for one input', () => {
    assert.equal(controlKeyHash(control.publicKey).length, 32);
    assert.notDeepEqual(controlKeyHash(control.publicKey), recordHash(control.publicKey));
  });
});
