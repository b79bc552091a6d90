// The shape of a benchmark row. A Scenario starts what it measures (setup), measures it (run),
// and stops it (teardown); the runner gives each a time budget and always calls teardown. Most
// rows are built by the factories in scenarios/, from a StartTarget (how to start the server or
// servers under test) and a DriverRef (the client frame codec, run in the load child).
import type { DriverRef } from './load/driver.js';

/** The figures of a row. The named ones have fixed meanings; anything else is an extra column. */
export interface Figures {
  msgsPerSec?: number | null;
  p50Ms?: number | null;
  p99Ms?: number | null;
  connections?: number | null;
  bytesPerConnection?: number | null;
  [extra: string]: number | string | boolean | null | undefined;
}

/** Knobs of one run, fixed before the first row starts; every row reads the same values. */
export interface RunSettings {
  quick: boolean;
  warmupMs: number;
  durationMs: number;
  pairs: number;
  /** Packets in flight (sent, not yet received) per pair. */
  window: number;
  payloadBytes: number;
  /**
   * Live rows' open-loop phase, after the closed loop: packets sent on a fixed schedule at
   * `pacedFraction` of the closed-loop msgs/s (0 turns the phase off), `pacedWarmupMs` then
   * `pacedDurationMs` measured, a timer every `pacedTickMs`, at most `pacedMaxInFlightPerPair`
   * sent and not yet received per pair.
   */
  pacedFraction: number;
  pacedWarmupMs: number;
  pacedDurationMs: number;
  pacedTickMs: number;
  pacedMaxInFlightPerPair: number;
  /** Packets enqueued for offline recipients by the drain/enqueue rows. */
  offlineMessages: number;
  offlinePairs: number;
  /**
   * Packets of the offline rows' warm-up round, run first on other recipients (enqueued and drained
   * the same way, not measured), so the measured round finds a warm process as the live rows do.
   * A quarter of `offlineMessages` in the full run, as many in the quick one.
   */
  offlineWarmupMessages: number;
  idleConnections: number;
  /** Source addresses used in turn by the idle harness, and connections per address. */
  idleLocalAddresses: string[];
  idleConnectionsPerAddress: number;
  /** Pause between the last idle connection and the RSS reading. */
  idleSettleMs: number;
}

/** What a scenario gets: the settings and a private scratch directory. */
export interface RunContext {
  settings: RunSettings;
  /** A directory of its own for databases and logs; removed after the run. */
  tmpDir: string;
  /** Progress lines (stderr); never figures. */
  log(line: string): void;
}

/** A ratio of this row's figure to a figure of another row measured in the same run. */
export interface RatioRef {
  row: string;
  /** The other row's figure (default "msgsPerSec"). */
  figure?: string;
  /** This row's figure (default: same name as `figure`). */
  ownFigure?: string;
}

/** The references a row's ratios divide by; any may be absent. */
export interface Ratios {
  toBaseline?: RatioRef;
  toMeshWhisper?: RatioRef;
  toLibsignal?: RatioRef;
}

/** One row of the benchmark. */
export interface Scenario {
  /** Row name, e.g. "baseline-ws". */
  readonly name: string;
  /** One line: what is measured and how. */
  readonly description: string;
  /**
   * ratioToBaseline, ratioToMeshWhisper and ratioToLibsignal: this row's figure divided by the
   * referenced row's (toLibsignal: the same session work done by libsignal's native module).
   */
  readonly ratios?: Ratios;
  /** Wall-clock budget of setup + run + teardown; past it the row fails. */
  budgetMs(settings: RunSettings): number;
  /**
   * Rough wall time of setup + run + teardown on the reference machine (docs/benchmarks.md), for
   * the estimate printed before a run starts; without it the runner guesses 20 s.
   */
  estimateMs?(settings: RunSettings): number;
  setup(ctx: RunContext): Promise<void>;
  run(ctx: RunContext): Promise<Figures>;
  teardown(ctx: RunContext): Promise<void>;
}

/** A started server (or set of replicas) under test. */
export interface RunningTarget {
  /** WebSocket URLs clients connect to: one per server or gateway replica. */
  urls: string[];
  /** Server processes: CPU time is summed over all; the idle row reads the RSS of the first. */
  pids: number[];
  /** Signal that makes pids[0] run a full GC (the gc hook installs SIGUSR2), or null. */
  gcSignal: NodeJS.Signals | null;
  /** Merged into the driver's options (e.g. a health URL, a namespace id). */
  driverOptions?: Record<string, unknown>;
  stop(): Promise<void>;
}

/** Starts the system under test, fresh for one row. */
export type StartTarget = (ctx: RunContext) => Promise<RunningTarget>;

/** What the scenario factories need to know about one system. */
export interface System {
  start: StartTarget;
  driver: DriverRef;
}
