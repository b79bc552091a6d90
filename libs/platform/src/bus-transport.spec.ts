// The @nestjs/microservices transport on the kit Bus, end to end: a controller served by BusServer,
// called through BusClientProxy — over a real nats-server (two connections) and the in-process bus.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Controller } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { InProcessBus, InvalidArgumentError, NatsBus, ResourceExhaustedError, TimeoutError, type Bus } from '@tacit/kit';
import { busRoute, queueV1 } from '@tacit/proto';
import { startNats, type NatsServer } from '@tacit/testing';
import { BusClientProxy } from './bus-client.js';
import { BusContext, BusHandle } from './bus-handle.js';
import { serveOnBus, type BusApp } from './serve.js';

// A route of our own on the queue's messages: the transport does not care what the service is.
const COUNT = busRoute('tacit.test.v1.count', queueV1.AckRequestSchema, queueV1.AckReplySchema, 'test');

@Controller()
class CountController {
  readonly subjects: string[] = [];

  @BusHandle(COUNT)
  async count(@Payload() req: queueV1.AckRequest, @Ctx() ctx: BusContext): Promise<queueV1.AckReply> {
    this.subjects.push(ctx.getSubject());
    const n = req.refs.length;
    if (n === 2) throw new ResourceExhaustedError('two is too many');
    if (n === 3) throw new Error('a bug with secret details');
    if (n === 4) await new Promise((r) => setTimeout(r, 1000));
    return { $typeName: 'tacit.queue.v1.AckReply', deleted: n * 10 };
  }
}

const refs = (n: number) => ({ refs: Array.from({ length: n }, () => ({ mailboxId: new Uint8Array(16), packetId: new Uint8Array(16) })) });

function transportSpec(buses: () => { server: Bus; client: Bus }): void {
  let app: BusApp;
  let client: BusClientProxy;
  before(async () => {
    const { server, client: c } = buses();
    app = await serveOnBus(server, { module: class CountModule {}, controllers: [CountController] });
    client = new BusClientProxy(c, { timeoutMs: 300 });
  });
  after(async () => app?.close());

  it('request/reply: the handler gets the decoded message and its context; the caller the decoded reply', async () => {
    assert.equal((await client.call(COUNT, refs(1))).deleted, 10);
    assert.equal((await client.call(COUNT, refs(5))).deleted, 50);
    assert.deepEqual(app.app.get(CountController).subjects.slice(0, 2), [COUNT.subject, COUNT.subject]);
  });

  it('typed errors arrive as the same class with their message; an untyped one as InternalError without its details', async () => {
    await assert.rejects(client.call(COUNT, refs(2)), (err: unknown) => err instanceof ResourceExhaustedError && err.message === 'two is too many');
    await assert.rejects(client.call(COUNT, refs(3)), (err: unknown) => err instanceof Error && err.name === 'InternalError' && !err.message.includes('secret'));
  });

  it('bytes that are not the route\'s message are the caller\'s fault: InvalidArgumentError naming the message', async () => {
    const { client: c } = buses();
    await assert.rejects(c.request(COUNT.subject, new Uint8Array([0xff, 0xff, 0xff])), (err: unknown) => err instanceof InvalidArgumentError && /AckRequest/.test(err.message));
  });

  it('a handler slower than the caller\'s timeout: TimeoutError; the server still answers what it took', async () => {
    await assert.rejects(client.call(COUNT, refs(4)), TimeoutError);
    assert.equal((await client.call(COUNT, refs(1))).deleted, 10, 'and the next request is answered');
  });
}

describe('bus transport (BusServer, BusClientProxy)', () => {
  describe('over a real nats-server, two connections', () => {
    let nats: NatsServer;
    let server: NatsBus;
    let client: NatsBus;
    before(async () => {
      nats = await startNats({ jetstream: false });
      [server, client] = await Promise.all([
        NatsBus.connect({ url: nats.url, name: 'server', reconnectTimeWaitMs: 100, reconnectJitterMs: 50 }),
        NatsBus.connect({ url: nats.url, name: 'client', reconnectTimeWaitMs: 100, reconnectJitterMs: 50 }),
      ]);
    });
    after(async () => {
      await Promise.allSettled([server?.close(), client?.close()]);
      await nats?.stop();
    });
    transportSpec(() => ({ server, client }));

    it('serves again after nats-server restarts (the subscriptions come back with the connection)', async () => {
      const app = await serveOnBus(server, { module: class RestartModule {}, controllers: [CountController] });
      try {
        const proxy = new BusClientProxy(client, { timeoutMs: 500 });
        assert.equal((await proxy.call(COUNT, refs(1))).deleted, 10);
        await nats.restart();
        const t0 = Date.now();
        let answered = false;
        while (!answered && Date.now() - t0 < 10_000) {
          answered = await proxy.call(COUNT, refs(1)).then(() => true, () => false);
        }
        assert.ok(answered, 'answered again within 10 s of the restart');
      } finally {
        await app.close();
      }
    });
  });

  describe('over the in-process bus', () => {
    const bus = new InProcessBus();
    after(async () => bus.close());
    transportSpec(() => ({ server: bus, client: bus }));

    it('stops serving on close, answering first what it took', async () => {
      const app = await serveOnBus(bus, { module: class CloseModule {}, controllers: [CountController] });
      const proxy = new BusClientProxy(bus, { timeoutMs: 3000 });
      const slow = proxy.call(COUNT, refs(4));
      await new Promise((r) => setTimeout(r, 50));
      await app.close();
      assert.equal((await slow).deleted, 40);
    });
  });
});
