import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { blake3 } from '@tacit/crypto';
import { CLAIM_PROOF_MESSAGE_LEN, claimProofMessage } from './claim.js';

describe(claimProofMessage.name, () => {
  const challenge = new Uint8Array(32).fill(7);
  const dests = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];

  it('is "tacit/v1/claim" || challenge || BLAKE3(dests)', () => {
    const sut = claimProofMessage(challenge, dests);
    assert.equal(sut.length, CLAIM_PROOF_MESSAGE_LEN);
    assert.equal(CLAIM_PROOF_MESSAGE_LEN, 78);
    assert.equal(Buffer.from(sut.subarray(0, 14)).toString('latin1'), 'tacit/v1/claim');
    assert.deepEqual(sut.subarray(14, 46), challenge);
    const all = new Uint8Array(64);
    all.set(dests[0]!, 0);
    all.set(dests[1]!, 32);
    assert.deepEqual(sut.subarray(46), blake3(all));
  });

  it('binds the order and the set of dests, and the challenge', () => {
    const sut = Buffer.from(claimProofMessage(challenge, dests)).toString('hex');
    assert.notEqual(Buffer.from(claimProofMessage(challenge, [dests[1]!, dests[0]!])).toString('hex'), sut);
    assert.notEqual(Buffer.from(claimProofMessage(challenge, [dests[0]!])).toString('hex'), sut);
    assert.notEqual(Buffer.from(claimProofMessage(new Uint8Array(32), dests)).toString('hex'), sut);
  });

  it('round-trips through Ed25519 sign and verify (callers do this with @tacit/crypto)', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const msg = claimProofMessage(challenge, dests);
    const sig = sign(null, msg, privateKey);
    assert.ok(verify(null, msg, publicKey, sig));
    assert.ok(!verify(null, claimProofMessage(new Uint8Array(32), dests), publicKey, sig));
  });

  it('rejects bad inputs', () => {
    assert.throws(() => claimProofMessage(new Uint8Array(31), dests), { message: '"challenge" expected 32 bytes, got 31' });
    assert.throws(() => claimProofMessage(challenge, []), { message: '"dests" expected 1..1024 items, got 0' });
    assert.throws(() => claimProofMessage(challenge, new Array(1025).fill(dests[0])), RangeError);
    assert.throws(() => claimProofMessage(challenge, [dests[0]!, new Uint8Array(16)]), { message: '"dests[1]" expected 32 bytes, got 16' });
  });
});
