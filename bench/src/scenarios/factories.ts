// Row factories: a system (start + driver) and a load pattern make a Scenario. The Tacit rows are
// built from these once the gateway exists; nothing here knows which system it is driving.
import { runLoad } from '../load/run-load.js';
import type { JobBase, LiveResult, PacedJob } from '../load/job.js';
import type { Figures, RatioRef, RunContext, RunningTarget, RunSettings, Scenario, System } from '../scenario.js';

/** Where pair i's sender and receiver connect: the same server, or two different replicas. */
export type Topology = 'same' | 'cross';

/** Common options of every factory. */
export interface RowOptions {
  name: string;
  description: string;
  system: System;
  ratios?: { toBaseline?: RatioRef; toMeshWhisper?: RatioRef };
}

function jobBase(target: RunningTarget, system: System, topology: Topology): JobBase {
  const urls = target.urls;
  if (topology === 'cross' && urls.length < 2) {
    throw new RangeError(`cross topology expected >= 2 replica URLs, got ${urls.length}`);
  }
  return {
    driver: { module: system.driver.module, options: { ...system.driver.options, ...target.driverOptions } },
    senderUrls: urls,
    // Rotated by one, so with >= 2 replicas no pair has both ends on the same one.
    receiverUrls: topology === 'cross' ? [...urls.slice(1), urls[0]!] : urls,
    serverPids: target.pids,
  };
}

/** A scenario holding one started target between setup and teardown. */
abstract class TargetScenario implements Scenario {
  readonly name: string;
  readonly description: string;
  readonly ratios?: { toBaseline?: RatioRef; toMeshWhisper?: RatioRef };
  protected target: RunningTarget | undefined;

  constructor(protected readonly opts: RowOptions) {
    this.name = opts.name;
    this.description = opts.description;
    if (opts.ratios) this.ratios = opts.ratios;
  }

  abstract budgetMs(settings: RunSettings): number;
  abstract run(ctx: RunContext): Promise<Figures>;

  async setup(ctx: RunContext): Promise<void> {
    this.target = await this.opts.system.start(ctx);
  }

  async teardown(): Promise<void> {
    const t = this.target;
    this.target = undefined;
    await t?.stop();
  }

  protected started(): RunningTarget {
    if (!this.target) throw new Error(`${this.name}: run before setup`);
    return this.target;
  }
}

const round = (x: number | null, digits = 2): number | null => (x === null ? null : Number(x.toFixed(digits)));

/** The open-loop phase the settings ask for, or null when `pacedFraction` is 0. */
export function pacedJob(s: RunSettings): PacedJob | null {
  if (!(s.pacedFraction > 0)) return null;
  return {
    fraction: s.pacedFraction,
    warmupMs: s.pacedWarmupMs,
    durationMs: s.pacedDurationMs,
    tickMs: s.pacedTickMs,
    maxInFlightPerPair: s.pacedMaxInFlightPerPair,
    graceMs: 2000,
  };
}

/** Wall time a live row's load may take beyond its measured windows (connect, grace periods). */
function liveLoadMs(s: RunSettings): number {
  const paced = s.pacedFraction > 0 ? s.pacedWarmupMs + s.pacedDurationMs + 2000 : 0;
  return s.warmupMs + s.durationMs + paced;
}

// Starting and stopping a row's servers and load process, for the estimate, on average: ~0.5 s for
// the baseline relay, ~4 s for a Tacit row (PostgreSQL; the cluster row NATS and Redis too).
const START_STOP_MS = 2500;

/**
 * A live row's figures from its load result: the closed loop's (unchanged), then the open-loop
 * phase's, all null when that phase did not run (so every live row has the same keys).
 */
export function liveFigures(r: LiveResult): Figures {
  const p = r.paced;
  return {
    msgsPerSec: Math.round(r.msgsPerSec),
    p50Ms: round(r.p50Ms, 3),
    p99Ms: round(r.p99Ms, 3),
    p90Ms: round(r.p90Ms, 3),
    maxMs: round(r.maxMs, 3),
    delivered: r.delivered,
    lost: r.lost,
    serverCpuPct: round(r.serverCpuPct, 0),
    loadCpuPct: round(r.loadCpuPct, 0),
    machineBusyPct: round(r.machineBusyPct, 0),
    halfPeakRate: p ? p.ratePerSec : null,
    halfPeakAchievedRate: p ? Math.round(p.achievedMsgsPerSec) : null,
    p50AtHalfPeakMs: p ? round(p.p50Ms, 3) : null,
    p90AtHalfPeakMs: p ? round(p.p90Ms, 3) : null,
    p99AtHalfPeakMs: p ? round(p.p99Ms, 3) : null,
    maxAtHalfPeakMs: p ? round(p.maxMs, 3) : null,
    halfPeakSent: p ? p.sent : null,
    halfPeakUnsent: p ? p.unsent : null,
    halfPeakLost: p ? p.lost : null,
    halfPeakSendLagP99Ms: p ? round(p.sendLagP99Ms, 3) : null,
    halfPeakServerCpuPct: p ? round(p.serverCpuPct, 0) : null,
    halfPeakLoadCpuPct: p ? round(p.loadCpuPct, 0) : null,
    halfPeakMachineBusyPct: p ? round(p.machineBusyPct, 0) : null,
  };
}

/**
 * N sender -> receiver pairs with a bounded window: msgs/s and p50/p99 delivery latency under
 * saturation; then, on the same connections, p50/p99 at a fixed rate of half that peak.
 */
export function liveRow(opts: RowOptions & { topology?: Topology }): Scenario {
  return new (class extends TargetScenario {
    budgetMs(s: RunSettings): number {
      return liveLoadMs(s) + 60_000;
    }
    estimateMs(s: RunSettings): number {
      // The grace periods are mostly not used up: every packet has arrived well before their end.
      const paced = s.pacedFraction > 0 ? s.pacedWarmupMs + s.pacedDurationMs : 0;
      return START_STOP_MS + s.warmupMs + s.durationMs + paced + 500;
    }
    async run(ctx: RunContext): Promise<Figures> {
      const s = ctx.settings;
      const r = await runLoad(
        {
          ...jobBase(this.started(), opts.system, opts.topology ?? 'same'),
          mode: 'live',
          pairs: s.pairs,
          window: s.window,
          payloadBytes: s.payloadBytes,
          warmupMs: s.warmupMs,
          durationMs: s.durationMs,
          graceMs: 2000,
          paced: pacedJob(s),
        },
        liveLoadMs(s) + 40_000,
      );
      return liveFigures(r);
    }
  })(opts);
}

/**
 * Recipients offline: K packets enqueued, then the recipients connect and drain. `primary`
 * picks which rate is the row's msgsPerSec; the other is an extra figure.
 */
export function offlineRow(
  opts: RowOptions & {
    primary: 'drain' | 'enqueue';
    topology?: Topology;
    /** Sends in flight per sender while enqueueing (default: the settings' `window`). */
    window?: number;
  },
): Scenario {
  return new (class extends TargetScenario {
    budgetMs(): number {
      return 200_000;
    }
    estimateMs(s: RunSettings): number {
      // Bound by MeshWhisper's enqueue, the slowest here (~4 000/s at 12 500 packets per recipient), over the warm-up and measured rounds.
      return START_STOP_MS + ((s.offlineWarmupMessages + s.offlineMessages) / 4000) * 1000;
    }
    async run(ctx: RunContext): Promise<Figures> {
      const s = ctx.settings;
      const r = await runLoad(
        {
          ...jobBase(this.started(), opts.system, opts.topology ?? 'same'),
          mode: 'offline',
          pairs: s.offlinePairs,
          messages: s.offlineMessages,
          warmupMessages: s.offlineWarmupMessages,
          window: opts.window ?? s.window,
          payloadBytes: s.payloadBytes,
          enqueueTimeoutMs: 90_000,
          drainTimeoutMs: 60_000,
        },
        180_000,
      );
      const enqueue = Math.round(r.enqueueMsgsPerSec);
      const drain = Math.round(r.drainMsgsPerSec);
      return {
        msgsPerSec: opts.primary === 'drain' ? drain : enqueue,
        p50Ms: null,
        p99Ms: null,
        enqueueMsgsPerSec: enqueue,
        drainMsgsPerSec: drain,
        messages: r.messages,
        enqueueMs: Math.round(r.enqueueMs),
        drainMs: Math.round(r.drainMs),
        firstMessageMs: round(r.firstMessageMs, 1),
        enqueueConfirmedBy: r.enqueueConfirmedBy,
        enqueueInFlight: r.enqueueInFlight,
        enqueueP50Ms: round(r.enqueueP50Ms, 1),
        enqueueP99Ms: round(r.enqueueP99Ms, 1),
        duplicates: r.duplicates,
        missing: r.missing,
        enqueueServerCpuPct: round(r.enqueueCpu.serverCpuPct, 0),
        enqueueLoadCpuPct: round(r.enqueueCpu.loadCpuPct, 0),
        enqueueMachineBusyPct: round(r.enqueueCpu.machineBusyPct, 0),
        drainServerCpuPct: round(r.drainCpu.serverCpuPct, 0),
        drainLoadCpuPct: round(r.drainCpu.loadCpuPct, 0),
        drainMachineBusyPct: round(r.drainCpu.machineBusyPct, 0),
      };
    }
  })(opts);
}

/** Many registered, silent clients: connections held and server RSS growth per connection. */
export function idleRow(opts: RowOptions): Scenario {
  return new (class extends TargetScenario {
    budgetMs(s: RunSettings): number {
      return 60_000 + s.idleConnections * 10;
    }
    estimateMs(s: RunSettings): number {
      // ~1 500 connects/s from 8 source addresses, then three RSS readings after a full GC.
      return START_STOP_MS + (s.idleConnections / 1500) * 1000 + 3 * s.idleSettleMs;
    }
    async run(ctx: RunContext): Promise<Figures> {
      const s = ctx.settings;
      const t = this.started();
      const pid = t.pids[0];
      if (pid === undefined) throw new Error(`${this.name}: target has no pid`);
      const timeoutMs = 30_000 + s.idleConnections * 5;
      const r = await runLoad(
        {
          ...jobBase(t, opts.system, 'same'),
          mode: 'idle',
          connections: s.idleConnections,
          concurrency: 64,
          localAddresses: s.idleLocalAddresses,
          perAddress: s.idleConnectionsPerAddress,
          rssPid: pid,
          gcSignal: t.gcSignal,
          settleMs: s.idleSettleMs,
          timeoutMs,
        },
        timeoutMs + 15_000,
      );
      return {
        connections: r.connections,
        bytesPerConnection: Math.round(r.bytesPerConnection),
        msgsPerSec: null,
        p50Ms: null,
        p99Ms: null,
        rssBeforeMiB: round(r.rssBeforeBytes / 2 ** 20, 1),
        rssAfterMiB: round(r.rssAfterBytes / 2 ** 20, 1),
        connectsPerSec: Math.round(r.connectsPerSec),
      };
    }
  })(opts);
}
