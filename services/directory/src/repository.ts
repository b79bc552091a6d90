/**
 * The directory's storage port: every SQL side effect goes through a {@link DirectoryRepository},
 * so the rules in {@link DirectoryService} run unchanged over PostgreSQL and PGlite.
 * @module
 */

/** An entry as stored: nothing in it names a handle, a namespace or a key. */
export interface StoredEntry {
  /** The record ciphertext; undefined once released. */
  record: Uint8Array | undefined;
  /** The hash of the owner's control key; undefined once released. */
  ownerHash: Uint8Array | undefined;
  sequence: number;
}

/** What a write did: `ok` with the entry's new sequence, or why nothing was written. */
export type WriteStatus = 'ok' | 'stale' | 'taken' | 'not_found' | 'not_owner' | 'replayed';

/** Storage of entries and request counts. */
export interface DirectoryRepository {
  /** The service's MAC key: `candidate` when none was stored yet (stored now), else the stored one. */
  secret(candidate: Uint8Array): Promise<Uint8Array>;
  /** The entry at `entryId`, released ones included; undefined when there never was one. */
  get(entryId: Uint8Array): Promise<StoredEntry | undefined>;
  /**
   * Stores a verified registration: a new entry, a released one, the owner's update, or (`lww`)
   * anyone's takeover; `taken` when another owner holds it and not `lww`, `stale` for a challenge
   * not newer than the entry's last write.
   */
  register(r: { entryId: Uint8Array; record: Uint8Array; ownerHash: Uint8Array; challenge: number; nowMs: number; lww: boolean }): Promise<{ status: WriteStatus; sequence: number }>;
  /**
   * Applies a verified transfer (`record` and `ownerHash` of the new owner) or release (both
   * undefined) if the entry is still owned by `expectOwner` at `expectSequence`.
   */
  replace(r: {
    entryId: Uint8Array;
    expectOwner: Uint8Array;
    expectSequence: number;
    record: Uint8Array | undefined;
    ownerHash: Uint8Array | undefined;
    challenge: number | undefined;
    nowMs: number;
  }): Promise<{ status: WriteStatus; sequence: number }>;
  /** Counts one request of `kind` by `requester` in the window starting at `windowStart`; resolves to the window's count. */
  hit(requester: Uint8Array, kind: number, windowStart: number): Promise<number>;
  /** Deletes request counts of windows that started before `cutoffMs`; resolves to how many. */
  sweep(cutoffMs: number): Promise<number>;
  /** One round trip, for readiness. */
  check(): Promise<void>;
  close(): Promise<void>;
}
