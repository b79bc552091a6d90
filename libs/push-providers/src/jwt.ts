// Compact JWS in the two algorithms the providers use: ES256 (APNs provider tokens, VAPID) and
// RS256 (Google service-account assertions, verified by the local FCM server). node:crypto does the
// signing; JOSE wants ECDSA signatures as r || s (IEEE P1363), not DER.
import { sign, verify, type KeyObject } from 'node:crypto';

/** base64url without padding, as JOSE writes it. */
export function b64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

/** Signs `header.claims` with an ES256 (P-256) private key. */
export function signEs256(header: object, claims: object, key: KeyObject): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const sig = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  return `${input}.${b64url(sig)}`;
}

/** A JWT taken apart; `verified` says whether the signature checked against the key given. */
export interface DecodedJwt {
  readonly header: Record<string, unknown>;
  readonly claims: Record<string, unknown>;
  readonly verified: boolean;
}

const _MAX_JWT = 8192;

/**
 * Splits and checks a compact JWT against `key` with `alg` (ES256 or RS256); undefined when it is
 * not a well-formed JWT at all. A wrong algorithm in the header counts as unverified.
 */
export function decodeJwt(token: string, alg: 'ES256' | 'RS256', key: KeyObject): DecodedJwt | undefined {
  if (token.length > _MAX_JWT) return undefined;
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [h = '', c = '', s = ''] = parts;
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof header !== 'object' || header === null || typeof claims !== 'object' || claims === null) return undefined;
  const hdr = header as Record<string, unknown>;
  let verified = false;
  if (hdr['alg'] === alg) {
    try {
      const sig = Buffer.from(s, 'base64url');
      const data = Buffer.from(`${h}.${c}`);
      verified = alg === 'ES256' ? verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig) : verify('RSA-SHA256', data, key, sig);
    } catch {
      verified = false;
    }
  }
  return { header: hdr, claims: claims as Record<string, unknown>, verified };
}
