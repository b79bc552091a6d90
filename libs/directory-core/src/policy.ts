/**
 * Ownership policies and the address an entry has under one.
 *
 * A namespace's policy is part of the app's configuration, beside its namespace id: every client
 * of the app uses it, and it is bound into every entry's address,
 *
 *     entryId = SHA-256(lp("tacit/directory/v1/entry", policy byte, lookupKey))
 *
 * so the directory holds no per-namespace setting that anyone could take over (it does not even
 * know which entries share a namespace). Whoever knows a namespace and a handle can create an entry
 * under the other policy too, but at an address that the app's clients never read.
 * @module
 */
import { sha256 } from '@tacit/crypto';
import { _abytes, _lp, _utf8 } from './_bytes.js';
import { DirectoryError } from './errors.js';

/**
 * `signed` (the default): a handle changes owner only by its owner's signature. `last_writer_wins`:
 * anyone who knows the namespace and the handle and proves possession of a key may take it over.
 */
export type OwnershipPolicy = 'signed' | 'last_writer_wins';

/** The policy byte of each policy (in entry ids, records and on the wire). */
export const POLICY_BYTE: Readonly<Record<OwnershipPolicy, number>> = Object.freeze({ signed: 1, last_writer_wins: 2 });

/** Length of lookup keys, entry ids and record keys. */
export const KEY_LENGTH = 32;

const _ENTRY = _utf8('tacit/directory/v1/entry');

/** The policy of a policy byte; `MALFORMED` for any other byte. */
export function policyOfByte(b: number, field = 'policy'): OwnershipPolicy {
  if (b === 1) return 'signed';
  if (b === 2) return 'last_writer_wins';
  throw new DirectoryError('MALFORMED', field, `"${field}" expected 1 (signed) or 2 (last_writer_wins), got ${b}`);
}

/** Asserts `p` is a policy name (TypeError / RangeError: a caller bug). */
export function _apolicy(p: unknown): OwnershipPolicy {
  if (p !== 'signed' && p !== 'last_writer_wins') {
    throw new RangeError(`"policy" expected 'signed' or 'last_writer_wins', got ${JSON.stringify(p)}`);
  }
  return p;
}

/** The 32-byte address of the entry for `lookupKey` under `policy`: what the directory stores. */
export function entryId(policy: OwnershipPolicy, lookupKey: Uint8Array): Uint8Array {
  _apolicy(policy);
  _abytes(lookupKey, 'lookupKey', KEY_LENGTH);
  return sha256(_lp(_ENTRY, Uint8Array.of(POLICY_BYTE[policy]), lookupKey));
}
