import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { headerLength, Opcode, writeHeader } from './frame.js';
import { acceptKey } from './handshake.js';
import { ReadyState, WsSocket, type WsOptions } from './socket.js';
import { WsServer } from './server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(f: () => T | undefined | false, what: string, ms = 3000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** An HTTP server whose upgrades go to a WsServer; echoes messages unless told otherwise. */
class Harness {
  readonly received: Received[] = [];
  readonly closes: number[] = [];
  readonly conns: WsSocket<number>[] = [];
  onMessage: (ws: WsSocket<number>, data: Buffer, isBinary: boolean) => void = (ws, data, isBinary) => void ws.send(data, isBinary);
  port = 0;
  private readonly server = http.createServer((_req, res) => res.end('not a WebSocket'));

  constructor(opts: Partial<WsOptions<number>> = {}) {
    const wss = new WsServer<number>({
      maxPayload: 1 << 20,
      closeTimeoutMs: 300,
      ...opts,
      message: (ws, data, isBinary) => {
        this.received.push({ data: Buffer.from(data), isBinary });
        this.onMessage(ws, data, isBinary);
      },
      close: (_ws, code) => void this.closes.push(code),
    });
    this.server.on('upgrade', (req, socket, head) =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        this.conns.push(ws);
        return this.conns.length;
      }),
    );
  }

  async start(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.terminate();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

/** A client frame: masked unless told otherwise. */
function frame(
  op: number,
  payload: Uint8Array | string,
  o: { fin?: boolean; mask?: boolean; rsv?: number; len64?: number } = {},
): Buffer {
  const data = Buffer.from(payload);
  const masked = o.mask ?? true;
  let head: Buffer;
  if (o.len64 !== undefined) {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(o.len64), 2);
  } else if (data.length < 126) {
    head = Buffer.from([0, data.length]);
  } else if (data.length < 65_536) {
    head = Buffer.from([0, 126, data.length >> 8, data.length & 0xff]);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(data.length), 2);
  }
  head[0] = ((o.fin ?? true) ? 0x80 : 0) | ((o.rsv ?? 0) << 4) | op;
  if (!masked) return Buffer.concat([head, data]);
  head[1]! |= 0x80;
  const key = randomBytes(4);
  const body = Buffer.from(data.map((b, i) => b ^ key[i % 4]!));
  return Buffer.concat([head, key, body]);
}

interface ServerFrame {
  fin: boolean;
  op: number;
  payload: Buffer;
}

/** A raw TCP client that does the handshake and reads the server's (unmasked) frames. */
class Raw {
  readonly frames: ServerFrame[] = [];
  ended = false;
  private buf = Buffer.alloc(0);
  private upgraded = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => (this.ended = true));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => undefined);
  }

  static async open(port: number, extra: Buffer = Buffer.alloc(0)): Promise<Raw> {
    const socket = net.connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise((r) => socket.once('connect', r));
    const raw = new Raw(socket);
    const key = randomBytes(16).toString('base64');
    socket.write(
      Buffer.concat([
        Buffer.from(
          `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
        ),
        extra,
      ]),
    );
    await until(() => raw.upgraded, 'the 101 response');
    assert.ok(raw.response.includes(`Sec-WebSocket-Accept: ${acceptKey(key)}`), raw.response);
    return raw;
  }

  response = '';

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    if (!this.upgraded) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      this.response = this.buf.subarray(0, end).toString('latin1');
      assert.match(this.response, /^HTTP\/1\.1 101 /);
      this.upgraded = true;
      this.buf = this.buf.subarray(end + 4);
    }
    for (;;) {
      if (this.buf.length < 2) return;
      assert.equal(this.buf[1]! & 0x80, 0, 'server frames are unmasked');
      let len = this.buf[1]! & 0x7f;
      let hl = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        hl = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        hl = 10;
      }
      if (this.buf.length < hl + len) return;
      this.frames.push({ fin: (this.buf[0]! & 0x80) !== 0, op: this.buf[0]! & 0x0f, payload: this.buf.subarray(hl, hl + len) });
      this.buf = this.buf.subarray(hl + len);
    }
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** The close code the server sent, once its close frame and its FIN arrived. */
  async closedWith(): Promise<number | undefined> {
    const close = await until(() => this.frames.find((f) => f.op === 0x8), 'a close frame');
    await until(() => this.ended, 'the server to end the TCP connection');
    return close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
  }
}

function wsOpen(url: string, opts: ConstructorParameters<typeof WebSocket>[2] = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

function wsClosed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((r) => ws.once('message', (data, isBinary) => r({ data: data as Buffer, isBinary })));
}

describe('wsock WsServer + WsSocket', () => {
  let h: Harness;
  before(async () => {
    h = await new Harness().start();
  });
  after(() => h.stop());

  it('echoes binary and text messages to a ws client; text arrives as non-binary', async () => {
    const ws = await wsOpen(h.url);
    ws.send(Buffer.from([1, 2, 3]));
    assert.deepEqual(await nextMessage(ws), { data: Buffer.from([1, 2, 3]), isBinary: true });
    ws.send('héllo');
    const text = await nextMessage(ws);
    assert.equal(text.isBinary, false);
    assert.equal(text.data.toString(), 'héllo');
    assert.equal(h.received.at(-1)!.isBinary, false);
    ws.send(Buffer.alloc(0));
    assert.equal((await nextMessage(ws)).data.length, 0);
    ws.close();
  });

  it('pauseReading(ms) reads nothing from the peer for ms, then what it sent meanwhile, in order', async () => {
    const ws = await wsOpen(h.url);
    ws.send(Buffer.from([1]));
    await nextMessage(ws);
    const server = h.conns.at(-1)!;
    const seen = h.received.length;
    const t0 = Date.now();
    server.pauseReading(300);
    server.pauseReading(5000); // while paused: ignored, not extended
    const echoed: number[] = [];
    ws.on('message', (data: Buffer) => echoed.push(data[0]!));
    ws.send(Buffer.from([2]));
    ws.send(Buffer.from([3]));
    await sleep(150);
    assert.equal(h.received.length, seen, 'nothing read while paused');
    await until(() => echoed.length === 2, 'the echoes after the pause');
    assert.deepEqual(echoed, [2, 3]);
    assert.ok(Date.now() - t0 >= 290 && Date.now() - t0 < 3000, `resumed after ${Date.now() - t0} ms`);
    ws.close();
  });

  it('joins a fragmented message', async () => {
    const ws = await wsOpen(h.url);
    ws.send(Buffer.from('ab'), { fin: false });
    ws.send(Buffer.from('cd'), { fin: false });
    ws.send(Buffer.from('ef'), { fin: true });
    assert.equal((await nextMessage(ws)).data.toString(), 'abcdef');
    ws.close();
  });

  it('carries 16-bit and 64-bit lengths both ways', async () => {
    const ws = await wsOpen(h.url);
    for (const n of [126, 65_535, 65_536, 300_000]) {
      const data = randomBytes(n);
      ws.send(data);
      assert.deepEqual((await nextMessage(ws)).data, data, `${n} bytes`);
    }
    ws.close();
  });

  it('sendFrames writes frames encoded by the caller: each arrives as its own message, in order; refused once closed', async () => {
    const payloads = [randomBytes(5), randomBytes(200), randomBytes(70_000), Buffer.alloc(0)];
    const size = payloads.reduce((n, p) => n + headerLength(p.length) + p.length, 0);
    const frames = Buffer.alloc(size);
    let at = 0;
    for (const p of payloads) {
      at += writeHeader(frames, Opcode.BINARY, p.length, at);
      frames.set(p, at);
      at += p.length;
    }
    let server: WsSocket<number> | undefined;
    h.onMessage = (ws) => {
      server = ws;
      assert.equal(ws.sendFrames(frames), true);
    };
    try {
      const ws = await wsOpen(h.url);
      const got: Buffer[] = [];
      const all = new Promise<void>((r) => ws.on('message', (data) => got.push(data as Buffer) === payloads.length && r()));
      ws.send('go');
      await all;
      assert.deepEqual(got, payloads);
      const closed = wsClosed(ws);
      server!.close();
      await closed;
      assert.equal(server!.sendFrames(frames), false);
    } finally {
      h.onMessage = (ws, data, isBinary) => void ws.send(data, isBinary);
    }
  });

  it('answers a ping with a pong carrying the same payload, between fragments too', async () => {
    const ws = await wsOpen(h.url);
    const pong = new Promise<Buffer>((r) => ws.once('pong', r));
    ws.ping(Buffer.from('are you there'));
    assert.equal((await pong).toString(), 'are you there');
    const raw = await Raw.open(h.port);
    raw.send(frame(0x2, 'a', { fin: false }), frame(0x9, 'p'), frame(0x0, 'b'));
    await until(() => raw.frames.length === 2, 'pong and message');
    assert.deepEqual(
      raw.frames.map((f) => [f.op, f.payload.toString()]),
      [
        [0xa, 'p'],
        [0x2, 'ab'],
      ],
    );
    ws.close();
    raw.socket.destroy();
  });

  it('close handshake started by the client: the code is echoed and reported, the socket ends', async () => {
    const ws = await wsOpen(h.url);
    const server = h.conns.at(-1)!;
    const closes = h.closes.length;
    const closed = wsClosed(ws);
    ws.close(4000, 'bye');
    assert.deepEqual(await closed, { code: 4000, reason: '' });
    await until(() => h.closes.length > closes, 'the server close');
    assert.equal(h.closes.at(-1), 4000);
    assert.equal(server.readyState, ReadyState.CLOSED);
    assert.equal(server.send(Buffer.from('late')), false);
  });

  it('close handshake started by the server: the client sees code and reason; no more messages are delivered', async () => {
    const ws = await wsOpen(h.url);
    const server = h.conns.at(-1)!;
    const closed = wsClosed(ws);
    const count = h.received.length;
    server.close(4400, 'malformed frame');
    assert.equal(server.readyState, ReadyState.CLOSING);
    assert.equal(server.send(Buffer.from('x')), false);
    assert.deepEqual(await closed, { code: 4400, reason: 'malformed frame' });
    await until(() => server.readyState === ReadyState.CLOSED, 'CLOSED');
    assert.equal(h.received.length, count);
    assert.throws(() => server.close(1005), RangeError);
  });

  it('an empty close frame is answered with an empty one and reported as 1005', async () => {
    const raw = await Raw.open(h.port);
    const closes = h.closes.length;
    raw.send(frame(0x8, Buffer.alloc(0)));
    assert.equal(await raw.closedWith(), undefined);
    raw.socket.end();
    await until(() => h.closes.length > closes, 'the server close');
    assert.equal(h.closes.at(-1), 1005);
  });

  it('a peer that drops the TCP connection without a close frame is reported as 1006', async () => {
    const raw = await Raw.open(h.port);
    const closes = h.closes.length;
    raw.socket.destroy();
    await until(() => h.closes.length > closes, 'the server close');
    assert.equal(h.closes.at(-1), 1006);
  });

  it('protocol violations close with 1002, bad UTF-8 with 1007, oversize with 1009; the server stays up', async () => {
    const cases: Array<[string, Buffer[], number]> = [
      ['unmasked frame', [frame(0x2, 'x', { mask: false })], 1002],
      ['RSV1 without an extension', [frame(0x2, 'x', { rsv: 4 })], 1002],
      ['RSV3', [frame(0x2, 'x', { rsv: 1 })], 1002],
      ['reserved data opcode 3', [frame(0x3, 'x')], 1002],
      ['reserved control opcode 0xB', [frame(0xb, 'x')], 1002],
      ['fragmented ping', [frame(0x9, 'x', { fin: false })], 1002],
      ['ping over 125 bytes', [frame(0x9, Buffer.alloc(126))], 1002],
      ['continuation without a message', [frame(0x0, 'x')], 1002],
      ['new message inside a fragmented one', [frame(0x1, 'a', { fin: false }), frame(0x2, 'b')], 1002],
      ['close with a 1-byte payload', [frame(0x8, Buffer.from([3]))], 1002],
      ['close code 1005 on the wire', [frame(0x8, Buffer.from([0x03, 0xed]))], 1002],
      ['close code 999', [frame(0x8, Buffer.from([0x03, 0xe7]))], 1002],
      ['close code 2000', [frame(0x8, Buffer.from([0x07, 0xd0]))], 1002],
      ['invalid UTF-8 in a text message', [frame(0x1, Buffer.from([0xc3, 0x28]))], 1007],
      ['invalid UTF-8 across fragments', [frame(0x1, Buffer.from([0xe2, 0x82]), { fin: false }), frame(0x0, Buffer.from([0x41]))], 1007],
      ['invalid UTF-8 in a close reason', [frame(0x8, Buffer.from([0x03, 0xe8, 0xff]))], 1007],
      ['64-bit length past 2^53', [frame(0x2, '', { len64: 2 ** 63 })], 1009],
      ['message over maxPayload', [frame(0x2, Buffer.alloc((1 << 20) + 1))], 1009],
      ['fragments over maxPayload together', [frame(0x2, Buffer.alloc(1 << 19), { fin: false }), frame(0x0, Buffer.alloc((1 << 19) + 1))], 1009],
    ];
    for (const [name, frames, code] of cases) {
      const raw = await Raw.open(h.port);
      const received = h.received.length;
      raw.send(...frames);
      assert.equal(await raw.closedWith(), code, name);
      assert.equal(h.received.length, received, `${name}: nothing delivered`);
      raw.socket.destroy();
    }
    const ws = await wsOpen(h.url);
    ws.send(Buffer.from('still here'));
    assert.equal((await nextMessage(ws)).data.toString(), 'still here');
    ws.close();
  });

  it('parses a frame split byte by byte across TCP reads', async () => {
    const raw = await Raw.open(h.port);
    const bytes = Buffer.concat([frame(0x2, randomBytes(200)), frame(0x1, 'ünïcode', { fin: false }), frame(0x0, '!')]);
    const count = h.received.length;
    for (const b of bytes) {
      raw.socket.write(Buffer.from([b]));
      await sleep(0);
    }
    await until(() => h.received.length === count + 2, 'two messages');
    assert.equal(h.received.at(-1)!.data.toString(), 'ünïcode!');
    assert.equal(h.conns.at(-1)!.receiving, false, 'no input held once frames are whole');
    raw.socket.destroy();
  });

  it('parses many frames in one read, in order', async () => {
    const raw = await Raw.open(h.port);
    const count = h.received.length;
    raw.send(...Array.from({ length: 200 }, (_, i) => frame(0x2, Buffer.from(String(i)))));
    await until(() => h.received.length === count + 200, '200 messages');
    assert.deepEqual(
      h.received.slice(count).map((m) => m.data.toString()),
      Array.from({ length: 200 }, (_, i) => String(i)),
    );
    raw.socket.destroy();
  });

  it('parses frames sent in the same packet as the handshake (the upgrade head)', async () => {
    const count = h.received.length;
    const raw = await Raw.open(h.port, Buffer.concat([frame(0x2, 'early'), frame(0x2, 'bird')]));
    await until(() => h.received.length === count + 2, 'two messages');
    assert.deepEqual(
      h.received.slice(count).map((m) => m.data.toString()),
      ['early', 'bird'],
    );
    raw.socket.destroy();
  });

  it('bufferedAmount grows while the peer does not read', async () => {
    const raw = await Raw.open(h.port);
    const server = h.conns.at(-1)!;
    raw.socket.pause();
    const chunk = Buffer.alloc(1 << 20);
    let sent = 0;
    while (server.bufferedAmount < 4 << 20 && sent < 256) {
      assert.equal(server.send(chunk), true);
      sent++;
      await sleep(1);
    }
    assert.ok(server.bufferedAmount >= 4 << 20, `bufferedAmount ${server.bufferedAmount} after ${sent} MiB`);
    raw.socket.destroy();
  });

  it('destroys a socket whose peer never answers the close', async () => {
    const raw = await Raw.open(h.port);
    const server = h.conns.at(-1)!;
    raw.socket.on('data', () => undefined);
    server.close(1001, 'going away');
    await until(() => raw.frames.some((f) => f.op === 0x8), 'the close frame');
    // The raw peer neither answers the close nor ends its side: after closeTimeoutMs (300) the socket goes.
    await until(() => server.readyState === ReadyState.CLOSED, 'the close timeout', 2000);
    assert.equal(h.closes.at(-1), 1006);
  });

  it('ignores a permessage-deflate offer', async () => {
    const ws = await wsOpen(h.url, { perMessageDeflate: true });
    assert.equal(ws.extensions, '');
    ws.send(Buffer.from('plain'));
    assert.equal((await nextMessage(ws)).data.toString(), 'plain');
    ws.close();
  });

  it('refuses bad handshakes with 400, and another version with 426', async () => {
    const ask = (headers: string): Promise<string> =>
      new Promise((resolve) => {
        const s = net.connect(h.port, '127.0.0.1', () => s.write(`GET / HTTP/1.1\r\nHost: x\r\n${headers}\r\n`));
        let text = '';
        s.on('data', (d) => (text += d.toString()));
        s.on('close', () => resolve(text));
        s.on('error', () => undefined);
      });
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    assert.match(await ask(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n`), /^HTTP\/1\.1 400 .*Sec-WebSocket-Key/s);
    const v8 = await ask(`Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 8\r\n`);
    assert.match(v8, /^HTTP\/1\.1 426 /);
    assert.match(v8, /Sec-WebSocket-Version: 13/);
    assert.match(await ask(`Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n`), /^HTTP\/1\.1 400 /);
  });

  it('terminate() drops the connection at once', async () => {
    const ws = await wsOpen(h.url);
    const closed = wsClosed(ws);
    h.conns.at(-1)!.terminate();
    assert.equal((await closed).code, 1006);
  });
});

describe('wsock WsSocket parser (fed directly)', () => {
  function stub(maxPayload = 1 << 16): { ws: WsSocket<null>; got: Buffer[]; out: Buffer[] } {
    const got: Buffer[] = [];
    const out: Buffer[] = [];
    const socket = new Duplex({
      read() {},
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        cb();
      },
    });
    const ws = new WsSocket<null>({ maxPayload, message: (_ws, data) => void got.push(Buffer.from(data)), close: () => undefined }, socket);
    return { ws, got, out };
  }

  it('assembles frames from every possible split, and holds nothing between whole frames', () => {
    const bytes = Buffer.concat([frame(0x2, randomBytes(300)), frame(0x2, 'x'), frame(0x2, randomBytes(70_000))]);
    for (const cut of [1, 2, 3, 5, 9, 13, 14, 100, 301, 302, 1000]) {
      const { ws, got } = stub(1 << 17);
      const copy = Buffer.from(bytes);
      for (let i = 0; i < copy.length; i += cut) ws.receive(copy.subarray(i, Math.min(copy.length, i + cut)));
      assert.deepEqual(
        got.map((g) => g.length),
        [300, 1, 70_000],
        `cut ${cut}`,
      );
      assert.equal(ws.receiving, false, `cut ${cut}: nothing held`);
    }
  });

  it('joins a message sent as a thousand one-byte fragments', () => {
    const { ws, got } = stub();
    const frames = [frame(0x2, 'a', { fin: false })];
    for (let i = 0; i < 998; i++) frames.push(frame(0x0, 'b', { fin: false }));
    frames.push(frame(0x0, 'c'));
    for (const f of frames) ws.receive(f);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.toString(), `a${'b'.repeat(998)}c`);
    assert.equal(ws.receiving, false);
  });

  it('answers pings only while little waits to be sent', () => {
    const out: Buffer[] = [];
    // A socket whose writes never complete: everything written stays buffered.
    const socket = new Duplex({ read() {}, write: (chunk: Buffer) => void out.push(chunk) });
    const ws = new WsSocket<null>({ maxPayload: 1 << 16, message: () => undefined, close: () => undefined }, socket);
    ws.receive(frame(0x9, 'one'));
    assert.equal(ws.bufferedAmount > 0, true);
    ws.send(Buffer.alloc(2 << 20));
    const before = ws.bufferedAmount;
    ws.receive(frame(0x9, 'two'));
    assert.equal(ws.bufferedAmount, before, 'no pong queued behind 2 MiB');
  });

  it('close() lets go of an unfinished frame at once, holds none of what arrives after, and still reads the peer\'s close', () => {
    // Before: a connection closed for holding an unfinished frame (the gateway's partial-bytes
    // budget, its frame timeout) kept it, and kept buffering more, until the peer answered the close
    // or the close timeout (10 s) destroyed the socket: 1,000 such connections pinned 125 MiB.
    const { ws, got, out } = stub(1 << 18);
    const big = frame(0x2, randomBytes(200_000));
    ws.receive(big.subarray(0, 150_000));
    assert.ok(ws.receivingBytes > 100_000, 'an unfinished frame is held while open');
    ws.close(1009, 'too many unfinished frames');
    assert.equal(ws.receivingBytes, 0, 'dropped when the close is sent');
    // The rest of that frame, a whole message, and a fragmented one: skipped, never held or delivered.
    ws.receive(big.subarray(150_000));
    ws.receive(frame(0x2, 'after close'));
    ws.receive(Buffer.concat([frame(0x2, randomBytes(50_000), { fin: false }), frame(0x0, randomBytes(50_000), { fin: false })]));
    assert.equal(ws.receivingBytes, 0);
    const late = frame(0x0, randomBytes(100_000));
    ws.receive(late.subarray(0, 60_000));
    assert.equal(ws.receivingBytes, 0, 'a payload arriving after the close is counted, not kept');
    ws.receive(late.subarray(60_000));
    assert.equal(got.length, 0);
    // In step: the peer's close frame that follows completes the handshake (echo not resent, socket ended).
    const closeFrame = frame(0x8, Buffer.from([0x03, 0xf1]));
    ws.receive(closeFrame.subarray(0, 3));
    ws.receive(closeFrame.subarray(3));
    assert.equal(ws.socket.writableEnded, true, 'the socket is ended once the peer\'s close arrives');
    assert.equal(out.filter((b) => (b[0]! & 0x0f) === 0x8).length, 1, 'one close frame sent');
  });

  it('holds a cut header as a copy of its own bytes only', () => {
    const { ws } = stub();
    const f = frame(0x2, 'hello');
    const read = Buffer.concat([frame(0x2, Buffer.alloc(1000)), f.subarray(0, 3)]);
    ws.receive(read);
    assert.equal(ws.receiving, true);
    ws.receive(f.subarray(3));
    assert.equal(ws.receiving, false);
  });
});
