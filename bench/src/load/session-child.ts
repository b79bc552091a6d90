// Entry of the session bench's process: receives one job over IPC, times the SDK's bench work
// (`@tacit/sdk/_bench-work`, the same steps `npm run bench -w @tacit/sdk` times) and sends back one
// result. A fresh process per row, so neither implementation runs on the other's heap or JIT state.
import { benchMeasure, benchStep } from '@tacit/sdk/_bench-work';
import { readMachineIdle } from '../proc.js';
import { LatencyRecorder } from '../stats.js';
import { machineBusyPct } from './modes.js';
import type { SessionChildMessage, SessionJob, SessionResult } from './session-job.js';

async function run(job: SessionJob): Promise<SessionResult> {
  const step = await benchStep(job.impl, job.work);
  const latency = new LatencyRecorder();
  // One performance.now() more per step (tens of ns) against steps of tens of µs or more.
  const timed = async (): Promise<void> => {
    const t = performance.now();
    await step();
    latency.add(performance.now() - t);
  };
  await benchMeasure(timed, job.warmupMs);
  latency.reset();
  const cpu0 = process.cpuUsage();
  const idle0 = readMachineIdle();
  const { n, t } = await benchMeasure(timed, job.durationMs);
  const cpu = process.cpuUsage(cpu0);
  const idle1 = readMachineIdle();
  const s = latency.summary();
  const round = (x: number | null): number | null => (x === null ? null : Number(x.toFixed(3)));
  return {
    steps: n,
    measuredMs: Number(t.toFixed(1)),
    stepsPerSec: (n * 1000) / t,
    p50Ms: round(s.p50Ms),
    p99Ms: round(s.p99Ms),
    maxMs: round(s.maxMs),
    cpuPct: Math.round(((cpu.user + cpu.system) / 1000 / t) * 100),
    machineBusyPct: idle0 && idle1 ? Math.round(machineBusyPct(idle1.idleSeconds - idle0.idleSeconds, idle1.cpus, t)) : null,
  };
}

const reply = (msg: SessionChildMessage): void => {
  process.send!(msg, () => process.exit(0));
};

if (!process.send) {
  process.stderr.write('load/session-child.js is started by the bench harness over IPC\n');
  process.exit(2);
}
// The harness going away (crash, Ctrl-C) closes the channel: stop rather than run on.
process.on('disconnect', () => process.exit(1));
process.once('message', (job: SessionJob) => {
  run(job).then(
    (result) => reply({ type: 'result', result }),
    (err: unknown) => {
      const e = err instanceof Error ? err : new Error(String(err));
      reply({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    },
  );
});
