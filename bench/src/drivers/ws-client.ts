// The WebSocket client every driver uses: no compression (it would make the bench measure zlib),
// an optional source address, a bounded handshake, and a close by RST.
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import type { ConnectOptions } from '../load/driver.js';

const sockets = new WeakMap<WebSocket, Socket>();

/** Opens a client socket to `url`; resolves when open, rejects on error or after 10 s. */
export function openWebSocket(url: string, options: ConnectOptions = {}, protocols?: string[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, {
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
    });
    ws.binaryType = 'nodebuffer';
    ws.once('upgrade', (res) => sockets.set(ws, res.socket));
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

/**
 * Closes at once with a TCP RST. A FIN close would leave the port in TIME_WAIT for a minute;
 * after a 10 000-connection row those ports slow every later connect() to a crawl (Linux scans
 * the ephemeral range for a free even port), which would bill one row's cleanup to the next.
 */
export function closeWebSocket(ws: WebSocket): void {
  try {
    const socket = sockets.get(ws);
    if (socket && !socket.destroyed) socket.resetAndDestroy();
    else ws.terminate();
  } catch {
    ws.terminate();
  }
}
