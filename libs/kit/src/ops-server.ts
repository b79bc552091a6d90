/**
 * The ops endpoints every service exposes: GET /healthz (liveness), /readyz (readiness, 503
 * naming the failing checks), /metrics (Prometheus text). {@link startOpsServer} serves them on
 * their own port; a service with its own HTTP server mounts {@link createOpsHandler} instead.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HealthRegistry } from './health.js';

/** What /metrics needs; {@link Metrics} fits. */
export interface MetricsSource {
  readonly contentType: string;
  text(): Promise<string>;
}

/** Options of {@link createOpsHandler}. */
export interface OpsHandlerOptions {
  health: HealthRegistry;
  /** Without it, /metrics answers 404. */
  metrics?: MetricsSource;
}

/** Answers an ops request and resolves true, or resolves false (untouched) for any other path. */
export type OpsRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

/** Ops paths served by {@link createOpsHandler}. */
export const OPS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

/** Builds the handler for /healthz, /readyz and /metrics, to mount on any node:http-compatible server. */
export function createOpsHandler(opts: OpsHandlerOptions): OpsRequestHandler {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (!(OPS_PATHS as readonly string[]).includes(path!)) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      _send(req, res, 405, 'application/json', JSON.stringify({ status: 'method_not_allowed' }), { allow: 'GET, HEAD' });
      return true;
    }
    try {
      if (path === '/healthz') {
        const live = opts.health.liveness();
        _json(req, res, live.ok ? 200 : 503, live.ok ? { status: 'ok' } : { status: 'fail', failing: live.failing });
      } else if (path === '/readyz') {
        const ready = await opts.health.readiness();
        _json(req, res, ready.ok ? 200 : 503, ready.ok ? { status: 'ok' } : { status: 'fail', failing: ready.failing });
      } else if (opts.metrics) {
        _send(req, res, 200, opts.metrics.contentType, await opts.metrics.text());
      } else {
        _json(req, res, 404, { status: 'not_found' });
      }
    } catch {
      // Nothing about the failure in the answer: the scraper or prober is not the place for it.
      if (!res.headersSent) _json(req, res, 500, { status: 'error' });
    }
    return true;
  };
}

function _json(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  _send(req, res, status, 'application/json', JSON.stringify(body));
}

function _send(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions extends OpsHandlerOptions {
  /** Interface to bind (default 127.0.0.1; in a pod pass 0.0.0.0 so the kubelet can probe). */
  host?: string;
  /** Port; 0 picks a free one (see {@link OpsServer.port}). */
  port: number;
}

/** A running ops server. */
export interface OpsServer {
  readonly server: Server;
  /** The bound port (useful with port 0). */
  readonly port: number;
  /** Base URL, e.g. `http://127.0.0.1:9090`. */
  readonly url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/** Serves the ops endpoints on their own port; anything else gets 404. */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const handle = createOpsHandler(opts);
  const server = createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) _json(req, res, 404, { status: 'not_found' });
    });
  });
  // Probes and scrapes are small and quick; a slow client must not hold a socket for long.
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
