#!/usr/bin/env node
// Runs node's test runner once over every compiled spec file of the workspace, so one summary
// closes the output. Run `npm test` (which builds first), or after a build:
//
//   node scripts/test.mjs                          every spec file
//   node scripts/test.mjs libs/testing queue       only spec files whose path contains a filter
//   node scripts/test.mjs --test-name-pattern=ack  options starting with "-" go to node --test
//
// TACIT_TEST_CONCURRENCY (default 2: the machine has 2 cores and many specs start servers),
// TACIT_TEST_TIMEOUT_MS (default 120000, per test) and TACIT_TEST_RUN_TIMEOUT_MS (default 1800000,
// the whole run: a spec that leaves a client reconnecting or a timer armed keeps its process alive,
// and the run is then stopped and fails) tune the run.
import { spawn } from 'node:child_process';
import { existsSync, globSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout } from 'node:timers';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const patterns = ['libs/*/dist/**/*.spec.js', 'services/*/dist/**/*.spec.js', 'bench/dist/**/*.spec.js', 'proto/dist/**/*.spec.js', 'deploy/dist/**/*.spec.js'];

const args = process.argv.slice(2);
const nodeArgs = args.filter((a) => a.startsWith('-'));
// A filter may name the source (src/x.spec.ts) or the build (dist/x.spec.js) of a spec.
const filters = args.filter((a) => !a.startsWith('-')).map((f) => f.replace(/(^|\/)src\//, '$1dist/').replace(/\.ts$/, '.js'));

const all = patterns.flatMap((p) => globSync(p, { cwd: root, exclude: (name) => name === 'node_modules' })).sort();
// tsc -b never deletes output: a spec whose source is gone would otherwise still run.
const stale = all.filter((f) => !existsSync(join(root, f.replace(/(^|\/)dist\//, '$1src/').replace(/\.js$/, '.ts'))));
const files = all.filter((f) => !stale.includes(f)).filter((f) => filters.length === 0 || filters.some((flt) => f.includes(flt)));

for (const f of stale) console.log(`skipping ${f}: its source is gone (npm run clean && npm run build removes it)`);
if (files.length === 0) {
  console.error(filters.length ? `no spec file matches ${filters.join(', ')}` : 'no compiled spec files found: run npm run build');
  process.exit(1);
}

const concurrency = process.env.TACIT_TEST_CONCURRENCY || '2';
const timeoutMs = process.env.TACIT_TEST_TIMEOUT_MS || '120000';
const tapDir = mkdtempSync(join(tmpdir(), 'tacit-test-'));
const tapFile = join(tapDir, 'results.tap');

console.log(`running ${files.length} spec file(s), concurrency ${concurrency}, ${timeoutMs} ms per test`);
const child = spawn(
  process.execPath,
  [
    '--test',
    // Not --test-force-exit: a spec file's process then exits before its piped report is flushed,
    // and the tests it ran vanish from the counts (seen: 516-546 of 546, none failed). A file
    // that never exits is bounded by the whole-run limit below instead.
    `--test-concurrency=${concurrency}`,
    `--test-timeout=${timeoutMs}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    // A TAP copy on the side gives the closing counts in a form every log reader knows.
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    ...nodeArgs,
    ...files,
  ],
  // Its own process group, so a stop reaches the spec files' processes too.
  { cwd: root, stdio: 'inherit', detached: true },
);

const killAll = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
};

const runTimeoutMs = Number(process.env.TACIT_TEST_RUN_TIMEOUT_MS || '1800000');
let timedOut = false;
const watchdog = setTimeout(() => {
  timedOut = true;
  console.error(`\ntests still running after ${runTimeoutMs} ms (a spec file that never exits?): stopping them`);
  killAll('SIGTERM');
  setTimeout(() => killAll('SIGKILL'), 10_000).unref();
}, runTimeoutMs);
watchdog.unref();

const forward = (signal) => killAll(signal);
process.on('SIGINT', forward);
process.on('SIGTERM', forward);

child.on('exit', (code, signal) => {
  let summary = '';
  try {
    const tap = readFileSync(tapFile, 'utf8');
    const count = (name) => Number([...tap.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))].at(-1)?.[1]);
    const [pass, fail, skipped, todo, cancelled] = ['pass', 'fail', 'skipped', 'todo', 'cancelled'].map(count);
    if (Number.isFinite(pass) && Number.isFinite(fail)) {
      summary = `# pass ${pass}\n# fail ${fail + (cancelled || 0)}\ntests: ${pass} passed, ${fail + (cancelled || 0)} failed, ${(skipped || 0) + (todo || 0)} skipped`;
    }
  } catch {
    // No TAP copy: the runner died early; its own output says why.
  }
  rmSync(tapDir, { recursive: true, force: true });
  if (summary) console.log(`\n${summary}`);
  process.exit(signal || timedOut ? 1 : (code ?? 1));
});
