// Fuzz target: the WebSocket opening handshake (checkUpgrade, then switchingProtocols or
// refuseUpgrade) on an arbitrary request. The input is the request as text: the first line is the
// method, each further line `name: value` (names lower-cased and values trimmed, repeats joined with
// ", ", as Node's HTTP parser hands them over). Checks: checkUpgrade never throws; it accepts
// exactly what RFC 6455 §4.2.1 allows (recomputed here: GET, an Upgrade token "websocket", a
// Connection token "upgrade", version 13, a key of 16 bytes in base64) and answers 426 only for the
// version; the 101 answer carries base64(SHA-1(key + GUID)); a refusal is one well-formed HTTP
// response whose Content-Length is its body's length.
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkUpgrade, refuseUpgrade, switchingProtocols } from '../wsock/handshake.js';
import { expect, StandInSocket } from './_fuzz.js';

function request(text: string): { method: string; headers: Record<string, string> } {
  const [method = '', ...lines] = text.split('\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  return { method, headers };
}

const hasToken = (v: string | undefined, t: string) => v !== undefined && v.split(',').some((x) => x.trim().toLowerCase() === t);

export function fuzz(data: Uint8Array): void {
  const req = request(Buffer.from(data).toString('latin1'));
  const check = checkUpgrade(req as unknown as IncomingMessage);
  const h = req.headers;
  const key = h['sec-websocket-key']?.trim();
  const shapeOk = req.method === 'GET' && hasToken(h['upgrade'], 'websocket') && hasToken(h['connection'], 'upgrade');
  const versionOk = h['sec-websocket-version']?.trim() === '13';
  const keyOk = key !== undefined && /^[A-Za-z0-9+/]{22}==$/.test(key) && Buffer.from(key, 'base64').length === 16;
  expect(check.ok === (shapeOk && versionOk && keyOk), `checkUpgrade said ${check.ok} to ${JSON.stringify(req)}`);
  if (check.ok) {
    expect(check.key === key, 'checkUpgrade returned another key');
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    const answer = switchingProtocols(check.key);
    expect(answer === `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`, 'a wrong 101 answer');
    return;
  }
  expect(check.status === (shapeOk && !versionOk ? 426 : 400), `status ${check.status} for ${JSON.stringify(req)}`);
  const socket = new StandInSocket();
  refuseUpgrade(socket.duplex, check.status, check.message, check.status === 426 ? { 'Sec-WebSocket-Version': '13' } : {});
  const out = Buffer.concat(socket.out);
  const end = out.indexOf('\r\n\r\n');
  expect(socket.ended && end > 0, 'the refusal is not one HTTP response');
  const head = out.subarray(0, end).toString('latin1').split('\r\n');
  expect(head[0] === `HTTP/1.1 ${check.status} ${check.status === 400 ? 'Bad Request' : 'Upgrade Required'}`, `status line ${head[0]}`);
  const length = head.find((l) => l.startsWith('Content-Length: '));
  expect(length !== undefined && Number(length.slice(16)) === out.length - end - 4, 'Content-Length differs from the body');
  expect(head.slice(1).every((l) => /^[A-Za-z-]+: [\x20-\x7e]*$/.test(l)), 'a malformed header line in the refusal');
}

/** A good request, and one wrong in each way checkUpgrade refuses. */
export function seeds(): Uint8Array[] {
  const good = ['GET', 'Host: relay', 'Upgrade: websocket', 'Connection: keep-alive, Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='];
  const variants = [
    good,
    ['POST', ...good.slice(1)],
    good.map((l) => (l.startsWith('Upgrade') ? 'Upgrade: h2c' : l)),
    good.map((l) => (l.startsWith('Sec-WebSocket-Version') ? 'Sec-WebSocket-Version: 8' : l)),
    good.map((l) => (l.startsWith('Sec-WebSocket-Key') ? 'Sec-WebSocket-Key: c2hvcnQ=' : l)),
    [...good, 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='],
  ];
  return variants.map((v) => Buffer.from(v.join('\n'), 'latin1'));
}
