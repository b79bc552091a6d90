/**
 * What the directory checks before it changes an entry, all Ed25519 signatures by control keys
 * (`record.ts`), the directory storing only the hash of the owner's.
 *
 * - **Registration** (a new entry, an update by its owner, a takeover under last-writer-wins, the
 *   new owner's half of a transfer): proof of possession of the control key, a signature over
 *   lp("tacit/directory/v1/register", challenge, entryId, recordHash). The challenge is the
 *   directory's and good once, so a proof cannot be replayed; the record hash ties it to the bytes
 *   stored.
 * - **Transfer** (signed policy): the current owner's grant, a signature over
 *   lp("tacit/directory/v1/transfer", entryId, u64 sequence, u64 expiresAt, newControlKey).
 * - **Release**: the owner's signature over lp("tacit/directory/v1/release", entryId, u64 sequence,
 *   u64 expiresAt).
 *
 * A grant names the entry's sequence number it changes; every change of an entry adds one to it
 * (a release leaves a tombstone that keeps it), so a grant works once and a grant made before any
 * later change of the entry works never. A grant is refused at and after `expiresAt` (ms since
 * 1970): a grant that was handed over but not used does not stay good for ever. The owner who
 * changes their mind about a grant updates the entry (the sequence moves on).
 *
 *     grant = 0x01 || kind (1: transfer, 2: release) || u64 sequence || u64 expiresAt
 *             || ownerKey (32) || newOwnerKey (32; zeros for a release) || signature (64)
 * @module
 */
import { ed25519 } from '@tacit/crypto';
import { _abytes, _aint, _equal, _input, _lp, _u64, _utf8 } from './_bytes.js';
import { DirectoryError } from './errors.js';
import { KEY_LENGTH } from './policy.js';
import { controlKeyHash } from './record.js';

/** Length of registration challenges (opaque to clients: the directory's time, a nonce and a MAC). */
export const CHALLENGE_LENGTH = 40;
/** Length of an encoded grant. */
export const GRANT_LENGTH = 1 + 1 + 8 + 8 + 32 + 32 + 64;

const _REGISTER = _utf8('tacit/directory/v1/register');
const _TRANSFER = _utf8('tacit/directory/v1/transfer');
const _RELEASE = _utf8('tacit/directory/v1/release');
const _VERSION = 1;
const _KIND = { transfer: 1, release: 2 } as const;
const _ZERO_KEY = new Uint8Array(32);

function _registerMessage(challenge: Uint8Array, id: Uint8Array, recordHash: Uint8Array): Uint8Array {
  _abytes(challenge, 'challenge', CHALLENGE_LENGTH);
  _abytes(id, 'entryId', KEY_LENGTH);
  _abytes(recordHash, 'recordHash', 32);
  return _lp(_REGISTER, challenge, id, recordHash);
}

/** The control key's proof of possession for storing the record of hash `recordHash` at `entryId`. */
export function signRegistration(controlSecretKey: Uint8Array, challenge: Uint8Array, id: Uint8Array, recordHash: Uint8Array): Uint8Array {
  return ed25519.sign(controlSecretKey, _registerMessage(challenge, id, recordHash));
}

/** Checks a registration proof; `BAD_PROOF` when it is missing, of the wrong length or does not verify. */
export function verifyRegistration(controlKey: Uint8Array, challenge: Uint8Array, id: Uint8Array, recordHash: Uint8Array, proof: Uint8Array | undefined): void {
  _input(controlKey, 'controlKey', 32);
  if (!(proof instanceof Uint8Array) || proof.length !== 64) {
    throw new DirectoryError('BAD_PROOF', 'proof', 'a registration needs the control key\'s 64-byte signature');
  }
  if (!ed25519.verify(controlKey, _registerMessage(challenge, id, recordHash), proof)) {
    throw new DirectoryError('BAD_PROOF', 'proof', 'the proof is not the control key\'s signature over this challenge, entry and record');
  }
}

/** A transfer or release, signed by the entry's owner. */
export interface Grant {
  readonly kind: 'transfer' | 'release';
  /** The entry's sequence number the grant changes (its current one). */
  readonly sequence: number;
  /** Milliseconds since 1970 from which the grant is refused. */
  readonly expiresAt: number;
  /** The current owner's control key (the directory checks its hash). */
  readonly ownerKey: Uint8Array;
  /** The new owner's control key; zeros for a release. */
  readonly newOwnerKey: Uint8Array;
  readonly signature: Uint8Array;
}

function _grantMessage(kind: Grant['kind'], id: Uint8Array, sequence: number, expiresAt: number, newOwnerKey: Uint8Array): Uint8Array {
  return kind === 'transfer'
    ? _lp(_TRANSFER, id, _u64(sequence), _u64(expiresAt), newOwnerKey)
    : _lp(_RELEASE, id, _u64(sequence), _u64(expiresAt));
}

function _sign(kind: Grant['kind'], ownerSecretKey: Uint8Array, id: Uint8Array, sequence: number, expiresAt: number, newOwnerKey: Uint8Array): Grant {
  _abytes(id, 'entryId', KEY_LENGTH);
  _aint(sequence, 'sequence', 1, Number.MAX_SAFE_INTEGER);
  _aint(expiresAt, 'expiresAt', 0, Number.MAX_SAFE_INTEGER);
  _abytes(newOwnerKey, 'newOwnerKey', 32);
  const signature = ed25519.sign(ownerSecretKey, _grantMessage(kind, id, sequence, expiresAt, newOwnerKey));
  return { kind, sequence, expiresAt, ownerKey: ed25519.getPublicKey(ownerSecretKey), newOwnerKey: newOwnerKey.slice(), signature };
}

/** The owner's grant of the entry `entryId`, at its current `sequence`, to `newOwnerKey` (a control key). */
export function signTransfer(ownerSecretKey: Uint8Array, id: Uint8Array, sequence: number, expiresAt: number, newOwnerKey: Uint8Array): Grant {
  return _sign('transfer', ownerSecretKey, id, sequence, expiresAt, newOwnerKey);
}

/** The owner's release of the entry `entryId` at its current `sequence`. */
export function signRelease(ownerSecretKey: Uint8Array, id: Uint8Array, sequence: number, expiresAt: number): Grant {
  return _sign('release', ownerSecretKey, id, sequence, expiresAt, _ZERO_KEY);
}

/** The entry as the directory holds it, and its clock: what a grant is checked against. */
export interface GrantContext {
  readonly entryId: Uint8Array;
  /** The hash of the current owner's control key (`controlKeyHash`). */
  readonly ownerKeyHash: Uint8Array;
  /** The entry's current sequence number. */
  readonly sequence: number;
  /** Milliseconds since 1970. */
  readonly now: number;
}

/**
 * Checks a grant of `kind` against the entry, in this order: `NOT_OWNER` (the grant's owner key is
 * not the entry's), `BAD_SIGNATURE`, `EXPIRED`, `REPLAYED` (another sequence number than the
 * entry's: used already, or made for a later state).
 */
export function verifyGrant(kind: Grant['kind'], grant: Grant, ctx: GrantContext): void {
  if (grant.kind !== kind) throw new DirectoryError('MALFORMED', 'grant.kind', `expected a ${kind} grant, got a ${grant.kind} grant`);
  _input(grant.ownerKey, 'grant.ownerKey', 32);
  _input(grant.newOwnerKey, 'grant.newOwnerKey', 32);
  _input(grant.signature, 'grant.signature', 64);
  if (!_equal(controlKeyHash(grant.ownerKey), ctx.ownerKeyHash)) {
    throw new DirectoryError('NOT_OWNER', 'grant.ownerKey', 'the grant is signed by a key that does not own the handle');
  }
  if (!ed25519.verify(grant.ownerKey, _grantMessage(kind, ctx.entryId, grant.sequence, grant.expiresAt, grant.newOwnerKey), grant.signature)) {
    throw new DirectoryError('BAD_SIGNATURE', 'grant.signature', `the ${kind} is not the owner's signature over this entry, sequence, expiry${kind === 'transfer' ? ' and new key' : ''}`);
  }
  if (ctx.now >= grant.expiresAt) throw new DirectoryError('EXPIRED', 'grant.expiresAt', `the ${kind} expired ${ctx.now - grant.expiresAt} ms ago`);
  if (grant.sequence !== ctx.sequence) {
    throw new DirectoryError('REPLAYED', 'grant.sequence', `the ${kind} is for sequence ${grant.sequence}, the entry is at ${ctx.sequence}`);
  }
}

/** The bytes of a grant (to hand over, or to send). */
export function encodeGrant(g: Grant): Uint8Array {
  _aint(g.sequence, 'sequence', 0, Number.MAX_SAFE_INTEGER);
  _aint(g.expiresAt, 'expiresAt', 0, Number.MAX_SAFE_INTEGER);
  const out = new Uint8Array(GRANT_LENGTH);
  out[0] = _VERSION;
  out[1] = _KIND[g.kind];
  out.set(_u64(g.sequence), 2);
  out.set(_u64(g.expiresAt), 10);
  out.set(_abytes(g.ownerKey, 'ownerKey', 32), 18);
  out.set(_abytes(g.newOwnerKey, 'newOwnerKey', 32), 50);
  out.set(_abytes(g.signature, 'signature', 64), 82);
  return out;
}

/** A grant from its bytes; `MALFORMED` for a wrong length, version, kind or out-of-range number. */
export function decodeGrant(bytes: Uint8Array): Grant {
  _input(bytes, 'grant', GRANT_LENGTH);
  if (bytes[0] !== _VERSION) throw new DirectoryError('MALFORMED', 'grant.version', `"grant.version" expected ${_VERSION}, got ${bytes[0]}`);
  const kind = bytes[1] === 1 ? 'transfer' : bytes[1] === 2 ? 'release' : undefined;
  if (kind === undefined) throw new DirectoryError('MALFORMED', 'grant.kind', `"grant.kind" expected 1 or 2, got ${bytes[1]}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const seq = dv.getBigUint64(2);
  const exp = dv.getBigUint64(10);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER) || exp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DirectoryError('MALFORMED', 'grant.sequence', '"grant" numbers expected below 2^53');
  }
  return {
    kind,
    sequence: Number(seq),
    expiresAt: Number(exp),
    ownerKey: bytes.slice(18, 50),
    newOwnerKey: bytes.slice(50, 82),
    signature: bytes.slice(82, 146),
  };
}
