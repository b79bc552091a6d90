// The claim proof binds a signature to this connection (the gateway's fresh challenge) and to
// exactly the claimed set of destinations, so it can be replayed neither elsewhere nor widened.
import { blake3, blake3DeriveKey, hmacSha256, x25519 } from '@tacit/crypto';
import { _aarray, _abytes, _ascii } from './_bytes.js';
import {
  CHALLENGE_LEN,
  CHANNEL_KEY_CONTEXT,
  CHANNEL_TAG_LEN,
  CLAIM_PROOF_DOMAIN,
  CLAIM_PROOF_DOMAIN_V2,
  DEST_HASH_LEN,
  EPHEMERAL_KEY_LEN,
  MAX_CLAIM,
  RELAY_KEY_CONTEXT,
  RELAY_KEY_LEN,
} from './constants.js';

const _DOMAIN = _ascii(CLAIM_PROOF_DOMAIN);
/** Length of a claim proof message: domain (14) + challenge (32) + BLAKE3 of the dests (32). */
export const CLAIM_PROOF_MESSAGE_LEN = _DOMAIN.length + CHALLENGE_LEN + 32;

/**
 * Bytes the owner signs with its peer key (Ed25519) and the gateway verifies:
 * "tacit/v1/claim" || challenge(32) || BLAKE3(dests[0] || … || dests[n-1]).
 */
export function claimProofMessage(challenge: Uint8Array, dests: readonly Uint8Array[]): Uint8Array {
  _abytes(challenge, 'challenge', CHALLENGE_LEN);
  const out = new Uint8Array(CLAIM_PROOF_MESSAGE_LEN);
  out.set(_DOMAIN, 0);
  out.set(challenge, _DOMAIN.length);
  out.set(_destsDigest(dests), _DOMAIN.length + CHALLENGE_LEN);
  return out;
}

const _DOMAIN_V2 = _ascii(CLAIM_PROOF_DOMAIN_V2);
/** Length of a v2 claim proof message: domain (14) + challenge (32) + relay key (32) + ephemeral key (32) + BLAKE3 of the dests (32). */
export const CLAIM_PROOF_MESSAGE_V2_LEN = _DOMAIN_V2.length + CHALLENGE_LEN + RELAY_KEY_LEN + EPHEMERAL_KEY_LEN + 32;

/**
 * Bytes the owner signs to claim on a v2 connection:
 * "tacit/v2/claim" || challenge(32) || relayKey(32) || ephemeral(32) || BLAKE3(dests[0] || … || dests[n-1]).
 * Binding the relay key means a claim made to one relay is refused by every other (a gateway that
 * forwards another's challenge while showing its own key gets a claim the other refuses); binding
 * the ephemeral key means the connection's channel key ({@link channelKey}) is the one the owner
 * chose, which only the owner and the holder of the relay's secret key can compute.
 */
export function claimProofMessageV2(challenge: Uint8Array, relayKey: Uint8Array, ephemeral: Uint8Array, dests: readonly Uint8Array[]): Uint8Array {
  _abytes(challenge, 'challenge', CHALLENGE_LEN);
  _abytes(relayKey, 'relayKey', RELAY_KEY_LEN);
  _abytes(ephemeral, 'ephemeral', EPHEMERAL_KEY_LEN);
  const out = new Uint8Array(CLAIM_PROOF_MESSAGE_V2_LEN);
  let at = 0;
  for (const part of [_DOMAIN_V2, challenge, relayKey, ephemeral, _destsDigest(dests)]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The channel key of a v2 connection: BLAKE3 derive_key(CHANNEL_KEY_CONTEXT,
 * X25519(ephemeral, relay) || challenge || relayKey || ephemeral). The client computes it with its
 * ephemeral secret key and the relay key, the gateway with the relay's secret key and the ephemeral
 * key; a gateway that only forwards the bytes has neither secret. `sharedSecret` is the X25519
 * output (all-zero outputs are refused by the crypto library before they get here).
 */
export function channelKey(sharedSecret: Uint8Array, challenge: Uint8Array, relayKey: Uint8Array, ephemeral: Uint8Array): Uint8Array {
  _abytes(sharedSecret, 'sharedSecret', 32);
  _abytes(challenge, 'challenge', CHALLENGE_LEN);
  _abytes(relayKey, 'relayKey', RELAY_KEY_LEN);
  _abytes(ephemeral, 'ephemeral', EPHEMERAL_KEY_LEN);
  const material = new Uint8Array(32 + CHALLENGE_LEN + RELAY_KEY_LEN + EPHEMERAL_KEY_LEN);
  material.set(sharedSecret, 0);
  material.set(challenge, 32);
  material.set(relayKey, 32 + CHALLENGE_LEN);
  material.set(ephemeral, 32 + CHALLENGE_LEN + RELAY_KEY_LEN);
  return blake3DeriveKey(CHANNEL_KEY_CONTEXT, material);
}

/**
 * The tag closing an ACK_V2: the first 16 bytes of HMAC-SHA256 keyed by the channel key over the
 * frame before the tag (type, count, ids). An ACK deletes packets, so on a v2 connection only the
 * holder of the channel key can send one. HMAC-SHA256 rather than keyed BLAKE3: both sides compute
 * one per ACK frame, and node:crypto's native HMAC took 3.5 µs for a 4-id ACK and 5.7 µs for a
 * 256-id one where BLAKE3 in JavaScript took 8 and 116 µs (this machine, Node 24).
 */
export function channelTag(key: Uint8Array, frameBeforeTag: Uint8Array): Uint8Array {
  _abytes(key, 'key', 32);
  if (!(frameBeforeTag instanceof Uint8Array)) throw new TypeError('"frameBeforeTag" expected Uint8Array');
  return hmacSha256(key, frameBeforeTag).subarray(0, CHANNEL_TAG_LEN);
}

/** Whether `tag` is the channel tag of `frameBeforeTag` (compared in constant time). */
export function channelTagValid(key: Uint8Array, frameBeforeTag: Uint8Array, tag: Uint8Array): boolean {
  const want = channelTag(key, frameBeforeTag);
  if (!(tag instanceof Uint8Array) || tag.length !== want.length) return false;
  let diff = 0;
  for (let i = 0; i < want.length; i++) diff |= want[i]! ^ tag[i]!;
  return diff === 0;
}

/**
 * The relay key pair an operator's secret stands for: the X25519 secret key is BLAKE3
 * derive_key(RELAY_KEY_CONTEXT, secret), so every gateway replica given one secret has one key, and
 * the secret as stored is never used as a key directly. `secret` is at least 32 bytes.
 */
export function relayKeyPair(secret: Uint8Array): { secretKey: Uint8Array; publicKey: Uint8Array } {
  if (!(secret instanceof Uint8Array) || secret.length < 32) throw new RangeError(`"secret" expected at least 32 bytes, got ${secret instanceof Uint8Array ? secret.length : typeof secret}`);
  const secretKey = blake3DeriveKey(RELAY_KEY_CONTEXT, secret);
  return { secretKey, publicKey: x25519.getPublicKey(secretKey) };
}

function _destsDigest(dests: readonly Uint8Array[]): Uint8Array {
  _aarray(dests, 'dests', 1, MAX_CLAIM);
  const all = new Uint8Array(dests.length * DEST_HASH_LEN);
  for (let i = 0; i < dests.length; i++) all.set(_abytes(dests[i], `dests[${i}]`, DEST_HASH_LEN), i * DEST_HASH_LEN);
  return blake3(all);
}
