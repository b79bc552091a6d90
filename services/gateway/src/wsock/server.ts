// Takes HTTP upgrades over to WebSocket connections: the handshake, then a WsSocket on the raw socket.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { checkUpgrade, refuseUpgrade, switchingProtocols } from './handshake.js';
import { WsSocket, type WsOptions } from './socket.js';

/**
 * A WebSocket server without a listener of its own: it completes upgrades an HTTP server hands it
 * (`server.on('upgrade', …)`). All its connections share `opts`, handlers included, so a connection
 * costs its socket and a small {@link WsSocket}, nothing more. The server keeps no list of them.
 */
export class WsServer<T> {
  constructor(readonly opts: WsOptions<T>) {
    if (!(Number.isSafeInteger(opts.maxPayload) && opts.maxPayload > 0)) {
      throw new RangeError(`"maxPayload" expected a positive integer, got ${opts.maxPayload}`);
    }
  }

  /**
   * Completes the handshake of `req` (RFC 6455 §4.2) and returns the open connection, its `ctx` set to
   * what `open` returned; or answers 400 (426 for a version other than 13) and returns undefined.
   * `head` (bytes read past the request) is parsed as the first frames and not kept.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, open: (ws: WsSocket<T>) => T): WsSocket<T> | undefined {
    const check = checkUpgrade(req);
    if (!check.ok) {
      refuseUpgrade(socket, check.status, check.message, check.status === 426 ? { 'Sec-WebSocket-Version': '13' } : {});
      return undefined;
    }
    if (!socket.readable || !socket.writable) {
      socket.destroy();
      return undefined;
    }
    const net = socket as Duplex & { setTimeout?(ms: number): void; setNoDelay?(on: boolean): void };
    net.setTimeout?.(0);
    net.setNoDelay?.(true);
    socket.write(switchingProtocols(check.key));
    // Back into the stream before the data listener resumes it (next tick), so it is parsed in order.
    if (head.length > 0) socket.unshift(head);
    const ws = new WsSocket<T>(this.opts, socket);
    ws.ctx = open(ws);
    return ws;
  }
}
