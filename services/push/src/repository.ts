/**
 * The push service's storage port: every SQL side effect goes through a {@link PushRepository}, so
 * the rules in {@link PushService} run unchanged over PostgreSQL ({@link PgPushRepository}) and
 * PGlite ({@link PglitePushRepository}). Ids, keys and targets arrive already hashed (HMAC) where
 * they are looked up; only the target itself, which a wake needs, is stored as given.
 * @module
 */
import type { WakeProvider, WakeTarget } from '@tacit/push-providers';

/** A registration the service has verified, for {@link PushRepository.register}. */
export interface VerifiedRegistration {
  keyHash: Uint8Array;
  targetHash: Uint8Array;
  target: WakeTarget;
  issuedAtMs: number;
  expiresAtMs: number;
  /** HMACs of the recomputed mailbox ids (32 bytes each). */
  mailboxHashes: readonly Uint8Array[];
  /** Registrations stored at most (a new peer key past it is refused). */
  maxTotal: number;
  /** Other peer keys one target may be registered under. */
  maxPerTarget: number;
  nowMs: number;
}

/** What {@link PushRepository.register} did. */
export type RegisterResult =
  | { status: 'ok'; mailboxes: number }
  | { status: 'stale' }
  | { status: 'rate_limited'; field: 'peer_key' | 'target' };

/** A pending wake the dispatcher took (leased until its outcome is recorded). */
export interface ClaimedWake {
  registrationId: number;
  target: WakeTarget;
  /** The target's HMAC when taken: a removal for 'gone' spares a registration renewed with another target meanwhile. */
  targetHash: Uint8Array;
  /** The registration's queued count when taken: an outcome settles the events up to it. */
  seq: number;
  /** Failed tries of this wake so far. */
  tries: number;
  /** When its first unsent packet was queued. */
  pendingSinceMs: number;
}

/** Storage of registrations and wake state. */
export interface PushRepository {
  /** The HMAC key: `candidate` when none was stored yet (stored now), else the stored one. */
  secret(candidate: Uint8Array): Promise<Uint8Array>;
  /** Applies a verified registration in one transaction (replay guard, caps, replace). */
  register(r: VerifiedRegistration): Promise<RegisterResult>;
  /** Drops the peer key's registration after the replay guard. */
  unregister(keyHash: Uint8Array, issuedAtMs: number, nowMs: number): Promise<'ok' | 'stale' | 'not_found'>;
  /**
   * Records a packet queued for the mailbox with this hash: marks its registration's wake pending,
   * due now or at the end of the coalescing window after its last wake. Resolves to when the wake is
   * due, or undefined when no live registration holds the mailbox.
   */
  markQueued(mailboxHash: Uint8Array, nowMs: number, windowMs: number): Promise<number | undefined>;
  /**
   * {@link markQueued} for many events in one statement: `mailboxHashes` holds their 32-byte hashes
   * back to back (repeats allowed). Resolves to how many of the events matched a live registration
   * and the earliest time a wake they marked is due (undefined: none matched).
   */
  markQueuedMany(mailboxHashes: Uint8Array, nowMs: number, windowMs: number): Promise<{ matched: number; due: number | undefined }>;
  /** Takes up to `limit` due wakes of `provider` (none another replica holds), leasing each until `leaseUntilMs`. */
  claimDue(provider: WakeProvider, nowMs: number, limit: number, leaseUntilMs: number): Promise<ClaimedWake[]>;
  /** The wake went: events up to `seq` are settled; a later one is due a window after now. */
  settle(registrationId: number, seq: number, nowMs: number, windowMs: number, wokeAtMs: number | undefined): Promise<void>;
  /** The wake is tried again at `nextTryMs`, with one more failed try counted. */
  retryAt(registrationId: number, nextTryMs: number): Promise<void>;
  /** Deletes the registration and its mailboxes (the provider says the target is gone) unless its target changed since; resolves to whether it did. */
  remove(registrationId: number, targetHash: Uint8Array): Promise<boolean>;
  /** Deletes up to `limit` lapsed registrations, mailboxes and replay guards; resolves to registrations deleted. */
  expire(nowMs: number, keysBeforeMs: number, limit: number): Promise<number>;
  /** Registrations stored. */
  countRegistrations(): Promise<number>;
  /** One round trip, for readiness. */
  check(): Promise<void>;
  close(): Promise<void>;
}
