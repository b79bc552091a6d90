import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_REPEATS, parseArgs, repeatsFor, settingsFor } from './cli.js';

describe(parseArgs.name, () => {
  it('reads every flag, in both --flag value and --flag=value forms', () => {
    assert.deepEqual(
      parseArgs(['--json', '--quick', '--only', 'baseline-ws, meshwhisper-same-relay', '--duration', '3', '--repeats', '5', '--compare', '../main']),
      {
        json: true,
        quick: true,
        only: ['baseline-ws', 'meshwhisper-same-relay'],
        durationSec: 3,
        repeats: 5,
        compare: '../main',
        help: false,
      },
    );
    assert.equal(parseArgs(['--repeats=2']).repeats, 2);
    assert.equal(parseArgs(['--compare=/work/main']).compare, '/work/main');
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

  it('rejects a --repeats that is not a whole number of rounds within 1..MAX_REPEATS', () => {
    for (const bad of ['0', '-1', '1.5', 'x', '3x', '1e1', ' 2', String(MAX_REPEATS + 1)]) {
      assert.throws(() => parseArgs(['--repeats', bad]), { name: 'RangeError', message: `"--repeats" expected an integer 1..${MAX_REPEATS}, got ${bad}` });
    }
    assert.throws(() => parseArgs(['--repeats']), /"--repeats" expected a value/);
    assert.throws(() => parseArgs(['--repeats=']), /"--repeats" expected a value/);
    assert.equal(parseArgs(['--repeats', String(MAX_REPEATS)]).repeats, MAX_REPEATS);
  });

  it('rejects a --compare without a folder', () => {
    assert.throws(() => parseArgs(['--compare']), { name: 'RangeError', message: '"--compare" expected a value' });
    assert.throws(() => parseArgs(['--compare=']), /"--compare" expected a value/);
  });
});

describe(repeatsFor.name, () => {
  it('is 3 rounds for a full run and 1 for --quick unless --repeats says otherwise', () => {
    assert.equal(repeatsFor({ quick: false, repeats: null }), 3);
    assert.equal(repeatsFor({ quick: true, repeats: null }), 1);
    assert.equal(repeatsFor({ quick: true, repeats: 2 }), 2);
    assert.equal(repeatsFor({ quick: false, repeats: 1 }), 1);
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
