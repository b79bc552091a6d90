// `npm run bench`: every row in one run, on loopback, printing a table (or, with --json, one
// JSON object). Progress goes to stderr so stdout stays machine-readable.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { USAGE, parseArgs, repeatsFor, settingsFor } from './cli.js';
import { THIS_ROOT, buildInfo, compareMains } from './compare.js';
import { allScenarios, compareScenarios } from './registry.js';
import { buildReport, commandLine, machineInfo, renderTable } from './report.js';
import { pendingRows } from './rows.js';
import { estimateRunMs, runRounds } from './runner.js';
import type { Scenario } from './scenario.js';

async function main(): Promise<number> {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${USAGE}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const all = allScenarios();
  const names = all.map((s) => s.name);
  if (opts.only) {
    const unknown = opts.only.filter((n) => !names.includes(n));
    if (unknown.length > 0) {
      const pending = pendingRows(names).filter((n) => unknown.includes(n));
      process.stderr.write(
        `unknown row(s): ${unknown.join(', ')}${pending.length ? ` (pending, not implemented yet: ${pending.join(', ')})` : ''}\n` +
          `rows: ${names.join(', ')}\n`,
      );
      return 2;
    }
  }
  let selected: Scenario[] = opts.only ? all.filter((s) => opts.only!.includes(s.name)) : all;
  let compareRoot: string | null = null;
  if (opts.compare !== null) {
    let twins: Scenario[];
    try {
      const other = compareMains(opts.compare);
      compareRoot = other.root;
      twins = compareScenarios(other.mains, selected.map((s) => s.name));
    } catch (err) {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      return 2;
    }
    if (twins.length === 0) {
      process.stderr.write(`"--compare" expected at least one Tacit row in the run, got: ${selected.map((s) => s.name).join(', ')}\n`);
      return 2;
    }
    selected = [...selected, ...twins];
  }
  const settings = settingsFor(opts);
  const repeats = repeatsFor(opts);
  const machine = machineInfo();
  const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tacit-bench-'));
  // Ctrl-C or a kill must still stop every server we started (proc.ts kills them on 'exit',
  // which a signal's default action would skip) and remove the scratch folder.
  process.once('exit', () => rmSync(tmpRoot, { recursive: true, force: true }));
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const builds = { current: buildInfo(THIS_ROOT), compare: compareRoot === null ? null : buildInfo(compareRoot) };
  if (compareRoot === THIS_ROOT) log('--compare names this checkout: an A/A run, whose spread is the noise of the method');
  const estimateMin = estimateRunMs(selected, settings, repeats) / 60_000;
  log(
    `${repeats} round${repeats === 1 ? '' : 's'} of ${selected.length} row${selected.length === 1 ? '' : 's'}: ` +
      `about ${estimateMin < 10 ? estimateMin.toFixed(1) : Math.round(estimateMin)} min (wall time grows with --repeats)`,
  );
  const startedAt = new Date();
  let rounds;
  try {
    rounds = (await runRounds(selected, settings, repeats, tmpRoot, log)).rounds;
  } finally {
    rmSync(tmpRoot, { recursive: true, force: true });
  }
  const report = buildReport({
    command: commandLine(),
    startedAt,
    finishedAt: new Date(),
    machine,
    settings,
    rounds,
    pending: opts.only ? [] : pendingRows(names),
    builds,
  });
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`);
  return rounds.flat().every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
