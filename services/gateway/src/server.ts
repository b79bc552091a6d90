import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Controller, Get, Inject, Module, Res, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Metrics } from '@tacit/kit';
import { Gateway, type GatewayDeps } from './gateway.js';

/** What the HTTP side of a gateway answers from. */
export interface GatewayOps {
  gateway: Gateway;
  metrics: Metrics;
  /** Readiness checks by name: true when the dependency answers. */
  ready: Record<string, () => boolean | Promise<boolean>>;
}

export const GATEWAY_OPS = Symbol('GATEWAY_OPS');

interface _Res {
  status(code: number): _Res;
  setHeader(name: string, value: string): void;
  send(body: unknown): void;
}

/** /healthz (the process runs), /readyz (dependencies answer and the gateway takes connections), /metrics. */
@Controller()
export class OpsController {
  constructor(@Inject(GATEWAY_OPS) private readonly ops: GatewayOps) {}

  @Get('healthz')
  healthz(): { status: string } {
    return { status: 'ok' };
  }

  @Get('readyz')
  async readyz(@Res() res: _Res): Promise<void> {
    const failing: string[] = [];
    if (!this.ops.gateway.accepting) failing.push('draining');
    for (const [name, check] of Object.entries(this.ops.ready)) {
      const ok = await Promise.resolve()
        .then(check)
        .catch(() => false);
      if (!ok) failing.push(name);
    }
    res.status(failing.length ? 503 : 200).send({ status: failing.length ? 'unready' : 'ready', failing });
  }

  @Get('metrics')
  async metrics(@Res() res: _Res): Promise<void> {
    res.setHeader('Content-Type', this.ops.metrics.contentType);
    res.status(200).send(await this.ops.metrics.text());
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

/** Starts a gateway: NestJS for HTTP, `ws` on the same port for `/v1`. */
export async function startGatewayServer(
  deps: GatewayDeps,
  opts: { host: string; port: number; metrics: Metrics; ready?: GatewayOps['ready'] },
): Promise<GatewayServer> {
  const gateway = new Gateway(deps);
  const app = await NestFactory.create(GatewayModule.forRoot({ gateway, metrics: opts.metrics, ready: opts.ready ?? {} }), {
    logger: false,
    abortOnError: false,
  });
  const server = app.getHttpServer() as Server;
  server.on('upgrade', (req, socket, head) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
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
        await gateway.shutdown(graceMs);
        await app.close();
      })();
      return closing;
    },
  };
}
