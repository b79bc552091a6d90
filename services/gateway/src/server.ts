import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Controller, Get, Inject, Module, Req, Res, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createOpsHandler, type HealthRegistry, type Metrics, type OpsRequestHandler } from '@tacit/kit';
import { Gateway, type GatewayDeps } from './gateway.js';
import { refuseUpgrade } from './wsock/index.js';

/** What the HTTP side of a gateway answers from. */
export interface GatewayOps {
  health: HealthRegistry;
  metrics: Metrics;
}

export const GATEWAY_OPS = Symbol('GATEWAY_OPS');

/**
 * /healthz (the process runs), /readyz (dependencies answer and the gateway takes connections), /metrics:
 * kit's ops handler, mounted in Nest so every service answers probes the same way.
 */
@Controller()
export class OpsController {
  private readonly handle: OpsRequestHandler;
  constructor(@Inject(GATEWAY_OPS) ops: GatewayOps) {
    this.handle = createOpsHandler(ops);
  }

  @Get(['healthz', 'readyz', 'metrics'])
  async ops(@Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.handle(req, res);
  }
}

@Module({})
export class GatewayModule {
  /** The gateway's Nest module around an already-wired {@link Gateway}. */
  static forRoot(ops: GatewayOps): DynamicModule {
    return { module: GatewayModule, controllers: [OpsController], providers: [{ provide: GATEWAY_OPS, useValue: ops }] };
  }
}

/** A running gateway: its URLs and how to stop it. */
export interface GatewayServer {
  gateway: Gateway;
  app: INestApplication;
  /** ws://host:port/v1 */
  url: string;
  /** http://host:port */
  httpUrl: string;
  port: number;
  /** Graceful drain (GOAWAY, in-flight sends finish, close 1012), then the HTTP server stops. */
  close(graceMs?: number): Promise<void>;
}

/** Path clients open their WebSocket on. */
export const WS_PATH = '/v1';

/** Starts a gateway: NestJS for HTTP, the gateway's own WebSocket layer (`wsock`) on the same port for `/v1`. */
export async function startGatewayServer(
  deps: GatewayDeps,
  opts: { host: string; port: number; metrics: Metrics; health: HealthRegistry },
): Promise<GatewayServer> {
  const gateway = new Gateway(deps);
  opts.health.addReadiness('accepting', () => {
    if (!gateway.accepting) throw new Error('draining');
  });
  const app = await NestFactory.create(GatewayModule.forRoot({ health: opts.health, metrics: opts.metrics }), {
    logger: false,
    abortOnError: false,
  });
  const server = app.getHttpServer() as Server;
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return refuseUpgrade(socket, 404, `no WebSocket at ${JSON.stringify(path)}; use ${WS_PATH}`);
    gateway.handleUpgrade(req, socket, head);
  });
  await app.listen(opts.port, opts.host);
  const port = (server.address() as AddressInfo).port;
  const host = opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  let closing: Promise<void> | undefined;
  return {
    gateway,
    app,
    port,
    url: `ws://${host}:${port}${WS_PATH}`,
    httpUrl: `http://${host}:${port}`,
    close(graceMs?: number) {
      closing ??= (async () => {
        opts.health.setShuttingDown();
        await gateway.shutdown(graceMs);
        await app.close();
      })();
      return closing;
    },
  };
}
