// rawBody over real HTTP requests on 127.0.0.1: every byte in order and uncopied, the request paused
// while nobody reads, a cut request an error (not an end), a cancel the request's end.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@tacit/testing';
import { rawBody } from './raw-body.js';

describe('rawBody', () => {
  let server: Server;
  let port = 0;
  let onRequest: (req: IncomingMessage) => void = () => {};
  before(async () => {
    server = createServer((req, res) => {
      onRequest(req);
      req.once('close', () => res.destroyed || res.end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  /** Sends `body` (or a first part of it, then holds or cuts the socket); resolves with the server's request. */
  function send(body: Buffer, o: { cutAfter?: number; holdAfter?: number } = {}): { req: Promise<IncomingMessage>; cut: () => void } {
    const req = new Promise<IncomingMessage>((r) => (onRequest = r));
    const c = request({ port, host: '127.0.0.1', method: 'PATCH', headers: { 'content-length': body.length } });
    c.on('error', () => undefined);
    const upTo = o.cutAfter ?? o.holdAfter;
    c.write(upTo === undefined ? body : body.subarray(0, upTo));
    if (upTo === undefined) c.end();
    if (o.cutAfter !== undefined) setTimeout(() => c.destroy(), 50);
    return { req, cut: () => c.destroy() };
  }

  it('yields every byte in order, as the request\'s own Buffers (Readable.toWeb would copy each into a Uint8Array)', async () => {
    const body = randomBytes(3 * 2 ** 20 + 17);
    const { req } = send(body);
    const got: Uint8Array[] = [];
    for await (const c of rawBody(await req)) got.push(c);
    assert.ok(got.length > 1);
    assert.ok(got.every((c) => Buffer.isBuffer(c)), 'uncopied chunks');
    assert.ok(Buffer.concat(got).equals(body));
  });

  it('pauses the request while nobody reads: what it takes in stays near its high-water mark, not the body', async () => {
    const body = randomBytes(16 * 2 ** 20);
    const { req: pending, cut } = send(body);
    const req = await pending;
    const stream = rawBody(req);
    const reader = stream.getReader();
    await reader.read();
    await waitFor(() => req.isPaused(), { timeoutMs: 5000, what: 'the request paused' });
    await new Promise((r) => setTimeout(r, 200));
    const taken = req.socket.bytesRead;
    assert.ok(taken < 4 * 2 ** 20, `read ${taken} bytes of 16 MiB from the socket while the reader waited`);
    // Reading on takes the rest, in order.
    let n = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) n += r.value.length;
    assert.ok(n > body.length - 2 ** 20 && n < body.length, `${n} bytes after the first chunk`);
    cut();
  });

  it('a request cut mid-body errors the stream instead of ending it', async () => {
    const { req } = send(randomBytes(2 ** 20), { cutAfter: 100_000 });
    const stream = rawBody(await req);
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    });
  });

  it('cancelling the stream destroys the request', async () => {
    const { req: pending, cut } = send(randomBytes(2 ** 20), { holdAfter: 10_000 });
    const req = await pending;
    const stream = rawBody(req);
    await stream.cancel(new Error('enough'));
    assert.ok(req.destroyed);
    cut();
  });
});
