// The session rows: Tacit's session layer against libsignal's native module
// (`@signalapp/libsignal-client` 0.90) doing the same work, each row in a fresh child process
// (load/session-child.ts) that times the SDK's bench work (`@tacit/sdk/_bench-work`, the steps of
// `npm run bench -w @tacit/sdk`): PQXDH session starts, and 1 KiB ratchet messages one way and
// alternating. The libsignal rows are references; each Tacit row's "vs libsignal" divides its
// steps/s by its libsignal row's of the same round. Not --compare rows: they time this checkout's
// SDK in-process, with no services to swap.
import { fileURLToPath } from 'node:url';
import type { BenchImpl, BenchWorkName } from '@tacit/sdk/_bench-work';
import { startNodeProcess, type StartedProcess } from '../proc.js';
import { REF } from '../rows.js';
import type { Figures, RunContext, RunSettings, Scenario } from '../scenario.js';
import type { SessionChildMessage, SessionJob, SessionResult } from '../load/session-job.js';

const CHILD = fileURLToPath(new URL('../load/session-child.js', import.meta.url));

/** What one session row runs. */
export interface SessionRowOptions {
  name: string;
  description: string;
  impl: BenchImpl;
  work: BenchWorkName;
  /** The libsignal row this one is divided by (none for the libsignal rows themselves). */
  libsignalRow?: string;
}

/** The figures of a session row: steps/s as msgs/s, per-step latencies, CPU. */
export function sessionFigures(r: SessionResult): Figures {
  return {
    msgsPerSec: Math.round(r.stepsPerSec * 10) / 10,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    maxMs: r.maxMs,
    steps: r.steps,
    measuredMs: r.measuredMs,
    cpuPct: r.cpuPct,
    machineBusyPct: r.machineBusyPct,
  };
}

/** One session row. */
export function sessionRow(o: SessionRowOptions): Scenario {
  let proc: StartedProcess | undefined;
  return {
    name: o.name,
    description: o.description,
    ...(o.libsignalRow ? { ratios: { toLibsignal: { row: o.libsignalRow } } } : {}),
    budgetMs: (s: RunSettings) => 60_000 + (s.warmupMs + s.durationMs) * 2,
    estimateMs: (s: RunSettings) => 1500 + s.warmupMs + s.durationMs,
    async setup(): Promise<void> {},
    async run(ctx: RunContext): Promise<Figures> {
      const job: SessionJob = { impl: o.impl, work: o.work, warmupMs: ctx.settings.warmupMs, durationMs: ctx.settings.durationMs };
      const child = startNodeProcess(CHILD, [], { ipc: true, gcHook: false, output: 'capture' });
      proc = child;
      const result = await new Promise<SessionResult>((resolve, reject) => {
        child.child.once('message', (msg: SessionChildMessage) => {
          if (msg.type === 'result') resolve(msg.result);
          else reject(new Error(`session child: ${msg.message}`));
        });
        void child.exited.then((code) => reject(new Error(`session child exited (${code}) without a result: ${child.output().slice(-2000)}`)));
        child.child.send(job);
      });
      return sessionFigures(result);
    },
    async teardown(): Promise<void> {
      await proc?.stop(1000);
      proc = undefined;
    },
  };
}

const START = 'PQXDH session starts, both sides: bundle checked (2 XEdDSA), Kyber-1024, 1 KiB first message decrypted';
const ONE_WAY = 'ratchet: 1 KiB messages encrypted by one side, decrypted by the other';
const ALTERNATING = 'ratchet: 1 KiB messages, direction flipping every message (a DH ratchet step each)';

/**
 * libsignal-session-start, tacit-session-start, tacit-session-start-noble, and the same for
 * -ratchet and -ratchet-alternating: each libsignal row first, then the Tacit rows divided by it.
 */
export function sessionScenarios(): Scenario[] {
  const works: { work: BenchWorkName; ref: string; tacit: string; what: string }[] = [
    { work: 'session-start', ref: REF.libsignalSessionStart, tacit: 'tacit-session-start', what: START },
    { work: 'ratchet', ref: REF.libsignalRatchet, tacit: 'tacit-ratchet', what: ONE_WAY },
    { work: 'ratchet-alternating', ref: REF.libsignalRatchetAlternating, tacit: 'tacit-ratchet-alternating', what: ALTERNATING },
  ];
  return works.flatMap(({ work, ref, tacit, what }) => [
    sessionRow({ name: ref, description: `libsignal-client 0.90 (native), in-memory stores: ${what}`, impl: 'libsignal', work }),
    sessionRow({ name: tacit, description: `Tacit SDK on node:crypto, in-memory store: ${what}`, impl: 'tacit-node', work, libsignalRow: ref }),
    sessionRow({
      name: `${tacit}-noble`,
      description: `Tacit SDK on @noble (the browser build), in-memory store: ${what}`,
      impl: 'tacit-noble',
      work,
      libsignalRow: ref,
    }),
  ]);
}
