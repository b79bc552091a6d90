/**
 * A small SQL migrator: numbered files (`NNNN_name.sql`) applied in order, each in its own
 * transaction together with its row in a versions table, under a session advisory lock so that
 * replicas booting at once apply each file exactly once. The same files run on PostgreSQL and
 * PGlite. (The queue's own copy, services/queue/src/migrator.ts, predates this one and does the
 * same; new services take this one.)
 * @module
 */
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Advisory lock namespace of Tacit ("taci"); the second key names the critical section (the queue uses 1..3). */
export const LOCK_NAMESPACE = 0x74616369;

/** One connection held for the whole run (the advisory lock belongs to it). */
export interface MigrationConnection {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs a script of several statements (no parameters). */
  exec(sql: string): Promise<void>;
}

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** sha256 of `sql`, hex; an applied migration whose file changed stops the run. */
  checksum: string;
}

/** Options of {@link runMigrations}. */
export interface MigrateOptions {
  /** Table recording applied versions; one per service, so services can share a database. */
  table: string;
  /** Second key of the advisory lock (the first is Tacit's namespace). */
  lockKey: number;
  /**
   * `conn` is a transaction the caller holds alone (an embedded database): no advisory lock, and the
   * files commit or roll back with the caller's transaction instead of one by one.
   */
  held?: boolean;
}

const _FILE_RE = /^(\d{4})_([a-z0-9_]+)\.sql$/;
const _IDENT_RE = /^[a-z_][a-z0-9_]*$/;

/** Reads `NNNN_name.sql` files from `dir`, in version order; rejects gaps and duplicate versions. */
export async function loadMigrations(dir: URL | string): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  const out: Migration[] = [];
  for (const file of files) {
    const m = _FILE_RE.exec(file);
    if (!m) throw new Error(`migration file ${file} must be named NNNN_name.sql`);
    const version = Number(m[1]);
    if (version !== out.length + 1) throw new Error(`migration ${file}: expected version ${out.length + 1}`);
    const sql = await readFile(typeof dir === 'string' ? join(dir, file) : new URL(file, dir), 'utf8');
    out.push({ version, name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return out;
}

/**
 * Applies the migrations not yet recorded in `opts.table`; resolves to the versions applied now.
 * Throws when an applied migration's file has changed since.
 */
export async function runMigrations(
  conn: MigrationConnection,
  migrations: readonly Migration[],
  opts: MigrateOptions,
): Promise<number[]> {
  if (!_IDENT_RE.test(opts.table)) throw new RangeError(`"table" expected a plain identifier, got ${opts.table}`);
  const held = opts.held === true;
  if (!held) await conn.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, opts.lockKey]);
  try {
    await conn.exec(
      `CREATE TABLE IF NOT EXISTS ${opts.table} (
         version integer PRIMARY KEY,
         name text NOT NULL,
         checksum text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = new Map(
      (await conn.query<{ version: number; checksum: string }>(`SELECT version, checksum FROM ${opts.table}`)).map((r) => [
        r.version,
        r.checksum,
      ]),
    );
    const applied: number[] = [];
    for (const m of migrations) {
      const sum = done.get(m.version);
      if (sum !== undefined) {
        if (sum !== m.checksum) throw new Error(`migration ${m.version}_${m.name} changed after it was applied`);
        continue;
      }
      if (!held) await conn.exec('BEGIN');
      try {
        await conn.exec(m.sql);
        await conn.query(`INSERT INTO ${opts.table} (version, name, checksum) VALUES ($1, $2, $3)`, [
          m.version,
          m.name,
          m.checksum,
        ]);
        if (!held) await conn.exec('COMMIT');
      } catch (err) {
        if (!held) await conn.exec('ROLLBACK').catch(() => {});
        throw err;
      }
      applied.push(m.version);
    }
    return applied;
  } finally {
    if (!held) await conn.query('SELECT pg_advisory_unlock($1, $2)', [LOCK_NAMESPACE, opts.lockKey]).catch(() => {});
  }
}

/** Loads the migrations in `dir` and applies those not yet applied; resolves to the versions applied now. */
export async function migrate(conn: MigrationConnection, dir: URL | string, opts: MigrateOptions): Promise<number[]> {
  return runMigrations(conn, await loadMigrations(dir), opts);
}
