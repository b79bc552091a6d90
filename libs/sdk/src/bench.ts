/**
 * `npm run bench -w @tacit/sdk`: the session layer against libsignal's native module
 * (`@signalapp/libsignal-client` 0.90.0, devDependency) doing the same work in the same process:
 * the workloads of `_bench-work.ts` (PQXDH session start, ratchet one way, ratchet alternating;
 * 1 KiB messages), on node:crypto, on @noble and in libsignal. `npm run bench` (bench/) runs the
 * same work as rows of its own table.
 *
 * Each cell runs in three slices interleaved with the others (the machine is shared, so load
 * changes hit all columns alike); `--budget=<ms>` sets the time per cell (default 3000).
 * @module
 */
import { BENCH_WORKS, benchMeasure, benchStep, type BenchImpl, type BenchWorkName } from './_bench-work.js';

const arg = process.argv.find((a) => a.startsWith('--budget='));
const BUDGET_MS = arg ? Math.min(60_000, Math.max(300, Number(arg.slice(9)) || 3000)) : 3000;
const SLICES = 3;

const impls: { name: string; impl: BenchImpl }[] = [
  { name: 'tacit node', impl: 'tacit-node' },
  { name: 'tacit noble', impl: 'tacit-noble' },
  { name: 'libsignal', impl: 'libsignal' },
];
const works: BenchWorkName[] = ['session-start', 'ratchet', 'ratchet-alternating'];

const fmt = (x: number) => (x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(1));
const table: string[][] = [['work', ...impls.map((i) => `${i.name} /s`), 'node ÷ libsignal', 'noble ÷ libsignal']];
const started = performance.now();

for (const work of works) {
  const steps: (() => Promise<void>)[] = [];
  for (const { impl } of impls) {
    const step = await benchStep(impl, work);
    await benchMeasure(step, Math.min(300, BUDGET_MS / 10)); // warm-up
    steps.push(step);
  }
  const totals = impls.map(() => ({ n: 0, t: 0 }));
  for (let s = 0; s < SLICES; s++)
    for (let i = 0; i < impls.length; i++) {
      const r = await benchMeasure(steps[i]!, BUDGET_MS / SLICES);
      totals[i]!.n += r.n;
      totals[i]!.t += r.t;
    }
  const rate = totals.map((x) => (x.n * 1000) / x.t);
  const lib = rate[2]!;
  table.push([BENCH_WORKS[work].label, ...rate.map(fmt), `${(rate[0]! / lib).toFixed(2)}×`, `${(rate[1]! / lib).toFixed(2)}×`]);
}

const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
const line = (r: string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
console.log(line(table[0]!));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of table.slice(1)) console.log(line(r));
console.log(
  `\nNode ${process.version}, libsignal-client 0.90.0 (native), ${BUDGET_MS} ms per cell in ${SLICES} slices, ${((performance.now() - started) / 1000).toFixed(1)} s total`,
);
