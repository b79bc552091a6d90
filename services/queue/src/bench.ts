/**
 * Throughput of the queue against real PostgreSQL: durable enqueue (concurrent single-packet
 * calls, group-committed), drain and ack, in packets per second. Importable
 * ({@link runQueueBench}) for the repo-wide bench; run alone with
 * `node services/queue/dist/bench.js [--url postgres://…] [--packets N] [--concurrency C] [--ack-without-day]`
 * (without --url it starts a throwaway PostgreSQL from @tacit/testing).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { EnqueueInput } from './model.js';
import { PgQueueRepository } from './pg-repository.js';
import { QueueService } from './queue.service.js';

/** Options of {@link runQueueBench}. */
export interface QueueBenchOptions {
  /** PostgreSQL to write to (the queue's migrations are applied). */
  url: string;
  /** Packets to enqueue, drain and ack (default 100 000). */
  packets?: number;
  /** Enqueue calls in flight at once, one packet each (default 512). */
  concurrency?: number;
  /** Packet size in bytes (default 330: a 256-byte payload with its header). */
  packetBytes?: number;
  /** Packets per mailbox (default 100). */
  perMailbox?: number;
  /** Ack without the expiry day the drain reported (every partition is searched), as older gateways do. */
  ackWithoutDay?: boolean;
  /** Give up after this long, in ms (default 120 000). */
  timeoutMs?: number;
  /**
   * Process id of the PostgreSQL server (postmaster), to report its CPU time per packet (Linux,
   * /proc). On a shared machine, CPU per packet says more than packets per second.
   */
  serverPid?: number;
}

/** CPU time spent per packet in one phase, in microseconds. */
export interface CpuPerPacket {
  /** This process (the queue service and the bench driving it). */
  node: number;
  /** The PostgreSQL server and its backends; absent without `serverPid`. */
  postgres?: number;
}

/** Measured rates, in packets per second, and what was measured. */
export interface QueueBenchResult {
  packets: number;
  concurrency: number;
  ackWithoutDay: boolean;
  enqueuePerSec: number;
  /** Enqueue transactions, and the mean packets per transaction. */
  transactions: number;
  meanBatch: number;
  drainPerSec: number;
  ackPerSec: number;
  /** CPU per packet for enqueue, drain and ack. */
  cpu: { enqueue: CpuPerPacket; drain: CpuPerPacket; ack: CpuPerPacket };
}

// CPU time (ms) of a process and its live children, from /proc; undefined where unreadable.
function _treeCpuMs(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const tick = 10; // USER_HZ is 100 on Linux
    let total = 0;
    const children = new Map<number, number[]>();
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // gone meanwhile
      }
    }
    for (const queue = [pid]; queue.length > 0; ) {
      const p = queue.pop()!;
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      // After the command name: state is field 0, utime 11, stime 12 (in clock ticks).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(f[11]) + Number(f[12])) * tick;
      queue.push(...(children.get(p) ?? []));
    }
    return total;
  } catch {
    return undefined;
  }
}

/** Measures CPU of this process and of the server around `fn`. */
async function _cpu(serverPid: number | undefined, packets: number, fn: () => Promise<void>): Promise<CpuPerPacket> {
  const server0 = _treeCpuMs(serverPid);
  const node0 = process.cpuUsage();
  await fn();
  const node = process.cpuUsage(node0);
  const server1 = _treeCpuMs(serverPid);
  const out: CpuPerPacket = { node: Math.round(((node.user + node.system) / packets) * 10) / 10 };
  if (server0 !== undefined && server1 !== undefined) out.postgres = Math.round(((server1 - server0) * 1000 / packets) * 10) / 10;
  return out;
}

/** Runs the benchmark on a fresh set of mailboxes (existing data is left alone). */
export async function runQueueBench(opts: QueueBenchOptions): Promise<QueueBenchResult> {
  const total = opts.packets ?? 100_000;
  const concurrency = opts.concurrency ?? 512;
  const size = opts.packetBytes ?? 330;
  const perMailbox = opts.perMailbox ?? 100;
  const ackWithoutDay = opts.ackWithoutDay ?? false;
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const repo = new PgQueueRepository({ url: opts.url, maxConnections: 8 });
  const sut = new QueueService({ repository: repo });
  try {
    await repo.migrate();
    const mailboxes = Array.from({ length: Math.ceil(total / perMailbox) }, () => new Uint8Array(randomBytes(16)));
    // Payload bytes are shared: the queue never looks at them, and generating 30 MB of random
    // data would only time the generator.
    const body = new Uint8Array(randomBytes(size));
    const ids = randomBytes(16 * total);
    const packets: EnqueueInput[] = Array.from({ length: total }, (_, i) => ({
      mailboxId: mailboxes[i % mailboxes.length]!,
      packetId: new Uint8Array(ids.buffer, ids.byteOffset + 16 * i, 16),
      packet: body,
    }));
    // Warm up: partitions, connections, plans.
    await sut.enqueue([{ mailboxId: new Uint8Array(randomBytes(16)), packetId: new Uint8Array(randomBytes(16)), packet: body }]);
    const before = sut.stats().enqueueBatches;

    let next = 0;
    const t0 = performance.now();
    const enqueueCpu = await _cpu(opts.serverPid, total, async () => {
      await Promise.all(
        Array.from({ length: Math.min(concurrency, total) }, async () => {
          while (next < total) {
            if (Date.now() > deadline) throw new Error('queue bench timed out while enqueueing');
            const [status] = await sut.enqueue([packets[next++]!]);
            if (status !== 'stored') throw new Error(`enqueue answered ${status}`);
          }
        }),
      );
    });
    const enqueueSec = (performance.now() - t0) / 1000;
    const transactions = sut.stats().enqueueBatches - before;

    // Drain: a device reconnecting drains its mailboxes page by page; 8 such devices at once.
    const groups: Uint8Array[][] = [];
    for (let i = 0; i < mailboxes.length; i += 10) groups.push(mailboxes.slice(i, i + 10));
    const drained: { mailboxId: Uint8Array; packetId: Uint8Array; expiryDay?: number }[] = [];
    let g = 0;
    const t1 = performance.now();
    const drainCpu = await _cpu(opts.serverPid, total, async () => {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (g < groups.length) {
            const group = groups[g++]!;
            for (let after = 0n, page = 0; page < 1000; page++) {
              if (Date.now() > deadline) throw new Error('queue bench timed out while draining');
              const res = await sut.drain({ mailboxIds: group, afterSeq: after, limit: 1000 });
              for (const p of res.packets) {
                drained.push({ mailboxId: p.mailboxId, packetId: p.packetId, ...(ackWithoutDay ? {} : { expiryDay: p.expiryDay }) });
              }
              if (!res.more || res.packets.length === 0) break;
              after = res.packets.at(-1)!.seq;
            }
          }
        }),
      );
    });
    const drainSec = (performance.now() - t1) / 1000;
    if (drained.length !== total) throw new Error(`drained ${drained.length} of ${total} packets`);

    let a = 0;
    const t2 = performance.now();
    const ackCpu = await _cpu(opts.serverPid, total, async () => {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (a < drained.length) {
            if (Date.now() > deadline) throw new Error('queue bench timed out while acking');
            const refs = drained.slice(a, (a += 1000));
            await sut.ack(refs);
          }
        }),
      );
    });
    const ackSec = (performance.now() - t2) / 1000;

    return {
      packets: total,
      concurrency,
      ackWithoutDay,
      enqueuePerSec: Math.round(total / enqueueSec),
      transactions,
      meanBatch: Math.round(total / Math.max(1, transactions)),
      drainPerSec: Math.round(total / drainSec),
      ackPerSec: Math.round(total / ackSec),
      cpu: { enqueue: enqueueCpu, drain: drainCpu, ack: ackCpu },
    };
  } finally {
    await sut.stop();
    await repo.close();
  }
}

async function _main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string' },
      packets: { type: 'string', default: '100000' },
      concurrency: { type: 'string', default: '512' },
      'ack-without-day': { type: 'boolean', default: false },
      'server-pid': { type: 'string' },
    },
  });
  let url = values.url;
  let serverPid: number | undefined = values['server-pid'] ? Number(values['server-pid']) : undefined;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const { startPostgres } = await import('@tacit/testing');
    const server = await startPostgres();
    url = server.url;
    serverPid = server.pid;
    stop = () => server.stop();
  }
  try {
    const r = await runQueueBench({
      url,
      packets: Number(values.packets),
      concurrency: Number(values.concurrency),
      ackWithoutDay: values['ack-without-day'],
      ...(serverPid ? { serverPid } : {}),
    });
    const cpu = (c: CpuPerPacket): string => `${c.node} us node${c.postgres === undefined ? '' : ` + ${c.postgres} us postgres`} CPU/packet`;
    process.stdout.write(
      `queue: enqueue ${r.enqueuePerSec} packets/s (${r.transactions} transactions, ~${r.meanBatch} packets each; ${cpu(r.cpu.enqueue)}), ` +
        `drain ${r.drainPerSec} packets/s (${cpu(r.cpu.drain)}), ack${r.ackWithoutDay ? ' without day' : ''} ${r.ackPerSec} packets/s (${cpu(r.cpu.ack)}); ` +
        `${r.packets} packets, concurrency ${r.concurrency}, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs\n`,
    );
  } finally {
    await stop?.();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  _main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exitCode = 1;
  });
}
