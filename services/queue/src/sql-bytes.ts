// Helpers of the SQL core for the bytes it passes to PostgreSQL: map keys of ids, packed id
// parameters, array literals. Internal to the queue (names start with _).
import { ID_BYTES } from './model.js';

// Map key of a (mailbox, packet) pair; latin1 keeps one char per byte, cheaper than hex.
export function _key(mailboxId: Uint8Array, packetId: Uint8Array): string {
  return Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1') +
    Buffer.from(packetId.buffer, packetId.byteOffset, packetId.byteLength).toString('latin1');
}

export function _mailboxKey(mailboxId: Uint8Array): string {
  return Buffer.from(mailboxId.buffer, mailboxId.byteOffset, mailboxId.byteLength).toString('latin1');
}

/** Concatenation of ids, which must be {@link ID_BYTES} long each or the packing would shift. */
export function _packIds(ids: readonly Uint8Array[]): Uint8Array {
  const out = Buffer.allocUnsafe(ids.length * ID_BYTES);
  ids.forEach((id, i) => {
    if (id.length !== ID_BYTES) throw new RangeError(`"id" expected ${ID_BYTES} bytes, got ${id.length}`);
    out.set(id, i * ID_BYTES);
  });
  return out;
}

/** Seqs whose high 32 bits reach this (2^53 and up) are not exact as numbers: acked as unknown. */
export const _SEQ_HIGH_LIMIT = 2 ** 21;

/** Whether the 16-byte ids at offsets `a` and `b` of `v` are equal. */
export function _sameId(v: DataView, a: number, b: number): boolean {
  return (
    v.getUint32(a) === v.getUint32(b) &&
    v.getUint32(a + 4) === v.getUint32(b + 4) &&
    v.getUint32(a + 8) === v.getUint32(b + 8) &&
    v.getUint32(a + 12) === v.getUint32(b + 12)
  );
}

/** A PostgreSQL array literal of integers. */
export function _intArray(values: readonly number[]): string {
  return `{${values.join(',')}}`;
}
