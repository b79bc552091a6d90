// Runs against a real nats-server (the cluster shape is always tested against real servers). kit
// may not depend on @tacit/testing (lint: kit imports core and kit only), so it starts its own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { NatsBus, type NatsBusStatus } from './nats-bus.js';
import { InternalError, NoRespondersError, ResourceExhaustedError, TimeoutError, UnavailableError } from './errors.js';

const NATS_SERVER = existsSync('/root/.cache/tacit/bin/nats-server') ? '/root/.cache/tacit/bin/nats-server' : 'nats-server';
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function startNats(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited with ${proc.exitCode}`);
    if (await canConnect(port)) return proc;
    await sleep(50);
  }
  proc.kill('SIGKILL');
  throw new Error('nats-server did not start within 5 s');
}

async function stopNats(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGKILL');
  await exited;
}

async function eventually<T>(fn: () => Promise<T>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

async function waitUntil(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(5);
  }
}

describe(NatsBus.name, () => {
  let dir: string;
  let port: number;
  let server: ChildProcess;
  const buses: NatsBus[] = [];
  const connect = async (name: string): Promise<NatsBus> => {
    const bus = await NatsBus.connect({ url: `nats://127.0.0.1:${port}`, name, reconnectTimeWaitMs: 100, reconnectJitterMs: 50 });
    buses.push(bus);
    return bus;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kit-nats-'));
    port = await freePort();
    server = await startNats(port, dir);
  });

  after(async () => {
    await Promise.allSettled(buses.map((b) => b.close()));
    await stopNats(server);
    await rm(dir, { recursive: true, force: true });
  });

  it('carries headers both ways across connections (lowercase names), and none when none are given', async () => {
    const [server, client] = [await connect('hdr-server'), await connect('hdr-client')];
    const seen: Array<Record<string, string> | undefined> = [];
    server.serve('kit.headers', (data, _subject, headers) => {
      seen.push(headers ? { ...headers } : undefined);
      return data;
    });
    server.subscribe('kit.headers.event', (_d, _s, headers) => void seen.push(headers ? { ...headers } : undefined));
    await server.settled();
    await client.request('kit.headers', bytes('x'), { headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'X-Mixed': 'v' } });
    await client.request('kit.headers', bytes('y'));
    client.publish('kit.headers.event', bytes('z'), { headers: { tracestate: 'a=1' } });
    await waitUntil(() => seen.length === 3);
    assert.deepEqual(seen, [{ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', 'x-mixed': 'v' }, undefined, { tracestate: 'a=1' }]);
  });

  it('answers a request and reports ready', async () => {
    const sut = await connect('echo');
    sut.serve('kit.echo', (data, subject) => bytes(`${subject}:${text(data)}`));
    assert.equal(sut.ready, true);
    await sut.check();
    assert.equal(text(await sut.request('kit.echo', bytes('hi'))), 'kit.echo:hi');
  });

  it('settled(): a subscription made on one connection serves a request sent from another right after; a closed bus resolves too', async () => {
    const server = await connect('settle-server');
    const client = await connect('settle-client');
    for (let i = 0; i < 100; i++) {
      server.serve(`kit.settle.${i}`, () => bytes(`ok${i}`));
      await server.settled();
      assert.equal(text(await client.request(`kit.settle.${i}`, bytes(''))), `ok${i}`, `round ${i}`);
    }
    const gone = await connect('settle-gone');
    await gone.close();
    await gone.settled();
  });

  it('routes each of many concurrent replies, answered out of order, to its own request', async () => {
    const sut = await connect('many');
    // Replies come back in reverse order of arrival, after a late one timed out and was dropped.
    sut.serve('kit.many', async (data) => (await sleep(40 - Number(text(data)) / 20), data));
    await sut.check();
    const late = assert.rejects(sut.request('kit.many', bytes('0'), { timeoutMs: 5 }), TimeoutError);
    const replies = await Promise.all(Array.from({ length: 500 }, (_, i) => sut.request('kit.many', bytes(String(i)))));
    assert.deepEqual(replies.map(text), Array.from({ length: 500 }, (_, i) => String(i)));
    await late;
  });

  it('carries typed errors across the hop, and hides untyped ones', async () => {
    const errors: unknown[] = [];
    const responder = await NatsBus.connect({ url: `nats://127.0.0.1:${port}`, name: 'err', onError: (e) => errors.push(e) });
    buses.push(responder);
    const sut = await connect('err-client');
    responder.serve('kit.full', () => {
      throw new ResourceExhaustedError('mailbox full');
    });
    responder.serve('kit.bug', async () => {
      throw new Error('db password in here');
    });
    await responder.check();
    await assert.rejects(sut.request('kit.full', bytes('')), (e) => e instanceof ResourceExhaustedError && e.message === 'mailbox full' && e.retryable);
    await assert.rejects(sut.request('kit.bug', bytes('')), (e) => e instanceof InternalError && e.message === 'internal error');
    assert.equal(errors.length, 1);
  });

  it('rejects with NoRespondersError when nobody serves the subject', async () => {
    const sut = await connect('nobody');
    const started = Date.now();
    await assert.rejects(sut.request('kit.nobody', bytes(''), { timeoutMs: 3000 }), NoRespondersError);
    assert.ok(Date.now() - started < 1000, 'no responders is immediate, not a timeout');
  });

  it('rejects with TimeoutError when the responder is too slow', async () => {
    const sut = await connect('slow');
    sut.serve('kit.slow', async () => (await sleep(300), bytes('late')));
    await sut.check();
    await assert.rejects(sut.request('kit.slow', bytes(''), { timeoutMs: 50 }), TimeoutError);
  });

  it('splits a queue group across members', async () => {
    const members = await Promise.all([connect('q1'), connect('q2'), connect('q3')]);
    const counts = [0, 0, 0];
    members.forEach((m, i) => m.serve('kit.work', () => (counts[i]!++, bytes('ok')), { queue: 'workers' }));
    await Promise.all(members.map((m) => m.check()));
    const sut = await connect('q-client');
    await Promise.all(Array.from({ length: 60 }, () => sut.request('kit.work', bytes(''))));
    assert.equal(counts.reduce((a, b) => a + b), 60, 'each request answered exactly once');
    assert.ok(counts.every((c) => c > 0), `every member served some: ${counts.join(',')}`);
  });

  it('delivers events to subscribers, with wildcards, isolating listener failures', async () => {
    const errors: unknown[] = [];
    const sut = await NatsBus.connect({ url: `nats://127.0.0.1:${port}`, name: 'events', onError: (e) => errors.push(e) });
    buses.push(sut);
    const got: string[] = [];
    sut.subscribe('kit.evt.>', (d, s) => got.push(`${s}:${text(d)}`));
    sut.subscribe('kit.evt.>', async () => {
      throw new Error('async listener failed');
    });
    await sut.check();
    sut.publish('kit.evt.a.b', bytes('1'));
    await eventually(async () => assert.deepEqual([got, errors.length], [['kit.evt.a.b:1'], 1]), 2000);
  });

  it('lets running handlers reply before close resolves', async () => {
    const responder = await connect('drain');
    responder.serve('kit.drain', async () => (await sleep(100), bytes('done')));
    await responder.check();
    const sut = await connect('drain-client');
    const reply = sut.request('kit.drain', bytes(''));
    await sleep(30);
    await responder.close();
    assert.equal(text(await reply), 'done');
    assert.equal(responder.status, 'closed');
  });

  it('fails fast with UnavailableError when the server is unreachable', async () => {
    const dead = await freePort();
    await assert.rejects(NatsBus.connect({ url: `nats://127.0.0.1:${dead}`, name: 'dead' }), UnavailableError);
  });

  it('survives a nats-server restart on the same port', async () => {
    const responder = await connect('restart');
    const sut = await connect('restart-client');
    const statuses: NatsBusStatus[] = [];
    sut.onStatus((s) => statuses.push(s));
    responder.serve('kit.restart', () => bytes('pong'), { queue: 'r' });
    const heard: string[] = [];
    responder.subscribe('kit.restart.evt', (d) => heard.push(text(d)));
    await responder.check();
    assert.equal(text(await sut.request('kit.restart', bytes(''))), 'pong');

    await stopNats(server);
    await eventually(async () => assert.equal(sut.ready, false), 5000);
    await assert.rejects(sut.check(), UnavailableError);

    server = await startNats(port, dir);
    // Both clients must reconnect and the responder re-subscribe: poll like a real client would.
    assert.equal(text(await eventually(() => sut.request('kit.restart', bytes(''), { timeoutMs: 500 }))), 'pong');
    assert.equal(sut.ready, true);
    assert.ok(statuses.includes('disconnected') && statuses.at(-1) === 'connected', statuses.join(','));
    sut.publish('kit.restart.evt', bytes('after'));
    await eventually(async () => assert.deepEqual(heard, ['after']), 2000);
  });

  it('a restart: a request in flight is rejected at once (UnavailableError), one made while disconnected is answered once connected again', async () => {
    const responder = await connect('lost-server');
    const sut = await connect('lost-client');
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    responder.serve('kit.lost.slow', async () => (await slow, bytes('late')));
    responder.serve('kit.lost.fast', () => bytes('pong'));
    await responder.settled();
    try {
      const t0 = performance.now();
      const inFlight = assert.rejects(sut.request('kit.lost.slow', bytes(''), { timeoutMs: 10_000 }), UnavailableError);
      await sleep(50);
      await stopNats(server);
      // Its reply would go to the dead connection's inbox: rejected when the loss is seen, not at 10 s.
      await inFlight;
      assert.ok(performance.now() - t0 < 5000, `rejected after ${(performance.now() - t0).toFixed(0)} ms`);
      await eventually(async () => assert.equal(sut.ready, false), 5000);
      // Made while disconnected: held (not in nats.js's reconnect buffer, which would go out before the
      // inbox is subscribed again and lose the reply), sent once connected. The responder, reconnecting
      // too, may not serve it yet (no responders): then it is asked again, as a caller would.
      const waiting = sut.request('kit.lost.fast', bytes(''), { timeoutMs: 5000 }).catch((err: unknown) =>
        err instanceof NoRespondersError ? eventually(() => sut.request('kit.lost.fast', bytes(''), { timeoutMs: 1000 })) : Promise.reject(err),
      );
      await sleep(300);
      server = await startNats(port, dir);
      assert.equal(text(await waiting), 'pong');
    } finally {
      release();
      if (server.exitCode !== null || server.signalCode !== null) server = await startNats(port, dir);
    }
  });

  it('while disconnected, requests wait up to a bound (32 MiB); past it they fail at once with UnavailableError', async () => {
    const sut = await connect('parked');
    await stopNats(server);
    try {
      await eventually(async () => assert.equal(sut.ready, false), 5000);
      const big = new Uint8Array(4 * 2 ** 20);
      const held = Array.from({ length: 8 }, () => sut.request('kit.parked', big, { timeoutMs: 400 }).catch((err: unknown) => err));
      const t0 = performance.now();
      await assert.rejects(sut.request('kit.parked', big, { timeoutMs: 60_000 }), UnavailableError);
      assert.ok(performance.now() - t0 < 100, 'refused at once, not at its timeout');
      // The held ones time out as any request does, and free their room.
      for (const err of await Promise.all(held)) assert.ok(err instanceof TimeoutError, String(err));
      const again = sut.request('kit.parked', big, { timeoutMs: 100 });
      await assert.rejects(again, TimeoutError);
    } finally {
      server = await startNats(port, dir);
    }
  });
});
