/**
 * The push service's vocabulary: its limits and their defaults, its options, the requests it takes
 * and the figures it reports (push.service.ts holds the rules).
 * @module
 */
import type { Ed25519 } from '@tacit/crypto';
import type { PushTargetFields } from '@tacit/protocol';
import type { WakeProvider, WakeSender } from '@tacit/push-providers';
import type { PushRepository } from './repository.js';

/** Limits of the service (settings: PUSH_*). */
export interface PushLimits {
  /** At most one wake per registration per window. */
  coalesceWindowMs: number;
  /** A registration lapses this long after issued_at. */
  horizonCapMs: number;
  /** issued_at may be this far from the service clock, either way. */
  clockWindowMs: number;
  /** First backoff after a retry outcome; doubles per try up to retryMaxMs. */
  retryStartMs: number;
  retryMaxMs: number;
  /** Tries of one wake before it is given up. */
  retryTries: number;
  /** A wake pending this long is given up. */
  retryMaxAgeMs: number;
  /** A provider silent this long: the wake counts as a retry. */
  wakeTimeoutMs: number;
  /** Wakes in flight per provider. */
  concurrency: number;
  /** Registrations per target per hour. */
  targetPerHour: number;
  /** Requests per requester per hour. */
  requesterPerHour: number;
  /** Registrations stored at most. */
  maxRegistrations: number;
  /** Peer keys per target. */
  maxPerTarget: number;
  /** Web Push endpoints on loopback, private or single-label hosts accepted (tests, private deployments). */
  allowPrivateHosts: boolean;
}

/** Defaults of {@link PushLimits} (the settings' defaults). */
export const DEFAULT_PUSH_LIMITS: PushLimits = Object.freeze({
  coalesceWindowMs: 30_000,
  horizonCapMs: 8 * 86_400_000,
  clockWindowMs: 600_000,
  retryStartMs: 1000,
  retryMaxMs: 300_000,
  retryTries: 12,
  retryMaxAgeMs: 3_600_000,
  wakeTimeoutMs: 10_000,
  concurrency: 64,
  targetPerHour: 30,
  requesterPerHour: 120,
  maxRegistrations: 1_000_000,
  maxPerTarget: 32,
  allowPrivateHosts: false,
});

/** Where the service logs what an operator must see (kit's Logger fits). */
export interface PushLog {
  warn(event: string, fields?: Record<string, unknown>): void;
}

/** Options of {@link PushService}. */
export interface PushServiceOptions {
  repository: PushRepository;
  /** One sender per configured provider; a provider without one answers registrations UNSUPPORTED. */
  senders: readonly WakeSender[];
  /** HMAC key of what is stored (PUSH_SECRET); unset: one made at first start and kept in the database. */
  secret?: Uint8Array;
  limits?: Partial<PushLimits>;
  /** The service clock (ms); specs pass a fake one. */
  now?: () => number;
  ed25519?: Ed25519;
  /** The dispatcher looks for due wakes this often, and at once after an event makes one due (default 1000; 0: only {@link PushService.dispatch}). */
  dispatchEveryMs?: number;
  /** Expiry runs this often (default 10 min; 0 turns it off: call {@link PushService.expire}). */
  expireEveryMs?: number;
  log?: PushLog;
}

/** Outcomes of wakes per provider. */
export interface WakeCounts {
  sent: number;
  retry: number;
  gone: number;
  refused: number;
  /** Timeouts (counted in retry too). */
  timeout: number;
  /** Wakes given up after their tries or age. */
  givenUp: number;
}

/** Counts of what the service did since it started (metrics read them; never ids or tokens). */
export interface PushStats {
  registered: number;
  /** Refused registrations by error code. */
  registerRefused: Record<string, number>;
  unregistered: number;
  /** Queued events taken in, and how many of them matched a registration. */
  events: number;
  eventsMatched: number;
  wakes: Record<WakeProvider, WakeCounts>;
  expired: number;
}

/** A registration as the bus carries it, provider named. */
export interface PushRegistration {
  peerKey: Uint8Array;
  dests: readonly Uint8Array[];
  target: PushTargetFields;
  issuedAtMs: number;
  signature: Uint8Array;
  /** The gateway's hashed client address ('' when unknown). */
  requester: string;
}

/** An unregistration as the bus carries it. */
export interface PushUnregistration {
  peerKey: Uint8Array;
  issuedAtMs: number;
  signature: Uint8Array;
  requester: string;
}

/** What a registration bound. */
export interface Registered {
  mailboxes: number;
  expiresAtMs: number;
}
