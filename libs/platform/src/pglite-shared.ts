/**
 * One PGlite per data folder per process, shared by every service that opens it. Each PGlite is a
 * whole PostgreSQL in WASM: ~200 MiB of memory held and ~2.5 s of initdb on first start. The node
 * opened four (queue, prekey, directory, push) — 1.7 GiB at its first boot, over the chart's 1.5 GiB
 * limit, so the pod was OOM-killed in a loop. The services' tables, functions and migration tables
 * carry their own prefixes (they share one PostgreSQL database in the cluster as well), so they share
 * one embedded database the same way.
 * @module
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import { migrate, type MigrateOptions, type MigrationConnection } from './migrator.js';

/** The folder under DATA_DIR of the embedded database every service shares. */
export const EMBEDDED_DB_FOLDER = 'pglite';

/**
 * Where service `name` keeps its embedded database under `dataDir`: its own folder where an earlier
 * release made one (`DATA_DIR/<name>`, holding PG_VERSION), so an upgraded node finds its data;
 * otherwise the shared `DATA_DIR/pglite`.
 */
export function embeddedDbFolder(dataDir: string, name: string): string {
  const own = path.join(dataDir, name);
  return existsSync(path.join(own, 'PG_VERSION')) ? own : path.join(dataDir, EMBEDDED_DB_FOLDER);
}

/** A hold on a PGlite; the database closes when its last holder releases it. */
export interface PgliteLease {
  readonly db: PGlite;
  /** Lets go (again is a no-op); the last release closes the database. */
  release(): Promise<void>;
}

interface _Entry {
  db: Promise<PGlite>;
  holders: number;
}

const _open = new Map<string, _Entry>();

/** A hold on the PGlite in `folder`, opened (and created if needed) by the first holder; `undefined`: a private in-memory one (tests). */
export async function leasePglite(folder: string | undefined): Promise<PgliteLease> {
  // Loaded here, not at the top: every service imports the platform, few run on PGlite.
  const { PGlite } = await import('@electric-sql/pglite');
  if (folder === undefined) {
    const db = await PGlite.create();
    return { db, release: async () => (db.closed ? undefined : db.close()) };
  }
  const key = path.resolve(folder);
  let entry = _open.get(key);
  if (!entry) {
    const e: _Entry = { db: PGlite.create({ dataDir: key }), holders: 0 };
    e.db.catch(() => _open.get(key) === e && _open.delete(key));
    _open.set(key, (entry = e));
  }
  const e = entry;
  e.holders += 1;
  let db: PGlite;
  try {
    db = await e.db;
  } catch (err) {
    e.holders -= 1;
    throw err;
  }
  let released = false;
  return {
    db,
    async release() {
      if (released) return;
      released = true;
      e.holders -= 1;
      if (e.holders > 0) return;
      if (_open.get(key) === e) _open.delete(key);
      if (!db.closed) await db.close();
    },
  };
}

/**
 * Applies a service's pending migrations to a (possibly shared) PGlite, all in one transaction that
 * PGlite runs alone: the other services' queries on the same database wait, and none lands inside it.
 */
export async function migratePglite(db: PGlite, dir: URL | string, opts: MigrateOptions): Promise<number[]> {
  return db.transaction(async (tx) => {
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) => (await tx.query<R>(sql, params as unknown[] | undefined)).rows,
      exec: async (sql: string) => {
        await tx.exec(sql);
      },
    };
    return migrate(conn, dir, { ...opts, held: true });
  });
}
