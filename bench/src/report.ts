// The run as data (one JSON object) and as a table. Ratios are computed here, after every round
// has run, round by round from figures of the same round only; each row then reports the median
// of its rounds and their spread (spread.ts).
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { BuildInfo } from './compare.js';
import type { RowResult } from './runner.js';
import type { RatioRef, RunSettings } from './scenario.js';
import { COMPARE_SUFFIX, compareName, printOrder } from './rows.js';
import { spreadOf, type Spread } from './spread.js';

/** Where the figures were measured. */
export interface Machine {
  cpus: { model: string; count: number };
  memoryBytes: number;
  node: string;
  os: { type: string; platform: string; release: string; arch: string };
  loadavg: number[];
  fileLimit: number | null;
}

/** One row as reported: fixed keys first, the row's extra figures after them, its rounds last. */
export interface ReportRow {
  name: string;
  description: string;
  /** 'error' when the row failed in any round; its figures are then those of the other rounds. */
  status: 'ok' | 'error';
  error: string | null;
  msgsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  ratioToBaseline: number | null;
  ratioToMeshWhisper: number | null;
  /** The same session work by libsignal's native module (`libsignal-*` rows), round by round. */
  ratioToLibsignal: number | null;
  /** This build's figure / the `--compare` build's (`<row>@compare`), round by round. */
  ratioToCompare: number | null;
  /** Which figures a ratio divides, e.g. "msgsPerSec / baseline-ws.msgsPerSec". */
  ratioBasis: { toBaseline: string | null; toMeshWhisper: string | null; toLibsignal: string | null; toCompare: string | null };
  /** Median wall time of one run of the row. */
  wallSec: number;
  /** Rounds the row ran in (failed ones included). */
  rounds: number;
  [figure: string]: unknown;
}

/** Min, max and count over the rounds of one figure or ratio (its median is the row's field). */
export type SpreadOf = Omit<Spread, 'median'>;

/** The whole run. */
export interface Report {
  tool: 'tacit-bench';
  /** 2: figures and ratios are medians over rounds, with `spread` and `perRound` per row. */
  schema: 2;
  command: string;
  startedAt: string;
  finishedAt: string;
  wallSec: number;
  machine: Machine;
  settings: RunSettings;
  /** Rounds run (`--repeats`). */
  repeats: number;
  /** The order the rows ran in, one list per round. */
  roundOrder: string[][];
  /** The checkouts whose services ran: this one, and the `--compare` one (or null). */
  builds: { current: BuildInfo | null; compare: BuildInfo | null };
  rows: ReportRow[];
  /** Fixed rows not implemented yet: they appear here, never with numbers. */
  pending: string[];
}

/** Facts about this machine. */
export function machineInfo(): Machine {
  const cpus = os.cpus();
  let fileLimit: number | null = null;
  try {
    fileLimit = Number(execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || null;
  } catch {
    // unknown
  }
  return {
    cpus: { model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length },
    memoryBytes: os.totalmem(),
    node: process.version,
    os: { type: os.type(), platform: os.platform(), release: os.release(), arch: os.arch() },
    loadavg: os.loadavg().map((x) => Number(x.toFixed(2))),
    fileLimit,
  };
}

/** How the run was started, as a user would type it. */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  const args = argv.join(' ');
  if (process.env['npm_lifecycle_event'] === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  return `node bench/dist/main.js${args ? ` ${args}` : ''}`;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function basis(ref: RatioRef | undefined): string | null {
  if (!ref) return null;
  const figure = ref.figure ?? 'msgsPerSec';
  return `${ref.ownFigure ?? figure} / ${ref.row}.${figure}`;
}

/** `row`'s figure over its reference's, both of one round; null when either side failed or lacks it. */
export function roundRatio(row: RowResult | undefined, ref: RatioRef | undefined, round: ReadonlyMap<string, RowResult>): number | null {
  if (!row?.ok || !ref) return null;
  const figure = ref.figure ?? 'msgsPerSec';
  const other = round.get(ref.row);
  if (!other?.ok) return null;
  const a = num(row.figures[ref.ownFigure ?? figure]);
  const b = num(other.figures[figure]);
  if (a === null || b === null || b === 0) return null;
  return Number((a / b).toFixed(3));
}

/**
 * What a row and its `--compare` twin are compared on: the figure the row's ratios divide (bytes
 * per connection for idle rows, the primary rate for offline rows), msgsPerSec otherwise.
 */
function compareRef(r: RowResult): RatioRef {
  const ref = r.ratios.toBaseline ?? r.ratios.toMeshWhisper ?? r.ratios.toLibsignal;
  const own = ref ? (ref.ownFigure ?? ref.figure ?? 'msgsPerSec') : 'msgsPerSec';
  return { row: compareName(r.name), figure: own, ownFigure: own };
}

const FIXED_KEYS = new Set([
  'name',
  'description',
  'status',
  'error',
  'msgsPerSec',
  'p50Ms',
  'p99Ms',
  'ratioToBaseline',
  'ratioToMeshWhisper',
  'ratioToLibsignal',
  'ratioToCompare',
  'ratioBasis',
  'wallSec',
  'rounds',
  'spread',
  'perRound',
]);

/** One row over every round: medians, spreads and the per-round values. */
function aggregate(name: string, rounds: readonly ReadonlyMap<string, RowResult>[]): ReportRow {
  const runs = rounds.map((m) => m.get(name));
  const ran = runs.filter((r): r is RowResult => r !== undefined);
  const first = ran[0]!;
  const twinRan = !name.endsWith(COMPARE_SUFFIX) && rounds.some((m) => m.has(compareName(name)));
  const refs = {
    toBaseline: first.ratios.toBaseline,
    toMeshWhisper: first.ratios.toMeshWhisper,
    toLibsignal: first.ratios.toLibsignal,
    toCompare: twinRan ? compareRef(first) : undefined,
  };

  // Every figure that is a number in some round, as one value per round (null: failed or absent).
  const perRound: Record<string, (number | null)[]> = {};
  const other: Record<string, unknown> = {};
  for (const r of ran) {
    for (const [k, v] of Object.entries(r.figures)) {
      if (typeof v === 'number' || v === null) perRound[k] ??= runs.map((x) => (x?.ok ? num(x.figures[k]) : null));
      else if (v !== undefined && r.ok && !(k in other)) other[k] = v;
    }
  }
  perRound['ratioToBaseline'] = runs.map((x, i) => roundRatio(x, refs.toBaseline, rounds[i]!));
  perRound['ratioToMeshWhisper'] = runs.map((x, i) => roundRatio(x, refs.toMeshWhisper, rounds[i]!));
  perRound['ratioToLibsignal'] = runs.map((x, i) => roundRatio(x, refs.toLibsignal, rounds[i]!));
  perRound['ratioToCompare'] = runs.map((x, i) => roundRatio(x, refs.toCompare, rounds[i]!));
  perRound['wallSec'] = runs.map((x) => (x ? Number((x.wallMs / 1000).toFixed(1)) : null));

  const spread: Record<string, SpreadOf> = {};
  const median: Record<string, number | null> = {};
  for (const [k, values] of Object.entries(perRound)) {
    const sp = spreadOf(values);
    median[k] = sp?.median ?? null;
    if (sp) spread[k] = { min: sp.min, max: sp.max, n: sp.n };
  }
  const failed = runs.flatMap((x, i) => (x && !x.ok ? [rounds.length === 1 ? (x.error ?? '') : `round ${i + 1}: ${x.error ?? ''}`] : []));

  const row: ReportRow = {
    name,
    description: first.description,
    status: failed.length === 0 ? 'ok' : 'error',
    error: failed.length === 0 ? null : failed.join('; '),
    msgsPerSec: median['msgsPerSec'] ?? null,
    p50Ms: median['p50Ms'] ?? null,
    p99Ms: median['p99Ms'] ?? null,
    ratioToBaseline: median['ratioToBaseline'] ?? null,
    ratioToMeshWhisper: median['ratioToMeshWhisper'] ?? null,
    ratioToLibsignal: median['ratioToLibsignal'] ?? null,
    ratioToCompare: median['ratioToCompare'] ?? null,
    ratioBasis: {
      toBaseline: basis(refs.toBaseline),
      toMeshWhisper: basis(refs.toMeshWhisper),
      toLibsignal: basis(refs.toLibsignal),
      toCompare: basis(refs.toCompare),
    },
    wallSec: median['wallSec'] ?? 0,
    rounds: ran.length,
  };
  // Extra figures follow the fixed keys and can never overwrite one.
  for (const k of [...Object.keys(perRound), ...Object.keys(other)]) {
    if (FIXED_KEYS.has(k) || k in row) continue;
    row[k] = k in median ? median[k] : other[k];
  }
  row['spread'] = spread;
  row['perRound'] = perRound;
  return row;
}

/**
 * Report rows, in print order, from the rounds' results (each round in the order it ran). A ratio
 * is taken in each round from that round's figures, then its median reported.
 */
export function reportRows(rounds: readonly (readonly RowResult[])[]): ReportRow[] {
  const maps = rounds.map((r) => new Map(r.map((x) => [x.name, x])));
  const firstSeen = new Map<string, RowResult>();
  for (const r of rounds.flat()) if (!firstSeen.has(r.name)) firstSeen.set(r.name, r);
  return printOrder([...firstSeen.values()]).map((r) => aggregate(r.name, maps));
}

/** Assembles the report. */
export function buildReport(args: {
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  settings: RunSettings;
  /** Each round's results, in the order they ran. */
  rounds: readonly (readonly RowResult[])[];
  pending: string[];
  builds?: Report['builds'];
}): Report {
  return {
    tool: 'tacit-bench',
    schema: 2,
    command: args.command,
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    wallSec: Number(((args.finishedAt.getTime() - args.startedAt.getTime()) / 1000).toFixed(1)),
    machine: args.machine,
    settings: args.settings,
    repeats: args.rounds.length,
    roundOrder: args.rounds.map((r) => r.map((x) => x.name)),
    builds: args.builds ?? { current: null, compare: null },
    rows: reportRows(args.rounds),
    pending: args.pending,
  };
}

const fmtInt = (v: number | null): string => (v === null ? '—' : Math.round(v).toLocaleString('en-US'));
const fmtMs = (v: number | null): string => (v === null ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const fmtRatio = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}×`);

const spreadIn = (r: ReportRow, key: string): SpreadOf | undefined => (r['spread'] as Record<string, SpreadOf> | undefined)?.[key];

/** A figure's median, and with several rounds its min–max: `74,200 (73,500–82,300)`. */
function fmtFigure(r: ReportRow, key: string, fmt: (v: number | null) => string, rounds: number): string {
  const v = num(r[key]);
  const sp = spreadIn(r, key);
  return rounds > 1 && v !== null && sp ? `${fmt(v)} (${fmt(sp.min)}–${fmt(sp.max)})` : fmt(v);
}

/** A ratio's median, and with several rounds its min–max and count: `0.93× (0.88–0.97, n=3)`. */
function fmtRatioCell(r: ReportRow, key: string, rounds: number): string {
  const v = num(r[key]);
  const sp = spreadIn(r, key);
  return rounds > 1 && v !== null && sp ? `${fmtRatio(v)} (${sp.min.toFixed(2)}–${sp.max.toFixed(2)}, n=${sp.n})` : fmtRatio(v);
}

function notes(r: ReportRow, rounds: number): string {
  const parts: string[] = [];
  if (typeof r['connections'] === 'number') {
    parts.push(`${fmtInt(r['connections'])} conns`, `${fmtFigure(r, 'bytesPerConnection', fmtInt, rounds)} B/conn`);
  }
  if (typeof r['enqueueMsgsPerSec'] === 'number') {
    parts.push(`K=${fmtInt(num(r['messages']))}`, `enqueue ${fmtInt(r['enqueueMsgsPerSec'])}/s`, `drain ${fmtInt(num(r['drainMsgsPerSec']))}/s`);
    if (r['missing']) parts.push(`missing ${String(r['missing'])}`);
    if (r['duplicates']) parts.push(`dup ${String(r['duplicates'])}`);
    if (typeof r['drainServerCpuPct'] === 'number' || typeof r['drainMachineBusyPct'] === 'number') {
      const pct = (k: string): string => (typeof r[k] === 'number' ? `${r[k]}%` : '—');
      parts.push(`drain CPU: server ${pct('drainServerCpuPct')}, load ${pct('drainLoadCpuPct')}, machine ${pct('drainMachineBusyPct')} busy`);
    }
  }
  if (typeof r['serverCpuPct'] === 'number') parts.push(`server CPU ${r['serverCpuPct']}%`);
  if (typeof r['cpuPct'] === 'number') parts.push(`CPU ${r['cpuPct']}%`);
  if (typeof r['loadCpuPct'] === 'number') parts.push(`load CPU ${r['loadCpuPct']}%`);
  if (typeof r['machineBusyPct'] === 'number') parts.push(`machine ${r['machineBusyPct']}% busy`);
  if (typeof r['lost'] === 'number' && r['lost'] > 0) parts.push(`lost ${r['lost']}`);
  const halfPeak = halfPeakNote(r);
  if (halfPeak) parts.push(halfPeak);
  // A row that failed in some round still shows the figures of the others.
  if (r.status === 'error') return `ERROR: ${r.error ?? ''}${parts.length ? `; ${parts.join(', ')}` : ''}`;
  return parts.join(', ');
}

/**
 * The open-loop figures of a live row, e.g. `p99@½peak 3.10 ms (p50 0.92 ms; 41,850/s offered,
 * 41,790/s delivered)`, plus what the in-flight cap held back and what never arrived; '' when the
 * row has no such phase.
 */
export function halfPeakNote(r: Record<string, unknown>): string {
  const rate = num(r['halfPeakRate']);
  if (rate === null) return '';
  const p99 = num(r['p99AtHalfPeakMs']);
  const p50 = num(r['p50AtHalfPeakMs']);
  const achieved = num(r['halfPeakAchievedRate']);
  let note = `p99@½peak ${fmtMs(p99)} ms (p50 ${fmtMs(p50)} ms; ${fmtInt(rate)}/s offered, ${fmtInt(achieved)}/s delivered`;
  const unsent = num(r['halfPeakUnsent']);
  const lost = num(r['halfPeakLost']);
  if (unsent) note += `, ${fmtInt(unsent)} unsent`;
  if (lost) note += `, ${fmtInt(lost)} lost`;
  const busy = num(r['halfPeakMachineBusyPct']);
  if (busy !== null) note += `; machine ${busy}% busy`;
  return `${note})`;
}

/** A Markdown table: readable in a terminal, pasteable into docs/benchmarks.md. */
export function renderTable(report: Report): string {
  const n = report.repeats;
  const compare = report.builds.compare !== null || report.rows.some((r) => r.ratioToCompare !== null);
  // Only runs with a session row (one that has a libsignal reference) get the column.
  const libsignal = report.rows.some((r) => r.ratioBasis.toLibsignal !== null);
  const head = [
    'row',
    'msgs/s',
    'p50 ms',
    'p99 ms',
    'vs baseline',
    'vs MeshWhisper',
    ...(libsignal ? ['vs libsignal'] : []),
    ...(compare ? ['vs compare'] : []),
    'notes',
  ];
  const cells: { name: string; cells: string[] }[] = report.rows.map((r) => ({
    name: r.name,
    cells: [
      r.name,
      fmtFigure(r, 'msgsPerSec', fmtInt, n),
      fmtFigure(r, 'p50Ms', fmtMs, n),
      fmtFigure(r, 'p99Ms', fmtMs, n),
      fmtRatioCell(r, 'ratioToBaseline', n),
      fmtRatioCell(r, 'ratioToMeshWhisper', n),
      ...(libsignal ? [fmtRatioCell(r, 'ratioToLibsignal', n)] : []),
      ...(compare ? [fmtRatioCell(r, 'ratioToCompare', n)] : []),
      notes(r, n),
    ],
  }));
  for (const p of report.pending) cells.push({ name: p, cells: [p, ...head.slice(1, -1).map(() => ''), 'pending: not implemented yet'] });
  const body = printOrder(cells).map((c) => c.cells);
  const last = head.length - 1;
  const numeric = (i: number): boolean => i >= 1 && i < last;
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (numeric(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const m = report.machine;
  const footer = [
    `machine: ${m.cpus.count} × ${m.cpus.model}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node}, ${m.os.type} ${m.os.release} ${m.os.arch}`,
    `command: ${report.command}   (${report.wallSec} s)`,
    `ratios: row figure / reference row figure of the same round (vs baseline: baseline-ws; idle rows compare bytes/conn)`,
  ];
  if (libsignal) footer.push('vs libsignal: the same session work by @signalapp/libsignal-client 0.90 (native), its row of the same round; msgs/s: steps/s');
  if (n > 1) {
    footer.push(
      `rounds: ${n}, every other one in reverse order; figures: median of the rounds (min–max); ` +
        `ratios: median of the per-round ratios (min–max, n = rounds in which both sides ran)`,
    );
  }
  const { current, compare: other } = report.builds;
  if (other) footer.push(`vs compare: this build ${describe(current)} / the --compare build ${describe(other)}, same figure, same round`);
  return [line(head), rule, ...body.map(line), '', ...footer].join('\n');
}

function describe(b: BuildInfo | null): string {
  if (!b) return '(unknown)';
  const commit = b.commit ? b.commit.slice(0, 10) : 'no git commit';
  return `(${b.root} at ${commit}${b.dirty ? ' with uncommitted changes' : ''})`;
}
