// The three load patterns, run inside the load-generator child against one driver.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readMachineIdle, readRssBytes, readTreeCpuSeconds } from '../proc.js';
import { LatencyRecorder, median } from '../stats.js';
import type { DriverClient, DriverSender, LoadDriver } from './driver.js';
import type { IdleJob, IdleResult, JobBase, LiveJob, LiveResult, OfflineJob, OfflineResult, PacedJob, PacedResult, PhaseCpu } from './job.js';
import { decodePayload, encodePayload, type Stamp } from './payload.js';
import { isMeasured, packetIndex, pacedRate, pacedSchedule, scheduledOffsetMs, toSendNow } from './pacing.js';

const pick = (urls: string[], i: number): string => {
  const url = urls[i % urls.length];
  if (url === undefined) throw new RangeError('"urls" expected at least one URL, got none');
  return url;
};

/** Runs `fn` over 0..count-1 with at most `limit` calls pending at once. */
export async function pool<T>(count: number, limit: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      out[i] = await fn(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return out;
}

function closeAll(clients: DriverClient[]): void {
  for (const c of clients) c.close();
}

/** CPU seconds of the server's processes and everything under them (PostgreSQL's backends). */
function cpuOf(pids: number[]): number | null {
  try {
    return pids.reduce((sum, pid) => sum + readTreeCpuSeconds(pid), 0);
  } catch {
    return null;
  }
}

async function openPairs(
  job: JobBase & { pairs: number },
  driver: LoadDriver,
  onPayload: (payload: Uint8Array) => void,
  onAccepted: (pair: number, ms: number) => void,
  withReceivers: boolean,
): Promise<{ receivers: DriverClient[]; senders: DriverSender[] }> {
  const receivers = withReceivers
    ? await pool(job.pairs, 64, (i) => driver.openReceiver(i, pick(job.receiverUrls, i), onPayload))
    : [];
  if (withReceivers) await driver.awaitReceivers?.(job.pairs, 10_000);
  const senders = await pool(job.pairs, 64, (i) => driver.openSender(i, pick(job.senderUrls, i), (ms) => onAccepted(i, ms)));
  return { receivers, senders };
}

type _Idle = ReturnType<typeof readMachineIdle>;

/** CPU readings from now; `end()` gives the phase's figures (cpuPercent) over the time since. */
function phaseCpu(pids: number[]): { end(): PhaseCpu } {
  const t0 = performance.now();
  const server0 = cpuOf(pids);
  const load0 = process.cpuUsage();
  const idle0 = readMachineIdle();
  return {
    end: () => cpuPercent(server0, cpuOf(pids), process.cpuUsage(load0), performance.now() - t0, idle0, readMachineIdle()),
  };
}

/**
 * Server and load-generator CPU over a window of `ms`, in % of one core (server null without
 * readings), and how busy the whole machine was, in % of all its cores (null without /proc/stat).
 */
function cpuPercent(
  server0: number | null,
  server1: number | null,
  load: NodeJS.CpuUsage,
  ms: number,
  idle0: _Idle,
  idle1: _Idle,
): { serverCpuPct: number | null; loadCpuPct: number; machineBusyPct: number | null } {
  return {
    serverCpuPct: server0 !== null && server1 !== null ? ((server1 - server0) / (ms / 1000)) * 100 : null,
    loadCpuPct: ((load.user + load.system) / 1000 / ms) * 100,
    machineBusyPct: idle0 && idle1 ? machineBusyPct(idle1.idleSeconds - idle0.idleSeconds, idle1.cpus, ms) : null,
  };
}

/** % of all `cpus` busy over `ms` that had `idleSeconds` of idle time in all, clamped to 0..100. */
export function machineBusyPct(idleSeconds: number, cpus: number, ms: number): number {
  const capacity = (ms / 1000) * cpus;
  return Math.min(100, Math.max(0, (1 - idleSeconds / capacity) * 100));
}

/** Sequence numbers of paced packets start here, so a closed-loop straggler is never taken for one. */
export const PACED_SEQ_BASE = 0x8000_0000;

/**
 * The open-loop phase on already open pairs: a timer every `tickMs` sends each pair's packets
 * due by now (pacing.ts), stamped with their scheduled time. `route` is how the caller hands
 * over the stamps of paced packets as they arrive.
 */
async function runPaced(
  job: LiveJob & { paced: PacedJob },
  senders: DriverSender[],
  ratePerSec: number,
  route: (handler: ((stamp: Stamp, now: number) => void) | null) => void,
): Promise<PacedResult> {
  const p = job.paced;
  const schedule = pacedSchedule(ratePerSec, job.pairs, p.warmupMs, p.durationMs);
  const sent = new Float64Array(job.pairs);
  const received = new Float64Array(job.pairs);
  const latency = new LatencyRecorder();
  const lag = new LatencyRecorder();
  let totalSent = 0;
  let totalReceived = 0;
  let inWindow = 0;
  let measuring = false;
  let running = true;
  let t0 = 0;

  const pump = (pair: number, now: number): void => {
    const sender = senders[pair]!;
    const room = p.maxInFlightPerPair - (sent[pair]! - received[pair]!);
    const n = toSendNow(schedule, now - t0, pair, sent[pair]!, room);
    for (let i = 0; i < n; i++) {
      const j = sent[pair]!;
      const k = packetIndex(job.pairs, pair, j);
      const at = t0 + scheduledOffsetMs(ratePerSec, k);
      sender.send(encodePayload({ pair, seq: PACED_SEQ_BASE + j, sentAt: at }, job.payloadBytes));
      if (isMeasured(schedule, k)) lag.add(now - at);
      sent[pair] = j + 1;
      totalSent++;
    }
  };
  route((stamp, now) => {
    const pair = stamp.pair;
    received[pair]!++;
    totalReceived++;
    if (measuring) inWindow++;
    if (isMeasured(schedule, packetIndex(job.pairs, pair, stamp.seq - PACED_SEQ_BASE))) latency.add(now - stamp.sentAt);
    // A packet held back by the in-flight cap may leave now that one arrived.
    if (running) pump(pair, now);
  });

  let timer: NodeJS.Timeout | undefined;
  try {
    // The tick that first finds the warm-up over opens the measured window, the one that finds
    // the schedule over closes it: the window always opens before it closes, however late ticks run.
    let window = phaseCpu(job.serverPids);
    let m0 = 0;
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const endMs = p.warmupMs + p.durationMs;
    const tick = (): void => {
      const now = performance.now();
      if (!measuring && running && now - t0 >= p.warmupMs) {
        window = phaseCpu(job.serverPids);
        m0 = performance.now();
        measuring = true;
      }
      for (let i = 0; i < job.pairs; i++) pump(i, now);
      if (now - t0 >= endMs) {
        running = false;
        measuring = false;
        clearInterval(timer);
        finish();
      }
    };
    t0 = performance.now();
    timer = setInterval(tick, p.tickMs);
    tick();
    await finished;
    const measuredMs = Math.max(performance.now() - m0, 1e-3);
    const cpu = window.end();

    const graceEnd = Date.now() + p.graceMs;
    while (totalReceived < totalSent && Date.now() < graceEnd) await sleep(10);
    const lat = latency.summary();
    const lagged = lag.summary();
    return {
      ratePerSec,
      achievedMsgsPerSec: inWindow / (measuredMs / 1000),
      measuredMs,
      scheduled: schedule.total,
      sent: totalSent,
      unsent: schedule.total - totalSent,
      lost: totalSent - totalReceived,
      p50Ms: lat.p50Ms,
      p90Ms: lat.p90Ms,
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      sendLagP99Ms: lagged.p99Ms,
      sendLagMaxMs: lagged.maxMs,
      ...cpu,
    };
  } finally {
    running = false;
    clearInterval(timer);
    route(null);
  }
}

/**
 * Live pairs: warm-up, then a measured window of the closed loop; latency from the stamp inside
 * each payload. Then, when the job asks for it, the open-loop phase at a fraction of the peak.
 */
export async function runLive(job: LiveJob, driver: LoadDriver): Promise<LiveResult> {
  const sent = new Float64Array(job.pairs);
  const received = new Float64Array(job.pairs);
  const recorder = new LatencyRecorder();
  let sending = false;
  let measuring = false;
  let inWindow = 0;
  let totalSent = 0;
  let totalReceived = 0;
  let senders: DriverSender[] = [];
  let onPaced: ((stamp: Stamp, now: number) => void) | null = null;

  const pump = (pair: number): void => {
    const sender = senders[pair]!;
    while (sending && sent[pair]! - received[pair]! < job.window) {
      const seq = sent[pair]!;
      sender.send(encodePayload({ pair, seq, sentAt: performance.now() }, job.payloadBytes));
      sent[pair] = seq + 1;
      totalSent++;
    }
  };
  const onPayload = (payload: Uint8Array): void => {
    const now = performance.now();
    const stamp = decodePayload(payload);
    if (!stamp || stamp.pair >= job.pairs) return;
    if (stamp.seq >= PACED_SEQ_BASE) {
      onPaced?.(stamp, now);
      return;
    }
    received[stamp.pair]!++;
    totalReceived++;
    if (measuring) {
      inWindow++;
      recorder.add(now - stamp.sentAt);
    }
    if (sending) pump(stamp.pair);
  };

  const opened = await openPairs(job, driver, onPayload, () => {}, true);
  senders = opened.senders;
  try {
    sending = true;
    for (let i = 0; i < job.pairs; i++) pump(i);
    await sleep(job.warmupMs);

    recorder.reset();
    inWindow = 0;
    measuring = true;
    const window = phaseCpu(job.serverPids);
    const t0 = performance.now();
    await sleep(job.durationMs);
    measuring = false;
    const t1 = performance.now();
    const cpu = window.end();
    sending = false;

    const graceEnd = Date.now() + job.graceMs;
    while (totalReceived < totalSent && Date.now() < graceEnd) await sleep(10);

    const measuredMs = t1 - t0;
    const lat = recorder.summary();
    const msgsPerSec = inWindow / (measuredMs / 1000);
    const lost = totalSent - totalReceived;
    const paced = job.paced;
    const rate = paced ? pacedRate(msgsPerSec, paced.fraction) : 0;
    return {
      mode: 'live',
      msgsPerSec,
      delivered: inWindow,
      sent: totalSent,
      lost,
      measuredMs,
      p50Ms: lat.p50Ms,
      p90Ms: lat.p90Ms,
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      ...cpu,
      paced: paced && rate > 0 ? await runPaced({ ...job, paced }, senders, rate, (h) => (onPaced = h)) : null,
    };
  } finally {
    sending = false;
    closeAll(opened.senders);
    closeAll(opened.receivers);
  }
}

/**
 * Recipients offline: enqueue `messages` packets over the pairs, then connect them and drain. A
 * warm-up round of `warmupMessages` runs first, the same way, on the recipients of pairs
 * `pairs`..2·`pairs`-1 (other addresses, so nothing of it is left for the measured round); its
 * figures are dropped.
 */
export async function runOffline(job: OfflineJob, driver: LoadDriver): Promise<OfflineResult> {
  if (job.warmupMessages > 0) {
    const base = job.pairs;
    const shifted: LoadDriver = {
      openReceiver: (pair, url, onPayload, options) => driver.openReceiver(pair + base, url, onPayload, options),
      openSender: (pair, url, onAccepted, options) => driver.openSender(pair + base, url, onAccepted, options),
    };
    if (driver.awaitReceivers) shifted.awaitReceivers = (count, timeoutMs) => driver.awaitReceivers!(count, timeoutMs);
    if (driver.queuedCount) shifted.queuedCount = () => driver.queuedCount!();
    await offlineRound({ ...job, messages: Math.min(job.messages, job.warmupMessages) }, shifted);
  }
  return offlineRound(job, driver);
}

async function offlineRound(job: OfflineJob, driver: LoadDriver): Promise<OfflineResult> {
  const perPair = Math.ceil(job.messages / job.pairs);
  const target = (pair: number): number => Math.max(0, Math.min(perPair, job.messages - pair * perPair));
  const sent = new Float64Array(job.pairs);
  const accepted = new Float64Array(job.pairs);
  let totalAccepted = 0;
  let senders: DriverSender[] = [];

  const pump = (pair: number): void => {
    const sender = senders[pair]!;
    const limit = sender.acknowledges ? Math.min(target(pair), accepted[pair]! + job.window) : target(pair);
    while (sent[pair]! < limit) {
      const seq = sent[pair]!;
      sender.send(encodePayload({ pair, seq, sentAt: performance.now() }, job.payloadBytes));
      sent[pair] = seq + 1;
    }
  };
  // SEND -> ACCEPTED times of the round, as the senders saw them (acks only).
  const acceptLatency = new LatencyRecorder();
  const onAccepted = (pair: number, ms: number): void => {
    accepted[pair]!++;
    acceptLatency.add(ms);
    totalAccepted++;
    pump(pair);
  };

  const opened = await openPairs(job, driver, () => {}, onAccepted, false);
  senders = opened.senders;
  const acks = senders.every((s) => s.acknowledges);
  if (!acks && !driver.queuedCount) {
    closeAll(senders);
    throw new Error('offline run needs sender acks or driver.queuedCount() to know when enqueueing is done');
  }
  const queuedBefore = acks ? 0 : await driver.queuedCount!();
  // A server busy storing a burst may answer its depth probe late or not at all: that counts as
  // "not yet", and the last answer seen is what a timeout reports.
  let lastDepth = 0;
  const enqueued = async (): Promise<number> => {
    if (acks) return totalAccepted;
    try {
      lastDepth = (await driver.queuedCount!()) - queuedBefore;
    } catch {
      // keep the previous reading
    }
    return lastDepth;
  };

  const enqueueCpu = phaseCpu(job.serverPids);
  const e0 = performance.now();
  const enqueueDeadline = Date.now() + job.enqueueTimeoutMs;
  for (let i = 0; i < job.pairs; i++) pump(i);
  for (;;) {
    if ((await enqueued()) >= job.messages) break;
    if (Date.now() > enqueueDeadline) {
      closeAll(senders);
      throw new Error(`enqueue: ${acks ? totalAccepted : lastDepth}/${job.messages} confirmed after ${job.enqueueTimeoutMs} ms`);
    }
    await sleep(acks ? 2 : 10);
  }
  const enqueueMs = performance.now() - e0;
  const enqueueFigures = enqueueCpu.end();
  const { p50Ms: enqueueP50Ms, p99Ms: enqueueP99Ms } = acks ? acceptLatency.summary() : { p50Ms: null, p99Ms: null };
  closeAll(senders);
  await sleep(100);

  // Each (pair, seq) counted once; duplicates are counted apart.
  const seen = Array.from({ length: job.pairs }, (_, p) => new Uint8Array(target(p)));
  let distinct = 0;
  let duplicates = 0;
  let first: number | null = null;
  let last = 0;
  let resolveAll: () => void = () => {};
  const all = new Promise<void>((r) => (resolveAll = r));
  const onPayload = (payload: Uint8Array): void => {
    const now = performance.now();
    const s = decodePayload(payload);
    const bits = s ? seen[s.pair] : undefined;
    if (!s || !bits || s.seq >= bits.length) return;
    if (bits[s.seq]) {
      duplicates++;
      return;
    }
    bits[s.seq] = 1;
    distinct++;
    first ??= now;
    last = now;
    if (distinct === job.messages) resolveAll();
  };

  const drainCpu = phaseCpu(job.serverPids);
  const d0 = performance.now();
  const receivers = await pool(job.pairs, 64, (i) => driver.openReceiver(i, pick(job.receiverUrls, i), onPayload));
  try {
    const timer = sleep(job.drainTimeoutMs);
    await Promise.race([all, timer]);
    // Read as the last packet arrives (a tick after it at most): the quiet after the drain is not in it.
    const drainFigures = drainCpu.end();
    if (distinct < job.messages) {
      throw new Error(`drain: ${distinct}/${job.messages} received after ${job.drainTimeoutMs} ms`);
    }
    await sleep(50); // late duplicates
    const drainMs = last - d0;
    return {
      mode: 'offline',
      messages: job.messages,
      enqueueMsgsPerSec: job.messages / (enqueueMs / 1000),
      enqueueMs,
      enqueueConfirmedBy: acks ? 'acks' : 'queue-depth',
      enqueueInFlight: acks ? job.pairs * job.window : null,
      enqueueP50Ms,
      enqueueP99Ms,
      drainMsgsPerSec: job.messages / (drainMs / 1000),
      drainMs,
      firstMessageMs: first === null ? null : first - d0,
      received: distinct,
      duplicates,
      missing: job.messages - distinct,
      enqueueCpu: enqueueFigures,
      drainCpu: drainFigures,
    };
  } finally {
    closeAll(receivers);
  }
}

async function settledRss(pid: number, gcSignal: NodeJS.Signals | null): Promise<number> {
  if (gcSignal) {
    process.kill(pid, gcSignal);
    await sleep(300);
  }
  const reads: number[] = [];
  for (let i = 0; i < 3; i++) {
    reads.push(readRssBytes(pid));
    await sleep(100);
  }
  return median(reads)!;
}

/** Opens `connections` registered receivers that stay silent; RSS of the server before/after. */
export async function runIdle(job: IdleJob, driver: LoadDriver): Promise<IdleResult> {
  const needed = Math.ceil(job.connections / job.perAddress);
  if (needed > Math.max(1, job.localAddresses.length)) {
    throw new RangeError(`"connections" ${job.connections} needs ${needed} source addresses, got ${job.localAddresses.length}`);
  }
  const deadline = Date.now() + job.timeoutMs;
  const rssBefore = await settledRss(job.rssPid, job.gcSignal);
  const clients: DriverClient[] = [];
  try {
    const c0 = performance.now();
    await pool(job.connections, job.concurrency, async (i) => {
      if (Date.now() > deadline) throw new Error(`idle: timed out after ${clients.length} connections`);
      const localAddress = job.localAddresses[Math.floor(i / job.perAddress)];
      const c = await driver.openReceiver(i, pick(job.receiverUrls, i), () => {}, localAddress ? { localAddress } : {});
      clients.push(c);
    });
    await driver.awaitReceivers?.(job.connections, Math.max(1000, deadline - Date.now()));
    const connectMs = performance.now() - c0;
    await sleep(job.settleMs);
    const rssAfter = await settledRss(job.rssPid, job.gcSignal);
    return {
      mode: 'idle',
      connections: job.connections,
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      bytesPerConnection: (rssAfter - rssBefore) / job.connections,
      connectMs,
      connectsPerSec: job.connections / (connectMs / 1000),
    };
  } finally {
    closeAll(clients);
  }
}
