import { Inject, Injectable } from '@nestjs/common';
import { closeCodeFor, type ErrorCodeValue } from '@tacit/protocol';
import type { ClientConnection } from './connection.js';
import { GatewayMeters } from './metrics.js';

/** How the gateway answers a client with an error: counted by code, closed where the protocol says. */
@Injectable()
export class Replies {
  constructor(@Inject(GatewayMeters) private readonly meters: GatewayMeters) {}

  /** Sends ERROR `code` (counted); the connection stays open. `ref` is a packet id, a request id, or nothing. */
  error(conn: ClientConnection, code: ErrorCodeValue, message: string, ref?: Uint8Array | number): void {
    this.meters.m.errors.inc({ code: String(code) });
    conn.error(code, message, ref);
  }

  /** {@link error}, then the close code protocol.md §10 pairs with `code`, if any. */
  fail(conn: ClientConnection, code: ErrorCodeValue, message: string, ref?: Uint8Array | number): void {
    this.error(conn, code, message, ref);
    const close = closeCodeFor(code);
    if (close !== undefined) this.close(conn, close, message.slice(0, 120));
  }

  /** Closes the WebSocket with `code`; nothing more is read from it. */
  close(conn: ClientConnection, code: number, reason: string): void {
    conn.state = 'closing';
    conn.ws.close(code, reason);
  }
}
