// Internal byte plumbing shared by the codecs: assertion helpers for encoders (TypeError /
// RangeError, caller bugs) and a cursor for decoders (ProtocolError, untrusted input).
import { ErrorCode, ProtocolError } from './errors.js';

/** @internal */
export function _typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}

/** @internal */
export function _plural(n: number): string {
  return n === 1 ? `${n} byte` : `${n} bytes`;
}

/** Asserts `value` is a Uint8Array, of exactly `len` bytes when given. @internal */
export function _abytes(value: unknown, field: string, len?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`"${field}" expected Uint8Array, got ${_typeName(value)}`);
  }
  if (len !== undefined && value.length !== len) {
    throw new RangeError(`"${field}" expected ${_plural(len)}, got ${value.length}`);
  }
  return value;
}

/** Asserts `value` is an integer in min..max. @internal */
export function _aint(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number') {
    throw new TypeError(`"${field}" expected integer, got ${_typeName(value)}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`"${field}" expected integer ${min}..${max}, got ${value}`);
  }
  return value;
}

/** Asserts `value` is an array of `min..max` items. @internal */
export function _aarray(value: unknown, field: string, min: number, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`"${field}" expected array, got ${_typeName(value)}`);
  if (value.length < min || value.length > max) {
    throw new RangeError(`"${field}" expected ${min}..${max} items, got ${value.length}`);
  }
  return value;
}

/** @internal */
export function _malformed(field: string, message: string): ProtocolError {
  return new ProtocolError(ErrorCode.MALFORMED_FRAME, field, message);
}

/** Rejects anything but bytes up front, e.g. a WebSocket text message handed in as a string. @internal */
export function _input(value: unknown, field: string, maxBytes: number): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw _malformed(field, `"${field}" expected Uint8Array, got ${_typeName(value)}`);
  }
  if (value.length > maxBytes) {
    throw new ProtocolError(
      ErrorCode.FRAME_TOO_LARGE,
      field,
      `"${field}" expected at most ${_plural(maxBytes)}, got ${value.length}`,
    );
  }
  return value;
}

/**
 * Forward-only cursor over untrusted bytes. Byte fields come back as subarray views of the
 * input: the gateway decodes every frame, and copying 64 KiB payloads would dominate.
 * @internal
 */
export class _Reader {
  readonly bytes: Uint8Array;
  pos = 0;
  private readonly _view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this._view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Bytes not read yet. */
  get left(): number {
    return this.bytes.length - this.pos;
  }

  private _need(n: number, field: string): void {
    const left = this.bytes.length - this.pos;
    if (left < n) throw _malformed(field, `"${field}" expected ${_plural(n)}, got ${left}`);
  }

  u8(field: string): number {
    this._need(1, field);
    return this._view.getUint8(this.pos++);
  }

  u16(field: string): number {
    this._need(2, field);
    const v = this._view.getUint16(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this._need(4, field);
    const v = this._view.getUint32(this.pos);
    this.pos += 4;
    return v;
  }

  take(n: number, field: string): Uint8Array {
    this._need(n, field);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  /** Reads `count` consecutive `size`-byte items after one bounds check. */
  takeMany(count: number, size: number, field: string): Uint8Array[] {
    this._need(count * size, field);
    const out = new Array<Uint8Array>(count);
    for (let i = 0, p = this.pos; i < count; i++, p += size) out[i] = this.bytes.subarray(p, p + size);
    this.pos += count * size;
    return out;
  }

  /** Strict framing: a value that parsed but left bytes over is still malformed. */
  end(field: string): void {
    const left = this.bytes.length - this.pos;
    if (left !== 0) throw _malformed(field, `"${field}" has ${_plural(left)} left over after its last field`);
  }
}

/** Writer over a buffer allocated once at its exact final size. @internal */
export class _Writer {
  readonly bytes: Uint8Array;
  pos = 0;
  private readonly _view: DataView;

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this._view = new DataView(this.bytes.buffer);
  }

  u8(v: number): void {
    this._view.setUint8(this.pos++, v);
  }

  u16(v: number): void {
    this._view.setUint16(this.pos, v);
    this.pos += 2;
  }

  u32(v: number): void {
    this._view.setUint32(this.pos, v);
    this.pos += 4;
  }

  put(b: Uint8Array): void {
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
}

/** Range check for decoded integers. @internal */
export function _range(v: number, field: string, min: number, max: number): number {
  if (v < min || v > max) throw _malformed(field, `"${field}" expected ${min}..${max}, got ${v}`);
  return v;
}

const _encoder = new TextEncoder();
const _decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encode, refusing lone surrogates (TextEncoder would turn them into U+FFFD silently). @internal */
export function _utf8(s: unknown, field: string): Uint8Array {
  if (typeof s !== 'string') throw new TypeError(`"${field}" expected string, got ${_typeName(s)}`);
  if (/\p{Cs}/u.test(s)) throw new RangeError(`"${field}" expected well-formed Unicode, got a lone surrogate`);
  return _encoder.encode(s);
}

/** Strict UTF-8 decode of untrusted bytes. @internal */
export function _fromUtf8(b: Uint8Array, field: string): string {
  try {
    return _decoder.decode(b);
  } catch (cause) {
    throw new ProtocolError(ErrorCode.MALFORMED_FRAME, field, `"${field}" expected valid UTF-8`, { cause });
  }
}

/** ASCII/UTF-8 bytes of a constant string. @internal */
export function _ascii(s: string): Uint8Array {
  return _encoder.encode(s);
}
