// The baseline relay as a benchmark target.
import { fileURLToPath } from 'node:url';
import { startNodeProcess } from '../proc.js';
import type { RunningTarget, System } from '../scenario.js';

const SCRIPT = fileURLToPath(new URL('./baseline-relay.js', import.meta.url));

/** Starts targets/baseline-relay.js on an OS-chosen loopback port. */
export async function startBaselineRelay(): Promise<RunningTarget> {
  const proc = startNodeProcess(SCRIPT, ['0']);
  try {
    const m = await proc.waitForOutput(/READY (\d+)/, 10_000);
    return { urls: [`ws://127.0.0.1:${m[1]}/`], pids: [proc.pid], gcSignal: 'SIGUSR2', stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** The baseline relay and its driver. */
export const baselineSystem: System = {
  start: startBaselineRelay,
  driver: { module: new URL('../drivers/baseline.js', import.meta.url).href },
};
