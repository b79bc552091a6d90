// `npm run bench`: every row in one run, on loopback, printing a table (or, with --json, one
// JSON object). Progress goes to stderr so stdout stays machine-readable.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { USAGE, parseArgs, settingsFor } from './cli.js';
import { allScenarios } from './registry.js';
import { buildReport, commandLine, machineInfo, renderTable } from './report.js';
import { pendingRows } from './rows.js';
import { runScenarios } from './runner.js';

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
  const selected = opts.only ? all.filter((s) => opts.only!.includes(s.name)) : all;
  const settings = settingsFor(opts);
  const machine = machineInfo();
  const tmpRoot = mkdtempSync(join(os.tmpdir(), 'tacit-bench-'));
  // Ctrl-C or a kill must still stop every server we started (proc.ts kills them on 'exit',
  // which a signal's default action would skip) and remove the scratch folder.
  process.once('exit', () => rmSync(tmpRoot, { recursive: true, force: true }));
  process.once('SIGINT', () => process.exit(130));
  process.once('SIGTERM', () => process.exit(143));
  const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
  const startedAt = new Date();
  let results;
  try {
    results = await runScenarios(selected, settings, tmpRoot, log);
  } finally {
    rmSync(tmpRoot, { recursive: true, force: true });
  }
  const report = buildReport({
    command: commandLine(),
    startedAt,
    finishedAt: new Date(),
    machine,
    settings,
    results,
    pending: opts.only ? [] : pendingRows(names),
  });
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `${renderTable(report)}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
