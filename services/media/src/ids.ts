/**
 * Blob ids: 18 random bytes (144 bits) as 24 base64url characters — too many to guess one, and
 * the same string is the upload's and the blob's. Every route checks the shape before the store is
 * asked anything, so no other string ever names an object or a file.
 * @module
 */
import { randomBytes } from 'node:crypto';

/** Random bytes in an id. */
export const BLOB_ID_BYTES = 18;

const _SHAPE = /^[A-Za-z0-9_-]{24}$/;

/** A new id: {@link BLOB_ID_BYTES} from the OS's CSPRNG, base64url (no padding: 18 bytes make 24 characters). */
export function newBlobId(): string {
  return randomBytes(BLOB_ID_BYTES).toString('base64url');
}

/** Whether `s` has an id's shape (24 base64url characters). */
export function isBlobId(s: string): boolean {
  return _SHAPE.test(s);
}
