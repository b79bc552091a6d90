import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { decodePushErrorBody } from '@tacit/protocol';
import { parseProxyV2 } from './client-address.js';
import { GatewayEdge } from './edge.js';
import { replica, until, type Replica } from './spec-fixtures.js';
import { httpPost } from './spec-http.js';

/** An HTTP upgrade request for /v1, as a WebSocket client sends it. */
const upgrade = (extra = '') =>
  `GET /v1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;

/** A PROXY protocol v2 header naming `src` (IPv4) as the client. */
function proxyV2(src: string): Buffer {
  const head = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c]);
  return Buffer.concat([head, Buffer.from(src.split('.').map(Number)), Buffer.from([10, 0, 0, 1, 0x1f, 0x90, 0x1f, 0x90])]);
}

/** Opens a TCP connection to the edge, writes `bytes`, resolves to the status line of the answer. */
async function request(port: number, bytes: Buffer | string, from = '127.0.0.1'): Promise<{ status: number; socket: Socket }> {
  const socket = connect({ port, host: '127.0.0.1', localAddress: from });
  await new Promise((r) => socket.once('connect', r));
  socket.write(bytes);
  const first = await new Promise<string>((resolve, reject) => {
    socket.once('data', (b: Buffer) => resolve(b.toString('latin1')));
    socket.once('error', reject);
    socket.once('close', () => resolve(''));
  });
  return { status: Number(/^HTTP\/1\.1 (\d+)/.exec(first)?.[1] ?? 0), socket };
}

describe(GatewayEdge.name, () => {
  let sut: Replica;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await sut?.close();
  });
  const start = async (config: Record<string, string>) => {
    sut = replica({ config: { HOST: '127.0.0.1', PORT: '0', ...config } });
    await sut.edge.onServiceStart();
    return sut.edge.port;
  };
  const open = async (port: number, bytes: Buffer | string, from?: string) => {
    const r = await request(port, bytes, from);
    sockets.push(r.socket);
    return r.status;
  };

  it('caps connections per client address (429) and on the replica (503)', async () => {
    const port = await start({ GATEWAY_MAX_CONNECTIONS_PER_IP: '2', GATEWAY_MAX_CONNECTIONS: '3' });
    assert.deepEqual([await open(port, upgrade()), await open(port, upgrade()), await open(port, upgrade())], [101, 101, 429]);
    assert.equal(await open(port, upgrade(), '127.0.0.2'), 101);
    assert.equal(await open(port, upgrade(), '127.0.0.3'), 503, 'the replica is full');
    // A closed connection gives its place back.
    sockets[0]!.destroy();
    await until(() => sut.connections.size === 2);
    assert.equal(await open(port, upgrade()), 101);
    // An operator sees why upgrades were refused, and how connections ended.
    const text = await sut.meters.m.rejectedConnections.get();
    const by = Object.fromEntries(text.values.map((v) => [v.labels.reason, v.value]));
    assert.deepEqual(by, { address_full: 1, replica_full: 1 });
    const closed = (await sut.meters.m.closed.get()).values.map((v) => [v.labels.code, v.value]);
    assert.deepEqual(closed, [['1006', 1]], 'the destroyed socket: closed without a close frame');
  });

  it('serves nothing but the WebSocket on /v1 (404), and refuses upgrades while draining (503)', async () => {
    const port = await start({});
    assert.equal(await open(port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'), 404);
    assert.equal(await open(port, upgrade().replace('/v1', '/other')), 404);
    sut.shutdown.accepting = false;
    assert.equal(await open(port, upgrade()), 503);
    assert.deepEqual((await sut.meters.m.rejectedConnections.get()).values.map((v) => [v.labels.reason, v.value]), [['draining', 1]]);
  });

  it('keys limits on the address a PROXY v2 header names, only when a trusted balancer sends it', async () => {
    const port = await start({ GATEWAY_CLIENT_ADDRESS_FROM: 'proxy-protocol', GATEWAY_TRUSTED_PROXIES: '127.0.0.1', GATEWAY_MAX_CONNECTIONS_PER_IP: '1' });
    const via = (client: string) => Buffer.concat([proxyV2(client), Buffer.from(upgrade())]);
    // Two clients behind the balancer: each its own budget.
    assert.equal(await open(port, via('203.0.113.7')), 101);
    assert.equal(await open(port, via('203.0.113.8')), 101);
    assert.equal(await open(port, via('203.0.113.7')), 429, 'the same client twice');
    // A trusted peer that sends no PROXY header is cut off; an untrusted one is taken as itself.
    assert.equal(await open(port, upgrade()), 0);
    assert.equal(await open(port, upgrade(), '127.0.0.2'), 101);
    assert.equal(await open(port, via('198.51.100.1'), '127.0.0.3'), 400, 'an untrusted peer\'s PROXY header is not HTTP');
  });

  it('keys limits on X-Forwarded-For only from a trusted balancer, skipping the balancers\' own entries', async () => {
    const port = await start({ GATEWAY_CLIENT_ADDRESS_FROM: 'x-forwarded-for', GATEWAY_TRUSTED_PROXIES: '127.0.0.1,10.0.0.0/8', GATEWAY_MAX_CONNECTIONS_PER_IP: '1' });
    const xff = (v: string) => upgrade(`X-Forwarded-For: ${v}\r\n`);
    assert.equal(await open(port, xff('203.0.113.7, 10.1.2.3')), 101);
    assert.equal(await open(port, xff('203.0.113.8')), 101);
    assert.equal(await open(port, xff('198.51.100.9, 203.0.113.7, 10.9.9.9')), 429, 'the client is the rightmost untrusted hop');
    // From an untrusted peer the header is ignored: it cannot take another address's budget.
    assert.equal(await open(port, xff('203.0.113.99'), '127.0.0.2'), 101);
    assert.equal(await open(port, xff('203.0.113.100'), '127.0.0.2'), 429);
  });

  it('hands /v1/push/* to the push endpoints (no push service on the bus here: 503 UNAVAILABLE with Retry-After), anything unknown 404', async () => {
    const port = await start({});
    const push = await httpPost(port, '/v1/push/register', new Uint8Array(0));
    assert.deepEqual([push.status, push.headers['retry-after'], decodePushErrorBody(push.status, push.body.toString()).code], [503, '1', 'UNAVAILABLE']);
    assert.equal(decodePushErrorBody(404, (await httpPost(port, '/v1/push/nope')).body.toString()).field, 'path');
    assert.equal((await httpPost(port, '/v1/pushy')).status, 404, 'not under /v1/push/');
    assert.match((await httpPost(port, '/v1/pushy')).body.toString(), /no WebSocket/);
  });
});

describe(parseProxyV2.name, () => {
  it('reads IPv4 and IPv6 sources, LOCAL, partial headers, and refuses anything else', () => {
    assert.deepEqual(parseProxyV2(Buffer.concat([proxyV2('192.0.2.1'), Buffer.from('GET')])), { address: '192.0.2.1', length: 28 });
    assert.equal(parseProxyV2(proxyV2('192.0.2.1').subarray(0, 20)), undefined);
    assert.equal(parseProxyV2(proxyV2('192.0.2.1').subarray(0, 5)), undefined);
    const v6 = Buffer.concat([proxyV2('1.2.3.4').subarray(0, 13), Buffer.from([0x21, 0x00, 0x24]), Buffer.alloc(36)]);
    v6[16] = 0x20;
    v6[17] = 0x01;
    assert.deepEqual(parseProxyV2(v6), { address: '2001:0:0:0:0:0:0:0', length: 52 });
    const local = Buffer.from(proxyV2('1.2.3.4'));
    local[12] = 0x20;
    assert.equal(parseProxyV2(local)?.address, '');
    for (const bad of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([...proxyV2('1.2.3.4').subarray(0, 12), 0x11, 0x11, 0, 12])]) {
      assert.throws(() => parseProxyV2(bad), RangeError);
    }
    const huge = Buffer.from(proxyV2('1.2.3.4'));
    huge.writeUInt16BE(60_000, 14);
    assert.throws(() => parseProxyV2(huge), /at most/);
  });
});
