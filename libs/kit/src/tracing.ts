/**
 * OpenTelemetry tracing, kept light: a NodeTracerProvider that propagates context but exports
 * nothing unless an exporter is passed in, so tracing costs no network by default.
 * @module
 */
import { SpanStatusCode, context, propagation, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

/** Options of {@link initTracing}. */
export interface TracingOptions {
  serviceName: string;
  /** Where finished spans go; without one spans are created (context propagates) but dropped. */
  exporter?: SpanExporter;
  /** Export span by span instead of in batches (tests; default false). */
  simple?: boolean;
}

/** Handle returned by {@link initTracing}. */
export interface Tracing {
  readonly provider: NodeTracerProvider;
  readonly tracer: Tracer;
  /** Flushes pending spans and unregisters the global provider. */
  shutdown(): Promise<void>;
}

const _TRACER = '@tacit/kit';

/** Registers a global tracer provider for the process; call once, at boot. */
export function initTracing(opts: TracingOptions): Tracing {
  const spanProcessors = opts.exporter
    ? [opts.simple ? new SimpleSpanProcessor(opts.exporter) : new BatchSpanProcessor(opts.exporter)]
    : [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors,
  });
  provider.register();
  return {
    provider,
    tracer: trace.getTracer(_TRACER),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/**
 * Runs `fn` in a new active span and ends it, marking it failed if `fn` throws. Only the error's
 * name and code go on the span, never its message: messages may quote input.
 */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  opts: { attributes?: Attributes; tracer?: Tracer } = {},
): Promise<T> {
  const tracer = opts.tracer ?? trace.getTracer(_TRACER);
  return tracer.startActiveSpan(name, { attributes: opts.attributes ?? {} }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      const e = err as { name?: unknown; code?: unknown };
      span.setAttribute('error.type', typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'unknown');
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw err;
    } finally {
      span.end();
    }
  });
}
