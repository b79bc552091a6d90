// The endpoint specs' HTTP helpers against a plain node:http server on loopback.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { httpPost, rawHttp } from './spec-http.js';

describe('spec-http', () => {
  let server: Server;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.setHeader('x-method', req.method!);
        res.setHeader('x-type', String(req.headers['content-type']));
        res.setHeader('connection', 'close');
        res.end(Buffer.concat([Buffer.from(req.url!), Buffer.from([0]), ...chunks]));
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  it('httpPost: POSTs the body as octets by default, other methods and headers on request; answers status, headers and body bytes', async () => {
    const a = await httpPost(port, '/p', Uint8Array.of(1, 2, 255));
    assert.deepEqual([a.status, a.headers['x-method'], a.headers['x-type']], [200, 'POST', 'application/octet-stream']);
    assert.deepEqual([...a.body], [...Buffer.from('/p'), 0, 1, 2, 255]);
    const b = await httpPost(port, '/g', undefined, { method: 'GET', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual([b.headers['x-method'], b.headers['x-type'], b.body.toString()], ['GET', 'text/plain', '/g\0']);
  });

  it('rawHttp: writes the head and the chunks as they are, and resolves to all that came back once the server closes', async () => {
    const got = await rawHttp(port, 'POST /r HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\n', [Buffer.from('ab'), Buffer.from('c')]);
    assert.match(got, /^HTTP\/1\.1 200 /);
    assert.ok(got.endsWith('/r\0abc'), JSON.stringify(got));
  });
});
