import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, settingsFor } from './cli.js';

describe(parseArgs.name, () => {
  it('reads every flag, in both --flag value and --flag=value forms', () => {
    assert.deepEqual(parseArgs(['--json', '--quick', '--only', 'baseline-ws, meshwhisper-same-relay', '--duration', '3']), {
      json: true,
      quick: true,
      only: ['baseline-ws', 'meshwhisper-same-relay'],
      durationSec: 3,
      help: false,
    });
    assert.deepEqual(parseArgs(['--only=a', '--duration=1.5']).only, ['a']);
    assert.equal(parseArgs(['--duration=1.5']).durationSec, 1.5);
    assert.equal(parseArgs([]).json, false);
  });

  it('rejects unknown flags, missing values and absurd durations', () => {
    assert.throws(() => parseArgs(['--fast']), /unknown argument "--fast"/);
    assert.throws(() => parseArgs(['--only']), /"--only" expected a value/);
    assert.throws(() => parseArgs(['--duration', 'x']), /"--duration" expected 0.5..120 seconds, got x/);
    assert.throws(() => parseArgs(['--duration', '1000']), RangeError);
  });
});

describe(settingsFor.name, () => {
  it('quick is shorter than full on every time- and count-driven knob; --duration overrides', () => {
    const full = settingsFor({ quick: false, durationSec: null });
    const quick = settingsFor({ quick: true, durationSec: null });
    assert.equal(full.payloadBytes, 256);
    assert.ok(quick.durationMs < full.durationMs && quick.warmupMs < full.warmupMs);
    assert.ok(quick.offlineMessages < full.offlineMessages && quick.idleConnections < full.idleConnections);
    assert.equal(settingsFor({ quick: true, durationSec: 4 }).durationMs, 4000);
  });
});
