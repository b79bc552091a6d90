/**
 * {@link DirectoryRepository} over PostgreSQL through a node-postgres pool: the cluster shape.
 * @module
 */
import pg from 'pg';
import { UnavailableError } from '@tacit/kit';
import { migrate, type MigrationConnection, type MigrationTarget } from '@tacit/platform';
import { DIRECTORY_MIGRATION_LOCK, DIRECTORY_MIGRATIONS_DIR, DIRECTORY_MIGRATIONS_TABLE, SqlDirectoryRepository } from './sql-repository.js';

/** Options of {@link PgDirectoryRepository}. */
export interface PgDirectoryRepositoryOptions {
  /** `postgres://…` connection string. */
  url: string;
  /** Pool size (default 10). */
  maxConnections?: number;
  /** Told about errors of idle pooled connections (e.g. the server restarted); they are otherwise harmless. */
  onError?: (err: Error) => void;
}

// "The database cannot be reached right now" rather than a bug: SQLSTATE class 08 (connection),
// 57P0x (shutdown, starting up), 53300 (too many connections), and socket errors.
const _NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

/** True when `err` says the database is unreachable or restarting (retryable), not that the query is wrong. */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  const c = typeof code === 'string' ? code : '';
  if (c.startsWith('08') || c.startsWith('57P') || c === '53300' || _NODE_CODES.has(c)) return true;
  const message = err instanceof Error ? err.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}

function _wrap(err: unknown): unknown {
  return isUnavailable(err) ? new UnavailableError('directory database unavailable', { cause: err }) : err;
}

/** The entries in PostgreSQL. Call {@link PgDirectoryRepository.migrate} once at boot. */
export class PgDirectoryRepository extends SqlDirectoryRepository {
  readonly #pool: pg.Pool;

  constructor(opts: PgDirectoryRepositoryOptions) {
    super();
    this.#pool = new pg.Pool({ connectionString: opts.url, max: opts.maxConnections ?? 10, connectionTimeoutMillis: 5000 });
    // Without a listener, an idle connection dropped by a server restart would crash the process.
    this.#pool.on('error', (err) => opts.onError?.(err));
  }

  /** Applies pending migrations (safe from every replica at once); resolves to the versions applied. */
  async migrate(): Promise<number[]> {
    const client = await this.#pool.connect().catch((err: unknown) => {
      throw _wrap(err);
    });
    const onError = (): void => undefined;
    client.on('error', onError);
    const conn: MigrationConnection = {
      query: async <R>(sql: string, params?: readonly unknown[]) => (await client.query(sql, params as unknown[])).rows as R[],
      exec: async (sql: string) => {
        await client.query(sql);
      },
    };
    try {
      return await migrate(conn, DIRECTORY_MIGRATIONS_DIR, { table: DIRECTORY_MIGRATIONS_TABLE, lockKey: DIRECTORY_MIGRATION_LOCK });
    } finally {
      client.removeListener('error', onError);
      client.release();
    }
  }

  protected override async _query<R>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    try {
      return (await this.#pool.query(sql, params as unknown[] | undefined)).rows as R[];
    } catch (err) {
      throw _wrap(err);
    }
  }

  protected override _bytes(b: Uint8Array): unknown {
    return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  }

  override async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** The directory service's schema for a migrate job (libs/platform's runMigrateJob: `tacit migrate`). */
export const directoryMigrationTarget: MigrationTarget = {
  service: 'directory',
  async migrate(url: string): Promise<number[]> {
    const repo = new PgDirectoryRepository({ url, maxConnections: 1, onError: () => undefined });
    try {
      return await repo.migrate();
    } finally {
      await repo.close().catch(() => undefined);
    }
  },
  isUnavailable: (err) => isUnavailable(err) || (err instanceof Error && isUnavailable(err.cause)),
};
