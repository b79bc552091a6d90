/**
 * The prekey service's storage port: every SQL side effect goes through a {@link PrekeyRepository},
 * so the rules in {@link PrekeyService} run unchanged over PostgreSQL ({@link PgPrekeyRepository})
 * and PGlite ({@link PglitePrekeyRepository}), and a test can swap in a fake.
 * @module
 */
import type { WirePreKey, WirePrekeyBundle, WireSignedPreKey } from '@tacit/protocol';

/** An upload the service has verified, for {@link PrekeyRepository.upload}. */
export interface VerifiedUpload {
  address: Uint8Array;
  identityKey: Uint8Array;
  registrationId: number;
  /** The stamp inside the upload's challenge: must be newer than the identity's last. */
  challenge: number;
  nowMs: number;
  signedPreKey: WireSignedPreKey | undefined;
  lastResortKyberPreKey: WireSignedPreKey | undefined;
  preKeys: readonly WirePreKey[];
  kyberPreKeys: readonly WireSignedPreKey[];
  /** One-time prekeys of each kind the identity may hold after the upload. */
  maxPreKeys: number;
}

/** What {@link PrekeyRepository.upload} did: `ok`, or why nothing was written. */
export type UploadStatus = 'ok' | 'stale' | 'incomplete' | 'too_many_pre_keys' | 'too_many_kyber_pre_keys' | 'identity_mismatch';

/** An upload's outcome and what the identity holds afterwards (before, when refused for a cap). */
export interface UploadResult {
  status: UploadStatus;
  preKeys: number;
  kyberPreKeys: number;
  signedPreKey: boolean;
  lastResortKyberPreKey: boolean;
}

/** Storage of bundles, one per prekey address. */
export interface PrekeyRepository {
  /** The service's MAC key: `candidate` when none was stored yet (stored now), else the stored one. */
  secret(candidate: Uint8Array): Promise<Uint8Array>;
  /**
   * Applies an upload in one transaction under the identity's row lock: replay guard, completeness
   * and caps first, then the writes, all or nothing. An empty upload (a status check) of an
   * identity with nothing on file stores nothing.
   */
  upload(u: VerifiedUpload): Promise<UploadResult>;
  /**
   * The bundle at `address` with at most one one-time key of each kind, each handed out (deleted)
   * at most once whatever runs concurrently; the last-resort key when none is left or `budget`
   * fetches of this identity in this hour already took one-time keys. `undefined` when there is no
   * complete bundle.
   */
  fetch(address: Uint8Array, nowMs: number, budget: number): Promise<WirePrekeyBundle | undefined>;
  /** Deletes up to `limit` identities (and their keys) last touched before `cutoffMs`; resolves to how many. */
  expire(cutoffMs: number, limit: number): Promise<number>;
  /** Identities stored. */
  countIdentities(): Promise<number>;
  /** One round trip, for readiness. */
  check(): Promise<void>;
  close(): Promise<void>;
}
