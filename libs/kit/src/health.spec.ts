import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthRegistry, SHUTTING_DOWN } from './health.js';

describe(HealthRegistry.name, () => {
  it('is ready with no checks and when every check passes', async () => {
    const sut = new HealthRegistry();
    assert.equal((await sut.readiness()).ok, true);
    sut.addReadiness('nats', async () => {});
    sut.addReadiness('postgres', () => true);
    const report = await sut.readiness();
    assert.equal(report.ok, true);
    assert.deepEqual(report.checks.map((c) => c.name), ['nats', 'postgres']);
  });

  it('names failing, throwing, false and timed-out checks, and reports why to onFailure only', async () => {
    const reasons: string[] = [];
    const sut = new HealthRegistry({ timeoutMs: 30, onFailure: (name) => reasons.push(name) });
    let aborted = false;
    sut.addReadiness('ok', () => undefined);
    sut.addReadiness('throws', () => {
      throw new Error('password=hunter2');
    });
    sut.addReadiness('false', () => false);
    sut.addReadiness('hangs', (signal) => new Promise((r) => signal.addEventListener('abort', () => ((aborted = true), r(undefined)))));
    const started = Date.now();
    const report = await sut.readiness();
    assert.ok(Date.now() - started < 1000);
    assert.equal(report.ok, false);
    assert.deepEqual(report.failing, ['throws', 'false', 'hangs']);
    assert.deepEqual(reasons.sort(), ['false', 'hangs', 'throws']);
    assert.equal(aborted, true, 'the timed-out check was told to stop');
    assert.doesNotMatch(JSON.stringify(report), /hunter2/);
  });

  it('fails readiness once shutting down', async () => {
    const sut = new HealthRegistry();
    sut.setShuttingDown();
    assert.deepEqual((await sut.readiness()).failing, [SHUTTING_DOWN]);
  });

  it('runs liveness checks and removes checks', async () => {
    const sut = new HealthRegistry();
    assert.equal(sut.liveness().ok, true);
    const remove = sut.addLiveness('bus', () => false);
    assert.deepEqual(sut.liveness().failing, ['bus']);
    remove();
    assert.equal(sut.liveness().ok, true);
  });

  it('rejects duplicate and malformed names', () => {
    const sut = new HealthRegistry();
    sut.addReadiness('nats', () => true);
    assert.throws(() => sut.addReadiness('nats', () => true), RangeError);
    assert.throws(() => sut.addLiveness('Bad Name', () => true), RangeError);
  });
});
