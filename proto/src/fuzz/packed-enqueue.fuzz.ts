// Fuzz target: unpackEnqueue, the reader of EnqueueRequest.packed (every packet a gateway queues,
// read by the queue service), on arbitrary bytes. Checks: only RangeError (truncated); each record's
// ids are 16 bytes and every field a view of the input; packing what was read gives the input back
// byte for byte.
import { packEnqueue, QUEUE_ENQUEUE_HEAD, unpackEnqueue, type PackedEnqueueItem } from '../queue-packed.js';
import { expect, sameBytes } from './_fuzz.js';

export function fuzz(data: Uint8Array): void {
  let items: PackedEnqueueItem[];
  try {
    items = unpackEnqueue(data);
  } catch (err) {
    if (err instanceof RangeError && /^packed enqueue truncated at byte \d+ of \d+$/.test(err.message)) return;
    throw err;
  }
  let size = 0;
  for (const p of items) {
    expect(p.mailboxId.length === 16 && p.packetId.length === 16, 'an id is not 16 bytes');
    expect(p.packet.buffer === data.buffer && p.mailboxId.buffer === data.buffer, 'a field is not a view of the input');
    expect(Number.isInteger(p.ttlSeconds) && p.ttlSeconds >= 0 && p.ttlSeconds <= 0xffff_ffff, 'ttlSeconds is not a u32');
    size += QUEUE_ENQUEUE_HEAD + p.packet.length;
  }
  expect(size === data.length, 'records do not cover the input exactly');
  expect(sameBytes(packEnqueue(items), data), 'packEnqueue(unpackEnqueue(x)) differs from x');
}

const _id = (b: number) => new Uint8Array(16).fill(b);

/** Requests of zero, one and three packets (one empty, one with the largest ttl), and one cut short. */
export function seeds(): Uint8Array[] {
  const three: PackedEnqueueItem[] = [0, 1, 2].map((i) => ({ mailboxId: _id(i), packetId: _id(16 + i), ttlSeconds: [0, 3600, 0xffff_ffff][i]!, packet: new Uint8Array(i === 0 ? 0 : 74 + 256 * i).fill(i) }));
  const request = packEnqueue(three);
  return [new Uint8Array(0), packEnqueue(three.slice(1, 2)), request, request.subarray(0, request.length - 7)];
}
