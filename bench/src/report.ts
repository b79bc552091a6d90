// The run as data (one JSON object) and as a table. Ratios are computed here, after every row
// has run, from figures of the same run only.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import type { RowResult } from './runner.js';
import type { RatioRef, RunSettings } from './scenario.js';
import { printOrder } from './rows.js';

/** Where the figures were measured. */
export interface Machine {
  cpus: { model: string; count: number };
  memoryBytes: number;
  node: string;
  os: { type: string; platform: string; release: string; arch: string };
  loadavg: number[];
  fileLimit: number | null;
}

/** One row as reported: fixed keys first, the row's extra figures after them. */
export interface ReportRow {
  name: string;
  description: string;
  status: 'ok' | 'error';
  error: string | null;
  msgsPerSec: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  ratioToBaseline: number | null;
  ratioToMeshWhisper: number | null;
  /** Which figures a ratio divides, e.g. "msgsPerSec / baseline-ws.msgsPerSec". */
  ratioBasis: { toBaseline: string | null; toMeshWhisper: string | null };
  wallSec: number;
  [figure: string]: unknown;
}

/** The whole run. */
export interface Report {
  tool: 'tacit-bench';
  schema: 1;
  command: string;
  startedAt: string;
  finishedAt: string;
  wallSec: number;
  machine: Machine;
  settings: RunSettings;
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

function ratio(row: RowResult, ref: RatioRef | undefined, byName: Map<string, RowResult>): [number | null, string | null] {
  if (!ref) return [null, null];
  const figure = ref.figure ?? 'msgsPerSec';
  const own = ref.ownFigure ?? figure;
  const basis = `${own} / ${ref.row}.${figure}`;
  const other = byName.get(ref.row);
  if (!row.ok || !other?.ok) return [null, basis];
  const a = num(row.figures[own]);
  const b = num(other.figures[figure]);
  if (a === null || b === null || b === 0) return [null, basis];
  return [Number((a / b).toFixed(3)), basis];
}

/** Report rows with ratios, in print order. */
export function reportRows(results: readonly RowResult[]): ReportRow[] {
  const byName = new Map(results.map((r) => [r.name, r]));
  return printOrder(results).map((r) => {
    const [toBaseline, baseBasis] = ratio(r, r.ratios.toBaseline, byName);
    const [toMw, mwBasis] = ratio(r, r.ratios.toMeshWhisper, byName);
    const { msgsPerSec, p50Ms, p99Ms, ...extra } = r.figures;
    const row: ReportRow = {
      name: r.name,
      description: r.description,
      status: r.ok ? 'ok' : 'error',
      error: r.error,
      msgsPerSec: num(msgsPerSec),
      p50Ms: num(p50Ms),
      p99Ms: num(p99Ms),
      ratioToBaseline: toBaseline,
      ratioToMeshWhisper: toMw,
      ratioBasis: { toBaseline: baseBasis, toMeshWhisper: mwBasis },
      wallSec: Number((r.wallMs / 1000).toFixed(1)),
    };
    // Extra figures follow the fixed keys and can never overwrite one.
    for (const [k, v] of Object.entries(extra)) if (!(k in row) && v !== undefined) row[k] = v;
    return row;
  });
}

/** Assembles the report. */
export function buildReport(args: {
  command: string;
  startedAt: Date;
  finishedAt: Date;
  machine: Machine;
  settings: RunSettings;
  results: readonly RowResult[];
  pending: string[];
}): Report {
  return {
    tool: 'tacit-bench',
    schema: 1,
    command: args.command,
    startedAt: args.startedAt.toISOString(),
    finishedAt: args.finishedAt.toISOString(),
    wallSec: Number(((args.finishedAt.getTime() - args.startedAt.getTime()) / 1000).toFixed(1)),
    machine: args.machine,
    settings: args.settings,
    rows: reportRows(args.results),
    pending: args.pending,
  };
}

const fmtInt = (v: number | null): string => (v === null ? '—' : Math.round(v).toLocaleString('en-US'));
const fmtMs = (v: number | null): string => (v === null ? '—' : v < 10 ? v.toFixed(2) : v.toFixed(1));
const fmtRatio = (v: number | null): string => (v === null ? '—' : `${v.toFixed(2)}×`);

function notes(r: ReportRow): string {
  if (r.status === 'error') return `ERROR: ${r.error ?? ''}`;
  const parts: string[] = [];
  if (typeof r['connections'] === 'number') {
    parts.push(`${fmtInt(r['connections'])} conns`, `${fmtInt(num(r['bytesPerConnection']))} B/conn`);
  }
  if (typeof r['enqueueMsgsPerSec'] === 'number') {
    parts.push(`K=${fmtInt(num(r['messages']))}`, `enqueue ${fmtInt(r['enqueueMsgsPerSec'])}/s`, `drain ${fmtInt(num(r['drainMsgsPerSec']))}/s`);
    if (r['missing']) parts.push(`missing ${String(r['missing'])}`);
    if (r['duplicates']) parts.push(`dup ${String(r['duplicates'])}`);
  }
  if (typeof r['serverCpuPct'] === 'number') parts.push(`server CPU ${r['serverCpuPct']}%`);
  if (typeof r['loadCpuPct'] === 'number') parts.push(`load CPU ${r['loadCpuPct']}%`);
  if (typeof r['machineBusyPct'] === 'number') parts.push(`machine ${r['machineBusyPct']}% busy`);
  if (typeof r['lost'] === 'number' && r['lost'] > 0) parts.push(`lost ${r['lost']}`);
  const halfPeak = halfPeakNote(r);
  if (halfPeak) parts.push(halfPeak);
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
  const head = ['row', 'msgs/s', 'p50 ms', 'p99 ms', 'vs baseline', 'vs MeshWhisper', 'notes'];
  const cells: { name: string; cells: string[] }[] = report.rows.map((r) => ({
    name: r.name,
    cells: [r.name, fmtInt(r.msgsPerSec), fmtMs(r.p50Ms), fmtMs(r.p99Ms), fmtRatio(r.ratioToBaseline), fmtRatio(r.ratioToMeshWhisper), notes(r)],
  }));
  for (const p of report.pending) cells.push({ name: p, cells: [p, '', '', '', '', '', 'pending: not implemented yet'] });
  const body = printOrder(cells).map((c) => c.cells);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i >= 1 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i >= 1 && i <= 5 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  const m = report.machine;
  return [
    line(head),
    rule,
    ...body.map(line),
    '',
    `machine: ${m.cpus.count} × ${m.cpus.model}, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node}, ${m.os.type} ${m.os.release} ${m.os.arch}`,
    `command: ${report.command}   (${report.wallSec} s)`,
    `ratios: row figure / reference row figure of this same run (vs baseline: baseline-ws; idle rows compare bytes/conn)`,
  ].join('\n');
}
