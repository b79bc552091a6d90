import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, halfPeakNote, machineInfo, renderTable, reportRows } from './report.js';
import type { LiveResult } from './load/job.js';
import { liveFigures, pacedJob } from './scenarios/factories.js';
import type { RowResult } from './runner.js';
import { settingsFor } from './cli.js';
import { FIXED_ROWS, pendingRows } from './rows.js';
import { machineBusyPct } from './load/modes.js';
import { parseProcStat, readMachineIdle } from './proc.js';

const row = (name: string, figures: RowResult['figures'], extra: Partial<RowResult> = {}): RowResult => ({
  name,
  description: `${name} row`,
  ok: true,
  error: null,
  wallMs: 1234,
  figures,
  ratios: {},
  ...extra,
});

const results: RowResult[] = [
  row('meshwhisper-offline-drain', { msgsPerSec: 5000, enqueueMsgsPerSec: 2000, p50Ms: null, p99Ms: null }),
  row('baseline-ws', { msgsPerSec: 40_000, p50Ms: 1.5, p99Ms: 4 }),
  row('meshwhisper-same-relay', { msgsPerSec: 10_000, p50Ms: 3, p99Ms: 9 }, { ratios: { toBaseline: { row: 'baseline-ws' } } }),
  row(
    'tacit-enqueue',
    { msgsPerSec: 3000 },
    { ratios: { toMeshWhisper: { row: 'meshwhisper-offline-drain', figure: 'enqueueMsgsPerSec', ownFigure: 'msgsPerSec' } } },
  ),
  row('baseline-idle-connections', { connections: 100, bytesPerConnection: 10_000 }),
  row(
    'tacit-idle-connections',
    { connections: 100, bytesPerConnection: 15_000 },
    { ratios: { toBaseline: { row: 'baseline-idle-connections', figure: 'bytesPerConnection' } } },
  ),
  row('tacit-drain', {}, { ok: false, error: 'boom', ratios: { toMeshWhisper: { row: 'meshwhisper-offline-drain' } } }),
  row('tacit-same-gateway', { msgsPerSec: 8000 }, { ratios: { toBaseline: { row: 'baseline-ws' }, toMeshWhisper: { row: 'absent-row' } } }),
];

describe(buildReport.name, () => {
  const report = buildReport({
    command: 'npm run bench -- --json',
    startedAt: new Date(0),
    finishedAt: new Date(90_500),
    machine: machineInfo(),
    settings: settingsFor({ quick: true, durationSec: null }),
    results,
    pending: ['tacit-cross-replica'],
  });
  const json = JSON.parse(JSON.stringify(report)) as Record<string, unknown> & { rows: Record<string, unknown>[] };

  it('is one JSON object with the command, the machine and one row object per row', () => {
    assert.equal(json['command'], 'npm run bench -- --json');
    assert.equal(json['wallSec'], 90.5);
    const machine = json['machine'] as { cpus: { model: string; count: number }; memoryBytes: number; node: string; os: { platform: string } };
    assert.equal(typeof machine.cpus.model, 'string');
    assert.ok(machine.cpus.count >= 1);
    assert.ok(machine.memoryBytes > 0);
    assert.equal(machine.node, process.version);
    assert.equal(machine.os.platform, process.platform);
    assert.equal(json.rows.length, results.length);
    for (const r of json.rows) {
      for (const key of ['name', 'status', 'msgsPerSec', 'p50Ms', 'p99Ms', 'ratioToBaseline', 'ratioToMeshWhisper']) {
        assert.ok(key in r, `${String(r['name'])} lacks ${key}`);
      }
    }
    assert.deepEqual(json['pending'], ['tacit-cross-replica']);
  });

  it('orders rows as the fixed list, extras after', () => {
    assert.deepEqual(
      json.rows.map((r) => r['name']),
      [
        'baseline-ws',
        'tacit-same-gateway',
        'tacit-enqueue',
        'tacit-drain',
        'meshwhisper-same-relay',
        'meshwhisper-offline-drain',
        'tacit-idle-connections',
        'baseline-idle-connections',
      ],
    );
  });

  it('computes ratios against rows of the same run, with their basis', () => {
    const by = new Map(json.rows.map((r) => [r['name'], r]));
    assert.equal(by.get('meshwhisper-same-relay')!['ratioToBaseline'], 0.25);
    assert.equal(by.get('tacit-same-gateway')!['ratioToBaseline'], 0.2);
    assert.equal(by.get('tacit-enqueue')!['ratioToMeshWhisper'], 1.5);
    assert.deepEqual(by.get('tacit-enqueue')!['ratioBasis'], {
      toBaseline: null,
      toMeshWhisper: 'msgsPerSec / meshwhisper-offline-drain.enqueueMsgsPerSec',
    });
    assert.equal(by.get('tacit-idle-connections')!['ratioToBaseline'], 1.5);
    assert.equal(by.get('tacit-idle-connections')!['connections'], 100);
    assert.equal(by.get('tacit-idle-connections')!['bytesPerConnection'], 15_000);
    assert.equal(by.get('baseline-ws')!['ratioToBaseline'], null);
  });

  it('gives no ratio, rather than a wrong one, when a side failed or was not run', () => {
    const by = new Map(json.rows.map((r) => [r['name'], r]));
    assert.equal(by.get('tacit-drain')!['status'], 'error');
    assert.equal(by.get('tacit-drain')!['error'], 'boom');
    assert.equal(by.get('tacit-drain')!['ratioToMeshWhisper'], null);
    assert.equal(by.get('tacit-same-gateway')!['ratioToMeshWhisper'], null);
  });

  it('renders a table with every row and every pending row marked as pending', () => {
    const table = renderTable(report);
    for (const r of results) assert.match(table, new RegExp(`\\| ${r.name} `));
    assert.match(table, /\| tacit-cross-replica .*pending/);
    assert.match(table, /ERROR: boom/);
    assert.match(table, /0\.25×/);
  });
});

describe(reportRows.name, () => {
  it('never lets an extra figure overwrite a fixed key', () => {
    const [r] = reportRows([row('x', { msgsPerSec: 1, status: 'fake', name: 'y' })]);
    assert.equal(r!.name, 'x');
    assert.equal(r!.status, 'ok');
  });
});

describe(pendingRows.name, () => {
  it('lists the fixed rows not implemented, in fixed order', () => {
    assert.deepEqual(pendingRows(['baseline-ws', 'tacit-drain']), FIXED_ROWS.filter((n) => n !== 'baseline-ws' && n !== 'tacit-drain'));
  });
});

const liveResult = (paced: LiveResult['paced']): LiveResult => ({
  mode: 'live',
  msgsPerSec: 9720.4,
  delivered: 97_204,
  sent: 97_460,
  lost: 0,
  measuredMs: 10_000.2,
  p50Ms: 23.04567,
  p90Ms: 40,
  p99Ms: 76.01,
  maxMs: 90,
  serverCpuPct: 169.4,
  loadCpuPct: 22.2,
  machineBusyPct: 93.6,
  paced,
});

describe(liveFigures.name, () => {
  const paced: NonNullable<LiveResult['paced']> = {
    ratePerSec: 4860,
    achievedMsgsPerSec: 4851.7,
    measuredMs: 5000.4,
    scheduled: 29_160,
    sent: 29_100,
    unsent: 60,
    lost: 3,
    p50Ms: 1.23456,
    p90Ms: 2.5,
    p99Ms: 3.14159,
    maxMs: 12.5,
    sendLagP99Ms: 1.0991,
    sendLagMaxMs: 4,
    serverCpuPct: 88.6,
    loadCpuPct: 11.4,
    machineBusyPct: 87.4,
  };

  it('keeps the closed-loop figures as they were and adds the half-peak ones', () => {
    const f = liveFigures(liveResult(paced));
    assert.equal(f.msgsPerSec, 9720);
    assert.equal(f.p50Ms, 23.046);
    assert.equal(f.p99Ms, 76.01);
    assert.equal(f['serverCpuPct'], 169);
    assert.equal(f['halfPeakRate'], 4860);
    assert.equal(f['halfPeakAchievedRate'], 4852);
    assert.equal(f['p50AtHalfPeakMs'], 1.235);
    assert.equal(f['p90AtHalfPeakMs'], 2.5);
    assert.equal(f['p99AtHalfPeakMs'], 3.142);
    assert.equal(f['maxAtHalfPeakMs'], 12.5);
    assert.equal(f['halfPeakSent'], 29_100);
    assert.equal(f['halfPeakUnsent'], 60);
    assert.equal(f['halfPeakLost'], 3);
    assert.equal(f['halfPeakSendLagP99Ms'], 1.099);
    assert.equal(f['halfPeakServerCpuPct'], 89);
    assert.equal(f['halfPeakLoadCpuPct'], 11);
    assert.equal(f['machineBusyPct'], 94);
    assert.equal(f['halfPeakMachineBusyPct'], 87);
  });

  it('gives every half-peak key as null when the phase did not run, so live rows share one shape', () => {
    const on = liveFigures(liveResult(paced));
    const off = liveFigures(liveResult(null));
    assert.deepEqual(Object.keys(off), Object.keys(on));
    for (const k of Object.keys(on).filter((k) => /HalfPeak|halfPeak/.test(k))) assert.equal(off[k], null, k);
    assert.equal(off.msgsPerSec, 9720);
  });

  it('reaches --json as row fields after the fixed keys, and the table as a note', () => {
    const [r] = reportRows([row('tacit-cross-replica', liveFigures(liveResult(paced)))]);
    const json = JSON.parse(JSON.stringify(r)) as Record<string, unknown>;
    assert.equal(json['p99AtHalfPeakMs'], 3.142);
    assert.equal(json['p50AtHalfPeakMs'], 1.235);
    assert.equal(json['halfPeakRate'], 4860);
    assert.equal(json['halfPeakAchievedRate'], 4852);
    assert.equal(json['p99Ms'], 76.01);
    const keys = Object.keys(json);
    assert.ok(keys.indexOf('wallSec') < keys.indexOf('halfPeakRate'));
    const report = buildReport({
      command: 'spec',
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      machine: machineInfo(),
      settings: settingsFor({ quick: true, durationSec: null }),
      results: [row('tacit-cross-replica', liveFigures(liveResult(paced)))],
      pending: [],
    });
    assert.match(
      renderTable(report),
      /\| tacit-cross-replica .*machine 94% busy, .*p99@½peak 3\.14 ms \(p50 1\.24 ms; 4,860\/s offered, 4,852\/s delivered, 60 unsent, 3 lost; machine 87% busy\)/,
    );
  });
});

describe(halfPeakNote.name, () => {
  it('is empty for rows without the phase, and names only problems that happened', () => {
    assert.equal(halfPeakNote({ msgsPerSec: 5 }), '');
    assert.equal(halfPeakNote(liveFigures(liveResult(null))), '');
    assert.equal(
      halfPeakNote({ halfPeakRate: 41_850, halfPeakAchievedRate: 41_790, p50AtHalfPeakMs: 0.92, p99AtHalfPeakMs: 12.345, halfPeakUnsent: 0, halfPeakLost: 0 }),
      'p99@½peak 12.3 ms (p50 0.92 ms; 41,850/s offered, 41,790/s delivered)',
    );
  });
});

describe(pacedJob.name, () => {
  it('runs at half the peak for 5 s (quick 1 s) after a warm-up, and is off at fraction 0', () => {
    const full = pacedJob(settingsFor({ quick: false, durationSec: null }))!;
    assert.equal(full.fraction, 0.5);
    assert.equal(full.durationMs, 5000);
    assert.ok(full.warmupMs > 0 && full.maxInFlightPerPair >= 16 && full.graceMs > 0);
    assert.equal(pacedJob(settingsFor({ quick: true, durationSec: null }))!.durationMs, 1000);
    assert.equal(pacedJob({ ...settingsFor({ quick: true, durationSec: null }), pacedFraction: 0 }), null);
  });
});

describe('machine busy time', () => {
  it('reads idle + iowait and the CPU count from /proc/stat text, and refuses other text', () => {
    const text = [
      'cpu  2027967 85378 362315 4021889 45530 0 65734 7211 0 0',
      'cpu0 1013983 42689 181157 2010944 22765 0 32867 3605 0 0',
      'cpu1 1013984 42689 181158 2010945 22765 0 32867 3606 0 0',
      'intr 123 4 5',
    ].join('\n');
    assert.deepEqual(parseProcStat(text), { idleTicks: 4021889 + 45530, cpus: 2 });
    for (const bad of ['', 'intr 1 2 3', 'cpu  1 2 3 x y', 'cpu  1 2 3 4 5 6']) assert.throws(() => parseProcStat(bad), /\/proc\/stat/);
  });

  it('is the share of all cores not idle over the window, within 0..100', () => {
    assert.equal(machineBusyPct(2, 2, 10_000), 90); // 2 idle s of 20 core-seconds
    assert.equal(machineBusyPct(0, 2, 1000), 100);
    assert.equal(machineBusyPct(20, 2, 10_000), 0);
    assert.equal(machineBusyPct(25, 2, 10_000), 0); // idle counted past the window's edge
    assert.equal(machineBusyPct(-1, 2, 10_000), 100);
  });

  it('reads this machine when it has /proc/stat', () => {
    const m = readMachineIdle();
    if (m === null) return; // not Linux
    assert.ok(m.cpus >= 1 && m.idleSeconds > 0);
  });
});
