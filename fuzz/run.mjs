#!/usr/bin/env node
// Runs the fuzz targets (fuzz/targets.mjs) under jazzer.js, each bounded in time (and inputs), and
// fails when any of them finds something. `npm run fuzz` builds first, then runs this:
//
//   node fuzz/run.mjs                         every target, 60 s each, one at a time
//   node fuzz/run.mjs --seconds=30 --jobs=2   two targets at a time (CI)
//   node fuzz/run.mjs --runs=10000000 --seconds=3600 --only=protocol-client-frame,wsock-frames
//   node fuzz/run.mjs --list                  the targets
//
// Options: --seconds=N per target (default 60), --runs=N inputs per target (whichever comes first;
// default unbounded), --jobs=N targets at once (default 1), --only=a,b, --work=DIR (default
// .tacit/fuzz; per target: corpus/ kept across runs, seeds/, artifacts/, log.txt), --fresh (empty
// the corpora first), --rss-limit-mb=N (default 2048: above it an input counts as an OOM),
// --replay (run each kept corpus input, seed and regression once, and report the coverage they
// reach; no fuzzing).
//
// A target fails on a crash (an exception other than its documented error, or a property it
// checks), a timeout (an input running past its bound, default 5 s), an OOM, or a run that does
// not end in time; the input is kept in its artifacts/ folder and printed, with how to replay it.
// Figures (inputs, inputs/s, coverage) go to <work>/summary.json.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TARGETS } from './targets.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const opts = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (!m) throw new Error(`fuzz/run.mjs: unknown argument ${a}`);
    return [m[1], m[2] ?? 'true'];
  }),
);
const known = new Set(['seconds', 'runs', 'jobs', 'only', 'work', 'fresh', 'rss-limit-mb', 'list', 'replay']);
for (const k of Object.keys(opts)) if (!known.has(k)) throw new Error(`fuzz/run.mjs: unknown option --${k}`);
const int = (name, dflt) => {
  if (opts[name] === undefined) return dflt;
  const v = Number(opts[name]);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`fuzz/run.mjs: --${name} expected a positive integer, got ${opts[name]}`);
  return v;
};
const seconds = int('seconds', 60);
const runs = int('runs', undefined);
const jobs = int('jobs', 1);
const rssLimitMb = int('rss-limit-mb', 2048);
const work = resolve(root, opts.work ?? '.tacit/fuzz');
const only = opts.only ? opts.only.split(',') : undefined;

if (opts.list) {
  for (const t of TARGETS) console.log(`${t.name}\t${t.module}`);
  process.exit(0);
}
const unknownTargets = (only ?? []).filter((n) => !TARGETS.some((t) => t.name === n));
if (unknownTargets.length) throw new Error(`fuzz/run.mjs: no target named ${unknownTargets.join(', ')} (see --list)`);
const targets = TARGETS.filter((t) => !only || only.includes(t.name));
for (const t of targets) {
  if (!existsSync(join(root, t.module))) throw new Error(`fuzz/run.mjs: ${t.module} is missing: run npm run build first`);
}

const addon = execFileSync('bash', [join(root, 'fuzz/native/build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
const jazzer = join(root, 'node_modules/@jazzer.js/core/dist/cli.js');

/** The committed inputs that once crashed a target: `<package>/src/fuzz/regressions/<file's stem>/`. */
function regressionsOf(t) {
  const dir = join(root, t.module.replace('/dist/fuzz/', '/src/fuzz/regressions/').replace(/\.fuzz\.js$/, ''));
  return existsSync(dir) ? dir : undefined;
}

async function writeSeeds(t, dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const mod = await import(pathToFileURL(join(root, t.module)).href);
  const seeds = (await mod.seeds?.()) ?? [];
  seeds.forEach((s, i) => writeFileSync(join(dir, `seed-${String(i).padStart(4, '0')}`), s));
  return seeds.length;
}

function parse(log) {
  const num = (re) => {
    const m = re.exec(log);
    return m ? Number(m[1]) : undefined;
  };
  const covs = [...log.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)\//g)];
  const last = covs.at(-1);
  const edges = /instrumented edges: (\d+) in ES modules, (\d+) in the CommonJS map/.exec(log);
  return {
    inputs: num(/stat::number_of_executed_units: (\d+)/),
    inputsPerSecond: num(/stat::average_exec_per_sec: +(\d+)/),
    peakRssMb: num(/stat::peak_rss_mb: +(\d+)/),
    coverage: last ? Number(last[1]) : undefined,
    // The CommonJS map starts at 512 counters whether or not CommonJS code is instrumented.
    edges: edges ? Number(edges[1]) + (Number(edges[2]) > 512 ? Number(edges[2]) : 0) : undefined,
    features: last ? Number(last[2]) : undefined,
    corpus: last ? Number(last[3]) : undefined,
  };
}

async function runOne(t) {
  const dir = join(work, t.name);
  const corpus = join(dir, 'corpus');
  const seedDir = join(dir, 'seeds');
  const artifacts = join(dir, 'artifacts');
  if (opts.fresh) rmSync(corpus, { recursive: true, force: true });
  rmSync(artifacts, { recursive: true, force: true });
  for (const d of [corpus, artifacts]) mkdirSync(d, { recursive: true });
  const seedCount = await writeSeeds(t, seedDir);
  const regressions = regressionsOf(t);
  const args = [
    '--require',
    join(root, 'fuzz/native/preload.cjs'),
    jazzer,
    join(root, t.module),
    ...(t.async ? [] : ['--sync']),
    ...t.includes.flatMap((i) => ['--includes', join(root, i)]),
    // The harness is not what is measured: coverage counts the code under test only.
    '--excludes',
    '/dist/fuzz/',
    `--timeout=${t.timeoutMs ?? 5000}`,
    '--',
    `-max_total_time=${seconds}`,
    ...(opts.replay ? ['-runs=0'] : runs ? [`-runs=${runs}`] : []),
    `-max_len=${t.maxLen}`,
    `-rss_limit_mb=${rssLimitMb}`,
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`,
    corpus,
    seedDir,
    ...(regressions ? [regressions] : []),
  ];
  // The log goes straight to a file: libFuzzer writes with C stdio, and on a pipe Node made
  // non-blocking its closing lines (the figures) can be lost.
  const logFile = join(dir, 'log.txt');
  const fd = openSync(logFile, 'w');
  const started = Date.now();
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, TACIT_FUZZ_ADDON: addon }, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  // A run that outlives its bound by two minutes is stuck outside libFuzzer's own clock.
  const limitMs = (seconds + 120) * 1000;
  let overran = false;
  const timer = setTimeout(() => {
    overran = true;
    child.kill('SIGKILL');
  }, limitMs);
  const code = await new Promise((r) => child.on('close', (c, signal) => r(c ?? signal)));
  clearTimeout(timer);
  const text = readFileSync(logFile, 'utf8');
  const found = readdirSync(artifacts).filter((f) => /^(crash|timeout|oom|leak)-/.test(f)).map((f) => join(artifacts, f));
  const result = {
    name: t.name,
    ok: code === 0 && found.length === 0 && !overran,
    exit: code,
    overran,
    seconds: Math.round((Date.now() - started) / 1000),
    seeds: seedCount,
    ...parse(text),
    artifacts: found.map((f) => relative(root, f)),
    log: relative(root, logFile),
  };
  const line = `${result.ok ? 'ok  ' : 'FAIL'} ${t.name}: ${result.inputs ?? '?'} inputs in ${result.seconds} s (${result.inputsPerSecond ?? '?'}/s), cov ${result.coverage ?? '?'}${result.edges ? ` of ${result.edges} edges` : ''}, ft ${result.features ?? '?'}, corpus ${result.corpus ?? '?'}, peak RSS ${result.peakRssMb ?? '?'} MB`;
  console.log(line);
  if (!result.ok) {
    console.log(`     exit ${code}${overran ? ' (killed: ran past its bound)' : ''}; log: ${result.log}`);
    for (const a of result.artifacts) {
      console.log(`     input kept: ${a}`);
      console.log(`     replay: node --require ./fuzz/native/preload.cjs node_modules/@jazzer.js/core/dist/cli.js ${t.module}${t.async ? '' : ' --sync'} ${a}`);
    }
    const tail = text.split('\n').filter((l) => /Error|Exception|FuzzFinding|ERROR|SUMMARY|^ +at /.test(l)).slice(0, 12);
    for (const l of tail) console.log(`     | ${l}`);
  }
  return result;
}

mkdirSync(work, { recursive: true });
console.log(
  opts.replay
    ? `replaying the corpora of ${targets.length} target(s); work folder ${relative(root, work) || '.'}`
    : `fuzzing ${targets.length} target(s), ${seconds} s${runs ? ` or ${runs} inputs` : ''} each, ${jobs} at a time; work folder ${relative(root, work) || '.'}`,
);
const queue = [...targets];
const results = [];
await Promise.all(
  Array.from({ length: Math.min(jobs, queue.length) }, async () => {
    for (let t = queue.shift(); t; t = queue.shift()) results.push(await runOne(t));
  }),
);
results.sort((a, b) => TARGETS.findIndex((t) => t.name === a.name) - TARGETS.findIndex((t) => t.name === b.name));
const summary = { when: new Date().toISOString(), seconds, runs: runs ?? null, jobs, results };
writeFileSync(join(work, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
const failed = results.filter((r) => !r.ok);
const total = results.reduce((n, r) => n + (r.inputs ?? 0), 0);
console.log(`${results.length - failed.length} passed, ${failed.length} failed; ${total} inputs in all (figures in ${relative(root, join(work, 'summary.json'))})`);
if (failed.length) {
  console.log('Inputs kept (CI artifacts):');
  for (const r of failed) for (const a of r.artifacts) console.log(`  ${a}`);
}
process.exit(failed.length ? 1 : 0);
