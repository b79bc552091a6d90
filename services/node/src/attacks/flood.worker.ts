// One anonymous client's flood (issue 12, attack 3), run in a worker thread of the spec's process:
// the attacker's own work (building and writing frames, reading the answers) must not stall the
// event loop that times the bystander's round trips. Runs until told to stop (or its deadline), then
// reports what the relay answered it.
import { randomBytes, randomFillSync } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import { encodeClientFrame, PACKET_HEADER_LEN, PACKET_MAILBOX_ID_AT, ServerFrameType } from '@tacit/protocol';
import { claimFrame, RawWs, sendFrame, wsFrame } from './wire.js';

/** Which flood, from where, for how long. */
export interface FloodOrder {
  kind: 'bad-claims' | 'reclaims' | 'fresh-claims' | 'big-sends';
  port: number;
  /** The attacker's address (its own limits' key). */
  from: string;
  /** Connections kept open at once. */
  conns: number;
  /** Stops by itself after this long, whatever happens. */
  maxMs: number;
  /**
   * Wait between frames on a connection (ms): an attacker that stays just inside the limits, so
   * the relay keeps its connections open. Unset: as fast as the socket takes them.
   */
  paceMs?: number;
  /** reclaims: the mailbox owner's secret and public key, and the 1,024 dests each connection claims. */
  identity?: { secretKey: Uint8Array; publicKey: Uint8Array };
  dests?: Uint8Array[];
  ns?: Uint8Array;
  /**
   * Claims written on each connection before it is dropped for a new one (fresh-claims: 4); the
   * connection then waits for their answers and stays `lingerMs` more (reading what it is sent).
   */
  perConn?: number;
  lingerMs?: number;
}

/** What the relay did to the flood. */
export interface FloodReport {
  /** Frames written. */
  frames: number;
  /** Connections opened, and upgrades refused (by status). */
  opened: number;
  refused: Record<number, number>;
  /** Close codes the relay sent, counted. */
  closes: Record<number, number>;
  /** ERROR codes counted, and CLAIMED / ACCEPTED frames. */
  errors: Record<number, number>;
  claimed: number;
  accepted: number;
  delivered: number;
}

const order = workerData as FloodOrder;
const report: FloodReport = { frames: 0, opened: 0, refused: {}, closes: {}, errors: {}, claimed: 0, accepted: 0, delivered: 0 };
let stopping = false;
// Told to stop, it reports at once (connections still open are cut when the worker is terminated).
parentPort!.on('message', (m) => {
  if (m !== 'stop' || stopping) return;
  stopping = true;
  parentPort!.postMessage(report);
});
const deadline = Date.now() + order.maxMs;
const done = () => stopping || Date.now() > deadline;
const inc = (o: Record<number, number>, k: number) => void (o[k] = (o[k] ?? 0) + 1);

/**
 * The frames this flood writes on one connection (its challenge known), built once: the attacker
 * spends its CPU on writing, not on building.
 */
function framesFor(raw: RawWs): () => Buffer {
  switch (order.kind) {
    case 'bad-claims': {
      // 1,024 random dests under a random key and a signature that proves nothing: a signature check each.
      const bad = encodeClientFrame({ type: 'claim', requestId: 1, peerKey: randomBytes(32), signature: randomBytes(64), dests: Array.from({ length: 1024 }, () => randomBytes(32)) });
      const frame = wsFrame(bad);
      return () => frame;
    }
    case 'reclaims': {
      // The same valid claim again and again: every repeat is proven, none is new.
      const frame = wsFrame(claimFrame(1, order.identity!, raw.challenge!, order.dests!));
      return () => frame;
    }
    case 'fresh-claims': {
      // 1,024 new mailboxes of the attacker's own each time, proven: up to GATEWAY_MAX_CLAIMS a
      // connection (then a new connection), until the address holds its share — and on.
      const identity = order.identity!;
      let i = 0;
      return () => wsFrame(claimFrame(++i, identity, raw.challenge!, Array.from({ length: 1024 }, () => randomBytes(32))));
    }
    case 'big-sends': {
      // 64 KiB to a random mailbox nobody holds (each one queued, if the relay lets it): the
      // template's mailbox id and packet id (32 bytes, side by side) made random in each copy.
      const template = wsFrame(sendFrame(order.ns!, randomBytes(32), 0, randomBytes(65_536)));
      const ids = template.length - (1 + PACKET_HEADER_LEN + 65_536) + 1 + PACKET_MAILBOX_ID_AT;
      return () => {
        const f = Buffer.from(template);
        randomFillSync(f, ids, 32);
        return f;
      };
    }
  }
}

/** One connection's life: open, HELLO, flood until the relay closes it or the flood ends. */
async function oneConnection(): Promise<void> {
  const raw = await RawWs.open(order.port, order.from);
  if (raw.status !== 101) {
    inc(report.refused, raw.status);
    await new Promise((r) => setTimeout(r, 20));
    return;
  }
  report.opened++;
  let answers = 0;
  raw.onMessage = (msg) => {
    if (msg[0] === ServerFrameType.CLAIMED || msg[0] === ServerFrameType.ERROR) answers++;
    if (msg[0] === ServerFrameType.CLAIMED) report.claimed++;
    else if (msg[0] === ServerFrameType.ACCEPTED) report.accepted += msg.readUInt16BE(1);
    else if (msg[0] === ServerFrameType.DELIVER) report.delivered++;
    else if (msg[0] === ServerFrameType.ERROR) inc(report.errors, msg.readUInt16BE(1));
  };
  try {
    await raw.hello();
  } catch {
    raw.destroy();
    return;
  }
  const next = framesFor(raw);
  // A connection holds 4,096 claims at most (GATEWAY_MAX_CLAIMS): past that a fresh claim is refused before any work.
  const max = order.perConn ?? (order.kind === 'fresh-claims' ? 4 : Infinity);
  for (let i = 1; i <= max && raw.open && !done(); i++) {
    const ok = raw.write(next());
    report.frames++;
    // Writes as fast as the socket takes them: the relay's limits, not the attacker's manners, decide.
    if (order.paceMs) await new Promise((r) => setTimeout(r, order.paceMs));
    else if (!ok) await raw.drained(100);
    else if (i % 16 === 0) await new Promise((r) => setImmediate(r));
  }
  // A connection of a few claims stays until they are answered (≤ 2 s) — dropped at once, the relay
  // would give up deriving them, and the flood would spare it — and `lingerMs` after.
  if (max !== Infinity) {
    await raw.waitFor(() => answers >= max || !raw.open || done(), 2000);
    if (order.lingerMs) await raw.waitFor(() => !raw.open || done(), order.lingerMs);
  }
  if (raw.closeCode !== undefined) inc(report.closes, raw.closeCode);
  raw.destroy();
}

async function lane(): Promise<void> {
  while (!done()) await oneConnection();
}

await Promise.all(Array.from({ length: order.conns }, lane));
if (!stopping) parentPort!.postMessage(report);
