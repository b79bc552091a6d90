// Issue 12, attack 3: one anonymous client slows everyone. Before the fix limits counted frames, not
// work: 1,024-dest CLAIMs with bad signatures took 67 % of a core and moved a bystander's PING from
// 0.6 to 53 ms; repeated CLAIMs restarted the drain over every claimed mailbox (bystander
// SEND→ACCEPTED 6 → 189 ms); 3 s of 64 KiB SENDs put bystander PINGs at 90–920 ms. Now a CLAIM is
// charged one frame per destination, bad proofs close the connection, a repeated claim of held
// mailboxes starts no drain, and bytes are charged per connection and per address (and what an
// address may queue, per hour).
//
// Against the one-container node in its own process: a bystander on 127.0.0.1 times PING→PONG and
// SEND→ACCEPTED, quiet first, then while one attacker on 127.0.0.2 (its own address, so its own
// budgets) floods from a worker thread. The bystander's p99 under each flood must stay within a
// factor of its quiet p99 — or within an absolute allowance above it, whichever is larger: on a
// 2-core machine shared with other spec files, the node, the attacker and the bystander compete for
// the same two cores, and the scheduler alone moves a p99 of a millisecond by tens of them. Its
// median is held to the same bound (see FACTOR).
//
// Three floods starved the node until limits charged what they cost (docs/attacks.md §3): claimed
// destinations per address and second, before the proof, with the mailbox ids derived a slice a turn
// (b2); the mailboxes each drain query reads, per address and second, 128 a query (b'); the bytes an
// address makes the store write per second, its connection not read past it (c).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker } from 'node:worker_threads';
import { CloseCode, currentEpoch, destHash, ErrorCode } from '@tacit/protocol';
import { newMailboxIdentity } from '@tacit/sdk';
import { procs } from '../procs.js';
import { Bystander, type RoundTrips } from './bystander.js';
import type { FloodOrder, FloodReport } from './flood.worker.js';
import { AttackNode, quantile, sleep } from './harness.js';
import { RawWs, sendFrame } from './wire.js';

/** Samples per phase (each a PING and a SEND), and the longest a phase may take. */
const SAMPLES = 200;
const PHASE_MS = 6000;
/** The flood runs this long before the bystander starts timing: its steady state, not its start. */
const RAMP_MS = 1000;
/**
 * p99 under a flood ≤ max(FACTOR × quiet p99, quiet p99 + FLOOR_MS). Quiet p99s measured here:
 * PING 1.4–68 ms, SEND 7–129 ms (p50 0.3–0.7 and 4–10 ms): the spread is the shared machine's (load
 * average 3–12 while measured), not the node's. The factor alone would make a quiet p99 of 1.4 ms a
 * bound of 14 ms, which one scheduler hiccup breaks; hence the floor, which is what one permitted
 * piece of work may cost a bystander: a CLAIM of 1,024 dests is one synchronous piece of 20–30 ms
 * (the proof over 32 KiB, 1,024 BLAKE3 mailbox ids), stretched two- to three-fold when the machine
 * is busy, and a PING that arrives behind it waits for it; p99 of 200 samples is the second-slowest,
 * so any flood of claims puts one there. Measured under the floods (a) and (b): PING p99 1.6–92 ms,
 * SEND p99 9–175 ms; under (b2), (b') and (c) since their limits: PING p99 5–61 ms, SEND p99 39–164 ms.
 *
 * The median is held to the same bound: a quiet phase that a burst of load falls on has a p99, and
 * so a bound, ten times too large (seen: quiet p99 68 and 123 ms let the (b') flood pass on its
 * p99s, 495 and 862 ms), while its median stays at 0.3–10 ms; a flood that starves the node moves
 * the median to hundreds of ms (b': PING p50 176 ms), one that passes leaves it under 15 ms.
 */
const FACTOR = 10;
const FLOOR_MS = 100;

const ns = new Uint8Array(32).fill(3);
const ATTACKER = '127.0.0.2';

function flood(order: FloodOrder): { stop(): Promise<FloodReport> } {
  const worker = new Worker(new URL('./flood.worker.js', import.meta.url), { workerData: order });
  const report = new Promise<FloodReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the flood worker exited (${code}) without a report`)));
  });
  return {
    async stop() {
      worker.postMessage('stop');
      // The worker answers 'stop' at once (its loop only awaits); 10 s means it is stuck.
      let timer: NodeJS.Timeout | undefined;
      const stuck = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the flood worker did not report within 10 s')), 10_000)));
      try {
        return await Promise.race([report, stuck]);
      } finally {
        clearTimeout(timer);
        await worker.terminate();
      }
    },
  };
}

const p99 = (xs: number[]) => quantile(xs, 0.99);
const fmt = (t: RoundTrips) => `PING p50 ${quantile(t.ping, 0.5).toFixed(1)} p99 ${p99(t.ping).toFixed(1)} ms, SEND p50 ${quantile(t.send, 0.5).toFixed(1)} p99 ${p99(t.send).toFixed(1)} ms (n=${t.ping.length})`;

describe('attack 3: one anonymous client cannot starve the others', { timeout: 240_000 }, () => {
  let node: AttackNode;
  let bystander: Bystander;
  let lastQuiet: RoundTrips | undefined;
  before(async () => {
    node = await AttackNode.start({});
    bystander = await Bystander.connect(node.port, ns);
    // Warm up (JIT, the first commits), unmeasured.
    await bystander.measure(50, 5000, 0);
  });
  after(async () => {
    bystander?.close();
    await node?.stop();
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  /**
   * Quiet round trips, then the same while `order` floods, up to `tries` times: passes on the first
   * try within the bounds (the bystander never refused), else fails with every try's figures. Each
   * try measures its own quiet p99 just before its flood: the other spec file running beside this
   * one loads the machine in bursts of seconds, and a burst that falls on a flood phase alone moves
   * its p99 by a hundred ms (seen). A node that starves its bystander fails every try (before their
   * limits (b2), (b') and (c) missed the bound by 1.2–50 times). Resolves to the last try's
   * attacker report and the tries used.
   */
  async function under(
    name: string,
    order: Omit<FloodOrder, 'port' | 'from' | 'maxMs'>,
    opts: { rampMs?: number; phaseMs?: number; tries?: number } = {},
  ): Promise<{ report: FloodReport; tries: number }> {
    const { rampMs = RAMP_MS, phaseMs = PHASE_MS, tries = 3 } = opts;
    const failures: string[] = [];
    for (let i = 1; ; i++) {
      // A single try compares with the last quiet measured.
      const quiet = tries === 1 && lastQuiet ? lastQuiet : await bystander.measure(SAMPLES, PHASE_MS);
      lastQuiet = quiet;
      const f = flood({ ...order, port: node.port, from: ATTACKER, maxMs: rampMs + phaseMs + 5000 });
      await sleep(rampMs);
      const t = await bystander.measure(SAMPLES, phaseMs);
      const report = await f.stop();
      console.log(`${name} (try ${i}): quiet ${fmt(quiet)}; flood ${fmt(t)}; attacker: ${JSON.stringify(report)}`);
      assert.equal(t.refused + quiet.refused, 0, 'the bystander is never refused');
      const over = (['ping', 'send'] as const).flatMap((kind) =>
        ([['p99', 0.99], ['p50', 0.5]] as const).flatMap(([stat, q]) => {
          const [before, during] = [quantile(quiet[kind], q), quantile(t[kind], q)];
          const bound = Math.max(FACTOR * before, before + FLOOR_MS);
          return during <= bound ? [] : [`bystander ${kind.toUpperCase()} ${stat} ${during.toFixed(1)} ms > ${bound.toFixed(1)} ms (quiet ${before.toFixed(1)} ms)`];
        }),
      );
      // Let the relay settle before what comes next.
      await sleep(500);
      if (over.length === 0) return { report, tries: i };
      failures.push(`try ${i}: ${over.join('; ')}`);
      if (i === tries) assert.fail(`${name}:\n${failures.join('\n')}`);
    }
  }

  it('(a) CLAIMs of 1,024 dests with bad signatures, as fast as the socket takes them: charged per dest, closed after a few bad proofs', async () => {
    const { report: r } = await under('bad claims', { kind: 'bad-claims', conns: 4 });
    assert.ok((r.errors[ErrorCode.BAD_PROOF] ?? 0) > 0, 'the claims were checked');
    assert.ok((r.errors[ErrorCode.RATE_LIMITED] ?? 0) > 0 && (r.closes[CloseCode.RATE_LIMITED] ?? 0) > 0, 'and the flood was limited, then cut off (4429)');
  });

  /** 1,024 mailboxes of a fresh owner, one packet waiting in each: a drain over them is real database work. */
  async function filledMailboxes(): Promise<{ owner: ReturnType<typeof newMailboxIdentity>; dests: Uint8Array[] }> {
    const owner = newMailboxIdentity();
    const e0 = currentEpoch(Date.now());
    const epochs = Array.from({ length: 1024 }, (_, i) => e0 - i);
    // From four addresses, 256 packets (~90 KB) each: one address may queue 256 KiB a second
    // (GATEWAY_IP_QUEUE_BYTE_RATE), and the filler is not the attack.
    const frames = epochs.map((e) => sendFrame(ns, owner.publicKey, e, new Uint8Array(256)));
    const accepted = await Promise.all(
      [0, 1, 2, 3].map(async (i) => {
        const filler = await RawWs.open(node.port, `127.0.0.${3 + i}`);
        await filler.hello();
        const n = await filler.sendAll(frames.slice(i * 256, (i + 1) * 256), 1000, 60_000);
        filler.destroy();
        return n;
      }),
    );
    assert.equal(accepted.reduce((a, b) => a + b, 0), 1024);
    return { owner, dests: epochs.map((e) => destHash(ns, owner.publicKey, e)) };
  }

  it('(b) the same valid CLAIM of 1,024 mailboxes holding packets, again and again within the limits: no drain restarts', async () => {
    const { owner, dests } = await filledMailboxes();
    const drained = await node.metric('tacit_gateway_drained_total');
    // Two connections, a claim every 600 ms each: 1,025 frames a claim, so 1,708 of the 2,000 a
    // connection may send per second, and 3,400 of the address's 20,000 — never limited, never cut
    // off. Each connection's first claim drains the 1,024 mailboxes once (before timing starts:
    // RAMP_MS covers it); before the fix every repeat drained them again from the start.
    const { report: r, tries } = await under('repeated claims', { kind: 'reclaims', conns: 2, paceMs: 600, identity: owner, dests }, { rampMs: 3000 });
    assert.ok(r.claimed >= 10, `the claims were proven and answered (${r.claimed})`);
    assert.equal(r.opened, 2, 'never cut off');
    // Each connection's first claim drained the packets (each try's two connections); no repeat
    // drained anything again.
    assert.equal(await node.metric('tacit_gateway_drained_total') - drained, tries * 2 * 1024);
  });

  it('(b2) valid CLAIMs of 1,024 new mailboxes each, as fast as the socket takes them, four per connection: charged per dest against the address\'s claim rate', async () => {
    // What the relay did, from its metrics (the attacker's report misses the answers of claims still
    // being derived when it stopped).
    const [claims, limited] = [await node.metric('tacit_gateway_claims_total'), await node.metric('tacit_gateway_errors_total', `code="${ErrorCode.RATE_LIMITED}"`)];
    const { report: r } = await under('fresh claims', { kind: 'fresh-claims', conns: 4, identity: newMailboxIdentity() });
    const [claimed, refused] = [(await node.metric('tacit_gateway_claims_total')) - claims, (await node.metric('tacit_gateway_errors_total', `code="${ErrorCode.RATE_LIMITED}"`)) - limited];
    console.log(`fresh claims: ${r.frames} claims sent, ${claimed} mailboxes claimed, ${refused} RATE_LIMITED`);
    assert.ok(claimed > 0, 'some claims were proven and served');
    assert.ok(refused > 0, 'and the rest refused before any work (GATEWAY_IP_CLAIM_RATE)');
  });

  it('(b\') the same CLAIM on a new connection each time, each staying 1 s for its drain: each drain is charged to the address, slice by slice', async () => {
    const { owner, dests } = await filledMailboxes();
    // One claim a connection, answered, then 1 s of its drain, then the next connection: a new
    // connection's first claim must drain (that is how a client gets its mail), so each is a drain
    // of the 1,024 mailboxes that hold a packet — ~600 ms of PGlite in one piece before the fix.
    const { report: r } = await under('reclaims, reconnecting', { kind: 'reclaims', conns: 4, identity: owner, dests, perConn: 1, lingerMs: 1000 });
    assert.ok(r.claimed > 0 && r.delivered > 0, `claimed and drained (${r.claimed} claims, ${r.delivered} packets), within the address's GATEWAY_IP_DRAIN_RATE`);
  });

  it('(c) 64 KiB SENDs to random mailboxes as fast as the socket takes them: what the address queues is charged per second', async () => {
    const { report: r } = await under('64 KiB sends', { kind: 'big-sends', conns: 4, ns });
    assert.ok(r.accepted > 0, 'some were queued');
    assert.ok((r.errors[ErrorCode.RATE_LIMITED] ?? 0) > 0, 'the rest refused (GATEWAY_IP_QUEUE_BYTE_RATE)');
  });
});
