// What one replica sends another over the bus, and when: a turn's packets and statuses in one
// callback (nats.js writes what one callback published in one syscall), at once on a quiet link,
// GATEWAY_REPLICA_COALESCE_MS after the last time on a busy one.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { setImmediate as turn } from 'node:timers/promises';
import { InProcessBus, type Bus } from '@tacit/kit';
import { GATEWAY_SUBJECTS } from '@tacit/proto';
import { FRAME_PACKET_AT, type Packet } from '@tacit/protocol';
import { keyOf } from './keys.js';
import { ReplicaLink } from './replica-link.js';
import { ackFrame, Owner, replica, sendFrame, until, type Replica } from './spec-fixtures.js';

/** A packet as the link carries it: the SEND frame after its type byte. */
const wire = (p: Packet): Uint8Array => sendFrame(p).subarray(FRAME_PACKET_AT);

/** A bus call as nats.js would write it: `write` counts the synchronous runs (one syscall each). */
interface Sent {
  kind: 'request' | 'publish';
  subject: string;
  write: number;
  /** performance.now() when it was made. */
  at: number;
}

/**
 * An in-process bus that records each request and publish, numbering the synchronous run it was made
 * in (a run ends at the next microtask, where nats.js flushes what the run published).
 */
function recordingBus(): { bus: Bus; sent: Sent[] } {
  const inner = new InProcessBus();
  const sent: Sent[] = [];
  let write = 0;
  let open = false;
  const record = (kind: Sent['kind'], subject: string) => {
    if (!open) {
      open = true;
      write++;
      queueMicrotask(() => void (open = false));
    }
    sent.push({ kind, subject, write, at: performance.now() });
  };
  const bus = new Proxy(inner, {
    get(target, key, receiver) {
      if (key === 'request') return (subject: string, ...rest: unknown[]) => (record('request', subject), (target.request as (...a: unknown[]) => unknown)(subject, ...rest));
      if (key === 'publish') return (subject: string, ...rest: unknown[]) => (record('publish', subject), (target.publish as (...a: unknown[]) => unknown)(subject, ...rest));
      const v = Reflect.get(target, key, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { bus, sent };
}

describe(ReplicaLink.name, () => {
  const open: Replica[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((r) => r.close()));
  });
  const pair = (coalesceMs: number) => {
    const { bus, sent } = recordingBus();
    const config = { GATEWAY_REPLICA_COALESCE_MS: String(coalesceMs) };
    const [a, b] = [replica({ bus, config }), replica({ bus, config })];
    open.push(a, b);
    return { a, b, sent };
  };
  const toReplica = (r: Replica) => GATEWAY_SUBJECTS.replica + r.identity.id;

  it('sends at the end of the turn on a quiet link, and waits GATEWAY_REPLICA_COALESCE_MS after the last send on a busy one, all it collected in one request', async () => {
    const { a, b, sent } = pair(1000);
    const bob = new Owner();
    const rx = await b.claimed(bob);
    const key = keyOf(bob.mailbox);
    a.link.routes.learn(key, b.identity.id);
    const batches = () => sent.filter((s) => s.subject === toReplica(b));
    const deliveries: unknown[] = [];

    void a.link.deliver(key, wire(bob.packet()));
    await turn();
    assert.equal(batches().length, 1, 'a quiet link: out at the end of the turn');
    // Busy now: what comes within 1 s of that send waits for the window's end, together.
    void a.link.deliver(key, wire(bob.packet()));
    await turn();
    void a.link.deliver(key, wire(bob.packet()));
    await turn();
    assert.equal(batches().length, 1, 'a busy link: held');
    await until(() => batches().length === 2, 3000, 'the held batch');
    // (libuv's timers read a clock of whole milliseconds: a timer may seem up to 1 ms early here.)
    assert.ok(batches()[1]!.at - batches()[0]!.at >= 990, `held ${batches()[1]!.at - batches()[0]!.at} ms`);
    await until(() => (deliveries.push(...rx.ws.frames().filter((f) => f.type === 'deliver')), deliveries.length === 3), 2000, 'three deliveries');
    // Quiet again after the window: at once.
    await new Promise((r) => setTimeout(r, 1050));
    void a.link.deliver(key, wire(bob.packet()));
    await turn();
    assert.equal(batches().length, 3);
  });

  it('with GATEWAY_REPLICA_COALESCE_MS=0, every turn sends what it has', async () => {
    const { a, b, sent } = pair(0);
    const bob = new Owner();
    await b.claimed(bob);
    const key = keyOf(bob.mailbox);
    a.link.routes.learn(key, b.identity.id);
    for (let i = 1; i <= 3; i++) {
      void a.link.deliver(key, wire(bob.packet()));
      await turn();
      assert.equal(sent.filter((s) => s.subject === toReplica(b)).length, i);
    }
  });

  it("a turn's statuses and packets for another replica go in one write", async () => {
    const { a, b, sent } = pair(0);
    const [bob, alice] = [new Owner(), new Owner()];
    const rxBob = await b.claimed(bob);
    await a.claimed(alice);
    const bobKey = keyOf(bob.mailbox);
    a.link.routes.learn(bobKey, b.identity.id);
    b.link.routes.learn(keyOf(alice.mailbox), a.identity.id);
    const delivered = a.link.deliver(bobKey, wire(bob.packet()));
    const ids: Uint8Array[] = [];
    await until(() => (ids.push(...rxBob.ws.frames().flatMap((f) => (f.type === 'deliver' ? [f.packet.packetId] : []))), ids.length > 0), 2000, 'the delivery to bob');
    sent.length = 0;
    // In one turn on b: bob acks (a status for a) and a packet leaves for alice (a batch for a).
    b.receive(rxBob.conn, ackFrame(ids));
    void b.link.deliver(keyOf(alice.mailbox), wire(alice.packet()));
    assert.equal(await delivered, 'acked');
    const status = sent.find((s) => s.kind === 'publish' && s.subject.startsWith(GATEWAY_SUBJECTS.replicaStatus));
    const batch = sent.find((s) => s.kind === 'request' && s.subject === toReplica(a));
    assert.ok(status && batch, JSON.stringify(sent));
    assert.equal(status.write, batch.write, 'one write');
  });
});
