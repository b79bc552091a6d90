// What a WebSocket server hands each of its connections (socket.ts): the handlers every connection
// reports to, its limits, and the readyState values.
import type { WsSocket } from './socket.js';

/** `readyState` values, numbered as in the WHATWG WebSocket and `ws`. */
export const ReadyState = Object.freeze({ CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 } as const);

/** What every connection of a server reports to; one set of functions for all connections. */
export interface WsHandlers<T> {
  /**
   * A whole data message (fragments joined, unmasked), only while the connection is open. `data` is
   * the caller's to keep and change. Text messages arrive with `isBinary` false, already checked to be
   * valid UTF-8.
   */
  message(ws: WsSocket<T>, data: Buffer, isBinary: boolean): void;
  /** The TCP connection is gone: `code` is the peer's close code, 1005 for an empty close, 1006 for none. Called once. */
  close(ws: WsSocket<T>, code: number): void;
}

/** Limits and handlers shared by all connections of a server. */
export interface WsOptions<T> extends WsHandlers<T> {
  /** Largest message in bytes, all its fragments together: above it the connection closes with 1009. */
  maxPayload: number;
  /** How long a closing connection waits for the peer's close before its socket is destroyed (default 10 000 ms). */
  closeTimeoutMs?: number;
}
