import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { InProcessBus } from './in-process-bus.js';
import { loadConfig } from './config.js';
import { initTracing, PACKET_SAMPLED, samplePacket, samplerFor, SpanKind, startSpan, startTracing, traceHeaders, tracingConfigSchema, withSpan } from './tracing.js';
import { AlwaysOffSampler } from '@opentelemetry/sdk-trace-base';
import { ResourceExhaustedError } from './errors.js';

describe(initTracing.name, () => {
  it('records nested spans through withSpan and marks failures without their message', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = initTracing({ serviceName: 'queue', exporter, simple: true });
    try {
      const out = await withSpan('outer', async () => withSpan('inner', () => 42, { attributes: { step: 1 } }));
      assert.equal(out, 42);
      await assert.rejects(withSpan('fails', () => { throw new ResourceExhaustedError('mailbox of abc full'); }), ResourceExhaustedError);
      const spans = exporter.getFinishedSpans();
      const byName = Object.fromEntries(spans.map((s) => [s.name, s]));
      assert.equal(byName.inner!.parentSpanContext?.spanId, byName.outer!.spanContext().spanId);
      assert.equal(byName.inner!.attributes.step, 1);
      assert.equal(byName.fails!.status.code, SpanStatusCode.ERROR);
      assert.equal(byName.fails!.attributes['error.type'], 'resource_exhausted');
      assert.doesNotMatch(JSON.stringify(byName.fails!.events), /abc/);
      assert.equal(byName.outer!.resource.attributes['service.name'], 'queue');
    } finally {
      await sut.shutdown();
    }
    assert.equal(trace.getActiveSpan(), undefined);
  });

  it('runs the function when tracing is not initialised', async () => {
    assert.equal(await withSpan('noop', () => 'ok'), 'ok');
  });
});

describe('trace context across the bus', () => {
  it('a request made in a sampled span carries its traceparent, and the handler runs as its child; none without one', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = initTracing({ serviceName: 'kit', exporter, simple: true });
    const bus = new InProcessBus();
    const heard: Array<string | undefined> = [];
    bus.serve('kit.trace', async (d, _s, headers) => {
      heard.push(headers?.traceparent);
      await withSpan('handler', () => undefined);
      return d;
    });
    try {
      assert.equal(traceHeaders(), undefined, 'no span active: nothing to carry');
      await bus.request('kit.trace', new Uint8Array([1]));
      await withSpan('caller', () => bus.request('kit.trace', new Uint8Array([2])));
      assert.equal(heard[0], undefined);
      assert.match(heard[1] ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      const spans = exporter.getFinishedSpans();
      const caller = spans.find((s) => s.name === 'caller')!;
      const handlers = spans.filter((s) => s.name === 'handler');
      assert.equal(handlers.length, 2);
      assert.ok(handlers.some((h) => h.parentSpanContext?.spanId === caller.spanContext().spanId && h.spanContext().traceId === caller.spanContext().traceId));
    } finally {
      await bus.close();
      await sut.shutdown();
    }
  });
});

describe('sampling', () => {
  it('samples one packet in 1 / ratio by counting, and none while tracing is off', async () => {
    assert.equal(samplePacket(), false, 'off');
    const sut = initTracing({ serviceName: 'kit', packetRatio: 0.25 });
    try {
      const picks = Array.from({ length: 20 }, () => samplePacket());
      assert.equal(picks.filter(Boolean).length, 5);
      assert.deepEqual(picks.slice(0, 4), [false, false, false, true]);
    } finally {
      await sut.shutdown();
    }
    assert.equal(samplePacket(), false);
  });

  it('records a chosen packet\'s root span even when the root sampler drops everything else', async () => {
    const exporter = new InMemorySpanExporter();
    const sut = initTracing({ serviceName: 'kit', exporter, simple: true, sampler: new AlwaysOffSampler() });
    try {
      startSpan('dropped', SpanKind.INTERNAL).span.end();
      startSpan('kept', SpanKind.SERVER, { [PACKET_SAMPLED]: true }).span.end();
      assert.deepEqual(exporter.getFinishedSpans().map((s) => s.name), ['kept']);
    } finally {
      await sut.shutdown();
    }
  });

  it('reads the standard settings: no endpoint, or OTEL_TRACES_EXPORTER=none, means no tracing; samplers by their OTel names', () => {
    const cfg = (env: Record<string, string>) => loadConfig(tracingConfigSchema, env);
    assert.equal(startTracing('kit', cfg({})), undefined);
    assert.equal(startTracing('kit', cfg({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_TRACES_EXPORTER: 'none' })), undefined);
    assert.match(samplerFor(cfg({})).toString(), /ParentBased.*TraceIdRatioBased\{0\.01\}/);
    assert.match(samplerFor(cfg({ OTEL_TRACES_SAMPLER: 'always_off' })).toString(), /AlwaysOff/);
    assert.throws(() => cfg({ OTEL_TRACES_SAMPLER_ARG: '1.5' }), /OTEL_TRACES_SAMPLER_ARG/);
    assert.throws(() => cfg({ OTEL_EXPORTER_OTLP_ENDPOINT: 'ftp://x' }), /OTEL_EXPORTER_OTLP_ENDPOINT/);
  });
});
