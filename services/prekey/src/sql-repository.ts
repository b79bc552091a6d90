/**
 * The prekey service's SQL, shared by the PostgreSQL and PGlite adapters: they differ only in how
 * they reach the server and pass bytes. Upload and fetch are one call each of a function from
 * migrations/0001 (one statement, its own transaction, one round trip).
 * @module
 */
import type { WirePrekeyBundle } from '@tacit/protocol';
import { SqlStoreRepository } from '@tacit/platform';
import type { PrekeyRepository, UploadResult, UploadStatus, VerifiedUpload } from './repository.js';

/** One connection (or pool) that runs parameterised SQL. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

/** Second key of the migrations' advisory lock (under the platform's LOCK_NAMESPACE; the queue uses 1..3). */
export const PREKEY_MIGRATION_LOCK = 16;
/** Table recording the prekey service's applied migrations. */
export const PREKEY_MIGRATIONS_TABLE = 'prekey_schema_migrations';
/** Folder of the prekey service's migration files. */
export const PREKEY_MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);

/** Where the prekey schema's migrations are and how they are recorded (libs/platform's PgStore and PgliteStore take it). */
export const PREKEY_MIGRATIONS = { dir: PREKEY_MIGRATIONS_DIR, table: PREKEY_MIGRATIONS_TABLE, lockKey: PREKEY_MIGRATION_LOCK };

const _STATUSES = new Set<UploadStatus>(['ok', 'stale', 'incomplete', 'too_many_pre_keys', 'too_many_kyber_pre_keys', 'identity_mismatch']);

/** A plain Uint8Array copy of driver bytes (pg hands Buffers, which compare and serialise differently). */
export function plainBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function _concat(parts: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(parts.length * size);
  parts.forEach((p, i) => out.set(p, i * size));
  return out;
}

interface _FetchRow {
  ok: boolean;
  identity_key: Uint8Array;
  registration_id: number;
  spk_id: number;
  spk_key: Uint8Array;
  spk_sig: Uint8Array;
  kyber_id: number;
  kyber_key: Uint8Array;
  kyber_sig: Uint8Array;
  last_resort: boolean;
  opk_id: number | null;
  opk_key: Uint8Array | null;
}

/** The prekey SQL over a store (libs/platform's PgStore or PgliteStore), which subclasses pass in. */
export abstract class SqlPrekeyRepository extends SqlStoreRepository implements PrekeyRepository {
  async secret(candidate: Uint8Array): Promise<Uint8Array> {
    await this._query('INSERT INTO prekey_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [this._bytes(candidate)]);
    const rows = await this._query<{ secret: Uint8Array }>('SELECT secret FROM prekey_secret WHERE id = 1');
    return plainBytes(rows[0]!.secret);
  }

  async upload(u: VerifiedUpload): Promise<UploadResult> {
    const b = (x: Uint8Array | undefined) => (x === undefined ? null : this._bytes(x));
    const rows = await this._query<{ status: string; pre_keys: number | null; kyber_pre_keys: number | null; has_spk: boolean | null; has_lr: boolean | null }>(
      'SELECT status, pre_keys, kyber_pre_keys, has_spk, has_lr FROM prekey_upload($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)',
      [
        this._bytes(u.address),
        this._bytes(u.identityKey),
        u.registrationId,
        u.challenge,
        u.nowMs,
        u.signedPreKey?.id ?? null,
        b(u.signedPreKey?.publicKey),
        b(u.signedPreKey?.signature),
        u.lastResortKyberPreKey?.id ?? null,
        b(u.lastResortKyberPreKey?.publicKey),
        b(u.lastResortKyberPreKey?.signature),
        u.preKeys.map((k) => k.id),
        this._bytes(_concat(u.preKeys.map((k) => k.publicKey), 33)),
        u.kyberPreKeys.map((k) => k.id),
        this._bytes(_concat(u.kyberPreKeys.map((k) => k.publicKey), 1569)),
        this._bytes(_concat(u.kyberPreKeys.map((k) => k.signature), 64)),
        u.maxPreKeys,
        u.maxPreKeys,
      ],
    );
    const r = rows[0]!;
    if (!_STATUSES.has(r.status as UploadStatus)) throw new Error(`prekey_upload answered status ${r.status}`);
    return {
      status: r.status as UploadStatus,
      preKeys: r.pre_keys ?? 0,
      kyberPreKeys: r.kyber_pre_keys ?? 0,
      signedPreKey: r.has_spk === true,
      lastResortKyberPreKey: r.has_lr === true,
    };
  }

  async fetch(address: Uint8Array, nowMs: number, budget: number): Promise<WirePrekeyBundle | undefined> {
    // Ids and the registration id are u32 in int8 columns: float8 comes back as a number from both
    // drivers (pg hands int8 as a string).
    const rows = await this._query<_FetchRow>(
      `SELECT ok, identity_key, registration_id::float8 AS registration_id, spk_id::float8 AS spk_id, spk_key, spk_sig,
              kyber_id::float8 AS kyber_id, kyber_key, kyber_sig, last_resort, opk_id::float8 AS opk_id, opk_key
       FROM prekey_fetch($1, $2, $3)`,
      [this._bytes(address), nowMs, budget],
    );
    const r = rows[0];
    if (!r?.ok) return undefined;
    return {
      identityKey: plainBytes(r.identity_key),
      registrationId: r.registration_id,
      signedPreKey: { id: r.spk_id, publicKey: plainBytes(r.spk_key), signature: plainBytes(r.spk_sig) },
      kyberPreKey: { id: r.kyber_id, publicKey: plainBytes(r.kyber_key), signature: plainBytes(r.kyber_sig) },
      kyberLastResort: r.last_resort,
      preKey: r.opk_id === null || r.opk_key === null ? undefined : { id: r.opk_id, publicKey: plainBytes(r.opk_key) },
    };
  }

  async expire(cutoffMs: number, limit: number): Promise<number> {
    const rows = await this._query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM prekey_identities WHERE address IN (
           SELECT address FROM prekey_identities WHERE touched_ms < $1 ORDER BY touched_ms LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int4 AS n FROM gone`,
      [cutoffMs, limit],
    );
    return rows[0]?.n ?? 0;
  }

  async countIdentities(): Promise<number> {
    const rows = await this._query<{ n: number }>('SELECT count(*)::int4 AS n FROM prekey_identities');
    return rows[0]?.n ?? 0;
  }

  async check(): Promise<void> {
    await this._query('SELECT 1');
  }
}
