import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { settingsFor } from './cli.js';
import { firstRoundOrder, roundOrder } from './plan.js';
import { estimateRunMs, runRounds } from './runner.js';
import type { Figures, RatioRef, RunContext, Scenario } from './scenario.js';

const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tacit-bench-runner-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
const settings = settingsFor({ quick: true, durationSec: null });
const quiet = (): void => {};

/** A row that starts nothing: it records its calls, and its figure is the count of its runs. */
function row(name: string, events: string[], opts: { ratios?: { toBaseline?: RatioRef }; failIn?: number; estimateMs?: number } = {}): Scenario {
  let runs = 0;
  return {
    name,
    description: `${name} stand-in`,
    ...(opts.ratios ? { ratios: opts.ratios } : {}),
    ...(opts.estimateMs !== undefined ? { estimateMs: () => opts.estimateMs! } : {}),
    budgetMs: () => 5000,
    async setup(ctx: RunContext) {
      events.push(`setup ${name}`);
      writeFileSync(join(ctx.tmpDir, 'scratch'), 'x');
    },
    async run(): Promise<Figures> {
      runs++;
      events.push(`run ${name}`);
      if (runs === opts.failIn) throw new Error(`${name} broke`);
      return { msgsPerSec: runs };
    },
    async teardown() {
      events.push(`teardown ${name}`);
    },
  };
}

describe(runRounds.name, () => {
  it('runs every row once per round, in the plan’s order, each set up and torn down every time', async () => {
    const events: string[] = [];
    const rows = [row('ref', events), row('other', events), row('t', events, { ratios: { toBaseline: { row: 'ref' } } })];
    const out = await runRounds(rows, settings, 3, tmpRoot, quiet);
    const first = firstRoundOrder(rows);
    assert.deepEqual(first, ['t', 'ref', 'other']);
    assert.deepEqual(out.order, [0, 1, 2].map((r) => roundOrder(first, r)));
    assert.deepEqual(
      out.rounds.map((r) => r.map((x) => x.name)),
      out.order,
    );
    assert.deepEqual(
      events.filter((e) => e.startsWith('run ')).map((e) => e.slice(4)),
      out.order.flat(),
    );
    for (const name of ['ref', 'other', 't']) {
      assert.deepEqual(
        events.filter((e) => e.endsWith(` ${name}`)),
        [1, 2, 3].flatMap(() => [`setup ${name}`, `run ${name}`, `teardown ${name}`]),
      );
    }
    assert.deepEqual(
      out.rounds.map((r) => r.find((x) => x.name === 't')!.figures.msgsPerSec),
      [1, 2, 3],
    );
    // Each row's scratch folder is gone once it has run.
    for (const d of readdirSync(tmpRoot)) assert.deepEqual(readdirSync(join(tmpRoot, d)), [], d);
  });

  it('records a row that fails in one round and runs it again in the next, the others untouched', async () => {
    const events: string[] = [];
    const out = await runRounds([row('a', events), row('b', events, { failIn: 2 })], settings, 3, join(tmpRoot, 'fail'), quiet);
    const b = out.rounds.map((r) => r.find((x) => x.name === 'b')!);
    assert.deepEqual(
      b.map((x) => [x.ok, x.error]),
      [
        [true, null],
        [false, 'b broke'],
        [true, null],
      ],
    );
    assert.ok(out.rounds.every((r) => r.find((x) => x.name === 'a')!.ok));
    assert.equal(events.filter((e) => e === 'teardown b').length, 3);
    assert.ok(!existsSync(join(tmpRoot, 'fail', 'round-2', 'b')));
  });

  it('refuses a round count that is not a positive integer, and rows sharing a name', async () => {
    for (const bad of [0, 1.5]) {
      await assert.rejects(runRounds([], settings, bad, tmpRoot, quiet), { name: 'RangeError', message: `"repeats" expected an integer >= 1, got ${bad}` });
    }
    await assert.rejects(runRounds([row('a', []), row('a', [])], settings, 1, tmpRoot, quiet), /unique row names/);
  });
});

describe(estimateRunMs.name, () => {
  it('adds each row’s estimate (20 s without one) and the pause after it, once per round', () => {
    const rows = [row('a', [], { estimateMs: 10_000 }), row('b', [])];
    assert.equal(estimateRunMs(rows, settings, 1), 10_000 + 20_000 + 2 * 300);
    assert.equal(estimateRunMs(rows, settings, 3), 3 * (10_000 + 20_000 + 2 * 300));
  });
});
