// Tiny, bounded runs of the real machinery: a child load generator against a real relay process.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { settingsFor } from './cli.js';
import { buildReport, machineInfo } from './report.js';
import { runScenarios } from './runner.js';
import type { RunSettings } from './scenario.js';
import { idleRow, liveRow, offlineRow } from './scenarios/factories.js';
import { baselineSystem } from './targets/baseline.js';
import { meshWhisperSystem } from './targets/meshwhisper.js';
import { tacitSingleSystem } from './targets/tacit.js';

const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tacit-bench-spec-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));

const tiny: RunSettings = {
  ...settingsFor({ quick: true, durationSec: 1 }),
  warmupMs: 200,
  pairs: 1,
  window: 4,
  offlineMessages: 200,
  offlinePairs: 2,
  offlineWarmupMessages: 50,
  idleConnections: 50,
  // 20 per source address: the 50 connections come from 127.0.0.1, .2 and .3.
  idleConnectionsPerAddress: 20,
  idleSettleMs: 100,
  pacedWarmupMs: 200,
  pacedDurationMs: 500,
};
const quiet = (): void => {};

describe('bench smoke', { timeout: 60_000 }, () => {
  it('baseline-ws: 1 pair for ~1 s relays messages with positive latencies', async () => {
    const [r] = await runScenarios([liveRow({ name: 'baseline-ws', description: 'smoke', system: baselineSystem })], tiny, tmpRoot, quiet);
    assert.equal(r!.error, null);
    const f = r!.figures;
    assert.ok((f['delivered'] as number) > 100, `delivered ${String(f['delivered'])}`);
    assert.ok(f.msgsPerSec! > 100);
    assert.ok(f.p50Ms! > 0 && f.p99Ms! >= f.p50Ms!, `p50 ${f.p50Ms} p99 ${f.p99Ms}`);
    assert.equal(f['lost'], 0);
    // The open-loop phase at half the peak: a rate, arrivals near it, latencies from the schedule.
    const rate = f['halfPeakRate'] as number;
    assert.ok(Math.abs(rate - f.msgsPerSec! / 2) <= 1, `rate ${rate} for a peak of ${f.msgsPerSec}`);
    assert.ok((f['halfPeakSent'] as number) > 0);
    assert.ok((f['halfPeakAchievedRate'] as number) > rate / 2, `achieved ${String(f['halfPeakAchievedRate'])} of ${rate}`);
    const p50 = f['p50AtHalfPeakMs'] as number;
    const p99 = f['p99AtHalfPeakMs'] as number;
    assert.ok(p50 > 0 && p99 >= p50, `p50 ${p50} p99 ${p99} at half peak`);
    assert.equal(f['halfPeakLost'], 0);
    const report = buildReport({
      command: 'spec',
      startedAt: new Date(),
      finishedAt: new Date(),
      machine: machineInfo(),
      settings: tiny,
      rounds: [[r!]],
      pending: [],
    });
    assert.equal(report.rows[0]!.name, 'baseline-ws');
    assert.equal(report.rows[0]!.msgsPerSec, f.msgsPerSec);
  });

  it('idle harness: 50 registered connections from 3 source addresses, RSS read', async () => {
    const [r] = await runScenarios([idleRow({ name: 'baseline-idle-connections', description: 'smoke', system: baselineSystem })], tiny, tmpRoot, quiet);
    assert.equal(r!.error, null);
    assert.equal(r!.figures.connections, 50);
    assert.equal(typeof r!.figures.bytesPerConnection, 'number');
  });

  it('meshwhisper offline: every queued packet drained exactly once', async () => {
    const system = meshWhisperSystem();
    const [r] = await runScenarios([offlineRow({ name: 'mw-offline', description: 'smoke', system, primary: 'drain' })], tiny, tmpRoot, quiet);
    assert.equal(r!.error, null);
    assert.equal(r!.figures['missing'], 0);
    assert.equal(r!.figures['duplicates'], 0);
    assert.ok(r!.figures.msgsPerSec! > 0);
    assert.equal(r!.figures['enqueueConfirmedBy'], 'queue-depth');
    // MeshWhisper confirms no send: no window bounds its senders, and no send time is known.
    assert.equal(r!.figures['enqueueInFlight'], null);
    assert.equal(r!.figures['enqueueP50Ms'], null);
  });

  it('tacit offline, 8 in flight per sender: every send acked with its time, every packet drained once', async () => {
    const row = offlineRow({ name: 'tacit-offline', description: 'smoke', system: tacitSingleSystem, primary: 'enqueue', window: 8 });
    const [r] = await runScenarios([row], tiny, tmpRoot, quiet);
    assert.equal(r!.error, null);
    const f = r!.figures;
    assert.equal(f['enqueueConfirmedBy'], 'acks');
    assert.equal(f['enqueueInFlight'], tiny.offlinePairs * 8);
    assert.equal(f['missing'], 0);
    assert.equal(f['duplicates'], 0);
    const p50 = f['enqueueP50Ms'] as number;
    const p99 = f['enqueueP99Ms'] as number;
    // Every ACCEPTED waits for a commit: it takes some time, and the tail is no shorter than the middle.
    assert.ok(p50 > 0 && p99 >= p50, `p50 ${p50} p99 ${p99}`);
    assert.equal(f.msgsPerSec, f['enqueueMsgsPerSec']);
  });
});
