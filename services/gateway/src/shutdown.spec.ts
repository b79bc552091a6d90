import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NoRespondersError } from '@tacit/kit';
import { create, GATEWAY_SUBJECTS, gatewayV1, toBinary } from '@tacit/proto';
import { CloseCode, encodePacket, GoawayReason } from '@tacit/protocol';
import { hexId } from './presence.js';
import { GatewayShutdown } from './shutdown.js';
import { ackFrame, FakeQueue, Owner, replica, until, type Replica } from './spec-fixtures.js';

const poke = toBinary(gatewayV1.MailboxEventSchema, create(gatewayV1.MailboxEventSchema, { event: { case: 'poke', value: {} } }));

describe(GatewayShutdown.name, () => {
  let sut: Replica;
  afterEach(async () => sut?.close());

  it('tells every client to go (GOAWAY DRAINING), waits for sends in flight within the grace, closes with 1012, and stops serving its mailboxes', async () => {
    sut = replica();
    const bob = new Owner();
    const rx = await sut.claimed(bob);
    const other = sut.connect();
    other.conn.inflight = 1; // a send not yet answered
    setTimeout(() => (other.conn.inflight = 0), 100);
    const t0 = Date.now();
    await sut.shutdown.run(5000);
    assert.ok(Date.now() - t0 >= 90, 'waited for the send in flight');
    for (const c of [rx, other]) {
      const [goaway] = c.ws.frames();
      assert.ok(goaway?.type === 'goaway' && goaway.reason === GoawayReason.DRAINING);
      assert.ok(goaway.retryAfterMs >= 0 && goaway.retryAfterMs < 1000);
      assert.equal(c.ws.closed?.code, CloseCode.SERVICE_RESTART);
    }
    assert.equal(sut.connections.size, 0);
    assert.equal(sut.shutdown.accepting, false);
    await assert.rejects(sut.bus.request(GATEWAY_SUBJECTS.mailbox + hexId(bob.mailbox), poke), NoRespondersError);
    await assert.rejects(sut.bus.request(GATEWAY_SUBJECTS.replica + sut.identity.id, new Uint8Array(0)), NoRespondersError);
  });

  it('gives up on sends in flight after the grace', async () => {
    sut = replica();
    const c = sut.connect();
    c.conn.inflight = 1;
    const t0 = Date.now();
    const running = sut.shutdown.run(3000);
    await new Promise((r) => setTimeout(r, 50));
    sut.clock.advance(3001);
    await running;
    assert.ok(Date.now() - t0 < 2000, 'the grace is kept by the gateway\'s clock');
    assert.equal(c.ws.closed?.code, CloseCode.SERVICE_RESTART);
  });

  it('hands the queue the acks that arrived last, and waits for them', async () => {
    const queue = new FakeQueue();
    sut = replica({ queue });
    const bob = new Owner();
    const p = bob.packet();
    queue.stored.push({ seq: 1n, expiryDay: 20_000, mailboxId: bob.mailbox, packetId: p.packetId, packet: encodePacket(p) });
    const rx = await sut.claimed(bob);
    await until(() => rx.ws.written.length > 0);
    // The ACK arrives, and the drain begins in the same turn: its delete is on its way.
    let answered = false;
    const ack = queue.ack.bind(queue);
    queue.ack = async (refs) => {
      await new Promise((r) => setTimeout(r, 100));
      answered = true;
      return ack(refs);
    };
    sut.receive(rx.conn, ackFrame([p.packetId]));
    await sut.shutdown.run(0);
    assert.equal(answered, true, 'the queue answered the last ack before the drain ended');
    assert.equal(queue.stored.length, 0);
  });
});
