import { execFile, execFileSync } from 'node:child_process';
import { chownSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { defaultSearchDirs, findPostgresBinDir } from './binaries.js';
import { ServerStartError } from './errors.js';
import { _launch, _retryOnPortClash, type TestServer } from './server.js';
import { _makeServerDir } from './_tmp.js';
import { freePort } from './wait.js';

const _execFile = promisify(execFile);

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** Extra `postgresql.conf` settings, passed as `-c name=value` (they win over the defaults). */
  settings?: Record<string, string>;
  /** Search only these folders for `postgres`, `initdb`, `pg_isready`. */
  binDirs?: string[];
  /** How long to wait for readiness (default 60 000 ms). */
  readyTimeoutMs?: number;
}

/** A running PostgreSQL server with trust authentication for user `postgres`. */
export interface PostgresServer extends TestServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  readonly user: string;
  readonly database: string;
  /** PostgreSQL's bin folder that was used. */
  readonly binDir: string;
}

// fsync stays on: durability tests SIGKILL the server and expect committed rows back.
const _defaults: Record<string, string> = {
  listen_addresses: '127.0.0.1',
  max_connections: '100',
  shared_buffers: '32MB',
  unix_socket_permissions: '0777',
  log_min_messages: 'warning',
  log_connections: 'off',
  max_wal_size: '256MB',
};

/** uid and gid of the `postgres` system user, which initdb and postgres need when we are root. */
function _postgresUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new Error('running as root, and there is no "postgres" user to run PostgreSQL as; install it with: bash scripts/setup.sh');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

function _pgConfigBinDir(): string[] {
  try {
    return [execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()];
  } catch {
    return [];
  }
}

async function _startPostgresOnce(options: PostgresOptions): Promise<PostgresServer> {
  const binDir = findPostgresBinDir(options.binDirs ?? [...defaultSearchDirs(), ..._pgConfigBinDir()]);
  const runAs = process.getuid?.() === 0 ? _postgresUser() : undefined;
  const port = await freePort();
  const dir = _makeServerDir('postgres');
  const data = join(dir, 'data');
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
  const initdb = ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
  try {
    await _execFile(join(binDir, 'initdb'), initdb, { cwd: dir, ...runAs });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string };
    rmSync(dir, { recursive: true, force: true });
    throw new ServerStartError('initdb', 'failed', `${e.stdout ?? ''}${e.stderr ?? ''}`.trim(), { cause: err });
  }

  const settings = { ..._defaults, unix_socket_directories: dir, ...options.settings };
  const args = ['-D', data, '-p', String(port)];
  for (const [k, v] of Object.entries(settings)) args.push('-c', `${k}=${v}`);
  const isready = join(binDir, 'pg_isready');
  return _launch(
    {
      name: 'postgres',
      command: join(binDir, 'postgres'),
      args,
      dir,
      logFile: join(dir, 'postgres.log'),
      runAs,
      // SIGINT is PostgreSQL's "fast" shutdown; SIGTERM ("smart") would wait for clients to leave.
      gracefulSignal: 'SIGINT',
      ready: async () => {
        try {
          await _execFile(isready, ['-q', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-t', '2']);
          return true;
        } catch {
          return false;
        }
      },
      readyTimeoutMs: options.readyTimeoutMs ?? 60_000,
    },
    port,
    {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      user: 'postgres',
      database: 'postgres',
      binDir,
    },
  );
}

/**
 * Runs initdb in a temporary folder and starts `postgres` on a free loopback port (as the
 * `postgres` user when we are root); resolves once pg_isready says it accepts connections.
 */
export function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  return _retryOnPortClash(() => _startPostgresOnce(options));
}
