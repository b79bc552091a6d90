/**
 * The directory's HTTP endpoints on the gateway's client listener, as both sides speak them: POST
 * `/v1/directory/challenge|register|lookup|transfer|release`, a JSON body in (byte fields in
 * unpadded base64url) and a JSON body out; a refusal is a {@link DirectoryError} as
 * `{"error":{"code","field","message"}}` with the status {@link directoryHttpStatus} gives. The
 * requester is not in the body: the gateway names it (the client's address key), so a client
 * cannot pick whose rate limit it spends. Browser-safe (no Node APIs).
 * @module
 */
import { DirectoryError, isDirectoryErrorCode, type DirectoryErrorCode } from './errors.js';
import type { OwnershipPolicy } from './policy.js';
import { MAX_RECORD_LENGTH } from './record.js';
import { CHALLENGE_LENGTH, GRANT_LENGTH } from './proofs.js';

/** Where the endpoints live on the client listener. */
export const DIRECTORY_PATH = '/v1/directory';

/** The endpoints, by name. */
export type DirectoryOperation = 'challenge' | 'register' | 'lookup' | 'transfer' | 'release';

/** A request's fields (all but `policy` bytes); which are required depends on the operation. */
export interface DirectoryHttpRequest {
  readonly policy: OwnershipPolicy;
  readonly lookupKey: Uint8Array;
  readonly record?: Uint8Array;
  readonly controlKey?: Uint8Array;
  readonly challenge?: Uint8Array;
  readonly proof?: Uint8Array;
  readonly grant?: Uint8Array;
}

const _BYTE_FIELDS = ['lookupKey', 'record', 'controlKey', 'challenge', 'proof', 'grant'] as const;
type _ByteField = (typeof _BYTE_FIELDS)[number];

/** The fields each operation requires, and the longest each may be (bytes). */
const _REQUIRED: Readonly<Record<Exclude<DirectoryOperation, 'challenge'>, readonly _ByteField[]>> = Object.freeze({
  register: ['lookupKey', 'record', 'controlKey', 'challenge', 'proof'],
  lookup: ['lookupKey'],
  transfer: ['lookupKey', 'grant', 'record', 'challenge', 'proof'],
  release: ['lookupKey', 'grant'],
});
const _MAX_BYTES: Readonly<Record<_ByteField, number>> = Object.freeze({
  lookupKey: 32,
  record: MAX_RECORD_LENGTH,
  controlKey: 32,
  challenge: CHALLENGE_LENGTH,
  proof: 64,
  grant: GRANT_LENGTH,
});

/** The longest body any endpoint takes (a transfer: record and grant in base64url, and the JSON around them). */
export const MAX_DIRECTORY_BODY_BYTES = 4096;

/** The HTTP status that carries `code`. */
export function directoryHttpStatus(code: DirectoryErrorCode): number {
  switch (code) {
    case 'NOT_FOUND':
      return 404;
    case 'RATE_LIMITED':
      return 429;
    case 'TAKEN':
    case 'STALE_CHALLENGE':
    case 'REPLAYED':
      return 409;
    case 'BAD_PROOF':
    case 'BAD_SIGNATURE':
    case 'NOT_OWNER':
    case 'EXPIRED':
      return 403;
    case 'TOO_LARGE':
      return 413;
    case 'BAD_METHOD':
      return 405;
    case 'TIMEOUT':
      return 408;
    case 'UNAVAILABLE':
      return 503;
    case 'INTERNAL':
      return 500;
    default:
      return 400;
  }
}

const _B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const _B64_INDEX: Readonly<Record<string, number>> = Object.freeze(Object.fromEntries([..._B64].map((c, i) => [c, i])));

/** Unpadded base64url of `bytes`. */
export function toBase64Url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let k = 0; k < chars; k++) out += _B64[(n >> (18 - 6 * k)) & 63];
  }
  return out;
}

/** The bytes of unpadded base64url `text`; MALFORMED (naming `field`) for anything else, including non-canonical trailing bits. */
export function fromBase64Url(text: string, field: string): Uint8Array {
  if (text.length % 4 === 1) throw new DirectoryError('MALFORMED', field, `"${field}" expected unpadded base64url`);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (const c of text) {
    const v = _B64_INDEX[c];
    if (v === undefined) throw new DirectoryError('MALFORMED', field, `"${field}" expected unpadded base64url`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new DirectoryError('MALFORMED', field, `"${field}" expected canonical base64url`);
  return out;
}

/** The JSON body of a request. */
export function encodeDirectoryRequest(req: DirectoryHttpRequest): string {
  const out: Record<string, string> = { policy: req.policy };
  for (const f of _BYTE_FIELDS) {
    const v = req[f];
    if (v !== undefined) out[f] = toBase64Url(v);
  }
  return JSON.stringify(out);
}

/** The request `body` stands for at endpoint `op`; MALFORMED naming the field for anything else (lengths are the service's to check). */
export function decodeDirectoryRequest(op: Exclude<DirectoryOperation, 'challenge'>, body: string): DirectoryHttpRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new DirectoryError('MALFORMED', 'body', '"body" expected JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new DirectoryError('MALFORMED', 'body', '"body" expected a JSON object');
  const o = parsed as Record<string, unknown>;
  if (o.policy !== 'signed' && o.policy !== 'last_writer_wins') throw new DirectoryError('MALFORMED', 'policy', '"policy" expected "signed" or "last_writer_wins"');
  const out: Record<string, unknown> = { policy: o.policy };
  for (const f of _REQUIRED[op]) {
    const v = o[f];
    if (typeof v !== 'string') throw new DirectoryError('MALFORMED', f, `"${f}" expected a base64url string`);
    if (v.length > Math.ceil((_MAX_BYTES[f] * 4) / 3)) throw new DirectoryError('MALFORMED', f, `"${f}" expected at most ${_MAX_BYTES[f]} bytes`);
    out[f] = fromBase64Url(v, f);
  }
  return out as unknown as DirectoryHttpRequest;
}

/** The JSON body of a refusal. */
export function encodeDirectoryErrorBody(err: DirectoryError): string {
  return JSON.stringify({ error: { code: err.code, field: err.field, message: err.message } });
}

/**
 * The error an answer with HTTP `status` and `body` carries. A body that is not the JSON of
 * {@link encodeDirectoryErrorBody} (a proxy's page, say) still gives a typed error, by status.
 */
export function decodeDirectoryErrorBody(status: number, body: string): DirectoryError {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; field?: unknown; message?: unknown } }).error;
    if (e && isDirectoryErrorCode(e.code) && typeof e.field === 'string' && typeof e.message === 'string') return new DirectoryError(e.code, e.field, e.message);
  } catch {
    // not JSON: by status below
  }
  const code: DirectoryErrorCode = status === 429 ? 'RATE_LIMITED' : status === 404 ? 'NOT_FOUND' : status === 413 ? 'TOO_LARGE' : status >= 500 ? 'UNAVAILABLE' : 'MALFORMED';
  return new DirectoryError(code, 'response', `HTTP ${status} without a directory error body`);
}
