// Runs rows one after another (never two at once: each would steal the other's core), each within
// its time budget, teardown always, a failure recorded on its row without stopping the others.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Figures, RatioRef, RunContext, RunSettings, Scenario } from './scenario.js';

/** The outcome of one row, before ratios. */
export interface RowResult {
  name: string;
  description: string;
  ok: boolean;
  error: string | null;
  wallMs: number;
  figures: Figures;
  ratios: { toBaseline?: RatioRef; toMeshWhisper?: RatioRef };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} overran its ${Math.round(ms / 1000)} s budget`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** Runs `scenarios` in order; `tmpRoot` gets one scratch folder per row. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  settings: RunSettings,
  tmpRoot: string,
  log: (line: string) => void,
): Promise<RowResult[]> {
  const results: RowResult[] = [];
  for (const [i, s] of scenarios.entries()) {
    const tmpDir = join(tmpRoot, s.name);
    mkdirSync(tmpDir, { recursive: true });
    const ctx: RunContext = { settings, tmpDir, log: (l) => log(`[${s.name}] ${l}`) };
    log(`(${i + 1}/${scenarios.length}) ${s.name}: ${s.description}`);
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
    }
    results.push({
      name: s.name,
      description: s.description,
      ok: error === null,
      error,
      wallMs: Date.now() - t0,
      figures,
      ratios: s.ratios ?? {},
    });
    // Let closed sockets and the previous server's exit settle before the next row starts.
    await sleep(300);
  }
  return results;
}
