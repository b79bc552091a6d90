// The three load patterns, run inside the load-generator child against one driver.
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCpuSeconds, readRssBytes } from '../proc.js';
import { LatencyRecorder, median } from '../stats.js';
import type { DriverClient, DriverSender, LoadDriver } from './driver.js';
import type { IdleJob, IdleResult, JobBase, LiveJob, LiveResult, OfflineJob, OfflineResult } from './job.js';
import { decodePayload, encodePayload } from './payload.js';

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

function cpuOf(pids: number[]): number | null {
  try {
    return pids.reduce((sum, pid) => sum + readCpuSeconds(pid), 0);
  } catch {
    return null;
  }
}

async function openPairs(
  job: JobBase & { pairs: number },
  driver: LoadDriver,
  onPayload: (payload: Uint8Array) => void,
  onAccepted: (pair: number) => void,
  withReceivers: boolean,
): Promise<{ receivers: DriverClient[]; senders: DriverSender[] }> {
  const receivers = withReceivers
    ? await pool(job.pairs, 64, (i) => driver.openReceiver(i, pick(job.receiverUrls, i), onPayload))
    : [];
  if (withReceivers) await driver.awaitReceivers?.(job.pairs, 10_000);
  const senders = await pool(job.pairs, 64, (i) => driver.openSender(i, pick(job.senderUrls, i), () => onAccepted(i)));
  return { receivers, senders };
}

/** Live pairs: warm-up, then a measured window; latency from the stamp inside each payload. */
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
    const cpu0 = cpuOf(job.serverPids);
    const load0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(job.durationMs);
    measuring = false;
    const t1 = performance.now();
    const cpu1 = cpuOf(job.serverPids);
    const load1 = process.cpuUsage(load0);
    sending = false;

    const graceEnd = Date.now() + job.graceMs;
    while (totalReceived < totalSent && Date.now() < graceEnd) await sleep(10);

    const measuredMs = t1 - t0;
    const lat = recorder.summary();
    return {
      mode: 'live',
      msgsPerSec: inWindow / (measuredMs / 1000),
      delivered: inWindow,
      sent: totalSent,
      lost: totalSent - totalReceived,
      measuredMs,
      p50Ms: lat.p50Ms,
      p90Ms: lat.p90Ms,
      p99Ms: lat.p99Ms,
      maxMs: lat.maxMs,
      serverCpuPct: cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / (measuredMs / 1000)) * 100 : null,
      loadCpuPct: ((load1.user + load1.system) / 1000 / measuredMs) * 100,
    };
  } finally {
    sending = false;
    closeAll(opened.senders);
    closeAll(opened.receivers);
  }
}

/** Recipients offline: enqueue `messages` packets over the pairs, then connect them and drain. */
export async function runOffline(job: OfflineJob, driver: LoadDriver): Promise<OfflineResult> {
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
  const onAccepted = (pair: number): void => {
    accepted[pair]!++;
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

  const d0 = performance.now();
  const receivers = await pool(job.pairs, 64, (i) => driver.openReceiver(i, pick(job.receiverUrls, i), onPayload));
  try {
    const timer = sleep(job.drainTimeoutMs);
    await Promise.race([all, timer]);
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
      drainMsgsPerSec: job.messages / (drainMs / 1000),
      drainMs,
      firstMessageMs: first === null ? null : first - d0,
      received: distinct,
      duplicates,
      missing: job.messages - distinct,
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
