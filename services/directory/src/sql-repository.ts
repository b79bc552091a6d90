/**
 * The directory's SQL, shared by the PostgreSQL and PGlite adapters: they differ only in how they
 * reach the server and pass bytes. Writes are one call each of a function from migrations/0001.
 * @module
 */
import type { DirectoryRepository, StoredEntry, WriteStatus } from './repository.js';
import { SqlStoreRepository } from '@tacit/platform';

/** Second key of the migrations' advisory lock (under the platform's LOCK_NAMESPACE; queue 1..3, prekey 16). */
export const DIRECTORY_MIGRATION_LOCK = 17;
/** Table recording the directory's applied migrations. */
export const DIRECTORY_MIGRATIONS_TABLE = 'directory_schema_migrations';
/** Folder of the directory's migration files. */
export const DIRECTORY_MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Where the directory schema's migrations are and how they are recorded (libs/platform's PgStore and PgliteStore take it). */
export const DIRECTORY_MIGRATIONS = { dir: DIRECTORY_MIGRATIONS_DIR, table: DIRECTORY_MIGRATIONS_TABLE, lockKey: DIRECTORY_MIGRATION_LOCK };

const _STATUSES = new Set<WriteStatus>(['ok', 'stale', 'taken', 'not_found', 'not_owner', 'replayed']);

function _plain(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function _status(r: { status: string; sequence: number | null } | undefined, fn: string): { status: WriteStatus; sequence: number } {
  if (!r || !_STATUSES.has(r.status as WriteStatus)) throw new Error(`${fn} answered status ${r?.status}`);
  return { status: r.status as WriteStatus, sequence: r.sequence ?? 0 };
}

/** The directory SQL over a store (libs/platform's PgStore or PgliteStore), which subclasses pass in. */
export abstract class SqlDirectoryRepository extends SqlStoreRepository implements DirectoryRepository {
  async secret(candidate: Uint8Array): Promise<Uint8Array> {
    await this._query('INSERT INTO directory_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [this._bytes(candidate)]);
    const rows = await this._query<{ secret: Uint8Array }>('SELECT secret FROM directory_secret WHERE id = 1');
    return _plain(rows[0]!.secret);
  }

  async get(entryId: Uint8Array): Promise<StoredEntry | undefined> {
    // int8 as float8: a number from both drivers (pg hands int8 as a string).
    const rows = await this._query<{ record: Uint8Array | null; owner_hash: Uint8Array | null; sequence: number }>(
      'SELECT record, owner_hash, sequence::float8 AS sequence FROM directory_entries WHERE entry_id = $1',
      [this._bytes(entryId)],
    );
    const r = rows[0];
    if (!r) return undefined;
    return { record: r.record === null ? undefined : _plain(r.record), ownerHash: r.owner_hash === null ? undefined : _plain(r.owner_hash), sequence: r.sequence };
  }

  async register(r: { entryId: Uint8Array; record: Uint8Array; ownerHash: Uint8Array; challenge: number; nowMs: number; lww: boolean }): Promise<{ status: WriteStatus; sequence: number }> {
    const rows = await this._query<{ status: string; sequence: number | null }>(
      'SELECT status, sequence::float8 AS sequence FROM directory_register($1, $2, $3, $4, $5, $6)',
      [this._bytes(r.entryId), this._bytes(r.record), this._bytes(r.ownerHash), r.challenge, r.nowMs, r.lww],
    );
    return _status(rows[0], 'directory_register');
  }

  async replace(r: {
    entryId: Uint8Array;
    expectOwner: Uint8Array;
    expectSequence: number;
    record: Uint8Array | undefined;
    ownerHash: Uint8Array | undefined;
    challenge: number | undefined;
    nowMs: number;
  }): Promise<{ status: WriteStatus; sequence: number }> {
    const b = (x: Uint8Array | undefined): unknown => (x === undefined ? null : this._bytes(x));
    const rows = await this._query<{ status: string; sequence: number | null }>(
      'SELECT status, sequence::float8 AS sequence FROM directory_replace($1, $2, $3, $4, $5, $6, $7)',
      [this._bytes(r.entryId), this._bytes(r.expectOwner), r.expectSequence, b(r.record), b(r.ownerHash), r.challenge ?? null, r.nowMs],
    );
    return _status(rows[0], 'directory_replace');
  }

  async hit(requester: Uint8Array, kind: number, windowStart: number): Promise<number> {
    const rows = await this._query<{ hits: number }>(
      `INSERT INTO directory_rate AS x (requester, kind, window_start, hits) VALUES ($1, $2, $3, 1)
       ON CONFLICT (requester, kind) DO UPDATE SET
         hits = CASE WHEN x.window_start = EXCLUDED.window_start THEN x.hits + 1 ELSE 1 END,
         window_start = EXCLUDED.window_start
       RETURNING x.hits`,
      [this._bytes(requester), kind, windowStart],
    );
    return rows[0]!.hits;
  }

  async sweep(cutoffMs: number): Promise<number> {
    const rows = await this._query<{ n: number }>(
      'WITH gone AS (DELETE FROM directory_rate WHERE window_start < $1 RETURNING 1) SELECT count(*)::int4 AS n FROM gone',
      [cutoffMs],
    );
    return rows[0]?.n ?? 0;
  }

  async check(): Promise<void> {
    await this._query('SELECT 1');
  }
}
