/**
 * Our own key material as stored: the identity (per app install and namespace), the prekeys we
 * publish, and the counters that name them. JSON with byte strings as `{"$": base64}`.
 * @module
 */
import type { KeyPair } from '@tacit/crypto';
import { SessionError } from './errors.js';
import type { KemType } from './keys.js';
import { _b64, _unb64 } from './record.js';

/** Identity of one app install in one namespace. */
export interface _IdentityRecord {
  readonly namespaceId: Uint8Array;
  /** Curve25519: agrees (X25519) and signs prekeys (XEdDSA); what safety numbers show. */
  readonly identityKey: KeyPair;
  /** Ed25519: owns the relay mailboxes (claims), as the relay protocol requires. */
  readonly mailboxKey: KeyPair;
  /** Random 1..16380, as Signal clients pick theirs; echoed in session-starting messages. */
  readonly registrationId: number;
  readonly createdAt: number;
}

/** Counters and the ids of the keys currently published. */
export interface _Meta {
  nextPreKeyId: number;
  nextSignedPreKeyId: number;
  nextKyberPreKeyId: number;
  signedPreKeyId: number;
  lastResortKyberId: number;
}

/** A signed Curve25519 prekey we hold. */
export interface _SignedPreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
  readonly signature: Uint8Array;
  readonly createdAt: number;
}

/** A one-time Curve25519 prekey we hold. */
export interface _PreKeyRecord {
  readonly id: number;
  readonly keyPair: KeyPair;
}

/** A signed post-quantum prekey we hold: one-time (deleted on use) or last resort (kept). */
export interface _KyberPreKeyRecord {
  readonly id: number;
  readonly kem: KemType;
  /** 64-byte seed. */
  readonly secretKey: Uint8Array;
  /** Raw public key (no type byte). */
  readonly publicKey: Uint8Array;
  readonly signature: Uint8Array;
  readonly createdAt: number;
  readonly lastResort: boolean;
}

/** Encodes any of the records above. */
export function _encodeJson(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value, (_k, v: unknown) => (v instanceof Uint8Array ? { $: _b64(v) } : v)));
}

/** Decodes `_encodeJson` bytes; `SessionError` `MALFORMED` naming `what` when they do not parse. */
export function _decodeJson<T>(bytes: Uint8Array, what: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(bytes), (_k, v: unknown) => {
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (typeof o['$'] === 'string' && Object.keys(o).length === 1) return _unb64(o['$']);
      }
      return v;
    }) as T;
  } catch (err) {
    throw new SessionError('MALFORMED', what, `a stored ${what} does not decode`, { cause: err });
  }
}

/** Key ids wrap within 1..0xFFFFFF, as Signal clients keep them (24 bits). */
export const _MAX_KEY_ID = 0xffffff;

/** The id after `id`. */
export function _nextId(id: number): number {
  return id >= _MAX_KEY_ID ? 1 : id + 1;
}
