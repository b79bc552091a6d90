// Addressing: senders derive both values from what a contact knows (namespace id, the owner's
// peer key, the hour); the relay sees them but can derive neither the namespace nor the key.
import { blake3, blake3DeriveKey } from '@tacit/crypto';
import { _abytes, _aint } from './_bytes.js';
import { DEST_HASH_LEN, MAILBOX_ID_CONTEXT, MAILBOX_ID_LEN, NAMESPACE_ID_LEN, PEER_KEY_LEN } from './constants.js';

/** BLAKE3(namespaceId(32) || peerKey(32) || u32be(epochHour)): the 32-byte destination hash. */
export function destHash(namespaceId: Uint8Array, peerKey: Uint8Array, epochHour: number): Uint8Array {
  _abytes(namespaceId, 'namespaceId', NAMESPACE_ID_LEN);
  _abytes(peerKey, 'peerKey', PEER_KEY_LEN);
  _aint(epochHour, 'epochHour', 0, 0xffff_ffff);
  const input = new Uint8Array(NAMESPACE_ID_LEN + PEER_KEY_LEN + 4);
  input.set(namespaceId, 0);
  input.set(peerKey, NAMESPACE_ID_LEN);
  new DataView(input.buffer).setUint32(NAMESPACE_ID_LEN + PEER_KEY_LEN, epochHour);
  return blake3(input);
}

/**
 * First 16 bytes of BLAKE3 derive_key("tacit 2026-11 mailbox id v1", destHash || peerKey).
 * The gateway recomputes it from a claim's revealed peer key, so only the key's owner can claim.
 */
export function mailboxId(destHash: Uint8Array, peerKey: Uint8Array): Uint8Array {
  _abytes(destHash, 'destHash', DEST_HASH_LEN);
  _abytes(peerKey, 'peerKey', PEER_KEY_LEN);
  const material = new Uint8Array(DEST_HASH_LEN + PEER_KEY_LEN);
  material.set(destHash, 0);
  material.set(peerKey, DEST_HASH_LEN);
  // BLAKE3 output is a prefix-stable XOF; the default 32-byte output skips noble's slower XOF
  // path (the gateway derives up to 1024 of these per CLAIM), then keeps the first 16 bytes.
  return blake3DeriveKey(MAILBOX_ID_CONTEXT, material).slice(0, MAILBOX_ID_LEN);
}
