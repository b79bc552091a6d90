/**
 * The envelope a message travels in: the session layer's ciphertext with what the recipient needs to
 * find the session (the sender's mailbox key, and on a first message its identity key and the
 * mailbox key's signature over it), sealed to the recipient's identity key, zero-filled so the
 * sealed box fills a size bucket exactly once the relay client has put its 4-byte length before it.
 * The relay sees a bucket of random bytes: not the sender, not the message type, not a length.
 *
 *     inner  = version (1) || kind (2 Whisper, 3 PreKey) || sender mailbox key (32)
 *              || [PreKey: sender identity key (32) || binding (64)]
 *              || u32 message length || message || zero fill
 *     box    = sealed box (X25519 → HKDF → AES-256-GCM, @tacit/crypto) of inner to the recipient's
 *              identity key, aad "tacit/v1/envelope"; 48 bytes more than inner
 *     packet payload = u32(len(box)) || box      (RelayClient's padding: exactly a bucket)
 *
 * binding = Ed25519(mailbox key, "tacit/v1/identity-binding" || identity key): whoever starts a
 * session as a mailbox key must hold it, so no one can start one in another's name.
 * @module
 */
import type { CryptoBackend } from '@tacit/crypto';
import { bucketFor, MAX_PAYLOAD_LEN } from '@tacit/protocol';
import { CONTENT_HEADER_BYTES } from './content.js';
import { MessengerError } from './errors.js';

/** Kind of the message inside (the session layer's message types). */
export type EnvelopeKind = 2 | 3;

/** An envelope's contents. */
export interface Envelope {
  kind: EnvelopeKind;
  /** The sender's Ed25519 mailbox key. */
  sender: Uint8Array;
  /** PreKey only: the sender's Curve25519 identity key and the mailbox key's signature over it. */
  identityKey?: Uint8Array | undefined;
  binding?: Uint8Array | undefined;
  /** The session layer's message bytes. */
  message: Uint8Array;
}

const _VERSION = 1;
const _enc = new TextEncoder();
const _AAD = _enc.encode('tacit/v1/envelope');
const _BINDING = _enc.encode('tacit/v1/identity-binding');
/** The relay client's length prefix and the sealed box's own bytes around `inner`. */
const _OUTSIDE = 4 + 48;
const _HEAD_WHISPER = 1 + 1 + 32 + 4;
const _HEAD_PREKEY = _HEAD_WHISPER + 32 + 64;

/**
 * Most bytes a Whisper message adds to its padded plaintext (version 1; ratchet key 35; counters
 * 2 × 6; ciphertext tag and length 4; MAC 8; CBC's padding 16), plus the envelope: what `pad()` is
 * told, so the packet fills the bucket the plaintext chose.
 */
export const WHISPER_OVERHEAD = _OUTSIDE + _HEAD_WHISPER + 60 + 16;
/** The same for a PreKey message: its header (ids, base and identity keys, the 1 569-byte KEM ciphertext) is 1 671 bytes more. */
export const PREKEY_OVERHEAD = _OUTSIDE + _HEAD_PREKEY + 1671 + 60 + 16;
/**
 * The longest message the messenger sends: what fits a 64 KiB packet whatever the session's state,
 * less the content kind byte every message starts with (content.ts).
 */
export const MAX_MESSAGE_BYTES = MAX_PAYLOAD_LEN - 4 - PREKEY_OVERHEAD - CONTENT_HEADER_BYTES;

/** What a mailbox key signs to vouch for an identity key. */
export function bindingMessage(identityKey: Uint8Array): Uint8Array {
  const m = new Uint8Array(_BINDING.length + 32);
  m.set(_BINDING, 0);
  m.set(identityKey, _BINDING.length);
  return m;
}

/** The sealed box of `e` to `recipientIdentityKey`, sized to fill a bucket after the relay client's 4-byte prefix. */
export function sealEnvelope(backend: CryptoBackend, recipientIdentityKey: Uint8Array, e: Envelope): Uint8Array {
  const head = e.kind === 3 ? _HEAD_PREKEY : _HEAD_WHISPER;
  const need = _OUTSIDE + head + e.message.length;
  if (need > MAX_PAYLOAD_LEN) throw new MessengerError('TOO_LARGE', 'message', `"message" makes a ${need}-byte packet payload; at most ${MAX_PAYLOAD_LEN}`);
  const inner = new Uint8Array(bucketFor(need) - _OUTSIDE);
  inner[0] = _VERSION;
  inner[1] = e.kind;
  inner.set(e.sender, 2);
  let at = 34;
  if (e.kind === 3) {
    inner.set(e.identityKey!, at);
    inner.set(e.binding!, at + 32);
    at += 96;
  }
  new DataView(inner.buffer).setUint32(at, e.message.length);
  inner.set(e.message, at + 4);
  return backend.sealedBox.seal(recipientIdentityKey, inner, _AAD);
}

/** The envelope in an opened `inner`; `MessengerError` BAD_ENVELOPE for anything malformed (a fill byte that is not zero included). */
export function parseEnvelope(inner: Uint8Array): Envelope {
  const bad = (field: string, why: string) => new MessengerError('BAD_ENVELOPE', field, `"${field}" ${why}`);
  if (inner.length < _HEAD_WHISPER) throw bad('envelope', `expected at least ${_HEAD_WHISPER} bytes, got ${inner.length}`);
  if (inner[0] !== _VERSION) throw bad('version', `expected ${_VERSION}, got ${inner[0]}`);
  const kind = inner[1];
  if (kind !== 2 && kind !== 3) throw bad('kind', `expected 2 or 3, got ${kind}`);
  const sender = inner.slice(2, 34);
  let at = 34;
  let identityKey: Uint8Array | undefined;
  let binding: Uint8Array | undefined;
  if (kind === 3) {
    if (inner.length < _HEAD_PREKEY) throw bad('envelope', `expected at least ${_HEAD_PREKEY} bytes, got ${inner.length}`);
    identityKey = inner.slice(at, at + 32);
    binding = inner.slice(at + 32, at + 96);
    at += 96;
  }
  const n = new DataView(inner.buffer, inner.byteOffset, inner.byteLength).getUint32(at);
  if (n > inner.length - at - 4) throw bad('messageLength', `expected at most ${inner.length - at - 4}, got ${n}`);
  for (let i = at + 4 + n; i < inner.length; i++) if (inner[i] !== 0) throw bad('padding', 'expected zero bytes');
  return { kind, sender, identityKey, binding, message: inner.slice(at + 4, at + 4 + n) };
}

/** Opens a box with `open` (the session manager's, under our identity key). */
export const ENVELOPE_AAD: Uint8Array = _AAD;
