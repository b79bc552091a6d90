import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { initTracing, withSpan } from './tracing.js';
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
