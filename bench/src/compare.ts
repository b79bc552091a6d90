// `--compare <dir>`: another checkout of this repository, already built, whose services run as the
// `<row>@compare` rows beside this build's in every round. Which build each side was is recorded
// in the report, so an A/B result names the two commits it compares.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tacitMains, type TacitMains } from './targets/tacit.js';

/** Root of the checkout this bench was built in. */
export const THIS_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

/** A checkout whose services a run used. */
export interface BuildInfo {
  root: string;
  /** `git rev-parse HEAD` there, or null when it is not a git checkout. */
  commit: string | null;
  /** Whether the checkout had uncommitted changes (null when unknown). */
  dirty: boolean | null;
}

/**
 * The mains of the checkout at `dir` (relative to `cwd`). Throws a RangeError naming `--compare`
 * when `dir` is not a folder or lacks a built main, listing each one missing.
 */
export function compareMains(dir: string, cwd: string = process.cwd()): { root: string; mains: TacitMains } {
  const root = resolve(cwd, dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    const why = existsSync(root) ? 'not a folder' : 'no such folder';
    throw new RangeError(`"--compare" expected a folder holding a checkout of this repository, got ${dir} (${why})`);
  }
  const mains = tacitMains(root);
  const missing = Object.values(mains).filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new RangeError(
      `"--compare" expected a built checkout (run \`npm ci && npm run build\` in it), got ${dir}: ` +
        `missing ${missing.map((p) => relative(root, p)).join(', ')}`,
    );
  }
  return { root, mains };
}

/** The commit and state of the checkout at `root`, as far as git can tell. */
export function buildInfo(root: string): BuildInfo {
  const git = (...args: string[]): string | null => {
    try {
      return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return null;
    }
  };
  const commit = git('rev-parse', 'HEAD');
  const status = commit === null ? null : git('status', '--porcelain', '--untracked-files=no');
  return { root, commit, dirty: status === null ? null : status.length > 0 };
}
