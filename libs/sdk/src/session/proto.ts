/**
 * The few protobuf (proto2) encodings the Signal wire messages and our stored records need:
 * varints and length-delimited bytes. Written here rather than taken from a protobuf library
 * because the messages have six to eight scalar fields and the decoder must refuse malformed
 * input with our typed error, field by field.
 * @module
 */
import { SessionError } from './errors.js';

/** Wire types used here. */
const VARINT = 0;
const I64 = 1;
const LEN = 2;
const I32 = 5;

/** Appends fields in the order written; `finish` returns the bytes. */
export class _ProtoWriter {
  #buf = new Uint8Array(256);
  #len = 0;

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  #varint(v: number): void {
    this.#grow(10);
    while (v > 0x7f) {
      this.#buf[this.#len++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.#buf[this.#len++] = v;
  }

  /** A uint32 field; skipped when `v` is undefined. */
  uint32(field: number, v: number | undefined): this {
    if (v === undefined) return this;
    this.#varint((field << 3) | VARINT);
    this.#varint(v >>> 0);
    return this;
  }

  /** A bytes field; skipped when `v` is undefined. */
  bytes(field: number, v: Uint8Array | undefined): this {
    if (v === undefined) return this;
    this.#varint((field << 3) | LEN);
    this.#varint(v.length);
    this.#grow(v.length);
    this.#buf.set(v, this.#len);
    this.#len += v.length;
    return this;
  }

  /** The encoded message. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** A decoded message: the last value of each field number (proto2 semantics for scalars). */
export interface _ProtoFields {
  readonly varints: Map<number, number>;
  readonly bytes: Map<number, Uint8Array>;
}

function _malformed(what: string, why: string): SessionError {
  return new SessionError('MALFORMED', what, `"${what}" is not a valid protobuf message: ${why}`);
}

/**
 * Decodes `buf` (`what` names it in errors). Unknown fields of any wire type are skipped, as
 * protobuf requires; a varint above 2^32 - 1 in a field read as uint32 is refused by the caller.
 * Returned byte fields are views into `buf`.
 */
export function _decodeProto(buf: Uint8Array, what: string): _ProtoFields {
  const varints = new Map<number, number>();
  const bytes = new Map<number, Uint8Array>();
  let i = 0;
  const varint = (): number => {
    let v = 0;
    let mul = 1;
    for (let n = 0; n < 10; n++) {
      if (i >= buf.length) throw _malformed(what, 'truncated varint');
      const b = buf[i++]!;
      v += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (v > Number.MAX_SAFE_INTEGER) throw _malformed(what, 'varint out of range');
        return v;
      }
      mul *= 128;
    }
    throw _malformed(what, 'varint longer than 10 bytes');
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const type = key & 7;
    if (field === 0) throw _malformed(what, 'field number 0');
    switch (type) {
      case VARINT:
        varints.set(field, varint());
        break;
      case LEN: {
        const n = varint();
        if (n > buf.length - i) throw _malformed(what, `field ${field} runs past the end`);
        bytes.set(field, buf.subarray(i, i + n));
        i += n;
        break;
      }
      case I64:
      case I32: {
        const n = type === I64 ? 8 : 4;
        if (n > buf.length - i) throw _malformed(what, `field ${field} runs past the end`);
        i += n;
        break;
      }
      default:
        throw _malformed(what, `wire type ${type}`);
    }
  }
  return { varints, bytes };
}

/** A uint32 field, or undefined when absent; refuses values above 2^32 - 1. */
export function _u32(f: _ProtoFields, field: number, what: string): number | undefined {
  const v = f.varints.get(field);
  if (v !== undefined && v > 0xffffffff) throw _malformed(what, `field ${field} exceeds uint32`);
  return v;
}
