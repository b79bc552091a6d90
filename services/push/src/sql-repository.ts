/**
 * The push service's SQL, shared by the PostgreSQL and PGlite adapters: they differ only in how they
 * reach the server and pass bytes. Registration and unregistration are one call each of a function
 * from migrations/0001; the wake state moves by single statements.
 * @module
 */
import { SqlStoreRepository } from '@tacit/platform';
import type { WakeProvider, WakeTarget } from '@tacit/push-providers';
import type { ClaimedWake, PushRepository, RegisterResult, VerifiedRegistration } from './repository.js';

/** Second key of the migrations' advisory lock (under the platform's LOCK_NAMESPACE; prekey 16, directory 17). */
export const PUSH_MIGRATION_LOCK = 19;
/** Table recording the push service's applied migrations. */
export const PUSH_MIGRATIONS_TABLE = 'push_schema_migrations';
/** Folder of the push service's migration files. */
export const PUSH_MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);
/** Where the push schema's migrations are and how they are recorded. */
export const PUSH_MIGRATIONS = { dir: PUSH_MIGRATIONS_DIR, table: PUSH_MIGRATIONS_TABLE, lockKey: PUSH_MIGRATION_LOCK };

/** Provider numbers in the tables (those of tacit.push.v1.PushProvider). */
const _PROVIDER_NUM: Readonly<Record<WakeProvider, number>> = { apns: 1, fcm: 2, webpush: 3 };
const _PROVIDER_NAME: Readonly<Record<number, WakeProvider>> = { 1: 'apns', 2: 'fcm', 3: 'webpush' };

interface _ClaimRow {
  id: number;
  provider: number;
  token: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  seq: number;
  tries: number;
  since: number | null;
  target_hash: Uint8Array;
}

function _target(r: _ClaimRow): WakeTarget {
  const provider = _PROVIDER_NAME[r.provider];
  if (provider === 'webpush') return { provider, endpoint: r.endpoint, p256dh: r.p256dh, auth: r.auth };
  if (provider === 'apns' || provider === 'fcm') return { provider, token: r.token };
  throw new Error(`push_registrations holds provider ${r.provider}`);
}

/** The push SQL over a store (libs/platform's PgStore or PgliteStore), which subclasses pass in. */
export abstract class SqlPushRepository extends SqlStoreRepository implements PushRepository {
  async secret(candidate: Uint8Array): Promise<Uint8Array> {
    await this._query('INSERT INTO push_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING', [this._bytes(candidate)]);
    const rows = await this._query<{ secret: Uint8Array }>('SELECT secret FROM push_secret WHERE id = 1');
    return new Uint8Array(rows[0]!.secret);
  }

  async register(r: VerifiedRegistration): Promise<RegisterResult> {
    const hashes = new Uint8Array(r.mailboxHashes.length * 32);
    r.mailboxHashes.forEach((h, i) => hashes.set(h, i * 32));
    const t = r.target;
    const rows = await this._query<{ status: string; field: string; mailboxes: number }>(
      'SELECT status, field, mailboxes FROM push_register($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)',
      [
        this._bytes(r.keyHash),
        this._bytes(r.targetHash),
        _PROVIDER_NUM[t.provider],
        t.provider === 'webpush' ? '' : t.token,
        t.provider === 'webpush' ? t.endpoint : '',
        t.provider === 'webpush' ? t.p256dh : '',
        t.provider === 'webpush' ? t.auth : '',
        r.issuedAtMs,
        r.expiresAtMs,
        this._bytes(hashes),
        r.maxTotal,
        r.maxPerTarget,
        r.nowMs,
      ],
    );
    const row = rows[0]!;
    if (row.status === 'ok') return { status: 'ok', mailboxes: row.mailboxes };
    if (row.status === 'stale') return { status: 'stale' };
    if (row.status === 'rate_limited' && (row.field === 'peer_key' || row.field === 'target')) return { status: 'rate_limited', field: row.field };
    throw new Error(`push_register answered status ${row.status}`);
  }

  async unregister(keyHash: Uint8Array, issuedAtMs: number, nowMs: number): Promise<'ok' | 'stale' | 'not_found'> {
    const rows = await this._query<{ s: string }>('SELECT push_unregister($1, $2, $3) AS s', [this._bytes(keyHash), issuedAtMs, nowMs]);
    const s = rows[0]?.s;
    if (s === 'ok' || s === 'stale' || s === 'not_found') return s;
    throw new Error(`push_unregister answered ${String(s)}`);
  }

  async markQueued(mailboxHash: Uint8Array, nowMs: number, windowMs: number): Promise<number | undefined> {
    return (await this.markQueuedMany(mailboxHash, nowMs, windowMs)).due;
  }

  async markQueuedMany(mailboxHashes: Uint8Array, nowMs: number, windowMs: number): Promise<{ matched: number; due: number | undefined }> {
    if (mailboxHashes.length === 0) return { matched: 0, due: undefined };
    if (mailboxHashes.length % 32 !== 0) throw new RangeError('"mailboxHashes" expected 32-byte hashes back to back');
    // The events' hashes, counted; the registrations they hit, each marked once with all its events.
    // SET reads the row as it was: the first unsent event starts pending_since; a wake already
    // scheduled (or in flight, or backing off) keeps its time, so a burst is one wake.
    const rows = await this._query<{ matched: number; due: number | null }>(
      `WITH ev AS (
         SELECT substring($1::bytea FROM i * 32 + 1 FOR 32) AS h, count(*) AS n
         FROM generate_series(0, length($1::bytea) / 32 - 1) AS i GROUP BY 1),
       hit AS (
         SELECT m.registration_id AS id, sum(ev.n)::int8 AS n
         FROM ev JOIN push_mailboxes m ON m.mailbox_hash = ev.h AND m.expires_ms > $2::int8 GROUP BY 1),
       upd AS (
         UPDATE push_registrations r
         SET queued_seq = r.queued_seq + hit.n,
             pending_since_ms = CASE WHEN r.queued_seq = r.sent_seq THEN $2::int8 ELSE r.pending_since_ms END,
             next_try_ms = COALESCE(r.next_try_ms, GREATEST($2::int8, COALESCE(r.last_wake_ms + $3::int8, $2::int8)))
         FROM hit WHERE r.id = hit.id AND r.expires_ms > $2::int8
         RETURNING r.next_try_ms AS due, hit.n AS n)
       SELECT COALESCE(sum(n), 0)::float8 AS matched, min(due)::float8 AS due FROM upd`,
      [this._bytes(mailboxHashes), nowMs, windowMs],
    );
    const row = rows[0];
    return { matched: row?.matched ?? 0, due: row?.due ?? undefined };
  }

  async claimDue(provider: WakeProvider, nowMs: number, limit: number, leaseUntilMs: number): Promise<ClaimedWake[]> {
    if (limit <= 0) return [];
    const rows = await this._query<_ClaimRow>(
      `UPDATE push_registrations r SET next_try_ms = $4
       WHERE r.id IN (
         SELECT id FROM push_registrations
         WHERE provider = $1 AND next_try_ms IS NOT NULL AND next_try_ms <= $2 AND expires_ms > $2
         ORDER BY next_try_ms LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING r.id::float8 AS id, r.provider, r.token, r.endpoint, r.p256dh, r.auth, r.queued_seq::float8 AS seq,
                 r.tries, r.pending_since_ms::float8 AS since, r.target_hash`,
      [_PROVIDER_NUM[provider], nowMs, limit, leaseUntilMs],
    );
    return rows.map((r) => ({ registrationId: r.id, target: _target(r), targetHash: new Uint8Array(r.target_hash), seq: r.seq, tries: r.tries, pendingSinceMs: r.since ?? nowMs }));
  }

  async settle(registrationId: number, seq: number, nowMs: number, windowMs: number, wokeAtMs: number | undefined): Promise<void> {
    // Events queued after the wake was taken get one more, a window after this one.
    await this._query(
      `UPDATE push_registrations
       SET sent_seq = GREATEST(sent_seq, $2::int8), tries = 0, last_wake_ms = COALESCE($5::int8, last_wake_ms),
           pending_since_ms = CASE WHEN queued_seq > $2::int8 THEN $3::int8 ELSE NULL END,
           next_try_ms = CASE WHEN queued_seq > $2::int8 THEN GREATEST($3::int8, COALESCE(COALESCE($5::int8, last_wake_ms) + $4::int8, $3::int8)) ELSE NULL END
       WHERE id = $1`,
      [registrationId, seq, nowMs, windowMs, wokeAtMs ?? null],
    );
  }

  async retryAt(registrationId: number, nextTryMs: number): Promise<void> {
    await this._query('UPDATE push_registrations SET tries = tries + 1, next_try_ms = $2 WHERE id = $1', [registrationId, nextTryMs]);
  }

  async remove(registrationId: number, targetHash: Uint8Array): Promise<boolean> {
    const rows = await this._query('DELETE FROM push_registrations WHERE id = $1 AND target_hash = $2 RETURNING 1', [registrationId, this._bytes(targetHash)]);
    return rows.length > 0;
  }

  async expire(nowMs: number, keysBeforeMs: number, limit: number): Promise<number> {
    const rows = await this._query<{ n: number }>(
      `WITH gone AS (
         DELETE FROM push_registrations WHERE id IN (
           SELECT id FROM push_registrations WHERE expires_ms <= $1 ORDER BY expires_ms LIMIT $2)
         RETURNING 1)
       SELECT count(*)::int4 AS n FROM gone`,
      [nowMs, limit],
    );
    await this._query(
      'DELETE FROM push_mailboxes WHERE mailbox_hash IN (SELECT mailbox_hash FROM push_mailboxes WHERE expires_ms <= $1 LIMIT $2)',
      [nowMs, limit * 64],
    );
    await this._query('DELETE FROM push_keys WHERE key_hash IN (SELECT key_hash FROM push_keys WHERE touched_ms < $1 LIMIT $2)', [keysBeforeMs, limit]);
    return rows[0]?.n ?? 0;
  }

  async countRegistrations(): Promise<number> {
    const rows = await this._query<{ n: number }>('SELECT count(*)::int4 AS n FROM push_registrations');
    return rows[0]?.n ?? 0;
  }

  async check(): Promise<void> {
    await this._query('SELECT 1');
  }
}
