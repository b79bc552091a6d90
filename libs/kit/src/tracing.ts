/**
 * OpenTelemetry tracing. Off unless an exporter is configured (the standard `OTEL_*` settings, see
 * {@link tracingConfigSchema}): then spans go out over OTLP, and the trace context crosses the bus in
 * message headers (W3C `traceparent`), so one trace follows a request from service to service.
 * While tracing is off every helper here costs one boolean test.
 * @module
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  SamplingDecision,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import type { BusHeaders } from './bus.js';
import { defineConfig, int, oneOf, ratio, string, url, type Config } from './config.js';

const _TRACER = '@tacit/kit';
const _SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

/**
 * The standard OpenTelemetry settings every service reads (the OTel SDK's own names and meanings),
 * plus how often the packet path is traced. Tracing is on when an OTLP endpoint is set.
 */
export const tracingConfigSchema = defineConfig({
  OTEL_EXPORTER_OTLP_ENDPOINT: url({ optional: true, protocols: ['http:', 'https:'], description: 'OTLP/HTTP collector base URL (traces go to <url>/v1/traces); unset: tracing off' }),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url({ optional: true, protocols: ['http:', 'https:'], description: 'full OTLP/HTTP traces URL; overrides OTEL_EXPORTER_OTLP_ENDPOINT' }),
  OTEL_EXPORTER_OTLP_PROTOCOL: oneOf(['http/protobuf', 'http/json'] as const, { default: 'http/protobuf', description: 'OTLP encoding (gRPC is not built in)' }),
  OTEL_EXPORTER_OTLP_HEADERS: string({ optional: true, secret: true, description: 'headers for the collector, `k=v,k2=v2` (e.g. an API key)' }),
  OTEL_TRACES_EXPORTER: oneOf(['otlp', 'none'] as const, { default: 'otlp', description: 'none turns tracing off whatever the endpoint' }),
  OTEL_TRACES_SAMPLER: oneOf(_SAMPLERS, { default: 'parentbased_traceidratio', description: 'sampler of root spans (OTel names)' }),
  OTEL_TRACES_SAMPLER_ARG: ratio({ default: 0.01, description: 'ratio for the traceidratio samplers (default 0.01, where the OTel SDK samples everything: every bus request would be exported)' }),
  OTEL_SERVICE_NAME: string({ optional: true, description: 'service.name of the spans (default tacit-<service>)' }),
  OTEL_BSP_SCHEDULE_DELAY: int({ default: 5000, min: 1, max: 600_000, description: 'ms between two exports of finished spans' }),
  TACIT_TRACE_PACKET_RATIO: ratio({ default: 0.001, description: 'share of packets whose way through the gateway is traced (each then starts a sampled trace)' }),
});

/** The tracing settings. */
export type TracingConfig = Config<typeof tracingConfigSchema>;

/** Options of {@link initTracing}. */
export interface TracingOptions {
  serviceName: string;
  /** Where finished spans go; without one spans are created (context propagates) but dropped. */
  exporter?: SpanExporter;
  /** Export span by span instead of in batches (tests; default false). */
  simple?: boolean;
  /** Root-span sampler (default: always on). */
  sampler?: Sampler;
  /** Share of packets the packet path traces (default 0: none). */
  packetRatio?: number;
  /** Ms between two batch exports (default 5000). */
  exportDelayMs?: number;
}

/** Attribute of a root span that {@link samplePacket} chose: sampled whatever the root sampler says. */
export const PACKET_SAMPLED = 'tacit.packet.sampled';

/**
 * The configured sampler, except for a root span that carries {@link PACKET_SAMPLED}: that packet
 * was already chosen (1 in 1 / TACIT_TRACE_PACKET_RATIO), so a second draw must not drop it.
 */
class _PacketAwareSampler implements Sampler {
  constructor(private readonly inner: Sampler) {}
  shouldSample(ctx: Context, traceId: string, name: string, kind: SpanKind, attributes: Attributes, links: never[]): SamplingResult {
    if (attributes[PACKET_SAMPLED] === true && !trace.getSpanContext(ctx)) return { decision: SamplingDecision.RECORD_AND_SAMPLED };
    return this.inner.shouldSample(ctx, traceId, name, kind, attributes, links);
  }
  toString(): string {
    return `PacketAware{${this.inner.toString()}}`;
  }
}

/** Handle returned by {@link initTracing}. */
export interface Tracing {
  readonly provider: NodeTracerProvider;
  readonly tracer: Tracer;
  /** Flushes pending spans and unregisters the global provider. */
  shutdown(): Promise<void>;
}

let _enabled = false;
let _packetEvery = 0;
let _packetCountdown = 0;

/** True while tracing is initialised in this process. */
export function tracingEnabled(): boolean {
  return _enabled;
}

/** Registers a global tracer provider for the process; call once, at boot. */
export function initTracing(opts: TracingOptions): Tracing {
  const spanProcessors = opts.exporter
    ? [opts.simple ? new SimpleSpanProcessor(opts.exporter) : new BatchSpanProcessor(opts.exporter, { scheduledDelayMillis: opts.exportDelayMs ?? 5000 })]
    : [];
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName }),
    spanProcessors,
    sampler: new _PacketAwareSampler(opts.sampler ?? new AlwaysOnSampler()),
  });
  provider.register();
  _enabled = true;
  const ratio = opts.packetRatio ?? 0;
  _packetEvery = ratio > 0 ? Math.max(1, Math.round(1 / ratio)) : 0;
  _packetCountdown = _packetEvery;
  return {
    provider,
    tracer: trace.getTracer(_TRACER),
    async shutdown() {
      _enabled = false;
      _packetEvery = 0;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The sampler `config` names. */
export function samplerFor(config: Pick<TracingConfig, 'OTEL_TRACES_SAMPLER' | 'OTEL_TRACES_SAMPLER_ARG'>): Sampler {
  const ratio = new TraceIdRatioBasedSampler(config.OTEL_TRACES_SAMPLER_ARG);
  switch (config.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
  }
}

function _headers(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of (raw ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) out[decodeURIComponent(pair.slice(0, eq).trim())] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return out;
}

/**
 * Starts tracing as `config` says, or returns undefined when no exporter is configured (tracing
 * stays off). The exporter gets every setting explicitly: nothing here reads the environment.
 */
export function startTracing(service: string, config: TracingConfig): Tracing | undefined {
  const base = config.OTEL_EXPORTER_OTLP_ENDPOINT;
  const url = config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined);
  if (!url || config.OTEL_TRACES_EXPORTER === 'none') return undefined;
  const exporterOptions = { url, headers: _headers(config.OTEL_EXPORTER_OTLP_HEADERS) };
  const exporter = config.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OtlpJsonExporter(exporterOptions) : new OtlpProtoExporter(exporterOptions);
  return initTracing({
    serviceName: config.OTEL_SERVICE_NAME ?? `tacit-${service}`,
    exporter,
    sampler: samplerFor(config),
    packetRatio: config.TACIT_TRACE_PACKET_RATIO,
    exportDelayMs: config.OTEL_BSP_SCHEDULE_DELAY,
  });
}

/**
 * Runs `fn` in a new active span and ends it, marking it failed if `fn` throws. Only the error's
 * name and code go on the span, never its message: messages may quote input.
 */
export async function withSpan<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  opts: { attributes?: Attributes; tracer?: Tracer; kind?: SpanKind; parent?: Context } = {},
): Promise<T> {
  const tracer = opts.tracer ?? trace.getTracer(_TRACER);
  const options = { attributes: opts.attributes ?? {}, kind: opts.kind ?? SpanKind.INTERNAL };
  return tracer.startActiveSpan(name, options, opts.parent ?? context.active(), async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks `span` failed with the error's code or name (never its message, which may quote input). */
export function failSpan(span: Span, err: unknown): void {
  const e = err as { name?: unknown; code?: unknown };
  span.setAttribute('error.type', typeof e?.code === 'string' ? e.code : typeof e?.name === 'string' ? e.name : 'unknown');
  span.setStatus({ code: SpanStatusCode.ERROR });
}

const _setter = {
  set(carrier: Record<string, string>, key: string, value: string): void {
    carrier[key] = value;
  },
};
const _getter = {
  keys: (carrier: BusHeaders): string[] => Object.keys(carrier),
  get: (carrier: BusHeaders, key: string): string | undefined => carrier[key],
};

/**
 * Headers carrying the active trace context to the next service, or undefined when no sampled span
 * is active (most bus messages: then they carry no headers at all).
 */
export function traceHeaders(ctx?: Context): BusHeaders | undefined {
  if (!_enabled) return undefined;
  const active = ctx ?? context.active();
  const span = trace.getSpan(active);
  if (!span || !span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier, _setter);
  return carrier;
}

/** Runs `fn` in the trace context `headers` carry (as their child), or as it is when they carry none. */
export function withTraceHeaders<T>(headers: BusHeaders | undefined, fn: () => T): T {
  if (!_enabled || headers?.traceparent === undefined) return fn();
  return context.with(propagation.extract(ROOT_CONTEXT, headers, _getter), fn);
}

/**
 * Starts a span (not made active) and returns it with the context that has it as parent, for work
 * that outlives one call: a packet's way through a gateway, ended when the sender is answered.
 */
export function startSpan(name: string, kind: SpanKind, attributes: Attributes = {}, parent: Context = context.active()): { span: Span; ctx: Context } {
  const span = trace.getTracer(_TRACER).startSpan(name, { kind, attributes }, parent);
  return { span, ctx: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` as the active trace context (a sampled packet's, for the work done for it), or as it is without one. */
export function withTraceContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx === undefined || !_enabled ? fn() : context.with(ctx, fn);
}

/** The active trace context when a sampled span is active in it, else undefined (nothing to carry). */
export function activeTraceContext(): Context | undefined {
  if (!_enabled) return undefined;
  const active = context.active();
  return trace.getSpan(active)?.isRecording() ? active : undefined;
}

/**
 * Whether to trace this packet: true for one packet in 1 / TACIT_TRACE_PACKET_RATIO, counted, not
 * drawn (the packet path pays one decrement, not a random number); false while tracing is off.
 */
export function samplePacket(): boolean {
  if (_packetEvery === 0 || --_packetCountdown > 0) return false;
  _packetCountdown = _packetEvery;
  return true;
}

export { SpanKind, type Context, type Span };
