import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Metrics } from './metrics.js';
import { Counter } from 'prom-client';

describe(Metrics.name, () => {
  it('prefixes names, labels the service and exposes default process metrics', async () => {
    const sut = new Metrics({ service: 'queue' });
    sut.counter({ name: 'messages_total', help: 'Messages stored.', labelNames: ['outcome'] }).inc({ outcome: 'ok' }, 2);
    sut.gauge({ name: 'mailboxes', help: 'Open mailboxes.' }).set(5);
    sut.histogram({ name: 'drain_seconds', help: 'Drain time.', buckets: [0.1, 1] }).observe(0.5);
    const text = await sut.text();
    assert.match(text, /^tacit_queue_messages_total\{outcome="ok",service="queue"\} 2$/m);
    assert.match(text, /^tacit_queue_mailboxes\{service="queue"\} 5$/m);
    assert.match(text, /^tacit_queue_drain_seconds_bucket\{le="1",service="queue"\} 1$/m);
    assert.match(text, /^process_cpu_user_seconds_total/m);
    assert.match(sut.contentType, /^text\/plain/);
  });

  it('returns the existing metric for a repeated name and refuses a type clash', () => {
    const sut = new Metrics({ service: 'gateway', defaultMetrics: false });
    const a = sut.counter({ name: 'frames_total', help: 'h' });
    assert.equal(sut.counter({ name: 'frames_total', help: 'h' }), a);
    assert.throws(() => sut.gauge({ name: 'frames_total', help: 'h' }), TypeError);
  });

  it('keeps cluster names for services co-hosted on one registry', async () => {
    const node = new Metrics({ service: 'node', defaultMetrics: false });
    node.forService('queue').counter({ name: 'acks_total', help: 'h' }).inc();
    assert.match(await node.text(), /^tacit_queue_acks_total\{service="node"\} 1$/m);
  });

  it('counts through cells that the counter takes in when read, per label, and only for its own counters', async () => {
    const m = new Metrics({ service: 'cells', defaultMetrics: false });
    const frames = m.counter({ name: 'frames_total', help: 'h', labelNames: ['type'] as const });
    const send = Metrics.cell(frames, { type: 'send' });
    const ack = Metrics.cell(frames, { type: 'ack' });
    const plain = Metrics.cell(m.counter({ name: 'plain_total', help: 'h' }));
    for (let i = 0; i < 5; i++) send.inc();
    ack.inc(3);
    plain.inc(2);
    frames.inc({ type: 'send' }, 10); // the counter's own inc still adds up with its cell
    const text = await m.text();
    assert.match(text, /tacit_cells_frames_total\{type="send",service="cells"\} 15/);
    assert.match(text, /tacit_cells_frames_total\{type="ack",service="cells"\} 3/);
    assert.match(text, /tacit_cells_plain_total\{service="cells"\} 2/);
    send.inc();
    // Read again: taken in once, not twice.
    assert.equal((await frames.get()).values.find((v) => v.labels.type === 'send')?.value, 16);
    assert.throws(() => Metrics.cell(new Counter({ name: 'foreign_total', help: 'h', registers: [] })), TypeError);
    assert.throws(() => Metrics.cell(frames, { kind: 'x' } as never), /label/i);
  });

  it('reads a sampled gauge when the gauge is read', async () => {
    const m = new Metrics({ service: 'sampled', defaultMetrics: false });
    const g = m.gauge({ name: 'buffered_bytes', help: 'h' });
    let value = 7;
    Metrics.sample(g, () => value);
    assert.match(await m.text(), /tacit_sampled_buffered_bytes\{service="sampled"\} 7/);
    value = 9;
    assert.equal((await g.get()).values[0]?.value, 9);
  });

  it('rejects a service name that would make invalid metric names', () => {
    assert.throws(() => new Metrics({ service: 'Bad-Name' }), RangeError);
  });
});
