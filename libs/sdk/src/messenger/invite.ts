/**
 * Invites: what one user hands another (a QR code, a link) so the other can reach them — the app's
 * namespace, the mailbox key senders address, the identity key sessions start from, and the home
 * relay whose prekey service holds the bundle. A string of `TACIT1:` and RFC 4648 base32 (capitals
 * and digits), which QR codes carry in their compact alphanumeric mode.
 *
 *     payload = version (1) || namespaceId (32) || mailboxKey (32) || identityKey (32)
 *               || u8 relay length || relay URL (UTF-8, ws:// or wss://, at most 200 bytes)
 *               || first 4 bytes of BLAKE3(everything before)   (catches a mistyped invite)
 *
 * The namespace id is in the invite: anyone holding one can address the inviter in that app, which
 * is what an invite is for. The relay never sees an invite.
 * @module
 */
import { blake3 } from '@tacit/crypto';
import { MessengerError } from './errors.js';

/** What an invite carries. */
export interface Invite {
  /** The app's 32-byte namespace id. */
  readonly namespaceId: Uint8Array;
  /** The inviter's Ed25519 mailbox key (32 bytes): whom senders address. */
  readonly mailboxKey: Uint8Array;
  /** The inviter's Curve25519 identity key (32 bytes): what safety numbers and sessions are made from. */
  readonly identityKey: Uint8Array;
  /** The inviter's home relay, `ws://…/v1` or `wss://…/v1`. */
  readonly relay: string;
}

/** The prefix of every invite string. */
export const INVITE_PREFIX = 'TACIT1:';
const _VERSION = 1;
const _MAX_RELAY = 200;
const _ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function _base32(b: Uint8Array): string {
  let out = '';
  let bits = 0;
  let acc = 0;
  for (const x of b) {
    acc = (acc << 8) | x;
    bits += 8;
    while (bits >= 5) {
      out += _ALPHABET[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += _ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

function _unbase32(s: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let acc = 0;
  for (const ch of s) {
    const v = _ALPHABET.indexOf(ch);
    if (v < 0) throw new MessengerError('BAD_INVITE', 'invite', `"invite" expected base32 (A-Z, 2-7) after ${INVITE_PREFIX}, got ${JSON.stringify(ch)}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((acc >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    acc &= (1 << bits) - 1;
  }
  // Canonical: the leftover bits of the last character are zero.
  if (acc !== 0) throw new MessengerError('BAD_INVITE', 'invite', '"invite" does not end on a byte boundary');
  return Uint8Array.from(out);
}

function _checkRelay(relay: unknown): string {
  if (typeof relay !== 'string' || !/^wss?:\/\/[^\s]+$/.test(relay))
    throw new MessengerError('BAD_INVITE', 'relay', '"relay" expected a ws:// or wss:// URL');
  if (new TextEncoder().encode(relay).length > _MAX_RELAY) throw new MessengerError('BAD_INVITE', 'relay', `"relay" expected at most ${_MAX_RELAY} bytes`);
  return relay;
}

/** The invite string of `inv`. */
export function encodeInvite(inv: Invite): string {
  for (const f of ['namespaceId', 'mailboxKey', 'identityKey'] as const)
    if (!(inv[f] instanceof Uint8Array) || inv[f].length !== 32) throw new MessengerError('BAD_INVITE', f, `"${f}" expected 32 bytes`);
  const relay = new TextEncoder().encode(_checkRelay(inv.relay));
  const body = new Uint8Array(1 + 96 + 1 + relay.length);
  body[0] = _VERSION;
  body.set(inv.namespaceId, 1);
  body.set(inv.mailboxKey, 33);
  body.set(inv.identityKey, 65);
  body[97] = relay.length;
  body.set(relay, 98);
  const out = new Uint8Array(body.length + 4);
  out.set(body, 0);
  out.set(blake3(body).subarray(0, 4), body.length);
  return INVITE_PREFIX + _base32(out);
}

/** The invite in `s` (surrounding spaces ignored); `MessengerError` BAD_INVITE naming what is wrong. */
export function decodeInvite(s: string): Invite {
  if (typeof s !== 'string') throw new MessengerError('BAD_INVITE', 'invite', '"invite" expected a string');
  const t = s.trim();
  if (!t.startsWith(INVITE_PREFIX)) throw new MessengerError('BAD_INVITE', 'invite', `"invite" expected to start with ${INVITE_PREFIX}`);
  if (t.length > 600) throw new MessengerError('BAD_INVITE', 'invite', '"invite" expected at most 600 characters');
  const b = _unbase32(t.slice(INVITE_PREFIX.length));
  if (b.length < 1 + 96 + 1 + 4) throw new MessengerError('BAD_INVITE', 'invite', '"invite" is cut short');
  const body = b.subarray(0, b.length - 4);
  const sum = blake3(body).subarray(0, 4);
  if (sum.some((x, i) => x !== b[body.length + i])) throw new MessengerError('BAD_INVITE', 'checksum', '"checksum" does not match: the invite was mistyped or cut');
  if (body[0] !== _VERSION) throw new MessengerError('BAD_INVITE', 'version', `"version" expected ${_VERSION}, got ${body[0]}`);
  const n = body[97]!;
  if (body.length !== 98 + n) throw new MessengerError('BAD_INVITE', 'relay', '"relay" length does not match the invite');
  let relay: string;
  try {
    relay = new TextDecoder('utf-8', { fatal: true }).decode(body.subarray(98));
  } catch {
    throw new MessengerError('BAD_INVITE', 'relay', '"relay" expected UTF-8');
  }
  return { namespaceId: body.slice(1, 33), mailboxKey: body.slice(33, 65), identityKey: body.slice(65, 97), relay: _checkRelay(relay) };
}
