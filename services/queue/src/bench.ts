/**
 * Throughput of the queue against real PostgreSQL: durable enqueue (concurrent single-packet
 * calls, group-committed), drain and ack, in packets per second. Importable
 * ({@link runQueueBench}) for the repo-wide bench; run alone with
 * `node services/queue/dist/bench.js [--url postgres://…] [--packets N] [--concurrency C] [--mode unnest|copy]`
 * (without --url it starts a throwaway PostgreSQL from @tacit/testing).
 * @module
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import type { EnqueueInput } from './model.js';
import { PgQueueRepository, type PgInsertMode } from './pg-repository.js';
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
  /** How enqueue batches are written (default unnest). */
  insertMode?: PgInsertMode;
  /** Give up after this long, in ms (default 120 000). */
  timeoutMs?: number;
}

/** Measured rates, in packets per second, and what was measured. */
export interface QueueBenchResult {
  packets: number;
  concurrency: number;
  insertMode: PgInsertMode;
  enqueuePerSec: number;
  /** Enqueue transactions, and the mean packets per transaction. */
  transactions: number;
  meanBatch: number;
  drainPerSec: number;
  ackPerSec: number;
}

/** Runs the benchmark on a fresh set of mailboxes (existing data is left alone). */
export async function runQueueBench(opts: QueueBenchOptions): Promise<QueueBenchResult> {
  const total = opts.packets ?? 100_000;
  const concurrency = opts.concurrency ?? 512;
  const size = opts.packetBytes ?? 330;
  const perMailbox = opts.perMailbox ?? 100;
  const insertMode = opts.insertMode ?? 'unnest';
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  const repo = new PgQueueRepository({ url: opts.url, insertMode, maxConnections: 8 });
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
    await Promise.all(
      Array.from({ length: Math.min(concurrency, total) }, async () => {
        while (next < total) {
          if (Date.now() > deadline) throw new Error('queue bench timed out while enqueueing');
          const [status] = await sut.enqueue([packets[next++]!]);
          if (status !== 'stored') throw new Error(`enqueue answered ${status}`);
        }
      }),
    );
    const enqueueSec = (performance.now() - t0) / 1000;
    const transactions = sut.stats().enqueueBatches - before;

    // Drain: a device reconnecting drains its mailboxes page by page; 8 such devices at once.
    const groups: Uint8Array[][] = [];
    for (let i = 0; i < mailboxes.length; i += 10) groups.push(mailboxes.slice(i, i + 10));
    const drained: { mailboxId: Uint8Array; packetId: Uint8Array }[] = [];
    let g = 0;
    const t1 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (g < groups.length) {
          const group = groups[g++]!;
          for (let after = 0n, page = 0; page < 1000; page++) {
            if (Date.now() > deadline) throw new Error('queue bench timed out while draining');
            const res = await sut.drain({ mailboxIds: group, afterSeq: after, limit: 1000 });
            for (const p of res.packets) drained.push({ mailboxId: p.mailboxId, packetId: p.packetId });
            if (!res.more || res.packets.length === 0) break;
            after = res.packets.at(-1)!.seq;
          }
        }
      }),
    );
    const drainSec = (performance.now() - t1) / 1000;
    if (drained.length !== total) throw new Error(`drained ${drained.length} of ${total} packets`);

    let a = 0;
    const t2 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (a < drained.length) {
          if (Date.now() > deadline) throw new Error('queue bench timed out while acking');
          const refs = drained.slice(a, (a += 1000));
          await sut.ack(refs);
        }
      }),
    );
    const ackSec = (performance.now() - t2) / 1000;

    return {
      packets: total,
      concurrency,
      insertMode,
      enqueuePerSec: Math.round(total / enqueueSec),
      transactions,
      meanBatch: Math.round(total / Math.max(1, transactions)),
      drainPerSec: Math.round(total / drainSec),
      ackPerSec: Math.round(total / ackSec),
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
      mode: { type: 'string' },
    },
  });
  let url = values.url;
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const { startPostgres } = await import('@tacit/testing');
    const server = await startPostgres();
    url = server.url;
    stop = () => server.stop();
  }
  try {
    const modes: PgInsertMode[] = values.mode ? [values.mode as PgInsertMode] : ['unnest', 'copy'];
    for (const insertMode of modes) {
      const r = await runQueueBench({ url, packets: Number(values.packets), concurrency: Number(values.concurrency), insertMode });
      process.stdout.write(
        `queue ${r.insertMode}: enqueue ${r.enqueuePerSec} packets/s (${r.transactions} transactions, ~${r.meanBatch} packets each), ` +
          `drain ${r.drainPerSec} packets/s, ack ${r.ackPerSec} packets/s (${r.packets} packets, concurrency ${r.concurrency})\n`,
      );
    }
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
