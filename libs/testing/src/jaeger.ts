import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSearchDirs, findBinary } from './binaries.js';
import { JaegerQueryError } from './errors.js';
import { _launch, _retryOnPortClash, type TestServer } from './server.js';
import { _httpAnswers, _httpOk, _makeServerDir } from './_tmp.js';
import { freePort, waitFor } from './wait.js';

/** Options of {@link startJaeger}. */
export interface JaegerOptions {
  /** Traces the in-memory store keeps before it drops the oldest (default 10 000). */
  maxTraces?: number;
  /** Search only these folders for `jaeger` (default: setup cache, PATH, Debian paths). */
  binDirs?: string[];
  /** How long to wait for readiness (default 30 000 ms). */
  readyTimeoutMs?: number;
}

/** A key/value of a span or process, as Jaeger's query API returns it. */
export interface JaegerKeyValue {
  key: string;
  type?: 'string' | 'bool' | 'int64' | 'float64' | 'binary';
  value: unknown;
}

/** A link from a span to another: its parent (`CHILD_OF`) or a span it follows. */
export interface JaegerReference {
  refType: 'CHILD_OF' | 'FOLLOWS_FROM';
  traceID: string;
  spanID: string;
}

/** One span of a {@link JaegerTrace}; ids are lowercase hex (trace 32 digits, span 16). */
export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  /** The parent is the `CHILD_OF` reference; a root span has none. */
  references: JaegerReference[];
  /** Microseconds since the Unix epoch. */
  startTime: number;
  /** Microseconds. */
  duration: number;
  tags: JaegerKeyValue[];
  logs: { timestamp: number; fields: JaegerKeyValue[] }[];
  /** Key into {@link JaegerTrace.processes}: which service sent the span. */
  processID: string;
  warnings: string[] | null;
}

/** A trace as Jaeger's query HTTP API (`/api/traces`) returns it. */
export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  /** The services that sent spans, keyed by {@link JaegerSpan.processID}. */
  processes: Record<string, { serviceName: string; tags: JaegerKeyValue[] }>;
  warnings: string[] | null;
}

/** Options of {@link JaegerServer.traces}. */
export interface JaegerSearchOptions {
  /** Only spans with this operation (span) name. */
  operation?: string;
  /** At most this many traces, newest first (default 100, Jaeger's own default). */
  limit?: number;
}

/** Options of {@link JaegerServer.waitForTrace}. */
export interface JaegerWaitOptions {
  /** Wait until the trace holds at least this many spans (default 1). */
  spans?: number;
  /** Give up after this long (default 10 000 ms). */
  timeoutMs?: number;
}

/** A running Jaeger v2 (all in one: OTLP receiver, in-memory store, query API). */
export interface JaegerServer extends TestServer {
  /** `http://127.0.0.1:<port>` of the OTLP/HTTP receiver: set it as `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly otlpHttpUrl: string;
  /** `http://127.0.0.1:<port>` of the OTLP/gRPC receiver (plaintext). */
  readonly otlpGrpcUrl: string;
  /** `http://127.0.0.1:<port>` of the query service (HTTP API, `/api/...`). */
  readonly queryUrl: string;
  /** Every service name that has sent a span, sorted. */
  services(): Promise<string[]>;
  /** Traces holding a span of `service` (the whole trace, every service's spans), newest first. */
  traces(service: string, options?: JaegerSearchOptions): Promise<JaegerTrace[]>;
  /** The trace with this id (32 or 16 hex digits), or `undefined` when Jaeger has none. */
  trace(traceId: string): Promise<JaegerTrace | undefined>;
  /**
   * The trace once it holds `spans` spans: an OpenTelemetry SDK exports in batches, so spans
   * arrive a little after the code that made them returns.
   */
  waitForTrace(traceId: string, options?: JaegerWaitOptions): Promise<JaegerTrace>;
}

const _HEX_ID = /^(?:[0-9a-f]{16}|[0-9a-f]{32})$/;

/** The four loopback ports one Jaeger listens on. */
export interface _JaegerPorts {
  otlpHttp: number;
  otlpGrpc: number;
  queryHttp: number;
  queryGrpc: number;
}

/** The collector-style config: every listener on a loopback port of ours, nothing on a fixed one. */
export function _jaegerConfig(ports: _JaegerPorts, maxTraces: number): object {
  const at = (port: number) => `127.0.0.1:${port}`;
  return {
    extensions: {
      jaeger_storage: { backends: { memstore: { memory: { max_traces: maxTraces } } } },
      jaeger_query: {
        storage: { traces: 'memstore' },
        // On by default in v2: the query service would export its own spans over OTLP/gRPC to
        // localhost:4317, which may be another test's Jaeger.
        enable_tracing: false,
        http: { endpoint: at(ports.queryHttp) },
        grpc: { endpoint: at(ports.queryGrpc) },
      },
    },
    receivers: {
      otlp: { protocols: { http: { endpoint: at(ports.otlpHttp) }, grpc: { endpoint: at(ports.otlpGrpc) } } },
    },
    exporters: { jaeger_storage_exporter: { trace_storage: 'memstore' } },
    service: {
      extensions: ['jaeger_storage', 'jaeger_query'],
      // No batch processor: a span is in the store by the time its OTLP request is answered.
      pipelines: { traces: { receivers: ['otlp'], processors: [], exporters: ['jaeger_storage_exporter'] } },
      telemetry: {
        // The collector's default is a Prometheus endpoint on localhost:8888, a fixed port.
        metrics: { level: 'none' },
        logs: { level: 'info' },
      },
    },
  };
}

/** Jaeger prints a 128-bit id whose high half is zero as 16 digits; OTLP always has 32. */
function _fullTraceId(id: string): string {
  return id.padStart(32, '0');
}

function _normalise(trace: JaegerTrace): JaegerTrace {
  trace.traceID = _fullTraceId(trace.traceID);
  for (const span of trace.spans) {
    span.traceID = _fullTraceId(span.traceID);
    for (const ref of span.references ?? []) ref.traceID = _fullTraceId(ref.traceID);
  }
  return trace;
}

/** GET a query API path; its `data` on 200, `undefined` on 404, else a {@link JaegerQueryError}. */
async function _query<T>(queryUrl: string, path: string): Promise<T | undefined> {
  const url = `${queryUrl}${path}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: { data?: T; errors?: { msg: string }[] | null } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (res.status === 404) return undefined;
  if (res.status !== 200 || !body || body.data === undefined) {
    const messages = body?.errors?.map((e) => e.msg) ?? [text.slice(0, 200)];
    throw new JaegerQueryError(url, res.status, messages);
  }
  return body.data;
}

function _checkTraceId(traceId: string): string {
  if (typeof traceId !== 'string') throw new TypeError(`"traceId" expected a string, got ${typeof traceId}`);
  const id = traceId.toLowerCase();
  if (!_HEX_ID.test(id)) {
    throw new RangeError(`"traceId" expected 32 (or 16) hex digits, got ${JSON.stringify(traceId)}`);
  }
  return id;
}

function _helpers(queryUrl: string) {
  const trace = async (traceId: string): Promise<JaegerTrace | undefined> => {
    const id = _checkTraceId(traceId);
    const data = await _query<JaegerTrace[]>(queryUrl, `/api/traces/${id}`);
    return data?.[0] ? _normalise(data[0]) : undefined;
  };
  return {
    services: async (): Promise<string[]> => {
      const names = await _query<string[] | null>(queryUrl, '/api/services');
      return (names ?? []).sort();
    },
    traces: async (service: string, options: JaegerSearchOptions = {}): Promise<JaegerTrace[]> => {
      if (typeof service !== 'string' || service === '') {
        throw new TypeError(`"service" expected a non-empty string, got ${JSON.stringify(service)}`);
      }
      const { operation, limit } = options;
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) {
        throw new RangeError(`"limit" expected an integer >= 1, got ${limit}`);
      }
      const params = new URLSearchParams({ service });
      if (operation !== undefined) params.set('operation', operation);
      if (limit !== undefined) params.set('limit', String(limit));
      const data = await _query<JaegerTrace[] | null>(queryUrl, `/api/traces?${params}`);
      return (data ?? []).map(_normalise);
    },
    trace,
    waitForTrace: async (traceId: string, options: JaegerWaitOptions = {}): Promise<JaegerTrace> => {
      const { spans = 1, timeoutMs = 10_000 } = options;
      _checkTraceId(traceId);
      if (!(Number.isInteger(spans) && spans >= 1)) {
        throw new RangeError(`"spans" expected an integer >= 1, got ${spans}`);
      }
      return waitFor(
        async () => {
          const found = await trace(traceId);
          return found && found.spans.length >= spans ? found : undefined;
        },
        { timeoutMs, intervalMs: 100, what: `trace ${traceId} with ${spans} span(s) at ${queryUrl}` },
      );
    },
  };
}

async function _startJaegerOnce(options: JaegerOptions): Promise<JaegerServer> {
  const maxTraces = options.maxTraces ?? 10_000;
  if (!(Number.isInteger(maxTraces) && maxTraces >= 1)) {
    throw new RangeError(`"maxTraces" expected an integer >= 1, got ${maxTraces}`);
  }
  const binary = findBinary('jaeger', options.binDirs ?? defaultSearchDirs());
  const ports: _JaegerPorts = {
    otlpHttp: await freePort(),
    otlpGrpc: await freePort(),
    queryHttp: await freePort(),
    queryGrpc: await freePort(),
  };
  const dir = _makeServerDir('jaeger');
  const configFile = join(dir, 'jaeger.yaml');
  // JSON is YAML: no YAML writer needed for a config we generate.
  writeFileSync(configFile, JSON.stringify(_jaegerConfig(ports, maxTraces), null, 2) + '\n');
  const otlpHttpUrl = `http://127.0.0.1:${ports.otlpHttp}`;
  const queryUrl = `http://127.0.0.1:${ports.queryHttp}`;
  // The test process may itself carry OTEL_* settings (for the services it starts); Jaeger's
  // own OpenTelemetry SDK would read them.
  const env: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) env[key] = undefined;
  return _launch(
    {
      name: 'jaeger',
      command: binary,
      args: ['--config', configFile],
      env,
      dir,
      logFile: join(dir, 'jaeger.log'),
      // Extensions (the query API) start before the pipelines: the OTLP receiver is up last.
      ready: async () =>
        (await _httpOk(`${queryUrl}/api/services`)) && (await _httpAnswers(`${otlpHttpUrl}/v1/traces`)),
      readyTimeoutMs: options.readyTimeoutMs,
    },
    ports.otlpHttp,
    { otlpHttpUrl, otlpGrpcUrl: `http://127.0.0.1:${ports.otlpGrpc}`, queryUrl, ..._helpers(queryUrl) },
  );
}

/**
 * Starts Jaeger v2 with an in-memory store, its OTLP receivers and query API on free loopback
 * ports, and resolves once the query API and the OTLP/HTTP receiver answer. Traces do not
 * survive `restart()`: the store is memory.
 */
export function startJaeger(options: JaegerOptions = {}): Promise<JaegerServer> {
  return _retryOnPortClash(() => _startJaegerOnce(options));
}
