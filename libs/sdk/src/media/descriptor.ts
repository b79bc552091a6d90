/**
 * The media descriptor: what a sender puts in a message so the recipient can fetch, check and
 * decrypt a blob. It travels only inside the end-to-end session (the key never reaches a relay or
 * the media service). Binary, versioned:
 *
 *     version (1) = 1 || key (32) || digest (32) || size (u64 BE)
 *     || u8 len || id (ASCII base64url) || u8 len || type (ASCII MIME) || u16 BE len || url (UTF-8, 0: none)
 *
 * Decoding refuses anything else (unknown version, a short or long body, bad id, type or URL) with
 * `MediaError` MALFORMED.
 * @module
 */
import { MediaError } from './errors.js';
import { MEDIA_DIGEST_BYTES, MEDIA_KEY_BYTES, MEDIA_MAX_SIZE } from './format.js';

/** A blob as its recipient sees it. */
export interface MediaDescriptor {
  /** The media service's id of the blob (base64url, at least 128 random bits). */
  readonly id: string;
  /** Its 32-byte key. Treat as a secret: whoever holds the descriptor can read the blob. */
  readonly key: Uint8Array;
  /** SHA-256 of its whole ciphertext (32 bytes). */
  readonly digest: Uint8Array;
  /** Plaintext bytes. */
  readonly size: number;
  /** MIME type, as the sender said (`image/jpeg`); not checked against the content. */
  readonly type: string;
  /** Base URL of the media service holding it (`https://host:port`), when the sender named one. */
  readonly url?: string | undefined;
}

/** The descriptor format's version. */
export const MEDIA_DESCRIPTOR_VERSION = 1;
/** Longest `url` a descriptor carries (bytes of UTF-8). */
export const MEDIA_MAX_URL_BYTES = 2048;

const _ID = /^[A-Za-z0-9_-]{22,128}$/;
// RFC 6838 restricted names, `type/subtype`, with optional parameters in printable ASCII.
const _TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}(?:;[\x20-\x7e]*)?$/;
const _enc = new TextEncoder();
const _dec = new TextDecoder('utf-8', { fatal: true });

function _bad(field: string, why: string): MediaError {
  return new MediaError('MALFORMED', field, `"${field}" ${why}`);
}

/** Checks a base URL of a media service: `http(s)://host[:port][/path]`, no query or credentials. */
export function checkMediaUrl(url: unknown, field = 'url'): string {
  if (typeof url !== 'string' || _enc.encode(url).length > MEDIA_MAX_URL_BYTES) throw _bad(field, `expected a URL of at most ${MEDIA_MAX_URL_BYTES} bytes`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw _bad(field, 'expected an absolute http(s) URL');
  }
  if ((u.protocol !== 'https:' && u.protocol !== 'http:') || u.username !== '' || u.password !== '' || u.search !== '' || u.hash !== '')
    throw _bad(field, 'expected http(s)://host[:port][/path], without credentials, query or fragment');
  return url;
}

/** Checks every field of `d`; returns it. `MediaError` MALFORMED (field `descriptor.<name>`) otherwise. */
export function checkMediaDescriptor(d: MediaDescriptor): MediaDescriptor {
  if (typeof d !== 'object' || d === null) throw _bad('descriptor', 'expected an object');
  if (typeof d.id !== 'string' || !_ID.test(d.id)) throw _bad('descriptor.id', 'expected 22..128 base64url characters');
  if (!(d.key instanceof Uint8Array) || d.key.length !== MEDIA_KEY_BYTES) throw _bad('descriptor.key', `expected ${MEDIA_KEY_BYTES} bytes`);
  if (!(d.digest instanceof Uint8Array) || d.digest.length !== MEDIA_DIGEST_BYTES) throw _bad('descriptor.digest', `expected ${MEDIA_DIGEST_BYTES} bytes`);
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0 || d.size > MEDIA_MAX_SIZE)
    throw _bad('descriptor.size', `expected an integer in 0..${MEDIA_MAX_SIZE}`);
  if (typeof d.type !== 'string' || !_TYPE.test(d.type) || d.type.length > 255) throw _bad('descriptor.type', 'expected a MIME type (type/subtype), at most 255 ASCII characters');
  if (d.url !== undefined) checkMediaUrl(d.url, 'descriptor.url');
  return d;
}

/** The binary form of `d` (checked first). */
export function encodeMediaDescriptor(d: MediaDescriptor): Uint8Array {
  checkMediaDescriptor(d);
  const id = _enc.encode(d.id);
  const type = _enc.encode(d.type);
  const url = d.url === undefined ? new Uint8Array(0) : _enc.encode(d.url);
  const out = new Uint8Array(1 + 32 + 32 + 8 + 1 + id.length + 1 + type.length + 2 + url.length);
  const v = new DataView(out.buffer);
  out[0] = MEDIA_DESCRIPTOR_VERSION;
  out.set(d.key, 1);
  out.set(d.digest, 33);
  v.setUint32(65, Math.floor(d.size / 2 ** 32));
  v.setUint32(69, d.size >>> 0);
  let at = 73;
  out[at++] = id.length;
  out.set(id, at);
  at += id.length;
  out[at++] = type.length;
  out.set(type, at);
  at += type.length;
  v.setUint16(at, url.length);
  out.set(url, at + 2);
  return out;
}

/** Decodes and checks a descriptor; `MediaError` MALFORMED for anything that is not exactly one. */
export function decodeMediaDescriptor(bytes: Uint8Array): MediaDescriptor {
  if (!(bytes instanceof Uint8Array)) throw _bad('descriptor', 'expected a Uint8Array');
  if (bytes.length < 1) throw _bad('descriptor', 'expected at least 1 byte');
  if (bytes[0] !== MEDIA_DESCRIPTOR_VERSION) throw _bad('descriptor.version', `expected ${MEDIA_DESCRIPTOR_VERSION}, got ${bytes[0]}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number, field: string) => {
    if (bytes.length - at < n) throw _bad(field, `expected ${n} more bytes, got ${bytes.length - at}`);
  };
  at = 1;
  need(72, 'descriptor');
  const key = bytes.slice(1, 33);
  const digest = bytes.slice(33, 65);
  const hi = v.getUint32(65);
  const size = hi * 2 ** 32 + v.getUint32(69);
  at = 73;
  need(1, 'descriptor.id');
  const idLen = bytes[at++]!;
  need(idLen, 'descriptor.id');
  const id = _ascii(bytes.subarray(at, at + idLen), 'descriptor.id');
  at += idLen;
  need(1, 'descriptor.type');
  const typeLen = bytes[at++]!;
  need(typeLen, 'descriptor.type');
  const type = _ascii(bytes.subarray(at, at + typeLen), 'descriptor.type');
  at += typeLen;
  need(2, 'descriptor.url');
  const urlLen = v.getUint16(at);
  at += 2;
  need(urlLen, 'descriptor.url');
  let url: string | undefined;
  if (urlLen > 0) {
    try {
      url = _dec.decode(bytes.subarray(at, at + urlLen));
    } catch {
      throw _bad('descriptor.url', 'expected UTF-8');
    }
  }
  at += urlLen;
  if (at !== bytes.length) throw _bad('descriptor', `expected ${at} bytes, got ${bytes.length}`);
  return checkMediaDescriptor({ id, key, digest, size, type, url });
}

function _ascii(b: Uint8Array, field: string): string {
  let s = '';
  for (const x of b) {
    if (x < 0x20 || x > 0x7e) throw _bad(field, 'expected printable ASCII');
    s += String.fromCharCode(x);
  }
  return s;
}
