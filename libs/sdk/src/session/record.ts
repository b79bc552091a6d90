/**
 * A peer's session record as stored: the current session, up to 40 earlier ones (a peer that
 * started over may still have messages in flight on an old one, as libsignal keeps them), and
 * the peer's identity key as first seen. Encoded as UTF-8 JSON with base64 byte strings: records
 * are small, and a readable format is worth more here than the bytes a binary one would save.
 * @module
 */
import { SessionError } from './errors.js';
import type { _SessionState } from './ratchet.js';

/** Earlier sessions kept per peer (libsignal's ARCHIVED_STATES_MAX_LENGTH). */
export const MAX_ARCHIVED_SESSIONS = 40;

/** All we keep about one peer. */
export interface _SessionRecord {
  /** The peer's identity key (32 bytes) we trust: the first one seen, or one `trustIdentity` accepted. */
  identity: Uint8Array | undefined;
  current: _SessionState | undefined;
  /** Newest first. */
  readonly previous: _SessionState[];
}

const _FORMAT = 1;

/** Base64 of bytes, portable (no Buffer). */
export function _b64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode.apply(null, b.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(s);
}

/** Bytes of base64. */
export function _unb64(s: string): Uint8Array {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function _stateToJson(s: _SessionState): unknown {
  return {
    li: _b64(s.localIdentity),
    ri: _b64(s.remoteIdentity),
    lr: s.localRegistrationId,
    rr: s.remoteRegistrationId,
    bk: _b64(s.baseKey),
    rk: _b64(s.rootKey),
    s: [_b64(s.send.ratchetPublic), _b64(s.send.ratchetSecret), _b64(s.send.chainKey), s.send.index],
    pc: s.previousCounter,
    r: s.receive.map((c) => [_b64(c.ratchetKey), _b64(c.chainKey), c.index, [...c.skipped].map(([n, k]) => [n, _b64(k)])]),
    p:
      s.pending === undefined
        ? null
        : [s.pending.preKeyId ?? null, s.pending.signedPreKeyId, s.pending.kyberPreKeyId, _b64(s.pending.kyberCiphertext), s.pending.createdAt],
  };
}

type _J = Record<string, unknown>;

function _stateFromJson(j: _J): _SessionState {
  const s = j['s'] as [string, string, string, number];
  const p = j['p'] as [number | null, number, number, string, number] | null;
  return {
    localIdentity: _unb64(j['li'] as string),
    remoteIdentity: _unb64(j['ri'] as string),
    localRegistrationId: j['lr'] as number,
    remoteRegistrationId: j['rr'] as number,
    baseKey: _unb64(j['bk'] as string),
    rootKey: _unb64(j['rk'] as string),
    send: { ratchetPublic: _unb64(s[0]), ratchetSecret: _unb64(s[1]), chainKey: _unb64(s[2]), index: s[3] },
    previousCounter: j['pc'] as number,
    receive: (j['r'] as [string, string, number, [number, string][]][]).map(([rk, ck, index, skipped]) => ({
      ratchetKey: _unb64(rk),
      chainKey: _unb64(ck),
      index,
      skipped: new Map(skipped.map(([n, k]) => [n, _unb64(k)])),
    })),
    pending:
      p === null
        ? undefined
        : { preKeyId: p[0] ?? undefined, signedPreKeyId: p[1], kyberPreKeyId: p[2], kyberCiphertext: _unb64(p[3]), createdAt: p[4] },
  };
}

/** The stored bytes of a record. */
export function _encodeRecord(r: _SessionRecord): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({
      v: _FORMAT,
      i: r.identity === undefined ? null : _b64(r.identity),
      c: r.current === undefined ? null : _stateToJson(r.current), p: r.previous.map(_stateToJson) }),
  );
}

/** A record from its stored bytes; `SessionError` `MALFORMED` (field `record`) when they are not one. */
export function _decodeRecord(bytes: Uint8Array): _SessionRecord {
  try {
    const j = JSON.parse(new TextDecoder().decode(bytes)) as _J;
    if (j['v'] !== _FORMAT) throw new Error(`format ${String(j['v'])}`);
    return {
      identity: j['i'] === null ? undefined : _unb64(j['i'] as string),
      current: j['c'] === null ? undefined : _stateFromJson(j['c'] as _J),
      previous: (j['p'] as _J[]).map(_stateFromJson),
    };
  } catch (err) {
    throw new SessionError('MALFORMED', 'record', 'a stored session record does not decode', { cause: err });
  }
}

/** Makes `state` current, archiving the current one (oldest archived dropped past the limit). */
export function _promote(r: _SessionRecord, state: _SessionState): void {
  if (r.current !== undefined) r.previous.unshift(r.current);
  if (r.previous.length > MAX_ARCHIVED_SESSIONS) r.previous.length = MAX_ARCHIVED_SESSIONS;
  r.current = state;
}
