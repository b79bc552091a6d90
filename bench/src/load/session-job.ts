// The messages between the harness and its session child: one job in, one result out.
import type { BenchImpl, BenchWorkName } from '@tacit/sdk/_bench-work';

/** Time `work` done by two fresh parties of `impl`: `warmupMs` unmeasured, then `durationMs`. */
export interface SessionJob {
  impl: BenchImpl;
  work: BenchWorkName;
  warmupMs: number;
  durationMs: number;
}

/** What the measured window did. */
export interface SessionResult {
  /** Steps done (a step: one session start, both sides; or one message encrypted and decrypted). */
  steps: number;
  measuredMs: number;
  stepsPerSec: number;
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** The child's CPU (user + system, all threads) over the window, % of one core. */
  cpuPct: number;
  /** The whole machine's non-idle time over the window, % of all its cores; null without /proc/stat. */
  machineBusyPct: number | null;
}

/** The child's one answer. */
export type SessionChildMessage = { type: 'result'; result: SessionResult } | { type: 'error'; message: string; stack?: string };
