// Driver for the MeshWhisper relay (@meshwhisper/node 0.2.1), from its source (dist/index.js):
// - a text frame {"type":"hello","destHashes":["<16 hex>"]} registers the socket for those
//   8-byte hashes and immediately pushes everything queued for them (rows deleted before send);
// - a binary frame is a packet: 31-byte big-endian header (version u8, flags u8, destHash 8,
//   senderEphId 16, ttl u8, payloadLen u32) + payload. The relay stores every packet in SQLite
//   first, forwards it if a socket holds the hash, and deletes the row once ws.send succeeded.
// Neither hello nor packets are acknowledged, so registration and queue depth are read from
// GET /health ({clients, storedBlobs}).
import type { CreateDriver, DriverSender, LoadDriver } from '../load/driver.js';
import { closeWebSocket, openWebSocket } from './ws-client.js';
import { setTimeout as sleep } from 'node:timers/promises';

/** Bytes of the MeshWhisper packet header. */
export const MW_HEADER_BYTES = 31;

/** The 8-byte destination hash of pair `pair` as 16 hex digits. */
export function mwDestHash(pair: number): string {
  const b = Buffer.alloc(8);
  b.writeUInt32BE(0xbe7c_0000, 0);
  b.writeUInt32BE(pair, 4);
  return b.toString('hex');
}

/** Frames `payload` as a MeshWhisper data packet (version 1, flags 1 = data, ttl 8). */
export function mwEncodePacket(destHashHex: string, senderId: Uint8Array, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(MW_HEADER_BYTES + payload.byteLength);
  frame.writeUInt8(1, 0);
  frame.writeUInt8(1, 1);
  frame.write(destHashHex, 2, 8, 'hex');
  frame.set(senderId.subarray(0, 16), 10);
  frame.writeUInt8(8, 26);
  frame.writeUInt32BE(payload.byteLength, 27);
  frame.set(payload, MW_HEADER_BYTES);
  return frame;
}

/** The payload of a MeshWhisper packet, or `null` when the frame is short or inconsistent. */
export function mwDecodePacket(frame: Uint8Array): Uint8Array | null {
  if (frame.byteLength < MW_HEADER_BYTES) return null;
  const len = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getUint32(27);
  if (MW_HEADER_BYTES + len > frame.byteLength) return null;
  return frame.subarray(MW_HEADER_BYTES, MW_HEADER_BYTES + len);
}

interface Health {
  clients: number;
  storedBlobs: number;
}

async function health(url: string): Promise<Health> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return (await res.json()) as Health;
}

/** Creates the MeshWhisper driver; `options.healthUrl` is the node's GET /health. */
export const createDriver: CreateDriver = (options): LoadDriver => {
  const healthUrl = String(options['healthUrl'] ?? '');
  return {
    async openReceiver(pair, url, onPayload, connect) {
      const ws = await openWebSocket(url, connect);
      ws.on('message', (data: Buffer, isBinary) => {
        if (!isBinary) return;
        const payload = mwDecodePacket(data);
        if (payload) onPayload(payload);
      });
      ws.send(JSON.stringify({ type: 'hello', destHashes: [mwDestHash(pair)] }));
      return { close: () => closeWebSocket(ws) };
    },

    async openSender(pair, url, _onAccepted, connect): Promise<DriverSender> {
      const ws = await openWebSocket(url, connect);
      const dest = mwDestHash(pair);
      const senderId = Buffer.alloc(16);
      senderId.write('bench-tx', 0, 'latin1');
      senderId.writeUInt32BE(pair, 12);
      return {
        acknowledges: false,
        send: (payload) => ws.send(mwEncodePacket(dest, senderId, payload), { binary: true }),
        close: () => closeWebSocket(ws),
      };
    },

    async awaitReceivers(count, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let clients = 0;
      for (;;) {
        try {
          clients = (await health(healthUrl)).clients;
        } catch {
          // busy: ask again
        }
        if (clients >= count) return;
        if (Date.now() > deadline) throw new Error(`meshwhisper: ${clients}/${count} clients after ${timeoutMs} ms`);
        await sleep(20);
      }
    },

    async queuedCount() {
      return (await health(healthUrl)).storedBlobs;
    },
  };
};
