// Runs rows one after another (never two at once: each would steal the other's core), each within
// its time budget, teardown always, a failure recorded on its row without stopping the others;
// and rounds of them, in the order plan.ts gives each round.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { firstRoundOrder, roundOrder } from './plan.js';
import type { Figures, Ratios, RunContext, RunSettings, Scenario } from './scenario.js';

/** The outcome of one row, before ratios. */
export interface RowResult {
  name: string;
  description: string;
  ok: boolean;
  error: string | null;
  wallMs: number;
  figures: Figures;
  ratios: Ratios;
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} overran its ${Math.round(ms / 1000)} s budget`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

// Pause after each row: closed sockets and the previous server's exit settle before the next starts.
const SETTLE_MS = 300;

/** Runs one row: setup, run within its budget, teardown always; a failure is recorded, not thrown. */
export async function runRow(s: Scenario, settings: RunSettings, tmpDir: string, log: (line: string) => void): Promise<RowResult> {
  mkdirSync(tmpDir, { recursive: true });
  const ctx: RunContext = { settings, tmpDir, log: (l) => log(`[${s.name}] ${l}`) };
  const t0 = Date.now();
  let figures: Figures = {};
  let error: string | null = null;
  try {
    figures = await within(
      (async () => {
        await s.setup(ctx);
        return s.run(ctx);
      })(),
      s.budgetMs(settings),
      s.name,
    );
  } catch (err) {
    error = err instanceof Error ? err.message : String(err);
    log(`${s.name} failed: ${error}`);
  } finally {
    try {
      await within(s.teardown(ctx), 15_000, `${s.name} teardown`);
    } catch (err) {
      log(`${s.name} teardown: ${err instanceof Error ? err.message : String(err)}`);
    }
    // Nothing reads a row's scratch files once it has stopped; with many rounds they would add up.
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const result: RowResult = {
    name: s.name,
    description: s.description,
    ok: error === null,
    error,
    wallMs: Date.now() - t0,
    figures,
    ratios: s.ratios ?? {},
  };
  await sleep(SETTLE_MS);
  return result;
}

/** Runs `scenarios` once, in order; `tmpRoot` gets one scratch folder per row. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  settings: RunSettings,
  tmpRoot: string,
  log: (line: string) => void,
): Promise<RowResult[]> {
  const results: RowResult[] = [];
  for (const [i, s] of scenarios.entries()) {
    log(`(${i + 1}/${scenarios.length}) ${s.name}: ${s.description}`);
    results.push(await runRow(s, settings, join(tmpRoot, s.name), log));
  }
  return results;
}

/** Every round's results in the order they ran, and that order. */
export interface RoundsResult {
  rounds: RowResult[][];
  order: string[][];
}

/** Rough wall time of `repeats` rounds of `scenarios` (each row's estimate, or 20 s). */
export function estimateRunMs(scenarios: readonly Scenario[], settings: RunSettings, repeats: number): number {
  const round = scenarios.reduce((sum, s) => sum + (s.estimateMs?.(settings) ?? 20_000) + SETTLE_MS, 0);
  return round * repeats;
}

/**
 * Runs `repeats` rounds of `scenarios` (registry order; each instance is set up and torn down once
 * per round) in the order plan.ts gives each round. A row that fails in one round still runs in
 * the next. `tmpRoot` gets a folder per round and row.
 */
export async function runRounds(
  scenarios: readonly Scenario[],
  settings: RunSettings,
  repeats: number,
  tmpRoot: string,
  log: (line: string) => void,
): Promise<RoundsResult> {
  if (!(Number.isInteger(repeats) && repeats >= 1)) throw new RangeError(`"repeats" expected an integer >= 1, got ${repeats}`);
  const byName = new Map(scenarios.map((s) => [s.name, s]));
  if (byName.size !== scenarios.length) throw new RangeError('"scenarios" expected unique row names');
  const first = firstRoundOrder(scenarios);
  const out: RoundsResult = { rounds: [], order: [] };
  const t0 = Date.now();
  for (let r = 0; r < repeats; r++) {
    const order = roundOrder(first, r);
    out.order.push(order);
    const results: RowResult[] = [];
    for (const [i, name] of order.entries()) {
      const s = byName.get(name)!;
      log(`(round ${r + 1}/${repeats}, ${i + 1}/${order.length}) ${s.name}: ${s.description}`);
      results.push(await runRow(s, settings, join(tmpRoot, `round-${r + 1}`, s.name), log));
    }
    out.rounds.push(results);
    const perRound = (Date.now() - t0) / (r + 1);
    if (r + 1 < repeats) log(`round ${r + 1} done; about ${Math.round((perRound * (repeats - r - 1)) / 1000)} s to go`);
  }
  return out;
}
