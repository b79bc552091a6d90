// Fuzz target: unpackPackets, the reader of DrainReply.packed (a queue's page of packets, read by
// every gateway), on arbitrary bytes. Checks: only RangeError (truncated); each record's views lie
// inside the input; packing what was read gives the input back byte for byte.
import { packPackets, QUEUE_PACKED_HEAD, unpackPackets, type PackedPacket } from '../queue-packed.js';
import { expect, sameBytes } from './_fuzz.js';

export function fuzz(data: Uint8Array): void {
  let packets: PackedPacket[];
  try {
    packets = unpackPackets(data);
  } catch (err) {
    if (err instanceof RangeError && /^packed packets truncated at byte \d+ of \d+$/.test(err.message)) return;
    throw err;
  }
  let size = 0;
  for (const p of packets) {
    expect(p.mailboxId.length === 16 && p.packetId.length === 16, 'an id is not 16 bytes');
    expect(p.packet.buffer === data.buffer, 'a packet is not a view of the input');
    size += QUEUE_PACKED_HEAD + p.packet.length;
  }
  expect(size === data.length, 'records do not cover the input exactly');
  expect(sameBytes(packPackets(packets), data), 'packPackets(unpackPackets(x)) differs from x');
}

const _id = (b: number) => new Uint8Array(16).fill(b);

/** Pages of zero, one and three packets, and one cut short. */
export function seeds(): Uint8Array[] {
  const three: PackedPacket[] = [1, 2, 3].map((i) => ({ seq: BigInt(i), expiryDay: 20_000 + i, mailboxId: _id(i), packetId: _id(16 + i), packet: new Uint8Array(74 + 256 * i).fill(i) }));
  const page = packPackets(three);
  return [new Uint8Array(0), packPackets(three.slice(0, 1)), page, page.subarray(0, page.length - 7)];
}
