// Fuzz target: deliverPage, where a gateway reads a drained page (DrainReply.packed from the queue)
// in place and turns it into DELIVER frames, on arbitrary bytes, against unpackPackets (the reader
// the proto package defines). Checks: deliverPage fails (RangeError, before it takes anything)
// exactly when unpackPackets does; otherwise it counts the same packets, takes each packet not
// already out once, writes exactly the DELIVER frames of those packets as whole WebSocket frames,
// and moves the cursor to the last seq.
import { packPackets, unpackPackets, type PackedPacket } from '@tacit/proto';
import { ServerFrameType } from '@tacit/protocol';
import type { ClientConnection } from '../connection.js';
import { deliverPage } from '../drainer.js';
import { keyOf } from '../keys.js';
import { expect } from './_fuzz.js';

/** The part of a connection deliverPage uses: it takes a packet id once, like the real one. */
class StandInConnection {
  drainSeq = 0n;
  readonly taken = new Set<string>();
  readonly takes: { key: string; mailboxId: string; day: number; seq: number }[] = [];
  readonly written: Buffer[] = [];

  takeQueued(key: string, mailboxId: Uint8Array, expiryDay: number, seq: number): boolean {
    this.takes.push({ key, mailboxId: Buffer.from(mailboxId).toString('hex'), day: expiryDay, seq });
    if (this.taken.has(key)) return false;
    this.taken.add(key);
    return true;
  }

  sendFrames(frames: Uint8Array): boolean {
    this.written.push(Buffer.from(frames));
    return true;
  }
}

/** The payloads of the unmasked, final binary frames in `out`. */
function framesOf(out: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let o = 0; o < out.length; ) {
    expect(out[o] === 0x82, 'not a final binary frame');
    let len = out[o + 1]!;
    let hl = 2;
    if (len === 126) [len, hl] = [out.readUInt16BE(o + 2), 4];
    else if (len === 127) [len, hl] = [Number(out.readBigUInt64BE(o + 2)), 10];
    expect(o + hl + len <= out.length, 'a cut frame');
    frames.push(out.subarray(o + hl, o + hl + len));
    o += hl + len;
  }
  return frames;
}

export function fuzz(data: Uint8Array): void {
  let packets: PackedPacket[] | undefined;
  try {
    packets = unpackPackets(data);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
  }
  const conn = new StandInConnection();
  let count: number;
  try {
    count = deliverPage(conn as unknown as ClientConnection, data);
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    expect(packets === undefined, 'deliverPage refused a page unpackPackets reads');
    expect(conn.takes.length === 0 && conn.written.length === 0, 'deliverPage took packets from a page it refused');
    return;
  }
  expect(packets !== undefined, 'deliverPage read a page unpackPackets refuses');
  expect(count === packets.length, `deliverPage counted ${count} packets, unpackPackets ${packets.length}`);
  expect(conn.takes.length === packets.length, 'a packet was not offered to the connection');
  const sent: Buffer[] = [];
  const seen = new Set<string>();
  packets.forEach((p, i) => {
    const t = conn.takes[i]!;
    const seq = Number(p.seq >> 32n) * 2 ** 32 + Number(p.seq & 0xffff_ffffn);
    expect(t.key === keyOf(p.packetId) && t.mailboxId === Buffer.from(p.mailboxId).toString('hex') && t.day === p.expiryDay && t.seq === seq, `packet ${i} offered with other ids, day or seq`);
    if (!seen.has(t.key)) {
      seen.add(t.key);
      sent.push(Buffer.concat([Buffer.from([ServerFrameType.DELIVER]), p.packet]));
    }
  });
  const frames = conn.written.flatMap(framesOf);
  expect(conn.written.length === (sent.length > 0 ? 1 : 0), 'the page went out in more than one write');
  expect(frames.length === sent.length && frames.every((f, i) => f.equals(sent[i]!)), 'the DELIVER frames differ from the packets taken');
  // Pages come in seq order, so the last packet's seq is where the drain goes on from.
  const last = packets.at(-1)?.seq ?? 0n;
  expect(conn.drainSeq === last, 'the cursor is not at the last seq');
}

const _id = (b: number) => new Uint8Array(16).fill(b);

/** Pages of zero, one and four packets (one repeated, two mailboxes), and one cut short. */
export function seeds(): Uint8Array[] {
  const four: PackedPacket[] = [1, 2, 2, 3].map((i, n) => ({ seq: BigInt(10 + n), expiryDay: 20_000 + i, mailboxId: _id(i % 2), packetId: _id(16 + i), packet: new Uint8Array(74 + 256 * i).fill(i) }));
  const page = packPackets(four);
  return [new Uint8Array(0), packPackets(four.slice(0, 1)), page, page.subarray(0, page.length - 7)];
}
