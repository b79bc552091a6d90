// The claim proof binds a signature to this connection (the gateway's fresh challenge) and to
// exactly the claimed set of destinations, so it can be replayed neither elsewhere nor widened.
import { blake3 } from '@tacit/crypto';
import { _aarray, _abytes, _ascii } from './_bytes.js';
import { CHALLENGE_LEN, CLAIM_PROOF_DOMAIN, DEST_HASH_LEN, MAX_CLAIM } from './constants.js';

const _DOMAIN = _ascii(CLAIM_PROOF_DOMAIN);
/** Length of a claim proof message: domain (14) + challenge (32) + BLAKE3 of the dests (32). */
export const CLAIM_PROOF_MESSAGE_LEN = _DOMAIN.length + CHALLENGE_LEN + 32;

/**
 * Bytes the owner signs with its peer key (Ed25519) and the gateway verifies:
 * "tacit/v1/claim" || challenge(32) || BLAKE3(dests[0] || … || dests[n-1]).
 */
export function claimProofMessage(challenge: Uint8Array, dests: readonly Uint8Array[]): Uint8Array {
  _abytes(challenge, 'challenge', CHALLENGE_LEN);
  _aarray(dests, 'dests', 1, MAX_CLAIM);
  const all = new Uint8Array(dests.length * DEST_HASH_LEN);
  for (let i = 0; i < dests.length; i++) all.set(_abytes(dests[i], `dests[${i}]`, DEST_HASH_LEN), i * DEST_HASH_LEN);
  const out = new Uint8Array(CLAIM_PROOF_MESSAGE_LEN);
  out.set(_DOMAIN, 0);
  out.set(challenge, _DOMAIN.length);
  out.set(blake3(all), _DOMAIN.length + CHALLENGE_LEN);
  return out;
}
