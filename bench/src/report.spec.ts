import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildReport, machineInfo, renderTable, reportRows } from './report.js';
import type { RowResult } from './runner.js';
import { settingsFor } from './cli.js';
import { FIXED_ROWS, pendingRows } from './rows.js';

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
