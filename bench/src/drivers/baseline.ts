// Driver for the baseline relay (targets/baseline-relay.ts): register a 16-byte id by a text
// frame and wait for its answer; send a binary frame of destination id + payload.
import type WebSocket from 'ws';
import type { CreateDriver, DriverSender, LoadDriver } from '../load/driver.js';
import { closeWebSocket, openWebSocket } from './ws-client.js';

function idFor(pair: number): Buffer {
  const id = Buffer.alloc(16);
  id.write('bench-rx', 0, 'latin1');
  id.writeUInt32BE(pair, 12);
  return id;
}

/** Creates the baseline driver (no options). */
export const createDriver: CreateDriver = (): LoadDriver => ({
  async openReceiver(pair, url, onPayload, options) {
    const ws = await openWebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('baseline: no "registered" within 10 s')), 10_000);
      ws.on('message', (data: Buffer, isBinary) => {
        if (isBinary) {
          onPayload(data);
        } else if (data.toString('utf8').includes('"registered"')) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.send(JSON.stringify({ type: 'register', id: idFor(pair).toString('hex') }));
    });
    return { close: () => closeWebSocket(ws) };
  },

  async openSender(pair, url, _onAccepted, options): Promise<DriverSender> {
    const ws: WebSocket = await openWebSocket(url, options);
    const dest = idFor(pair);
    return {
      acknowledges: false,
      send(payload) {
        const frame = Buffer.allocUnsafe(16 + payload.byteLength);
        dest.copy(frame, 0);
        frame.set(payload, 16);
        ws.send(frame, { binary: true });
      },
      close: () => closeWebSocket(ws),
    };
  },
});
