// Medium tests: QueueService over REAL PostgreSQL (from @tacit/testing) and over PGlite in a
// temporary folder: the same spec runs against both adapters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { InProcessBus, InvalidArgumentError, NatsBus, UnavailableError, type Bus } from '@tacit/kit';
import { startNats, startPostgres, type PostgresServer } from '@tacit/testing';
import { BusClientProxy, serveOnBus } from '@tacit/platform';
import { create, fromBinary, packAckRefs, packAckSeqs, toBinary, queueV1, QUEUE_SUBJECTS, unpackPackets } from '@tacit/proto';
import { BusQueueClient } from '@tacit/queue-client';
import { QueueController } from './queue.controller.js';
import { DAY_MS, dayOf, type AckRef, type Clock, type EnqueueInput } from './model.js';
import { loadMigrations, QUEUE_MIGRATE_OPTIONS, QUEUE_MIGRATIONS_DIR, runMigrations } from './migrator.js';
import { binaryCopyField, PgQueueRepository } from './pg-repository.js';
import { PgliteQueueRepository } from './pglite-repository.js';
import { QueueService, type QueueServiceOptions } from './queue.service.js';
import { partitionName, type SqlQueueRepository } from './sql-repository.js';

const id = (): Uint8Array => new Uint8Array(randomBytes(16));
const payload = (n = 256): Uint8Array => new Uint8Array(randomBytes(n));
const packetFor = (mailboxId: Uint8Array, ttlSeconds?: number): EnqueueInput => ({
  mailboxId,
  packetId: id(),
  packet: payload(),
  ...(ttlSeconds === undefined ? {} : { ttlSeconds }),
});

/** A clock the test moves by hand. */
class FakeClock implements Clock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** What each adapter's suite provides to the shared spec. */
interface Harness {
  repo(): SqlQueueRepository & { migrate(): Promise<number[]> };
  /** Raw SQL against the same database, for looking behind the repository. */
  sql<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** Kills the database without a clean shutdown and brings it back (same data). */
  crash(): Promise<void>;
}

class RawPglite extends PgliteQueueRepository {
  raw<R>(text: string, params?: unknown[]): Promise<R[]> {
    return this._session((s) => s.query<R>(text, params));
  }
}

function sharedSpec(h: Harness): void {
  const service = (opts: Partial<QueueServiceOptions> = {}): QueueService =>
    new QueueService({ repository: h.repo(), groupCommit: { maxDelayMs: 1 }, ...opts });
  // A mailbox's counter row: [count], or [] once it is gone.
  const stored = async (m: Uint8Array): Promise<number[]> =>
    (await h.sql<{ stored: number }>('SELECT stored FROM queue_mailboxes WHERE mailbox_id = $1', [Buffer.from(m)])).map((r) => r.stored);

  it('drains in seq order across mailboxes, page by page', async () => {
    const sut = service();
    const [a, b] = [id(), id()];
    const sent = [packetFor(a), packetFor(b), packetFor(a), packetFor(b), packetFor(a)];
    for (const p of sent) assert.deepEqual(await sut.enqueue([p]), ['stored']);

    const first = await sut.drain({ mailboxIds: [a, b], limit: 2 });
    assert.equal(first.more, true);
    const rest = await sut.drain({ mailboxIds: [b, a], afterSeq: first.packets.at(-1)!.seq, limit: 10 });
    assert.equal(rest.more, false);
    const all = [...first.packets, ...rest.packets];
    assert.deepEqual(all.map((p) => p.packetId), sent.map((p) => p.packetId));
    assert.deepEqual(all.map((p) => p.packet), sent.map((p) => p.packet));
    assert.ok(all.every((p, i) => i === 0 || p.seq > all[i - 1]!.seq));
    assert.deepEqual((await sut.drain({ mailboxIds: [a], limit: 10 })).packets.map((p) => p.mailboxId), [a, a, a]);
    await sut.stop();
  });

  it('stores a batch mailbox by mailbox: each mailbox keeps batch order, its packets side by side on disk', async () => {
    const sut = service();
    const [a, b, c] = [id(), id(), id()];
    // One call, so one batch, three mailboxes interleaved packet by packet.
    const sent = Array.from({ length: 60 }, (_, i) => packetFor([a, b, c][i % 3]!));
    assert.deepEqual(await sut.enqueue(sent), sent.map(() => 'stored'));
    for (const m of [a, b, c]) {
      const mine = sent.filter((p) => p.mailboxId === m);
      const page = await sut.drain({ mailboxIds: [m], limit: 100 });
      assert.deepEqual(page.packets.map((p) => p.packetId), mine.map((p) => p.packetId), 'batch order within a mailbox');
      // Consecutive seqs: nothing of another mailbox was inserted between them.
      const seqs = page.packets.map((p) => p.seq);
      assert.equal(seqs.at(-1)! - seqs[0]!, BigInt(seqs.length - 1));
      // 20 packets of ~330 B fill one 8 KiB heap page, at most two when the run crosses a page end;
      // interleaved with the others they were spread over three.
      const [blocks] = await h.sql<{ n: number }>(
        'SELECT count(DISTINCT (ctid::text::point)[0])::int AS n FROM queue_packets WHERE mailbox_id = $1',
        [Buffer.from(m)],
      );
      assert.ok(blocks!.n <= 2, `mailbox's 20 packets on ${blocks!.n} heap pages`);
    }
    // Across mailboxes the drain is still in seq order, every packet once.
    const all = (await sut.drain({ mailboxIds: [a, b, c], limit: 100 })).packets;
    assert.equal(new Set(all.map((p) => Buffer.from(p.packetId).toString('hex'))).size, 60);
    assert.ok(all.every((p, i) => i === 0 || p.seq > all[i - 1]!.seq));
    await sut.stop();
  });

  it('ends a drain page early when its bytes would not fit one bus message', async () => {
    const sut = service({ limits: { maxDrainBytes: 1000 } });
    const m = id();
    await sut.enqueue([packetFor(m), packetFor(m), packetFor(m), packetFor(m), packetFor(m)]);
    const page = await sut.drain({ mailboxIds: [m], limit: 10 });
    assert.equal(page.packets.length, 3);
    assert.equal(page.more, true);
    await sut.stop();
  });

  it('deletes acked packets from the table and counts only those that existed', async () => {
    const sut = service();
    const m = id();
    const sent = [packetFor(m), packetFor(m), packetFor(m)];
    await sut.enqueue(sent);
    const refs = [sent[0]!, sent[2]!, { mailboxId: m, packetId: id() }];
    assert.equal(await sut.ack(refs), 2);
    assert.equal(await sut.ack(refs), 0);
    const left = await h.sql<{ n: number }>('SELECT count(*)::int AS n FROM queue_packets WHERE mailbox_id = $1', [Buffer.from(m)]);
    assert.equal(left[0]!.n, 1);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets.map((p) => p.packetId), [sent[1]!.packetId]);
    await sut.ack([sent[1]!]);
    // The mailbox's counter row goes with its last packet (mailbox ids rotate hourly).
    const counters = await h.sql('SELECT 1 FROM queue_mailboxes WHERE mailbox_id = $1', [Buffer.from(m)]);
    assert.equal(counters.length, 0);
    await sut.stop();
  });

  it('reports a repeated packet id as duplicate and stores it once', async () => {
    const sut = service();
    const [m, other] = [id(), id()];
    const p = packetFor(m);
    assert.deepEqual(await sut.enqueue([p, { ...p, packet: payload(10) }]), ['stored', 'duplicate']);
    assert.deepEqual(await sut.enqueue([p]), ['duplicate']);
    // Same packet id in another mailbox is another packet.
    assert.deepEqual(await sut.enqueue([{ ...p, mailboxId: other }]), ['stored']);
    const got = await sut.drain({ mailboxIds: [m], limit: 10 });
    assert.equal(got.packets.length, 1);
    assert.deepEqual(got.packets[0]!.packet, p.packet);
    await sut.stop();
  });

  it('refuses new packets past the mailbox cap and never drops accepted ones', async () => {
    const sut = service({ limits: { mailboxCap: 3 } });
    const [m, other] = [id(), id()];
    const first = [packetFor(m), packetFor(m)];
    assert.deepEqual(await sut.enqueue(first), ['stored', 'stored']);
    const late = [packetFor(m), packetFor(m), first[0]!, packetFor(other)];
    assert.deepEqual(await sut.enqueue(late), ['stored', 'mailbox_full', 'duplicate', 'stored']);
    // At the cap a retry of an accepted packet is still a duplicate, never mailbox_full.
    assert.deepEqual(await sut.enqueue([late[0]!, packetFor(m)]), ['duplicate', 'mailbox_full']);
    const kept = (await sut.drain({ mailboxIds: [m], limit: 10 })).packets.map((p) => p.packetId);
    assert.deepEqual(kept, [first[0]!.packetId, first[1]!.packetId, late[0]!.packetId]);
    // An ack makes room again.
    await sut.ack([first[0]!]);
    assert.deepEqual(await sut.enqueue([late[1]!, packetFor(m)]), ['stored', 'mailbox_full']);
    assert.equal(sut.stats().mailboxFull, 3);
    await sut.stop();
  });

  it('keeps counts exact when a batch leaves the fast path (a stored packet, a full mailbox)', async () => {
    const sut = service({ limits: { mailboxCap: 3 } });
    const [a, b] = [id(), id()];
    const counts = async (): Promise<[number, number][]> => {
      const out: [number, number][] = [];
      for (const m of [a, b]) {
        const [row] = await h.sql<{ stored: number | null; rows: number }>(
          'SELECT (SELECT stored FROM queue_mailboxes WHERE mailbox_id = $1) AS stored, (SELECT count(*)::int FROM queue_packets WHERE mailbox_id = $1) AS rows',
          [Buffer.from(m)],
        );
        out.push([row!.stored ?? 0, row!.rows]);
      }
      return out;
    };
    const first = packetFor(a);
    // Fast path: both mailboxes new, nothing stored yet.
    assert.deepEqual(await sut.enqueue([first, packetFor(b)]), ['stored', 'stored']);
    assert.deepEqual(await counts(), [[1, 1], [1, 1]]);
    // A stored packet among new ones: the attempt rolls back whole and the checked store settles it.
    assert.deepEqual(await sut.enqueue([packetFor(b), first, packetFor(a)]), ['stored', 'duplicate', 'stored']);
    assert.deepEqual(await counts(), [[2, 2], [2, 2]]);
    // One mailbox past its cap: the other's packets are stored all the same, counted once.
    assert.deepEqual(await sut.enqueue([packetFor(a), packetFor(a), packetFor(b)]), ['stored', 'mailbox_full', 'stored']);
    assert.deepEqual(await counts(), [[3, 3], [3, 3]]);
    // Drain order is still enqueue order, whichever path stored them.
    const seqs = (await sut.drain({ mailboxIds: [a, b], limit: 10 })).packets.map((p) => p.seq);
    assert.deepEqual(seqs, [...seqs].sort((x, y) => (x < y ? -1 : 1)));
    assert.equal(seqs.length, 6);
    await sut.stop();
  });

  it('counts only live packets against the cap: expired junk frees its room (purged at most once a minute)', async () => {
    const clock = new FakeClock();
    const sut = service({ clock, limits: { mailboxCap: 4 } });
    const m = id();
    // A contact fills the mailbox with junk that lives a minute.
    assert.deepEqual(await sut.enqueue([0, 1, 2, 3].map(() => packetFor(m, 60))), ['stored', 'stored', 'stored', 'stored']);
    // Before it expires the mailbox is full (and its expired packets were looked for: none).
    clock.advance(50_000);
    const real = packetFor(m);
    assert.deepEqual(await sut.enqueue([real]), ['mailbox_full']);
    // Expired, but within a minute of that purge: still counted (the purge's bound).
    clock.advance(11_000);
    assert.deepEqual(await sut.enqueue([real]), ['mailbox_full']);
    // A minute after the last purge the expired junk is deleted and the real packet fits.
    clock.advance(50_000);
    assert.deepEqual(await sut.enqueue([real]), ['stored']);
    assert.deepEqual(await stored(m), [1]);
    assert.equal((await h.sql('SELECT 1 FROM queue_packets WHERE mailbox_id = $1', [Buffer.from(m)])).length, 1);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets.map((p) => p.packetId), [real.packetId]);
    await sut.stop();
  });

  it('refuses at a cap drawn per attempt in (cap - cap/8, cap]: a full mailbox does not give its exact count', async () => {
    const cap = 32;
    const band = cap / 8;
    const sut = service({ limits: { mailboxCap: cap } });
    // Fill 10 mailboxes one packet at a time; note how many were stored when the first MAILBOX_FULL came.
    const firstFull: number[] = [];
    for (let k = 0; k < 10; k++) {
      const m = id();
      let n = 0;
      while ((await sut.enqueue([packetFor(m)]))[0] === 'stored') n++;
      firstFull.push(n);
      // Past the first refusal the mailbox still never holds more than the cap.
      for (let i = 0; i < 10; i++) await sut.enqueue([packetFor(m)]);
      const [count] = await stored(m);
      assert.ok(count! <= cap, `mailbox holds ${count} > cap ${cap}`);
      assert.ok(count! > cap - band, `mailbox holds ${count}, refused at or below cap - band`);
    }
    for (const n of firstFull) assert.ok(n > cap - band && n <= cap, `first MAILBOX_FULL at ${n}, outside (${cap - band}, ${cap}]`);
    // Ten draws from four values: all equal would mean the count is exact after all (chance 4^-9).
    assert.ok(new Set(firstFull).size > 1, `always refused at ${firstFull[0]}`);
    await sut.stop();
  });

  it('settles repeats, the cap and room freed by acks in one batch each', async () => {
    const sut = service({ limits: { mailboxCap: 2 } });
    const m = id();
    const p = [packetFor(m), packetFor(m), packetFor(m)];
    assert.deepEqual(await sut.enqueue([p[0]!, p[0]!, p[1]!, p[2]!]), ['stored', 'duplicate', 'stored', 'mailbox_full']);
    await sut.ack([p[0]!]);
    assert.deepEqual(await sut.enqueue([p[1]!, p[2]!]), ['duplicate', 'stored']);
    const got = await sut.drain({ mailboxIds: [m], limit: 10 });
    assert.deepEqual(got.packets.map((x) => x.packet), [p[1]!.packet, p[2]!.packet]);
    await sut.stop();
  });

  it('reports each drained packet\'s expiry day, and an ack naming it deletes that copy only', async () => {
    // Far from the other clock-driven test's days, whose partitions it counts.
    const clock = new FakeClock(Date.UTC(2033, 2, 1, 12));
    const sut = service({ clock, limits: { ttlSeconds: 6 * 86_400 } });
    const m = id();
    // The same packet stored twice, in two expiry days (a retry with another TTL): dedup is per day.
    const p = packetFor(m, 3600);
    const later = { ...p, ttlSeconds: 5 * 86_400 };
    assert.deepEqual(await sut.enqueue([p]), ['stored']);
    assert.deepEqual(await sut.enqueue([later]), ['stored']);
    const page = await sut.drain({ mailboxIds: [m], limit: 10 });
    const days = page.packets.map((x) => x.expiryDay);
    assert.deepEqual(days, [dayOf(clock.now() + 3_600_000), dayOf(clock.now() + 5 * DAY_MS)]);

    assert.equal(await sut.ack([{ ...p, expiryDay: days[1]! }]), 1);
    const left = await h.sql<{ expiry_day: number }>('SELECT expiry_day FROM queue_packets WHERE mailbox_id = $1', [Buffer.from(m)]);
    assert.deepEqual(left.map((r) => r.expiry_day), [days[0]]);
    assert.deepEqual(await stored(m), [1]);
    // Acked again with its day: already gone, and the search of every partition finds the other copy.
    assert.equal(await sut.ack([{ ...p, expiryDay: days[1]! }]), 1);
    assert.deepEqual(await stored(m), []);
    await sut.stop();
  });

  it('deletes a packet acked with a wrong day or none, by searching every partition', async () => {
    const sut = service();
    const m = id();
    const [a, b, c] = [packetFor(m, 3600), packetFor(m, 86_400 * 3), packetFor(m)];
    await sut.enqueue([a, b, c]);
    const page = await sut.drain({ mailboxIds: [m], limit: 10 });
    const dayOfB = page.packets[1]!.expiryDay;
    // a: no day; b: its own day; c: the day of b (wrong); and an unknown packet in b's day.
    const refs = [a, { ...b, expiryDay: dayOfB }, { ...c, expiryDay: dayOfB }, { mailboxId: m, packetId: id(), expiryDay: dayOfB }];
    assert.equal(await sut.ack(refs), 3);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets, []);
    assert.deepEqual(await stored(m), []);
    // A ref repeated in one ack deletes once and counts once.
    const d = packetFor(m);
    await sut.enqueue([d]);
    const [drained] = (await sut.drain({ mailboxIds: [m], limit: 10 })).packets;
    assert.equal(await sut.ack([{ ...d, expiryDay: drained!.expiryDay }, { ...d, expiryDay: drained!.expiryDay }, d]), 1);
    assert.deepEqual(await stored(m), []);
    await assert.rejects(sut.ack([{ ...a, expiryDay: -1 }]), InvalidArgumentError);
    await assert.rejects(sut.ack([{ ...a, expiryDay: 1.5 }]), InvalidArgumentError);
    await sut.stop();
  });

  it('deletes refs acked with their seqs by ranges, and never a packet in a range it did not name', async () => {
    const sut = service();
    const [m1, m2] = [id(), id()];
    const a = [packetFor(m1), packetFor(m1), packetFor(m1), packetFor(m1), packetFor(m1)];
    const b = [packetFor(m2), packetFor(m2), packetFor(m2)];
    // Interleaved, so each mailbox's seqs have gaps that belong to the other one.
    await sut.enqueue([a[0]!, b[0]!, a[1]!, b[1]!, a[2]!, a[3]!, b[2]!, a[4]!]);
    const page = await sut.drain({ mailboxIds: [m1, m2], limit: 20 });
    assert.equal(page.packets.length, 8);
    const ref = (p: (typeof page.packets)[number]): AckRef => ({ mailboxId: p.mailboxId, packetId: p.packetId, expiryDay: p.expiryDay, seq: p.seq });
    const of = (m: Uint8Array): Array<(typeof page.packets)[number]> => page.packets.filter((p) => Buffer.compare(p.mailboxId, m) === 0);
    const [p1, p2] = [of(m1), of(m2)];
    // m1: the first and the last (a range over all five) but not the three between; m2: all three.
    assert.equal(await sut.ack([ref(p1[0]!), ...p2.map(ref), ref(p1[4]!)]), 5);
    assert.deepEqual(await stored(m1), [3]);
    assert.deepEqual(await stored(m2), []);
    assert.deepEqual((await sut.drain({ mailboxIds: [m1, m2], limit: 20 })).packets.map((p) => p.seq), [p1[1]!.seq, p1[2]!.seq, p1[3]!.seq]);
    // A wrong seq, a seq past int8, and the same ref twice: each found anyway, each counted once.
    const wrong = [{ ...ref(p1[1]!), seq: p1[3]!.seq + 1000n }, { ...ref(p1[2]!), seq: 2n ** 64n - 1n }, ref(p1[3]!), ref(p1[3]!)];
    assert.equal(await sut.ack(wrong), 3);
    assert.deepEqual(await stored(m1), []);
    assert.deepEqual((await sut.drain({ mailboxIds: [m1, m2], limit: 20 })).packets, []);
    // Another mailbox's packet named with this mailbox (seq and day right): nothing deleted.
    const c = packetFor(m1);
    await sut.enqueue([c]);
    const [dc] = (await sut.drain({ mailboxIds: [m1], limit: 5 })).packets;
    assert.equal(await sut.ack([{ ...ref(dc!), mailboxId: m2 }]), 0);
    assert.deepEqual(await stored(m1), [1]);
    assert.equal(await sut.ackPacked(packAckRefs([ref(dc!)]), packAckSeqs([ref(dc!)])), 1);
    assert.deepEqual(await stored(m1), []);
    // Bad input: seqs that do not match the refs, a negative seq.
    await assert.rejects(sut.ackPacked(packAckRefs([ref(dc!)]), new Uint8Array(7)), InvalidArgumentError);
    await assert.rejects(sut.ackPacked(packAckRefs([ref(dc!)]), new Uint8Array(16)), InvalidArgumentError);
    await assert.rejects(sut.ack([{ ...ref(dc!), seq: -1n }]), InvalidArgumentError);
    await assert.rejects(sut.ack([{ ...ref(dc!), seq: 1 as unknown as bigint }]), InvalidArgumentError);
    await sut.stop();
  });

  it('never lets a cursor skip a packet while enqueue flushes overlap', async () => {
    // Small batches, several flushes in flight: they commit one after another in seq order, so a
    // drain that resumes after the last seq it saw misses nothing.
    const sut = service({ groupCommit: { maxItems: 8, maxDelayMs: 0, maxInFlight: 4 } });
    const m = Array.from({ length: 4 }, id);
    const sent = Array.from({ length: 400 }, (_, i) => packetFor(m[i % 4]!));
    let done = false;
    const enqueued = (async () => {
      try {
        await Promise.all(sent.map(async (p, i) => {
          await new Promise((r) => setTimeout(r, i % 50));
          assert.deepEqual(await sut.enqueue([p]), ['stored']);
        }));
      } finally {
        done = true;
      }
    })();
    const seen: string[] = [];
    let after = 0n;
    for (let last = false; !last; ) {
      last = done;
      // Let timers run: PGlite answers without leaving the microtask queue.
      await new Promise((r) => setImmediate(r));
      for (;;) {
        const page = await sut.drain({ mailboxIds: m, afterSeq: after, limit: 50 });
        for (const p of page.packets) {
          assert.ok(p.seq > after);
          after = p.seq;
          seen.push(Buffer.from(p.packetId).toString('hex'));
        }
        if (!page.more) break;
      }
    }
    await enqueued;
    assert.ok(sut.stats().enqueueBatches > 10, `${sut.stats().enqueueBatches} flushes`);
    assert.equal(seen.length, sent.length);
    assert.deepEqual(new Set(seen), new Set(sent.map((p) => Buffer.from(p.packetId).toString('hex'))));
    await sut.stop();
  });

  it('hides expired packets from drains and drops past days as whole partitions', async () => {
    const clock = new FakeClock(Date.UTC(2031, 0, 10, 12));
    const sut = service({ clock, limits: { ttlSeconds: 3 * 86_400 } });
    await sut.start();
    const m = id();
    const short = packetFor(m, 60);
    const long = packetFor(m); // default = max TTL: 3 days
    const clamped = packetFor(m, 10 * 86_400);
    await sut.enqueue([short, long, clamped]);
    const storedBefore = await sut.storedPackets();

    clock.advance(2 * 60_000);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets.map((p) => p.packetId), [long.packetId, clamped.packetId]);

    clock.advance(DAY_MS);
    const day = dayOf(clock.now() - DAY_MS);
    const partitions = async (): Promise<string[]> =>
      (await h.sql<{ name: string }>(`SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'queue_packets'::regclass`)).map((r) => r.name);
    assert.ok((await partitions()).includes(`queue_packets_p${day}`));
    const { dropped, created } = await sut.expire();
    assert.ok(dropped >= 1, `dropped ${dropped}`);
    assert.ok(created >= 1, `created ${created}`);
    const now = await partitions();
    assert.ok(!now.includes(`queue_packets_p${day}`));
    assert.ok(now.includes(`queue_packets_p${dayOf(clock.now() + 3 * DAY_MS) + 1}`), 'upcoming partitions exist');
    // The dropped packet no longer counts against the cap or in the stats.
    assert.equal(await sut.storedPackets(), storedBefore - 1);

    clock.advance(3 * DAY_MS);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets, []);
    await sut.expire();
    assert.equal((await h.sql('SELECT 1 FROM queue_packets WHERE mailbox_id = $1', [Buffer.from(m)])).length, 0);
    assert.equal((await h.sql('SELECT 1 FROM queue_mailboxes WHERE mailbox_id = $1', [Buffer.from(m)])).length, 0);
    assert.equal((await h.sql('SELECT 1 FROM queue_detached')).length, 0);
    await sut.stop();
  });

  it('past the storage watermark refuses new packets (storage_full) and stores nothing; below it again, stores', async () => {
    const m = id();
    const probe = service();
    await probe.start();
    const before = await probe.checkStorage();
    assert.ok(before > 0, 'the partitions take some bytes');
    await probe.stop();
    const sut = service({ storageLimitBytes: before + 1, storageCheckMs: 60_000 });
    await sut.start();
    assert.equal(sut.storageFull, false);
    // Enough packets to grow the table past the watermark, then measured.
    const filler = Array.from({ length: 100 }, () => ({ ...packetFor(m), packet: payload(4096) }));
    assert.ok((await sut.enqueue(filler)).every((x) => x === 'stored'));
    assert.ok((await sut.checkStorage()) > before + 1);
    assert.equal(sut.storageFull, true);
    const refused = packetFor(m);
    assert.deepEqual(await sut.enqueue([refused, packetFor(id())]), ['storage_full', 'storage_full']);
    assert.equal(sut.stats().storageFull, 2);
    const page = await sut.drain({ mailboxIds: [m], limit: 1000 });
    assert.equal(page.packets.length, 100, "the refused packet was not stored");
    // Drained and acked: the bytes go (partitions shrink as rows go; a check below the mark lets packets in).
    await sut.ack(page.packets);
    const sutNoLimit = service({ storageLimitBytes: Number.MAX_SAFE_INTEGER });
    await sutNoLimit.start();
    assert.deepEqual(await sutNoLimit.enqueue([refused]), ['stored']);
    await sutNoLimit.stop();
    await sut.stop();
  });

  it('recreates a partition that disappeared behind its back and stores the packet', async () => {
    const sut = service();
    const m = id();
    assert.deepEqual(await sut.enqueue([packetFor(m, 3600)]), ['stored']);
    await h.sql(`DROP TABLE ${partitionName(dayOf(Date.now() + 3_600_000))}`);
    assert.deepEqual(await sut.enqueue([packetFor(m, 3600)]), ['stored']);
    assert.equal((await sut.drain({ mailboxIds: [m], limit: 10 })).packets.length, 1);
    await sut.stop();
  });

  it('applies migrations once: running them again does nothing', async () => {
    assert.deepEqual(await h.repo().migrate(), []);
    const versions = await h.sql<{ version: number }>('SELECT version FROM queue_schema_migrations ORDER BY version');
    assert.deepEqual(versions.map((v) => v.version), [1, 2, 3, 4, 5, 6]);
  });

  it('group-commits 1000 concurrent enqueues into a few transactions', async () => {
    const sut = service({ groupCommit: { maxDelayMs: 2, maxItems: 2000 } });
    const m = Array.from({ length: 50 }, id);
    const sent = Array.from({ length: 1000 }, (_, i) => packetFor(m[i % 50]!));
    const results = await Promise.all(sent.map((p) => sut.enqueue([p])));
    assert.ok(results.every((r) => r[0] === 'stored'));
    const { enqueueBatches, largestBatch } = sut.stats();
    assert.ok(enqueueBatches <= 10, `${enqueueBatches} transactions for 1000 enqueues`);
    assert.ok(largestBatch >= 100, `largest batch ${largestBatch}`);
    let drained = 0;
    for (let after = 0n, i = 0; i < 10; i++) {
      const page = await sut.drain({ mailboxIds: m, afterSeq: after, limit: 500 });
      drained += page.packets.length;
      if (!page.more) break;
      after = page.packets.at(-1)!.seq;
    }
    assert.equal(drained, 1000);
    await sut.stop();
  });

  it('keeps every packet whose enqueue resolved across a database crash', async () => {
    const m = id();
    const sent = Array.from({ length: 200 }, () => packetFor(m));
    const before = service();
    await Promise.all(sent.map((p) => before.enqueue([p])));
    await before.stop();
    await h.crash();
    const sut = service();
    const got = await sut.drain({ mailboxIds: [m], limit: 1000 });
    assert.equal(got.packets.length, 200);
    assert.deepEqual(new Set(got.packets.map((p) => Buffer.from(p.packetId).toString('hex'))), new Set(sent.map((p) => Buffer.from(p.packetId).toString('hex'))));
    assert.deepEqual(await sut.enqueue([sent[0]!]), ['duplicate']);
    await sut.stop();
  });

  it('rejects bad input with InvalidArgumentError and stores nothing', async () => {
    const sut = service({ limits: { maxPacketBytes: 1024 } });
    const m = id();
    const bad: Array<[string, () => Promise<unknown>]> = [
      ['empty batch', () => sut.enqueue([])],
      ['short mailbox id', () => sut.enqueue([{ ...packetFor(m), mailboxId: new Uint8Array(15) }])],
      ['long packet id', () => sut.enqueue([{ ...packetFor(m), packetId: new Uint8Array(17) }])],
      ['oversize packet', () => sut.enqueue([{ ...packetFor(m), packet: new Uint8Array(1025) }])],
      ['empty packet', () => sut.enqueue([{ ...packetFor(m), packet: new Uint8Array(0) }])],
      ['negative ttl', () => sut.enqueue([{ ...packetFor(m), ttlSeconds: -1 }])],
      ['too many packets', () => sut.enqueue(Array.from({ length: 1001 }, () => packetFor(m)))],
      ['not bytes', () => sut.enqueue([{ ...packetFor(m), packet: 'hi' as unknown as Uint8Array }])],
      ['limit 0', () => sut.drain({ mailboxIds: [m], limit: 0 })],
      ['huge limit', () => sut.drain({ mailboxIds: [m], limit: 1_000_000 })],
      ['no mailboxes', () => sut.drain({ mailboxIds: [], limit: 10 })],
      ['bad drain id', () => sut.drain({ mailboxIds: [new Uint8Array(8)], limit: 10 })],
      ['negative afterSeq', () => sut.drain({ mailboxIds: [m], afterSeq: -1n, limit: 10 })],
      ['afterSeq past int8', () => sut.drain({ mailboxIds: [m], afterSeq: 2n ** 64n - 1n, limit: 10 })],
      ['empty ack', () => sut.ack([])],
      ['bad ack id', () => sut.ack([{ mailboxId: m, packetId: new Uint8Array(3) }])],
    ];
    for (const [name, call] of bad) await assert.rejects(call(), InvalidArgumentError, name);
    assert.deepEqual((await sut.drain({ mailboxIds: [m], limit: 10 })).packets, []);
    await sut.stop();
  });

  it('answers over an InProcessBus with protobuf payloads and typed errors', async () => {
    const bus = new InProcessBus();
    await busRoundTrip(bus, bus, service);
    await bus.close();
  });
}

/** Enqueue, drain, ack and bad requests from `clientBus` to the queue's controller served on `serverBus` (one bus in-process). */
async function busRoundTrip(serverBus: Bus, clientBus: Bus, service: () => QueueService): Promise<void> {
  const sut = service();
  const client = new BusQueueClient(new BusClientProxy(clientBus));
  class QueueOnBus {}
  const served = await serveOnBus(serverBus, { module: QueueOnBus, controllers: [QueueController], providers: [{ provide: QueueService, useValue: sut }] });
  const raw = (subject: string, bytes: Uint8Array) => clientBus.request(subject, bytes);
  try {
    const m = id();
    const p = packetFor(m, 3600);
    const item = { ...p, ttlSeconds: 3600 };
    // Two enqueues in one tick travel as one request, in order.
    assert.deepEqual(await Promise.all([client.enqueue(item), client.enqueue(item)]), ['stored', 'duplicate']);
    const page = await client.drain([m], 0n, 5);
    assert.equal(page.more, false);
    const packets = unpackPackets(page.page);
    assert.deepEqual(packets.map((x) => Buffer.from(x.packet)), [Buffer.from(p.packet)]);
    assert.equal(typeof packets[0]!.seq, 'bigint');
    assert.ok(Math.abs(packets[0]!.expiryDay - dayOf(Date.now() + 3_600_000)) <= 1);
    // A gateway that predates DrainRequest.packed gets the same page as messages.
    const unpacked = fromBinary(
      queueV1.DrainReplySchema,
      await raw(QUEUE_SUBJECTS.drain, toBinary(queueV1.DrainRequestSchema, create(queueV1.DrainRequestSchema, { mailboxIds: [m], limit: 5 }))),
    );
    assert.equal(unpacked.packed.length, 0);
    assert.deepEqual(unpacked.packets.map((x) => [x.seq, x.expiryDay, Buffer.from(x.packet)]), packets.map((x) => [x.seq, x.expiryDay, Buffer.from(x.packet)]));
    // Acks go as packed refs with their seqs (the range path); an unknown one counts 0.
    assert.equal(await client.ack([{ ...p, expiryDay: packets[0]!.expiryDay, seq: packets[0]!.seq }]), 1);
    const [q1, q2] = [packetFor(m, 3600), packetFor(m, 3600)];
    await Promise.all([q1, q2].map((q) => client.enqueue({ ...q, ttlSeconds: 3600 })));
    const two = unpackPackets((await client.drain([m], 0n, 5)).page);
    assert.equal(await client.ack([...two, { mailboxId: m, packetId: id(), expiryDay: two[0]!.expiryDay }]), 2);
    // More refs than one request may carry are split: 1,500 unknown refs, two requests, none deleted.
    assert.equal(await client.ack(Array.from({ length: 1500 }, () => ({ mailboxId: m, packetId: id(), expiryDay: 1 }))), 0);
    const ackReq = (init: Parameters<typeof create<typeof queueV1.AckRequestSchema>>[1]) =>
      raw(QUEUE_SUBJECTS.ack, toBinary(queueV1.AckRequestSchema, create(queueV1.AckRequestSchema, init)));
    await assert.rejects(ackReq({ packedRefs: new Uint8Array(35) }), InvalidArgumentError);
    await assert.rejects(ackReq({ packedRefs: packAckRefs(two), packedSeqs: new Uint8Array(8) }), InvalidArgumentError);
    await assert.rejects(ackReq({ refs: [{ mailboxId: m, packetId: id() }], packedSeqs: new Uint8Array(8) }), InvalidArgumentError);
    await assert.rejects(ackReq({ refs: [{ mailboxId: m, packetId: id() }], packedRefs: packAckRefs([{ mailboxId: m, packetId: id() }]) }), InvalidArgumentError);
    await assert.rejects(client.drain([m], 0n, 0), InvalidArgumentError);
    await assert.rejects(client.enqueue({ ...item, mailboxId: new Uint8Array(4) }), InvalidArgumentError);
    // Garbage instead of a protobuf message is the caller's fault too.
    await assert.rejects(raw(QUEUE_SUBJECTS.ack, new Uint8Array([0xff, 0xff, 0xff])), InvalidArgumentError);
    await assert.rejects(ackReq({ refs: [] }), InvalidArgumentError);
  } finally {
    await served.close();
    await sut.stop();
  }
}

describe(QueueService.name, () => {
  describe('over PostgreSQL', () => {
    let server: PostgresServer;
    let repo: PgQueueRepository;
    let admin: pg.Pool;
    const h: Harness = {
      repo: () => repo,
      sql: async (text, params) => (await admin.query(text, params)).rows,
      crash: async () => {
        await server.restart({ signal: 'SIGKILL' });
      },
    };
    before(async () => {
      server = await startPostgres();
      admin = new pg.Pool({ connectionString: server.url, max: 2 });
      admin.on('error', () => {});
      repo = new PgQueueRepository({ url: server.url, maxConnections: 4 }); // COPY path
      await repo.migrate();
    });
    after(async () => {
      await repo?.close();
      await admin?.end();
      await server?.stop();
    });

    sharedSpec(h);

    it('reads drain pages by binary COPY, byte for byte the bytea of queue_drain, and refuses other COPY data', async () => {
      const sut = new QueueService({ repository: repo, groupCommit: { maxDelayMs: 1 } });
      const m = id();
      // Bytes that text would escape or mangle: every byte value, and NUL bytes.
      await sut.enqueue([{ mailboxId: m, packetId: id(), packet: new Uint8Array(256).map((_, i) => i) }, packetFor(m)]);
      const now = Date.now();
      const { packed } = await sut.drainPacked({ mailboxIds: [m], limit: 10 });
      const [row] = await h.sql<{ page: Buffer }>('SELECT queue_drain($1, 0, 10, $2, $3) AS page', [Buffer.from(m), now, dayOf(now)]);
      assert.ok(packed.length > 512);
      assert.deepEqual(Buffer.from(packed), row!.page);
      // Nothing due: NULL, an empty page.
      assert.equal((await sut.drainPacked({ mailboxIds: [id()], limit: 10 })).packed.length, 0);
      const head = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
      const field = (n: number, bytes: number[]): Buffer => {
        const b = Buffer.alloc(6);
        b.writeInt16BE(n);
        b.writeInt32BE(bytes.length, 2);
        return Buffer.concat([b, Buffer.from(bytes)]);
      };
      const end = Buffer.from([0xff, 0xff]);
      const one = (...parts: Buffer[]): Buffer[] => [Buffer.concat(parts)];
      assert.deepEqual([...binaryCopyField(one(head, field(1, [7, 8]), end))], [7, 8]);
      assert.equal(binaryCopyField(one(head, end)).length, 0);
      assert.throws(() => binaryCopyField(one(Buffer.from('PGCOPY\n'), Buffer.alloc(20))), /signature/);
      assert.throws(() => binaryCopyField(one(head, field(2, [7, 8]), end)), /1 field/);
      assert.throws(() => binaryCopyField(one(head, field(1, [7, 8]))), /one row/);
      assert.throws(() => binaryCopyField(one(head, field(1, [7, 8]), field(1, [9]), end)), /one row/);
      assert.throws(() => binaryCopyField(one(head, field(1, [7, 8]), end, end)), /one row/);
      // In chunks, as the driver hands them over: the row in one and the trailer in the next (what
      // PostgreSQL sends) is read in place; any other cut gives the same answers as one chunk.
      const rowChunk = Buffer.concat([head, field(1, [7, 8])]);
      const inPlace = binaryCopyField([rowChunk, end]);
      assert.deepEqual([...inPlace], [7, 8]);
      assert.equal(inPlace.buffer, rowChunk.buffer, 'the field is a view of the chunk, not a copy');
      assert.deepEqual([...binaryCopyField([rowChunk.subarray(0, rowChunk.length - 1), Buffer.concat([rowChunk.subarray(rowChunk.length - 1), end])])], [7, 8]);
      assert.deepEqual([...binaryCopyField([head, field(1, [7, 8]), end.subarray(0, 1), end.subarray(1)])], [7, 8]);
      assert.equal(binaryCopyField([head, end]).length, 0);
      assert.throws(() => binaryCopyField([rowChunk]), /one row/);
      assert.throws(() => binaryCopyField([rowChunk, field(1, [9]), end]), /one row/);
      assert.throws(() => binaryCopyField([rowChunk, end, end]), /one row/);
      assert.throws(() => binaryCopyField([Buffer.concat([head, field(2, [7, 8])]), end]), /1 field/);
      await sut.stop();
    });

    it('acks a range reading that range only, not the mailbox, with the plan made over empty partitions', async () => {
      // The plan of queue_ack_ranges is generic and made once per connection, as warm() makes it at
      // start: over partitions holding nothing. A key that also served `mailbox_id = m` then looked
      // as good as the (mailbox_id, seq) index, and every ack read its whole mailbox (0006).
      // A database of its own: its partitions hold nothing yet, as at a first start.
      await h.sql('CREATE DATABASE ack_plan');
      const url = server.url.replace(/\/postgres$/, '/ack_plan');
      const fresh = new PgQueueRepository({ url, maxConnections: 2 });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const plans: string[] = [];
      client.on('notice', (n) => plans.push(n.message ?? ''));
      let sut: QueueService | undefined;
      try {
        await fresh.migrate();
        sut = new QueueService({ repository: fresh, groupCommit: { maxDelayMs: 1 } });
        await sut.start();
        const m = id();
        const call = 'SELECT queue_ack_ranges($1, $2, $3, $4, $5, $6, $7) AS deleted';
        const today = dayOf(Date.now()) + 30;
        await client.query('BEGIN');
        assert.equal((await client.query(call, [Buffer.from(id()), [today], [1], [2], [1], Buffer.from(id()), Buffer.alloc(0)])).rows[0].deleted, 0);
        await client.query('ROLLBACK');
        for (let i = 0; i < 3; i++) await sut.enqueue(Array.from({ length: 1000 }, () => packetFor(m)));
        const page = (await sut.drain({ mailboxIds: [m], limit: 5 })).packets;
        assert.equal(page.length, 5);
        await client.query("LOAD 'auto_explain'");
        await client.query("SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on; SET auto_explain.log_nested_statements = on; SET auto_explain.log_format = json; SET client_min_messages = log");
        const args = [Buffer.from(m), [page[0]!.expiryDay], [String(page[0]!.seq)], [String(page[4]!.seq)], [5], Buffer.concat(page.map((p) => p.packetId)), Buffer.alloc(0)];
        assert.equal((await client.query(call, args)).rows[0].deleted, 5);
        const del = plans.find((p) => p.includes('DELETE FROM queue_packets'));
        assert.ok(del, `the DELETE's plan was reported: ${plans.length} plans`);
        // Rows each scan of queue_packets read: those it returned and those its filter dropped.
        const read: number[] = [];
        const walk = (node: Record<string, unknown>): void => {
          if (String(node['Relation Name'] ?? '').startsWith('queue_packets')) read.push(Number(node['Actual Rows']) + Number(node['Rows Removed by Filter'] ?? 0));
          for (const child of (node['Plans'] as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(JSON.parse(del.slice(del.indexOf('{'))).Plan);
        assert.ok(read.length > 0 && read.every((n) => n <= 10), `rows read per scan: ${read.join(', ')} (the mailbox holds 3000)`);
        assert.deepEqual((await client.query('SELECT stored FROM queue_mailboxes WHERE mailbox_id = $1', [Buffer.from(m)])).rows.map((r) => r.stored), [2995]);
      } finally {
        // Stopped whatever failed above: its timers would otherwise hold the test process open.
        await sut?.stop();
        await client.end();
        await fresh.close();
        await h.sql('DROP DATABASE ack_plan');
      }
    });

    it('fails fast with UnavailableError while the database is down, and recovers', async () => {
      const sut = new QueueService({ repository: repo, groupCommit: { maxDelayMs: 1 } });
      const m = id();
      await sut.enqueue([packetFor(m)]);
      await server.kill({ signal: 'SIGKILL' });
      try {
        await assert.rejects(sut.enqueue([packetFor(m)]), UnavailableError);
        await assert.rejects(sut.drain({ mailboxIds: [m], limit: 1 }), UnavailableError);
      } finally {
        await server.start();
      }
      assert.deepEqual(await sut.enqueue([packetFor(m)]), ['stored']);
      assert.equal((await sut.drain({ mailboxIds: [m], limit: 10 })).packets.length, 2);
      await sut.stop();
    });

    it('applies migrations exactly once when replicas boot at the same time', async () => {
      await admin.query('CREATE DATABASE queue_migrate_race');
      const url = server.url.replace(/\/postgres$/, '/queue_migrate_race');
      const replicas = Array.from({ length: 4 }, () => new PgQueueRepository({ url, maxConnections: 1 }));
      try {
        const applied = await Promise.all(replicas.map((r) => r.migrate()));
        assert.deepEqual(applied.flat(), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(await replicas[0]!.migrate(), []);
      } finally {
        await Promise.all(replicas.map((r) => r.close()));
      }
    });

    it('refuses to boot when an applied migration file has changed', async () => {
      const client = await admin.connect();
      const conn = {
        query: async <R>(text: string, params?: readonly unknown[]) => (await client.query(text, params as unknown[])).rows as R[],
        exec: async (text: string) => void (await client.query(text)),
      };
      try {
        const edited = (await loadMigrations(QUEUE_MIGRATIONS_DIR)).map((m) => ({ ...m, checksum: 'edited' }));
        await assert.rejects(runMigrations(conn, edited, QUEUE_MIGRATE_OPTIONS), /changed after it was applied/);
      } finally {
        client.release();
      }
    });

    it('answers over NatsBus between two connections', async () => {
      const nats = await startNats({ jetstream: false });
      const [serverBus, clientBus] = await Promise.all([
        NatsBus.connect({ url: nats.url, name: 'queue-test' }),
        NatsBus.connect({ url: nats.url, name: 'gateway-test' }),
      ]);
      try {
        await busRoundTrip(serverBus, clientBus, () => new QueueService({ repository: repo, groupCommit: { maxDelayMs: 1 } }));
      } finally {
        await Promise.all([serverBus.close(), clientBus.close()]);
        await nats.stop();
      }
    });
  });

  describe('over PGlite', () => {
    let dir: string;
    let repo: RawPglite;
    const h: Harness = {
      repo: () => repo,
      sql: (text, params) => repo.raw(text, params),
      // PGlite runs in this process, so a crash here is the close-less reopen of a copy of the
      // folder taken while open: what a SIGKILL leaves on disk.
      crash: async () => {
        const copy = `${dir}-crash`;
        cpSync(dir, copy, { recursive: true });
        await repo.close();
        rmSync(dir, { recursive: true, force: true });
        cpSync(copy, dir, { recursive: true });
        rmSync(copy, { recursive: true, force: true });
        repo = await RawPglite.open(dir);
      },
    };
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tacit-queue-pglite-'));
      repo = await RawPglite.open(dir);
    });
    after(async () => {
      await repo?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    sharedSpec(h);
  });
});
