/**
 * The keys of a handle: from the namespace id and the handle's skeleton, a memory-hard hash, then
 * two keys that cannot be computed from each other.
 *
 *     master    = Argon2id(password = lp("tacit/directory/v1/handle", skeleton),
 *                          salt = namespaceId, m = 19 MiB, t = 2, p = 1, 32 bytes)
 *     lookupKey = HKDF-SHA256(master, salt = "", info = "tacit/directory/v1/lookup", 32)
 *     recordKey = HKDF-SHA256(master, salt = "", info = "tacit/directory/v1/record", 32)
 *
 * The directory sees the lookup key (and stores a hash of it with the policy, `entryId`); the
 * record key never leaves the client. The cost is OWASP's second Argon2id setting (19 MiB, 2
 * passes, 1 lane): about 0.25 s on a laptop core in JavaScript (@noble/hashes, which runs in
 * browsers), paid once per handle looked up. What it does: an operator or a thief of the database
 * who wants to know which handle an entry is must pay that for every guess, per namespace (the
 * namespace id is the salt), and must know the namespace id. What it does not: a short or common
 * handle in a known namespace is still found by trying names; a million guesses costs about three
 * core-days, so the 3-character handles of a known namespace fall in hours. Anyone who knows the
 * namespace and the handle can read its record: that is what a lookup is.
 * @module
 */
import { argon2id, argon2idAsync } from '@noble/hashes/argon2.js';
import { hkdfSha256 } from '@tacit/crypto';
import { _abytes, _lp, _utf8, _wipe } from './_bytes.js';
import { normalizeHandle } from './handle.js';
import { KEY_LENGTH } from './policy.js';

/** Argon2id's cost: memory in KiB (`m`), passes (`t`), lanes (`p`). Changing it changes every key. */
export const HANDLE_KDF_PARAMS = Object.freeze({ m: 19_456, t: 2, p: 1 } as const);

/** Length of a namespace id. */
export const NAMESPACE_ID_LENGTH = 32;

const _HANDLE = _utf8('tacit/directory/v1/handle');
const _LOOKUP = _utf8('tacit/directory/v1/lookup');
const _RECORD = _utf8('tacit/directory/v1/record');
const _EMPTY = new Uint8Array(0);

/** The keys of one handle in one namespace. */
export interface HandleKeys {
  /** The handle's normal form. */
  readonly handle: string;
  /** What the directory is asked for (it stores `entryId(policy, lookupKey)`). */
  readonly lookupKey: Uint8Array;
  /** Encrypts the record; never sent. */
  readonly recordKey: Uint8Array;
}

function _input(namespaceId: Uint8Array, handle: string): { handle: string; password: Uint8Array } {
  _abytes(namespaceId, 'namespaceId', NAMESPACE_ID_LENGTH);
  const n = normalizeHandle(handle);
  return { handle: n.handle, password: _lp(_HANDLE, _utf8(n.skeleton)) };
}

function _split(handle: string, master: Uint8Array): HandleKeys {
  const lookupKey = hkdfSha256(master, _EMPTY, _LOOKUP, KEY_LENGTH);
  const recordKey = hkdfSha256(master, _EMPTY, _RECORD, KEY_LENGTH);
  _wipe(master);
  return { handle, lookupKey, recordKey };
}

/**
 * The keys of `handle` (any form a user types; normalised here, and refused with a
 * `DirectoryError` when it breaks a handle rule) in the namespace `namespaceId` (32 bytes).
 * Blocks for the Argon2id run; use {@link deriveHandleKeysAsync} on a UI thread.
 */
export function deriveHandleKeys(namespaceId: Uint8Array, handle: string): HandleKeys {
  const i = _input(namespaceId, handle);
  return _split(i.handle, argon2id(i.password, namespaceId, { ...HANDLE_KDF_PARAMS, dkLen: KEY_LENGTH }));
}

/** {@link deriveHandleKeys} yielding to the event loop every 10 ms. */
export async function deriveHandleKeysAsync(namespaceId: Uint8Array, handle: string): Promise<HandleKeys> {
  const i = _input(namespaceId, handle);
  const master = await argon2idAsync(i.password, namespaceId, { ...HANDLE_KDF_PARAMS, dkLen: KEY_LENGTH, asyncTick: 10 });
  return _split(i.handle, master);
}
