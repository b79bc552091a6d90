import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { settingsFor } from '../cli.js';
import { firstRoundOrder } from '../plan.js';
import { allScenarios, compareScenarios } from '../registry.js';
import { buildReport, machineInfo, renderTable } from '../report.js';
import { REF } from '../rows.js';
import { runScenarios } from '../runner.js';
import type { RunSettings, Scenario } from '../scenario.js';
import { tacitMains } from '../targets/tacit.js';
import { sessionScenarios } from './session.js';

const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tacit-bench-session-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

const tiny: RunSettings = { ...settingsFor({ quick: true, durationSec: 1 }), warmupMs: 100, durationMs: 400 };
const quiet = (): void => {};

/** Each Tacit session row and the libsignal row it is divided by. */
const EXPECTED: Record<string, string> = {
  'tacit-session-start': REF.libsignalSessionStart,
  'tacit-session-start-noble': REF.libsignalSessionStart,
  'tacit-ratchet': REF.libsignalRatchet,
  'tacit-ratchet-noble': REF.libsignalRatchet,
  'tacit-ratchet-alternating': REF.libsignalRatchetAlternating,
  'tacit-ratchet-alternating-noble': REF.libsignalRatchetAlternating,
};

describe(sessionScenarios.name, () => {
  const all = allScenarios();
  const by = new Map(all.map((s) => [s.name, s]));

  it('registers every session row in npm run bench, each Tacit row with a vs libsignal ratio to its libsignal row', () => {
    for (const ref of [REF.libsignalSessionStart, REF.libsignalRatchet, REF.libsignalRatchetAlternating]) {
      assert.ok(by.has(ref), `${ref} registered`);
      assert.equal(by.get(ref)!.ratios, undefined, `${ref} is a reference, divided by nothing`);
    }
    for (const [row, ref] of Object.entries(EXPECTED)) {
      const s = by.get(row);
      assert.ok(s, `${row} registered`);
      assert.deepEqual(s.ratios, { toLibsignal: { row: ref } }, row);
    }
    const session = all.filter((s) => s.name in EXPECTED || s.name.startsWith('libsignal-'));
    assert.deepEqual(session.map((s) => s.name), sessionScenarios().map((s) => s.name));
  });

  it('has no --compare twins (they time this checkout in-process)', () => {
    const twins = compareScenarios(tacitMains('/nowhere'), all.map((s) => s.name)).map((s) => s.name);
    for (const row of Object.keys(EXPECTED)) assert.ok(!twins.includes(`${row}@compare`), row);
    assert.ok(twins.includes('tacit-drain@compare'));
  });

  it('runs each Tacit row right beside its libsignal row', () => {
    const order = firstRoundOrder(sessionScenarios());
    for (const [row, ref] of Object.entries(EXPECTED)) assert.equal(Math.abs(order.indexOf(row) - order.indexOf(ref)), 1, `${row} beside ${ref}: ${order.join(' ')}`);
  });

  it('times the real work in a child process, and the report divides Tacit by libsignal of the same round', { timeout: 60_000 }, async () => {
    const rows: Scenario[] = ['libsignal-ratchet', 'tacit-ratchet', 'tacit-session-start'].map((n) => by.get(n)!);
    const results = await runScenarios(rows, tiny, tmpRoot, quiet);
    for (const r of results) {
      assert.equal(r.error, null, r.name);
      const f = r.figures;
      assert.ok((f['steps'] as number) > 0 && f.msgsPerSec! > 0, `${r.name}: ${JSON.stringify(f)}`);
      assert.ok(f.p50Ms! > 0 && f.p99Ms! >= f.p50Ms!, `${r.name}: p50 ${f.p50Ms} p99 ${f.p99Ms}`);
      // steps/s over the measured window: steps / measuredMs, as a user would check it.
      const rate = ((f['steps'] as number) * 1000) / (f['measuredMs'] as number);
      assert.ok(Math.abs(f.msgsPerSec! / rate - 1) < 1e-3, `${r.name}: ${f.msgsPerSec} against ${rate}`);
      assert.ok((f['measuredMs'] as number) >= tiny.durationMs, r.name);
    }
    const report = buildReport({ command: 'spec', startedAt: new Date(), finishedAt: new Date(), machine: machineInfo(), settings: tiny, rounds: [results], pending: [] });
    const row = (n: string) => report.rows.find((r) => r.name === n)!;
    const expected = Number((row('tacit-ratchet').msgsPerSec! / row('libsignal-ratchet').msgsPerSec!).toFixed(3));
    assert.equal(row('tacit-ratchet').ratioToLibsignal, expected);
    assert.equal(row('tacit-ratchet').ratioBasis.toLibsignal, 'msgsPerSec / libsignal-ratchet.msgsPerSec');
    // Its reference was not in this run: no ratio rather than a wrong one.
    assert.equal(row('tacit-session-start').ratioToLibsignal, null);
    const table = renderTable(report);
    assert.match(table.split('\n')[0]!, /\| vs MeshWhisper \| vs libsignal \| notes/);
    assert.match(table, new RegExp(`\\| tacit-ratchet .*\\| +${expected.toFixed(2)}× \\| CPU \\d+%`));
  });
});
