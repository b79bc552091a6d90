// The WebSocket client every driver uses: no compression (it would make the bench measure zlib),
// an optional source address, a bounded handshake.
import WebSocket from 'ws';
import type { ConnectOptions } from '../load/driver.js';

/** Opens a client socket to `url`; resolves when open, rejects on error or after 10 s. */
export function openWebSocket(url: string, options: ConnectOptions = {}, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    ws.binaryType = 'nodebuffer';
    const onError = (err: Error): void => {
      ws.terminate();
      reject(err);
    };
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      // A socket error after open shows up as a close; the load generator counts what is missing.
      ws.on('error', () => ws.terminate());
      resolve(ws);
    });
  });
}

/** Closes without waiting for the closing handshake. */
export function closeWebSocket(ws: WebSocket): void {
  try {
    ws.terminate();
  } catch {
    // already closed
  }
}
