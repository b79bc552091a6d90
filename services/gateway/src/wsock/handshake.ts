// The server side of the RFC 6455 opening handshake (§4.2), on an HTTP server's `upgrade` event.
import { hash } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const _GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
// 16 bytes in base64: 22 characters and "==".
const _KEY = /^[+/0-9A-Za-z]{22}==$/;

/** Outcome of {@link checkUpgrade}: the client's key, or the HTTP status and reason to refuse with. */
export type UpgradeCheck = { ok: true; key: string } | { ok: false; status: 400 | 426; message: string };

function _hasToken(value: string | string[] | undefined, token: string): boolean {
  if (value === undefined) return false;
  const list = Array.isArray(value) ? value.join(',') : value;
  return list.split(',').some((t) => t.trim().toLowerCase() === token);
}

/**
 * Checks an upgrade request against RFC 6455 §4.2.1: GET, `Upgrade: websocket`, `Connection`
 * naming `upgrade`, `Sec-WebSocket-Version: 13` (else 426) and a `Sec-WebSocket-Key` of 16 bytes
 * in base64. Extensions and subprotocols offered are ignored: none is ever agreed.
 */
export function checkUpgrade(req: IncomingMessage): UpgradeCheck {
  if (req.method !== 'GET') return { ok: false, status: 400, message: `WebSocket upgrade expected method GET, got ${req.method}` };
  if (!_hasToken(req.headers.upgrade, 'websocket')) return { ok: false, status: 400, message: '"Upgrade" header expected "websocket"' };
  if (!_hasToken(req.headers.connection, 'upgrade')) return { ok: false, status: 400, message: '"Connection" header expected to contain "upgrade"' };
  const version = req.headers['sec-websocket-version'];
  if (version === undefined || version.trim() !== '13') {
    return { ok: false, status: 426, message: `"Sec-WebSocket-Version" expected 13, got ${version === undefined ? 'none' : JSON.stringify(version)}` };
  }
  const key = req.headers['sec-websocket-key']?.trim();
  if (key === undefined || !_KEY.test(key)) return { ok: false, status: 400, message: '"Sec-WebSocket-Key" expected 16 bytes in base64' };
  return { ok: true, key };
}

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  // One-shot: no Hash object whose native context would wait for a GC (one per upgrade adds up).
  return hash('sha1', key + _GUID, 'base64');
}

/** The 101 response that completes the handshake for `key`. */
export function switchingProtocols(key: string): string {
  return `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`;
}

function _destroy(this: Duplex): void {
  this.destroy();
}

function _ignore(): void {}

/**
 * Answers an upgrade request with an HTTP error (`message` as a text body) and closes the socket once
 * the answer is written. `headers` are added as given (e.g. `Retry-After`).
 */
export function refuseUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  socket.on('error', _ignore);
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  let extra = '';
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
  socket.once('finish', _destroy);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n${extra}\r\n${message}`,
  );
}
