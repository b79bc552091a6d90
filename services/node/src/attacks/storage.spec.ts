// Issue 12, attack 5: storage without quota. Before the fix only a mailbox had a cap: random mailbox
// ids cost a sender nothing, and one connection grew the data folder from 41 to 262 MiB in 50 s. Now
// what one client address makes the relay queue is charged per hour (GATEWAY_IP_QUEUE_BYTES_PER_HOUR:
// past it its sends are RATE_LIMITED and nothing is stored), and a storage watermark
// (QUEUE_STORAGE_LIMIT) turns new packets away with STORAGE_FULL (UNAVAILABLE on the wire) and
// fails readiness.
//
// Against the one-container node in its own process; the data folder is measured as `du` does
// (allocated blocks), before and after.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ErrorCode, ServerFrameType } from '@tacit/protocol';
import { procs } from '../procs.js';
import { AttackNode, MiB, sleep } from './harness.js';
import { RawWs, sendFrame } from './wire.js';

/**
 * An address's hourly storage quota, lowered from 256 MiB: the embedded database writes ~3 MiB of
 * 64 KiB packets a second on this machine, so the default would take the spec minutes to reach.
 */
const QUOTA = 8 * MiB;
/** Packets the attacker tries to queue: 64 KiB each, 62.5 MiB in all — eight times the quota. */
const ATTEMPTS = 1000;
const PACKET = 65_536;
/**
 * The data folder grows by about twice what is queued (the packet in its table and in the
 * write-ahead log; measured 2.0–2.1× for 19–125 MiB of 64 KiB packets), and the log grows by 16 MiB
 * segments. Bound: 2.5 × what the quota lets in, plus one segment. Without the quota the attempts
 * would grow it by ~130 MiB.
 */
const diskBound = (queued: number) => 2.5 * queued + 16 * MiB;
/**
 * The watermark: just above what the quota phase leaves stored (~9 MiB of packets, tables and
 * indexes), so a second address crosses it. Measured every 10 s by the queue.
 */
const STORAGE_LIMIT = 12 * MiB;

const ns = new Uint8Array(32).fill(5);

/** Hours (quota windows) that `t0`..now spans: the quota is per fixed hour, so a run across the hour may queue twice. */
const hoursSpanned = (t0: number) => Math.floor(Date.now() / 3_600_000) - Math.floor(t0 / 3_600_000) + 1;

/**
 * One attacker address sending `count` 64 KiB packets to random mailboxes, 64 unanswered at most,
 * opening a new connection whenever the relay cuts it off (4429), for at most `maxMs`. Resolves to
 * the packets ACCEPTED and the error codes it got.
 */
async function flood(node: AttackNode, from: string, count: number, maxMs: number): Promise<{ accepted: number; errors: Map<number, number>; messages: Map<number, string>; connections: number }> {
  const payload = randomBytes(PACKET);
  const frames = Array.from({ length: count }, () => sendFrame(ns, randomBytes(32), 0, payload));
  const errors = new Map<number, number>();
  const messages = new Map<number, string>();
  let accepted = 0;
  let next = 0;
  let connections = 0;
  const end = Date.now() + maxMs;
  while (next < frames.length && Date.now() < end) {
    // Unanswered sends on a connection the relay cut off are sent again on the next.
    const raw = await RawWs.open(node.port, from);
    if (raw.status !== 101) {
      await sleep(100);
      continue;
    }
    connections++;
    await raw.hello();
    let answered = 0;
    let sent = 0;
    raw.onMessage = (msg) => {
      if (msg[0] === ServerFrameType.ACCEPTED) {
        const n = msg.readUInt16BE(1);
        accepted += n;
        answered += n;
      } else if (msg[0] === ServerFrameType.ERROR) {
        const code = msg.readUInt16BE(1);
        errors.set(code, (errors.get(code) ?? 0) + 1);
        // ERROR: type, code u16, ref (16 bytes), message length u16, message.
        if (!messages.has(code)) messages.set(code, msg.subarray(21, 21 + msg.readUInt16BE(19)).toString('utf8'));
        answered++;
      }
    };
    while (raw.open && (next < frames.length || answered < sent) && Date.now() < end) {
      while (sent - answered < 64 && next < frames.length) {
        raw.send(frames[next++]!);
        sent++;
      }
      const seen = answered;
      await raw.waitFor(() => answered !== seen, 200);
    }
    next -= sent - answered;
    raw.destroy();
  }
  return { accepted, errors, messages, connections };
}

describe('attack 5: storage is bounded per sender and in all', { timeout: 180_000 }, () => {
  let node: AttackNode;
  before(async () => {
    // The per-second rate of queued bytes (GATEWAY_IP_QUEUE_BYTE_RATE, 256 KiB by default: attack 3's
    // bound, starve.spec.ts) is lifted here: this spec reaches the hourly quota and the watermark
    // within seconds, which that rate would stretch to minutes.
    node = await AttackNode.start({ GATEWAY_IP_QUEUE_BYTES_PER_HOUR: String(QUOTA), QUEUE_STORAGE_LIMIT: String(STORAGE_LIMIT), GATEWAY_IP_QUEUE_BYTE_RATE: String(64 * MiB) });
  });
  after(async () => {
    await node?.stop();
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  it(`one address sending ${ATTEMPTS} × 64 KiB to random mailboxes queues its hourly quota and no more`, async () => {
    const disk0 = node.diskBytes();
    const t0 = Date.now();
    const r = await flood(node, '127.0.0.2', ATTEMPTS, 30_000);
    // Let the last commits and checkpoints land before measuring.
    await sleep(2000);
    const grew = node.diskBytes() - disk0;
    const queued = r.accepted * (PACKET + 74);
    const allowed = hoursSpanned(t0) * QUOTA;
    console.log(`accepted ${r.accepted} (${(queued / MiB).toFixed(1)} MiB), errors ${JSON.stringify([...r.errors])}, ${r.connections} connections; data folder +${(grew / MiB).toFixed(1)} MiB (bound ${(diskBound(allowed) / MiB).toFixed(1)} MiB)`);
    assert.ok(queued <= allowed, `queued ${queued} bytes > the quota ${allowed}`);
    assert.ok(queued > QUOTA / 2, 'the quota was reached, not something else');
    assert.ok((r.errors.get(ErrorCode.RATE_LIMITED) ?? 0) > 0, 'the rest refused RATE_LIMITED');
    assert.match(r.messages.get(ErrorCode.RATE_LIMITED)!, /hourly share of storage/);
    assert.ok(grew <= diskBound(allowed), `the data folder grew ${(grew / MiB).toFixed(1)} MiB`);
  });

  it('past the storage watermark new packets get UNAVAILABLE (STORAGE_FULL), readiness fails, and the folder stops growing', async () => {
    // A second address with a quota of its own takes the stored bytes past the watermark.
    const r = await flood(node, '127.0.0.3', ATTEMPTS, 30_000);
    console.log(`second address: accepted ${r.accepted}, errors ${JSON.stringify([...r.errors])}`);
    // The queue measures what is stored every 10 s.
    let ready = await node.get('/readyz');
    for (let i = 0; i < 150 && ready.status === 200; i++) {
      await sleep(100);
      ready = await node.get('/readyz');
    }
    assert.equal(ready.status, 503, 'readiness fails past the watermark');
    assert.match(ready.text, /storage/);
    const stored = await node.metric('tacit_queue_stored_bytes');
    assert.ok(stored > STORAGE_LIMIT, `tacit_queue_stored_bytes ${stored} shows it`);
    // A third address, well within its own quota, is refused: nothing more is written.
    const disk0 = node.diskBytes();
    const third = await flood(node, '127.0.0.4', 20, 10_000);
    console.log(`third address: accepted ${third.accepted}, errors ${JSON.stringify([...third.errors])}; stored ${(stored / MiB).toFixed(1)} MiB`);
    assert.equal(third.accepted, 0);
    assert.equal(third.errors.get(ErrorCode.UNAVAILABLE), 20);
    assert.match(third.messages.get(ErrorCode.UNAVAILABLE)!, /STORAGE_FULL/);
    await sleep(1000);
    assert.ok(node.diskBytes() - disk0 < 2 * MiB, 'nothing more is stored');
  });
});
