// What every family of HTTP endpoint errors shares (prekey-errors.ts, push-errors.ts): the JSON body
// `{"code","field","message"}` both sides read, and reading an answer back into a typed error, by
// its body's code or, for a body that is not ours (a proxy's page), by its status alone.
import { _typeName } from './_bytes.js';

/** Longest message (and field: 128) a body carries. */
const _MAX_TEXT = 512;

/** The JSON body of an error answer, the message cut to 512 characters and the field to 128. */
export function encodeEndpointErrorBody(err: { code: string; field: string; message: string }): string {
  return JSON.stringify({ code: err.code, field: err.field.slice(0, 128), message: err.message.slice(0, _MAX_TEXT) });
}

/** How one family reads its answers back. */
export interface EndpointErrorKind<C extends string, E> {
  /** The family's name in a fallback message (`prekey`, `push`). */
  name: string;
  isCode(code: unknown): code is C;
  make(code: C, field: string, message: string): E;
  /** The code a status means when the body is not the family's JSON. */
  byStatus(status: number): C;
}

/** The error an answer with HTTP `status` and `body` carries, as `kind`'s type. */
export function decodeEndpointErrorBody<C extends string, E>(kind: EndpointErrorKind<C, E>, status: number, body: string): E {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const o = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  if (kind.isCode(o.code)) {
    const field = typeof o.field === 'string' ? o.field.slice(0, 128) : '';
    const message = typeof o.message === 'string' ? o.message.slice(0, _MAX_TEXT) : o.code;
    return kind.make(o.code, field, message);
  }
  return kind.make(kind.byStatus(status), 'response', `HTTP ${status} without a ${kind.name} error body (${_typeName(parsed)})`);
}
