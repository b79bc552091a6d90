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
    rounds: [results],
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
      toLibsignal: null,
      toCompare: null,
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
    const [r] = reportRows([[row('x', { msgsPerSec: 1, status: 'fake', name: 'y', spread: 'fake' })]]);
    assert.equal(r!.name, 'x');
    assert.equal(r!.status, 'ok');
    assert.deepEqual(r!['spread'], { msgsPerSec: { min: 1, max: 1, n: 1 }, wallSec: { min: 1.2, max: 1.2, n: 1 } });
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
    const [r] = reportRows([[row('tacit-cross-replica', liveFigures(liveResult(paced)))]]);
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
      rounds: [[row('tacit-cross-replica', liveFigures(liveResult(paced)))]],
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

describe('a report over rounds', () => {
  const live = { toBaseline: { row: 'baseline-ws' } };
  const idle = { toBaseline: { row: 'baseline-idle-connections', figure: 'bytesPerConnection' } };
  // The machine halves its speed in round 2: every row slows, the ratios much less.
  const round = (base: number, tacit: number | null, twin: number, bytes: [number, number, number]): RowResult[] => [
    row('tacit-same-gateway', tacit === null ? {} : { msgsPerSec: tacit, p99Ms: tacit / 10_000 }, {
      ratios: live,
      ...(tacit === null ? { ok: false, error: 'boom' } : {}),
    }),
    row('baseline-ws', { msgsPerSec: base, p99Ms: 4 }),
    row('tacit-same-gateway@compare', { msgsPerSec: twin }, { ratios: live }),
    row('tacit-idle-connections', { connections: 100, bytesPerConnection: bytes[0] }, { ratios: idle }),
    row('baseline-idle-connections', { connections: 100, bytesPerConnection: bytes[1] }),
    row('tacit-idle-connections@compare', { connections: 100, bytesPerConnection: bytes[2] }, { ratios: idle }),
  ];
  const rounds = [round(100_000, 90_000, 100_000, [5000, 8000, 4000]), round(50_000, 49_000, 45_000, [5200, 8000, 5200]), round(80_000, 60_000, 80_000, [4800, 7000, 6000])];
  const build = (rs: RowResult[][]) =>
    buildReport({
      command: 'spec',
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      machine: machineInfo(),
      settings: settingsFor({ quick: true, durationSec: null }),
      rounds: rs,
      pending: [],
      builds: { current: { root: '/work/a', commit: 'a'.repeat(40), dirty: true }, compare: { root: '/work/b', commit: 'b'.repeat(40), dirty: false } },
    });
  const by = (rs: RowResult[][]) => new Map(build(rs).rows.map((r) => [r.name, r]));

  it('divides figures of the same round, then takes the median of those ratios, not the ratio of medians', () => {
    const t = by(rounds).get('tacit-same-gateway')!;
    // 0.9, 0.98, 0.75 round by round; the medians' ratio would be 60 000 / 80 000 = 0.75.
    assert.equal(t.ratioToBaseline, 0.9);
    assert.deepEqual((t['perRound'] as Record<string, unknown>)['ratioToBaseline'], [0.9, 0.98, 0.75]);
    assert.deepEqual((t['spread'] as Record<string, unknown>)['ratioToBaseline'], { min: 0.75, max: 0.98, n: 3 });
  });

  it('reports each figure as the median of its rounds, with the per-round values and their spread', () => {
    const m = by(rounds);
    const t = m.get('tacit-same-gateway')!;
    assert.equal(t.msgsPerSec, 60_000);
    assert.equal(t.p99Ms, 6);
    assert.equal(t.rounds, 3);
    assert.deepEqual((t['perRound'] as Record<string, unknown>)['msgsPerSec'], [90_000, 49_000, 60_000]);
    assert.deepEqual((t['spread'] as Record<string, unknown>)['msgsPerSec'], { min: 49_000, max: 90_000, n: 3 });
    assert.equal(m.get('baseline-ws')!.msgsPerSec, 80_000);
    assert.equal(m.get('tacit-idle-connections')!['bytesPerConnection'], 5000);
    assert.equal(m.get('tacit-idle-connections')!['connections'], 100);
  });

  it('gives this build / the --compare build per round, on the figure the row is judged by', () => {
    const m = by(rounds);
    const t = m.get('tacit-same-gateway')!;
    // 90 000 / 100 000, 49 000 / 45 000, 60 000 / 80 000.
    assert.deepEqual((t['perRound'] as Record<string, unknown>)['ratioToCompare'], [0.9, 1.089, 0.75]);
    assert.equal(t.ratioToCompare, 0.9);
    assert.equal(t.ratioBasis.toCompare, 'msgsPerSec / tacit-same-gateway@compare.msgsPerSec');
    const idleRow = m.get('tacit-idle-connections')!;
    assert.equal(idleRow.ratioBasis.toCompare, 'bytesPerConnection / tacit-idle-connections@compare.bytesPerConnection');
    assert.deepEqual((idleRow['perRound'] as Record<string, unknown>)['ratioToCompare'], [1.25, 1, 0.8]);
    // The twin has its own ratios to the references of its rounds, and none to itself.
    const twin = m.get('tacit-same-gateway@compare')!;
    assert.equal(twin.ratioToBaseline, 1);
    assert.equal(twin.ratioToCompare, null);
    assert.equal(twin.ratioBasis.toCompare, null);
  });

  it('keeps a row that failed in one round, with the figures and ratios of the others', () => {
    const rs = [rounds[0]!, round(50_000, null, 45_000, [5200, 8000, 5200]), rounds[2]!];
    const t = by(rs).get('tacit-same-gateway')!;
    assert.equal(t.status, 'error');
    assert.equal(t.error, 'round 2: boom');
    assert.deepEqual((t['perRound'] as Record<string, unknown>)['ratioToBaseline'], [0.9, null, 0.75]);
    assert.equal(t.ratioToBaseline, 0.825);
    assert.deepEqual((t['spread'] as Record<string, unknown>)['ratioToBaseline'], { min: 0.75, max: 0.9, n: 2 });
    assert.equal(t.msgsPerSec, 75_000);
    assert.match(renderTable(build(rs)), /\| tacit-same-gateway .*ERROR: round 2: boom/);
  });

  it('records the rounds, their order and both builds; JSON schema 2', () => {
    const report = build(rounds);
    assert.equal(report.schema, 2);
    assert.equal(report.repeats, 3);
    assert.deepEqual(report.roundOrder[0], rounds[0]!.map((r) => r.name));
    assert.equal(report.builds.compare!.root, '/work/b');
    assert.deepEqual(
      report.rows.map((r) => r.name),
      ['baseline-ws', 'tacit-same-gateway', 'tacit-same-gateway@compare', 'tacit-idle-connections', 'tacit-idle-connections@compare', 'baseline-idle-connections'],
    );
  });

  it('prints medians with min–max, ratios with min–max and n, a vs compare column and how to read them', () => {
    const table = renderTable(build(rounds));
    const lines = table.split('\n');
    assert.match(lines[0]!, /vs baseline \| +vs MeshWhisper \| +vs compare \| notes/);
    const t = lines.find((l) => l.startsWith('| tacit-same-gateway '))!;
    assert.match(t, /\| +60,000 \(49,000–90,000\) \| +— \| 6\.00 \(4\.90–9\.00\) \|/);
    assert.match(t, /\| +0\.90× \(0\.75–0\.98, n=3\) \| +— \| +0\.90× \(0\.75–1\.09, n=3\) \|/);
    assert.match(table, /\| tacit-idle-connections .*100 conns, 5,000 \(4,800–5,200\) B\/conn/);
    assert.match(table, /rounds: 3, every other one in reverse order; figures: median of the rounds \(min–max\)/);
    assert.match(table, /vs compare: this build \(\/work\/a at aaaaaaaaaa with uncommitted changes\) \/ the --compare build \(\/work\/b at bbbbbbbbbb\)/);
  });

  it('prints a single round as before: no spreads, no vs compare column', () => {
    const table = renderTable(
      buildReport({
        command: 'spec',
        startedAt: new Date(0),
        finishedAt: new Date(1000),
        machine: machineInfo(),
        settings: settingsFor({ quick: true, durationSec: null }),
        rounds: [rounds[0]!.filter((r) => !r.name.endsWith('@compare'))],
        pending: [],
      }),
    );
    assert.doesNotMatch(table, /vs compare|vs libsignal|n=|rounds:/);
    assert.match(table, /\| tacit-same-gateway +\| +90,000 \|.*\| +0\.90× \|/);
  });
});
