// Traces that cross NATS: the gateway and the queue as the cluster runs them (each its own process,
// each exporting over OTLP as its settings say) and a real tracing backend (Jaeger) receiving them.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { currentEpoch, destHash, mailboxId } from '@tacit/protocol';
import { newMailboxIdentity } from '@tacit/sdk';
import { freePort, startJaeger, startNats, startPostgres, startRedis, waitFor, type JaegerSpan, type JaegerTrace } from '@tacit/testing';
import { client, enc, ns, procs, ready, start } from './procs.js';

/** The service that sent `span`. */
const serviceOf = (trace: JaegerTrace, span: JaegerSpan) => trace.processes[span.processID]!.serviceName;
const parentOf = (span: JaegerSpan) => span.references.find((r) => r.refType === 'CHILD_OF')?.spanID;

describe('traces across services', { timeout: 120_000 }, () => {
  after(async () => {
    await Promise.all(procs.map((p) => p.exit('SIGKILL')));
  });

  it('a packet queued for an offline recipient: one trace, gateway → queue → gateway, with no id, key or payload in it', async () => {
    const [jaeger, nats, postgres, redis] = await Promise.all([startJaeger(), startNats({ jetstream: false }), startPostgres(), startRedis()]);
    try {
      const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpHttpUrl, OTEL_BSP_SCHEDULE_DELAY: '100' };
      const queueOps = await freePort();
      const queue = start('queue', { ...tracing, NATS_URL: nats.url, DATABASE_URL: postgres.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(queueOps) });
      await ready(`http://127.0.0.1:${queueOps}/readyz`, queue);
      const [port, gatewayOps] = [await freePort(), await freePort()];
      const gateway = start('gateway', {
        ...tracing,
        // Every packet traced, for the spec; the default is one in a thousand.
        TACIT_TRACE_PACKET_RATIO: '1',
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        HOST: '127.0.0.1',
        PORT: String(port),
        OPS_HOST: '127.0.0.1',
        OPS_PORT: String(gatewayOps),
      });
      await ready(`http://127.0.0.1:${gatewayOps}/readyz`, gateway);
      const sender = client(`ws://127.0.0.1:${port}/v1`, newMailboxIdentity());
      const away = newMailboxIdentity();
      await sender.connect();
      const payload = 'marker-7f3a9c';
      await sender.send(away.publicKey, enc(payload));
      sender.close();

      // The packet's trace: its root is the gateway's send.
      let found: JaegerTrace | undefined;
      await waitFor(
        async () => {
          const traces = await jaeger.traces('tacit-gateway', { operation: 'tacit.gateway.send' });
          found = traces.find((t) => t.spans.some((s) => s.operationName === 'tacit.gateway.answer') && t.spans.some((s) => serviceOf(t, s) === 'tacit-queue'));
          return found !== undefined;
        },
        { timeoutMs: 15_000, intervalMs: 200, what: 'the packet\'s trace in Jaeger' },
      );
      const trace = found!;
      const byName = (name: string) => trace.spans.find((s) => s.operationName === name);
      const send = byName('tacit.gateway.send')!;
      const request = trace.spans.find((s) => s.operationName === 'tacit.queue.v1.enqueue' && serviceOf(trace, s) === 'tacit-gateway')!;
      const served = trace.spans.find((s) => s.operationName === 'tacit.queue.v1.enqueue' && serviceOf(trace, s) === 'tacit-queue')!;
      const answer = byName('tacit.gateway.answer')!;
      assert.ok(send && request && served && answer, `spans: ${trace.spans.map((s) => `${serviceOf(trace, s)}/${s.operationName}`).join(', ')}`);
      // gateway → queue: the queue's span is the child of the gateway's request, which is the send's.
      assert.equal(parentOf(send), undefined, 'the send is the root');
      assert.equal(parentOf(request), send.spanID);
      assert.equal(parentOf(served), request.spanID, 'the context crossed NATS');
      // → gateway: the answer to the sender comes after the queue's work, in the same trace.
      assert.equal(parentOf(answer), send.spanID);
      assert.ok(answer.startTime >= served.startTime + served.duration - 1000, 'answered after the queue stored it');
      assert.ok(new Set(trace.spans.map((s) => s.traceID)).size === 1);
      // Nothing in the trace names the mailbox, the key or the payload.
      const text = JSON.stringify(trace);
      const epoch = currentEpoch(Date.now());
      const mailboxes = [epoch - 1, epoch, epoch + 1].map((e) => Buffer.from(mailboxId(destHash(ns, away.publicKey, e), away.publicKey)).toString('hex'));
      for (const secret of [Buffer.from(away.publicKey).toString('hex'), Buffer.from(away.publicKey).toString('base64'), payload, ...mailboxes]) {
        assert.ok(!text.includes(secret), `the trace carries ${secret}`);
      }
      assert.equal(await gateway.exit('SIGTERM'), 0);
      assert.equal(await queue.exit('SIGTERM'), 0);
    } finally {
      await Promise.all([jaeger.stop(), nats.stop(), postgres.stop(), redis.stop()]);
    }
  });
});
