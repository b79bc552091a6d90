// The messages between the harness and its load-generator child: one job in, one result out.
import type { DriverRef } from './driver.js';

/** What every job names: the driver, where senders and receivers connect, whose CPU to watch. */
export interface JobBase {
  driver: DriverRef;
  /** Senders connect here (pair i uses senderUrls[i % length]). */
  senderUrls: string[];
  /** Receivers connect here (pair i uses receiverUrls[i % length]). */
  receiverUrls: string[];
  /** Server processes whose CPU time is reported over the measured window. */
  serverPids: number[];
}

/** N live sender -> receiver pairs, each with at most `window` packets sent but not received. */
export interface LiveJob extends JobBase {
  mode: 'live';
  pairs: number;
  window: number;
  payloadBytes: number;
  warmupMs: number;
  durationMs: number;
  /** After the measured window: how long to wait for in-flight packets before counting them lost. */
  graceMs: number;
  /** The open-loop phase run after the closed loop, on the same connections; null: none. */
  paced: PacedJob | null;
}

/**
 * Open loop: after the closed loop has measured the peak, packets leave on a fixed schedule at
 * `fraction` of that peak, spread evenly over the pairs, whatever the server does.
 */
export interface PacedJob {
  /** Rate = fraction × the closed-loop msgs/s just measured (0.5: half the peak). */
  fraction: number;
  warmupMs: number;
  durationMs: number;
  /** The timer that sends what came due. */
  tickMs: number;
  /** Sent, not yet received, per pair: past it due packets wait (a stalled server cannot make it unbounded). */
  maxInFlightPerPair: number;
  /** After the phase: how long to wait for in-flight packets before counting them lost. */
  graceMs: number;
}

/** Receivers offline: enqueue `messages` packets, then connect the receivers and drain. */
export interface OfflineJob extends JobBase {
  mode: 'offline';
  pairs: number;
  messages: number;
  /** Packets of an unmeasured warm-up round first, on recipients of pair numbers past `pairs` (0: none). */
  warmupMessages: number;
  /** In-flight bound per sender while enqueueing, when the driver acknowledges sends. */
  window: number;
  payloadBytes: number;
  enqueueTimeoutMs: number;
  drainTimeoutMs: number;
}

/** Many registered, silent receivers; measures the RSS growth of `rssPid`. */
export interface IdleJob extends JobBase {
  mode: 'idle';
  connections: number;
  /** Connections being opened at once. */
  concurrency: number;
  /** Source addresses, used in turn, `perAddress` connections each (ephemeral ports are finite). */
  localAddresses: string[];
  perAddress: number;
  rssPid: number;
  /** Sent to `rssPid` before each RSS reading to run a full GC (the gc hook); null: none. */
  gcSignal: NodeJS.Signals | null;
  settleMs: number;
  timeoutMs: number;
}

export type LoadJob = LiveJob | OfflineJob | IdleJob;

/** Figures of a live run. */
export interface LiveResult {
  mode: 'live';
  msgsPerSec: number;
  delivered: number;
  sent: number;
  lost: number;
  measuredMs: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  serverCpuPct: number | null;
  loadCpuPct: number;
  /** The whole machine's busy time over the window, % of all its cores (null without /proc/stat). */
  machineBusyPct: number | null;
  /** The open-loop phase; null when the job had none or the closed loop delivered nothing. */
  paced: PacedResult | null;
}

/** Figures of the open-loop phase of a live run. Latencies count from each packet's scheduled time. */
export interface PacedResult {
  /** Offered rate, packets/s over all pairs. */
  ratePerSec: number;
  /** Packets received during the measured window / its length. */
  achievedMsgsPerSec: number;
  measuredMs: number;
  /** Packets the phase scheduled (warm-up + window), sent, and never sent (held back by the in-flight cap). */
  scheduled: number;
  sent: number;
  unsent: number;
  /** Sent but not received by the end of the grace period. */
  lost: number;
  /** Over packets scheduled inside the measured window: arrival - scheduled send time. */
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
  /** How late the generator sent (actual - scheduled), packets of the measured window. */
  sendLagP99Ms: number | null;
  sendLagMaxMs: number | null;
  serverCpuPct: number | null;
  loadCpuPct: number;
  /** The whole machine's busy time over the window, % of all its cores (null without /proc/stat). */
  machineBusyPct: number | null;
}

/** Figures of an enqueue-then-drain run. */
export interface OfflineResult {
  mode: 'offline';
  messages: number;
  enqueueMsgsPerSec: number;
  enqueueMs: number;
  /** How enqueue completion was known: sender acks, or the server's queue depth. */
  enqueueConfirmedBy: 'acks' | 'queue-depth';
  /** Sends in flight during the enqueue: pairs x window with acks; null without (all sent at once). */
  enqueueInFlight: number | null;
  /** SEND -> ACCEPTED as the senders saw it, median and 99th percentile (ms); null without acks. */
  enqueueP50Ms: number | null;
  enqueueP99Ms: number | null;
  drainMsgsPerSec: number;
  drainMs: number;
  firstMessageMs: number | null;
  received: number;
  duplicates: number;
  missing: number;
  /** CPU of the enqueue phase: server processes (with their children), load generator, whole machine (as LiveResult's). */
  enqueueCpu: PhaseCpu;
  /** CPU of the drain phase, from the receivers' connect to the last packet, the same way. */
  drainCpu: PhaseCpu;
}

/** Server and load CPU over one phase, in % of one core; the whole machine in % of all its cores. */
export interface PhaseCpu {
  serverCpuPct: number | null;
  loadCpuPct: number;
  machineBusyPct: number | null;
}

/** Figures of an idle-connections run. */
export interface IdleResult {
  mode: 'idle';
  connections: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  bytesPerConnection: number;
  connectMs: number;
  connectsPerSec: number;
}

export type LoadResult = LiveResult | OfflineResult | IdleResult;

/** Child -> parent. */
export type ChildMessage = { type: 'result'; result: LoadResult } | { type: 'error'; message: string; stack?: string };
