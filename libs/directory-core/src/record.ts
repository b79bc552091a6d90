/**
 * The record of an entry: the owner's identity key and invite, encrypted under the handle's record
 * key, so the directory keeps and serves bytes it cannot read.
 *
 *     plaintext  = 0x01 || policy (1) || u8 length || handle (UTF-8, normal form)
 *                  || identityKey (32, Curve25519) || controlKey (32, Ed25519)
 *                  || u16 length || invite || binding (64) || zeros to a multiple of 256 bytes
 *     binding    = XEdDSA by the identity key over lp("tacit/directory/v1/binding", entryId,
 *                  policy, handle, identityKey, controlKey, invite)
 *     ciphertext = 0x01 || nonce (12, random) || AES-256-GCM(recordKey, nonce, plaintext,
 *                  aad = lp("tacit/directory/v1/record-aad", entryId))
 *
 * The control key is what the directory checks ownership with (`proofs.ts`): derived from the
 * identity key and the lookup key, so it links neither to the identity nor to the owner's other
 * handles; the binding, which only readers check, is the identity key's word that the control key
 * and the handle are its own. The padding hides the handle's and the invite's lengths to within a
 * block. The AAD ties a record to its entry: a record copied to another entry does not open.
 * @module
 */
import { aes256gcm, ed25519, hkdfSha256, randomBytes, sha256, xeddsa, type KeyPair } from '@tacit/crypto';
import { _abytes, _lp, _utf8, _wipe } from './_bytes.js';
import { DirectoryError } from './errors.js';
import type { HandleKeys } from './kdf.js';
import { _apolicy, entryId, KEY_LENGTH, POLICY_BYTE, policyOfByte, type OwnershipPolicy } from './policy.js';

/** Longest invite a record holds, in bytes. */
export const MAX_INVITE_LENGTH = 1024;
const _BLOCK = 256;
const _VERSION = 1;
const _NONCE = 12;
const _TAG = 16;
const _SIG = 64;
// version, policy, handle length, identity key, control key, invite length, binding: all but the handle and invite.
const _FIXED = 1 + 1 + 1 + 32 + 32 + 2 + _SIG;
const _MAX_HANDLE_BYTES = 128;
/** Longest record ciphertext: what a store or a bus message must take. */
export const MAX_RECORD_LENGTH = 1 + _NONCE + Math.ceil((_FIXED + _MAX_HANDLE_BYTES + MAX_INVITE_LENGTH) / _BLOCK) * _BLOCK + _TAG;

const _BINDING = _utf8('tacit/directory/v1/binding');
const _AAD = _utf8('tacit/directory/v1/record-aad');
const _CONTROL = _utf8('tacit/directory/v1/control');
const _CONTROL_HASH = _utf8('tacit/directory/v1/control-key');
const _RECORD_HASH = _utf8('tacit/directory/v1/record-hash');
const _dec = new TextDecoder('utf-8', { fatal: true });

/** A record, opened and its binding checked. */
export interface DirectoryRecord {
  /** The handle as its owner registered it (normal form; a look-alike of what was looked up). */
  readonly handle: string;
  readonly policy: OwnershipPolicy;
  /** The owner's Curve25519 identity key. */
  readonly identityKey: Uint8Array;
  /** The owner's Ed25519 control key for this entry. */
  readonly controlKey: Uint8Array;
  /** The owner's invite (opaque here; the SDK's `TACIT1:` payload). */
  readonly invite: Uint8Array;
}

/** What {@link sealRecord} needs. */
export interface SealRecordInput {
  readonly keys: HandleKeys;
  readonly policy: OwnershipPolicy;
  /** The owner's Curve25519 identity key pair: the secret signs the binding, nothing else. */
  readonly identity: KeyPair;
  /** The entry's control key (public), usually `deriveControlKey(identity.secretKey, keys.lookupKey).publicKey`. */
  readonly controlKey: Uint8Array;
  readonly invite: Uint8Array;
}

/**
 * The owner's Ed25519 control key for the entry of `lookupKey`: HKDF of the identity secret, so the
 * owner can make it again from its identity alone.
 */
export function deriveControlKey(identitySecretKey: Uint8Array, lookupKey: Uint8Array): KeyPair {
  _abytes(identitySecretKey, 'identitySecretKey', 32);
  _abytes(lookupKey, 'lookupKey', KEY_LENGTH);
  const secretKey = hkdfSha256(identitySecretKey, lookupKey, _CONTROL, 32);
  return { secretKey, publicKey: ed25519.getPublicKey(secretKey) };
}

/** The hash of a control key the directory stores in its place (the key itself it sees only in requests). */
export function controlKeyHash(controlKey: Uint8Array): Uint8Array {
  _abytes(controlKey, 'controlKey', 32);
  return sha256(_lp(_CONTROL_HASH, controlKey));
}

/** The hash of a record ciphertext that registration proofs sign. */
export function recordHash(ciphertext: Uint8Array): Uint8Array {
  _abytes(ciphertext, 'ciphertext');
  return sha256(_lp(_RECORD_HASH, ciphertext));
}

function _bindingMessage(id: Uint8Array, policy: OwnershipPolicy, handle: Uint8Array, identityKey: Uint8Array, controlKey: Uint8Array, invite: Uint8Array): Uint8Array {
  return _lp(_BINDING, id, Uint8Array.of(POLICY_BYTE[policy]), handle, identityKey, controlKey, invite);
}

/** The entry id and the record ciphertext of a new record. */
export function sealRecord(input: SealRecordInput): { entryId: Uint8Array; ciphertext: Uint8Array } {
  const { keys, identity, controlKey, invite } = input;
  const policy = _apolicy(input.policy);
  _abytes(identity.secretKey, 'identity.secretKey', 32);
  _abytes(identity.publicKey, 'identity.publicKey', 32);
  _abytes(controlKey, 'controlKey', 32);
  _abytes(invite, 'invite');
  if (invite.length > MAX_INVITE_LENGTH) throw new RangeError(`"invite" expected at most ${MAX_INVITE_LENGTH} bytes, got ${invite.length}`);
  const handle = _utf8(keys.handle);
  if (handle.length > _MAX_HANDLE_BYTES) throw new RangeError(`"handle" expected at most ${_MAX_HANDLE_BYTES} bytes, got ${handle.length}`);
  const id = entryId(policy, keys.lookupKey);
  const binding = xeddsa.sign(identity.secretKey, _bindingMessage(id, policy, handle, identity.publicKey, controlKey, invite));

  const body = _FIXED + handle.length + invite.length;
  const pt = new Uint8Array(Math.ceil(body / _BLOCK) * _BLOCK);
  let o = 0;
  pt[o++] = _VERSION;
  pt[o++] = POLICY_BYTE[policy];
  pt[o++] = handle.length;
  pt.set(handle, o);
  o += handle.length;
  pt.set(identity.publicKey, o);
  o += 32;
  pt.set(controlKey, o);
  o += 32;
  pt[o++] = invite.length >> 8;
  pt[o++] = invite.length & 0xff;
  pt.set(invite, o);
  o += invite.length;
  pt.set(binding, o);

  const nonce = randomBytes(_NONCE);
  const sealed = aes256gcm.encrypt(keys.recordKey, nonce, pt, _lp(_AAD, id));
  _wipe(pt);
  const ciphertext = new Uint8Array(1 + _NONCE + sealed.length);
  ciphertext[0] = _VERSION;
  ciphertext.set(nonce, 1);
  ciphertext.set(sealed, 1 + _NONCE);
  return { entryId: id, ciphertext };
}

function _bad(field: string, message: string, cause?: unknown): DirectoryError {
  return new DirectoryError('BAD_RECORD', field, message, cause === undefined ? undefined : { cause });
}

const _MIN_RECORD = 1 + _NONCE + _BLOCK + _TAG;

/**
 * Checks what the directory can of a record it cannot read: its version and a length that
 * `sealRecord` makes. `MALFORMED` (field `record`) otherwise.
 */
export function assertRecordShape(ciphertext: Uint8Array, field = 'record'): void {
  const n = ciphertext instanceof Uint8Array ? ciphertext.length : -1;
  if (n < _MIN_RECORD || n > MAX_RECORD_LENGTH || (n - _MIN_RECORD) % _BLOCK !== 0) {
    throw new DirectoryError('MALFORMED', field, `"${field}" expected ${_MIN_RECORD}..${MAX_RECORD_LENGTH} bytes in ${_BLOCK}-byte steps, got ${n < 0 ? 'no bytes' : n}`);
  }
  if (ciphertext[0] !== _VERSION) throw new DirectoryError('MALFORMED', `${field}.version`, `"${field}.version" expected ${_VERSION}, got ${ciphertext[0]}`);
}

/**
 * Opens the record `ciphertext` of the entry of `keys` under `policy`: `MALFORMED` for bytes of the
 * wrong shape, `BAD_RECORD` when it does not decrypt (another handle's, tampered with) or its
 * binding does not verify, `POLICY_MISMATCH` when it was sealed under the other policy.
 */
export function openRecord(keys: HandleKeys, policy: OwnershipPolicy, ciphertext: Uint8Array): DirectoryRecord {
  _apolicy(policy);
  _abytes(ciphertext, 'ciphertext');
  assertRecordShape(ciphertext);
  const id = entryId(policy, keys.lookupKey);
  let pt: Uint8Array;
  try {
    pt = aes256gcm.decrypt(keys.recordKey, ciphertext.subarray(1, 1 + _NONCE), ciphertext.subarray(1 + _NONCE), _lp(_AAD, id));
  } catch (e) {
    throw _bad('record', 'the record does not decrypt under this handle (another handle\'s, or altered)', e);
  }
  // From here the bytes are the owner's own: a bad shape is a bad record, not a transport fault.
  if (pt[0] !== _VERSION) throw _bad('record.version', `"record.version" expected ${_VERSION}, got ${pt[0]}`);
  const recordPolicy = policyOfByte(pt[1]!, 'record.policy');
  if (recordPolicy !== policy) throw new DirectoryError('POLICY_MISMATCH', 'record.policy', `the record was made under ${recordPolicy}, not ${policy}`);
  const hlen = pt[2]!;
  let o = 3;
  if (_FIXED + hlen > pt.length) throw _bad('record.handle', '"record.handle" runs past the record');
  let handle: string;
  try {
    handle = _dec.decode(pt.subarray(o, o + hlen));
  } catch (e) {
    throw _bad('record.handle', '"record.handle" is not UTF-8', e);
  }
  o += hlen;
  const identityKey = pt.slice(o, o + 32);
  o += 32;
  const controlKey = pt.slice(o, o + 32);
  o += 32;
  const ilen = (pt[o]! << 8) | pt[o + 1]!;
  o += 2;
  if (ilen > MAX_INVITE_LENGTH || o + ilen + _SIG > pt.length) throw _bad('record.invite', '"record.invite" runs past the record');
  const invite = pt.slice(o, o + ilen);
  o += ilen;
  const binding = pt.subarray(o, o + _SIG);
  o += _SIG;
  for (let i = o; i < pt.length; i++) if (pt[i] !== 0) throw _bad('record.padding', '"record.padding" is not zeros');
  if (!xeddsa.verify(identityKey, _bindingMessage(id, policy, _utf8(handle), identityKey, controlKey, invite), binding)) {
    throw _bad('record.binding', 'the identity key did not sign this record for this handle');
  }
  return { handle, policy, identityKey, controlKey, invite };
}
