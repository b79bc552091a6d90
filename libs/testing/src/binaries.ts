import { accessSync, constants, readdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { MissingServerError } from './errors.js';

/** Folder where scripts/setup.sh caches what it builds (`$TACIT_CACHE`, else `$XDG_CACHE_HOME/tacit`). */
export function tacitCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['TACIT_CACHE']) return env['TACIT_CACHE'];
  return join(env['XDG_CACHE_HOME'] || join(homedir(), '.cache'), 'tacit');
}

/** Debian's PostgreSQL server folders, newest major version first. */
export function _debianPostgresDirs(root = '/usr/lib/postgresql'): string[] {
  let versions: string[];
  try {
    versions = readdirSync(root);
  } catch {
    return [];
  }
  return versions
    .filter((v) => /^\d+$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => join(root, v, 'bin'));
}

/** Where binaries are looked for, in order: the setup cache, PATH, then Debian's own folders. */
export function defaultSearchDirs(env: NodeJS.ProcessEnv = process.env): string[] {
  const dirs = [join(tacitCacheDir(env), 'bin'), ...(env['PATH'] ?? '').split(delimiter).filter(Boolean)];
  dirs.push('/usr/local/bin', '/usr/bin', '/usr/sbin', '/usr/local/sbin', ..._debianPostgresDirs());
  return [...new Set(dirs)];
}

function _isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Absolute path of executable `name`, searched in `dirs` (default {@link defaultSearchDirs}).
 * Throws {@link MissingServerError} naming the binary and the folders searched.
 */
export function findBinary(name: string, dirs: readonly string[] = defaultSearchDirs()): string {
  for (const dir of dirs) {
    const path = join(dir, name);
    if (_isExecutable(path)) return path;
  }
  throw new MissingServerError(name, dirs);
}

/**
 * Folder holding `postgres`, `initdb` and `pg_isready` of one PostgreSQL version. Symlinks are
 * resolved so that a `postgres` linked into /usr/local/bin leads to its siblings.
 */
export function findPostgresBinDir(dirs: readonly string[] = defaultSearchDirs()): string {
  const searched: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, 'postgres');
    searched.push(dir);
    if (!_isExecutable(path)) continue;
    const real = dirname(realpathSync(path));
    if (['initdb', 'pg_isready'].every((b) => _isExecutable(join(real, b)))) return real;
  }
  throw new MissingServerError('postgres', searched);
}
