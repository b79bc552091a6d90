/**
 * Push registration (docs/push.md): binds the mailboxes of the coming epochs — the same dests, under
 * the same peer key, a CLAIM would reveal — to a push target (an APNs device token, an FCM
 * registration token or a Web Push subscription), signed by the peer key, through the relay's
 * `POST /v1/push/register`. The relay's push service then wakes the device, content-free, when a
 * packet is queued for one of those mailboxes while the device is offline; the woken app connects
 * and drains.
 *
 * Renewal is the app's call: a registration covers `horizonHours` of epochs (default 168, a week)
 * and lapses at the relay's cap (8 days by default, `expiresAt`); register again before then — at
 * every app start, say, or from a daily background task — and whenever the provider hands the app a
 * new token. Each registration replaces the peer key's earlier one.
 * @module
 */
import { ed25519 } from '@tacit/crypto';
import {
  currentEpoch,
  decodePushErrorBody,
  destHash,
  MAX_CLAIM,
  PUSH_PATH,
  PushError,
  pushRegistrationMessage,
  pushUnregisterMessage,
  type PushErrorCode,
  type PushTargetFields,
} from '@tacit/protocol';
import type { FetchLike } from './messenger/prekey-http.js';
import { decodePushReplyWire, encodePushRegisterWire, encodePushUnregisterWire, PUSH_STATUS_NAMES, type PushReplyWire } from './push-wire.js';

/** Epochs ahead registered by default: a week. */
export const DEFAULT_PUSH_HORIZON_HOURS = 168;
/** The most epochs ahead one registration can cover (one epoch behind, the current one, and these: at most MAX_CLAIM dests). */
export const MAX_PUSH_HORIZON_HOURS = MAX_CLAIM - 2;

/** A mailbox owner's Ed25519 key (the peer key its dests are derived with). */
export interface PushIdentity {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Options of {@link registerPush} and {@link unregisterPush}. */
export interface PushRequestOptions {
  /** The relay: `ws(s)://host/v1` (as given to the messenger) or its `http(s)://host` base. */
  relay: string;
  identity: PushIdentity;
  /** The clock (ms; default Date.now). */
  now?: () => number;
  fetch?: FetchLike;
  /** Give up after this long (default 15 000 ms): PushError TIMEOUT. */
  timeoutMs?: number;
}

/** Options of {@link registerPush}. */
export interface RegisterPushOptions extends PushRequestOptions {
  /** The app's 32-byte namespace id. */
  namespaceId: Uint8Array;
  target: PushTargetFields;
  /** Hours of epochs ahead to register (default 168; a relay takes at most its PUSH_HORIZON_CAP in hours + 1: 193 by default, refusing more as MALFORMED). */
  horizonHours?: number;
}

/** What a registration bound. */
export interface PushRegistrationResult {
  /** Mailbox ids (epochs) now bound to the target. */
  mailboxes: number;
  /** When the relay lets the registration lapse unless renewed (ms since the epoch). */
  expiresAt: number;
}

/** tacit.push.v1.PushStatus.OK. */
const _OK = 1;

/** `http(s)://host/v1/push` of a relay's `ws(s)://host/v1` (or of `http(s)://host`). */
export function pushBaseUrl(relay: string): string {
  const u = new URL(relay);
  const scheme = { 'ws:': 'http:', 'wss:': 'https:', 'http:': 'http:', 'https:': 'https:' }[u.protocol];
  if (!scheme) throw new TypeError(`"relay" expected a ws(s):// or http(s):// URL, got ${u.protocol}`);
  return `${scheme}//${u.host}${PUSH_PATH}`;
}

/** The dests of epochs now-1 .. now+horizonHours under `peerKey`: what a claim across those hours would reveal. */
export function pushDests(namespaceId: Uint8Array, peerKey: Uint8Array, nowMs: number, horizonHours = DEFAULT_PUSH_HORIZON_HOURS): Uint8Array[] {
  if (!Number.isInteger(horizonHours) || horizonHours < 0 || horizonHours > MAX_PUSH_HORIZON_HOURS) {
    throw new RangeError(`"horizonHours" expected integer 0..${MAX_PUSH_HORIZON_HOURS}, got ${horizonHours}`);
  }
  const now = currentEpoch(nowMs);
  const out: Uint8Array[] = [];
  for (let e = Math.max(0, now - 1); e <= now + horizonHours; e++) out.push(destHash(namespaceId, peerKey, e));
  return out;
}

/** The binary `tacit.push.v1.RegisterRequest` {@link registerPush} sends (requester empty: the gateway fills it). */
export function encodePushRegisterRequest(o: Omit<RegisterPushOptions, 'relay' | 'fetch' | 'timeoutMs'>): Uint8Array {
  const issuedAtMs = (o.now ?? Date.now)();
  const dests = pushDests(o.namespaceId, o.identity.publicKey, issuedAtMs, o.horizonHours);
  const signature = ed25519.sign(o.identity.secretKey, pushRegistrationMessage(issuedAtMs, o.target, dests));
  return encodePushRegisterWire({ peerKey: o.identity.publicKey, dests, target: o.target, issuedAtMs, signature });
}

/** The binary `tacit.push.v1.UnregisterRequest` {@link unregisterPush} sends. */
export function encodePushUnregisterRequest(o: Pick<PushRequestOptions, 'identity' | 'now'>): Uint8Array {
  const issuedAtMs = (o.now ?? Date.now)();
  return encodePushUnregisterWire({ peerKey: o.identity.publicKey, issuedAtMs, signature: ed25519.sign(o.identity.secretKey, pushUnregisterMessage(issuedAtMs)) });
}

/** A reply's refusal as the PushError its status names (a gateway answers refusals as JSON; this covers one that did not). */
function _statusError(status: number, field: string, message: string): PushError {
  const name = PUSH_STATUS_NAMES[status];
  const code: PushErrorCode = name === 'MALFORMED' || name === 'BAD_PROOF' || name === 'STALE' || name === 'RATE_LIMITED' || name === 'NOT_FOUND' || name === 'UNSUPPORTED' ? name : 'INTERNAL';
  return new PushError(code, field, message || code);
}

async function _post(o: PushRequestOptions, endpoint: 'register' | 'unregister', body: Uint8Array): Promise<Uint8Array> {
  const fetchFn = o.fetch ?? ((url, init) => (globalThis.fetch as unknown as FetchLike)(url, init));
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchFn(`${pushBaseUrl(o.relay)}/${endpoint}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/octet-stream' },
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
    });
  } catch (cause) {
    if (cause instanceof Error && cause.name === 'TimeoutError') throw new PushError('TIMEOUT', 'relay', 'the relay did not answer in time', { cause });
    throw new PushError('UNAVAILABLE', 'relay', `the relay's push endpoint could not be reached (${cause instanceof Error ? cause.name : 'error'})`, { cause });
  }
  if (res.status !== 200) throw decodePushErrorBody(res.status, await res.text().catch(() => ''));
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Registers `target` for the mailboxes of epochs now-1 .. now+horizonHours of `identity` in
 * `namespaceId`, replacing its earlier registration at this relay. Throws {@link PushError}.
 */
export async function registerPush(o: RegisterPushOptions): Promise<PushRegistrationResult> {
  const bytes = await _post(o, 'register', encodePushRegisterRequest(o));
  let reply: PushReplyWire;
  try {
    reply = decodePushReplyWire(bytes);
  } catch (cause) {
    throw new PushError('MALFORMED', 'response', 'the relay answered a register reply that does not decode', { cause });
  }
  if (reply.status !== _OK) throw _statusError(reply.status, reply.field, reply.message);
  return { mailboxes: reply.mailboxes, expiresAt: reply.expiresAtMs };
}

/** Drops `identity`'s registration at this relay; throws {@link PushError} (NOT_FOUND when there is none). */
export async function unregisterPush(o: PushRequestOptions): Promise<void> {
  const bytes = await _post(o, 'unregister', encodePushUnregisterRequest(o));
  let reply: PushReplyWire;
  try {
    reply = decodePushReplyWire(bytes);
  } catch (cause) {
    throw new PushError('MALFORMED', 'response', 'the relay answered an unregister reply that does not decode', { cause });
  }
  if (reply.status !== _OK) throw _statusError(reply.status, reply.field, reply.message);
}

export { PUSH_PATH, PushError, type PushErrorCode, type PushTargetFields };
