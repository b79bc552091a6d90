import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import type { HealthRegistry, Logger } from '@tacit/kit';
import { HEALTH, LOGGER, SETTINGS, type OnServiceStart } from '@tacit/platform';
import { ClientAddresses } from './client-address.js';
import type { GatewayConfig } from './config.js';
import { Connections } from './connections.js';
import type { ClientConnection } from './connection.js';
import { FrameDispatcher } from './dispatcher.js';
import { IdleSweeper } from './idle-sweeper.js';
import { GatewayMeters } from './metrics.js';
import { PrekeyEndpoint } from './prekeys.js';
import { DirectoryEndpoint } from './directory.js';
import { PushEndpoint } from './push.js';
import type { RateLimiter } from './rate-limit.js';
import { GatewayShutdown } from './shutdown.js';
import { RATE_LIMITER } from './tokens.js';
import { refuseUpgrade, WsServer } from './wsock/index.js';

/** Path clients open their WebSocket on. */
export const WS_PATH = '/v1';

/**
 * The client listener (HOST:PORT): WebSocket upgrades on {@link WS_PATH}, through the gateway's own
 * WebSocket layer (wsock), handed to the frame dispatcher; HTTP requests under /v1/prekeys to the
 * prekey endpoints, under /v1/directory to the directory endpoints, under /v1/push to the push
 * endpoints; anything else is 404 (the ops endpoints live on the ops listener, not here).
 * Opens once the service is whole; drains on shutdown.
 * Not a Nest HTTP adapter: every client frame of every connection passes here, and an upgraded
 * socket belongs to wsock, not to a request pipeline.
 */
@Injectable()
export class GatewayEdge implements OnServiceStart, BeforeApplicationShutdown {
  readonly wss: WsServer<ClientConnection>;
  private server: Server | undefined;
  private address: { host: string; port: number } | undefined;

  constructor(
    @Inject(Connections) private readonly connections: Connections,
    @Inject(ClientAddresses) private readonly addresses: ClientAddresses,
    @Inject(FrameDispatcher) dispatcher: FrameDispatcher,
    @Inject(IdleSweeper) private readonly sweeper: IdleSweeper,
    @Inject(GatewayShutdown) private readonly shutdown: GatewayShutdown,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter,
    @Inject(GatewayMeters) private readonly meters: GatewayMeters,
    @Inject(HEALTH) private readonly health: HealthRegistry,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(SETTINGS) private readonly config: GatewayConfig,
    @Inject(PrekeyEndpoint) private readonly prekeys: PrekeyEndpoint,
    @Inject(DirectoryEndpoint) private readonly directory: DirectoryEndpoint,
    @Inject(PushEndpoint) private readonly push: PushEndpoint,
  ) {
    // The WebSocket layer closes with 1009 on its own above this hard ceiling; between
    // GATEWAY_MAX_FRAME_BYTES and it the dispatcher answers FRAME_TOO_LARGE first, so a client
    // learns why. Two handlers for every connection: a connection holds no closure of its own.
    this.wss = new WsServer<ClientConnection>({
      maxPayload: config.GATEWAY_MAX_FRAME_BYTES * 2,
      message: (ws, data, isBinary) => dispatcher.onMessage(ws.ctx, data, isBinary),
      close: (ws, code) => {
        meters.m.closed.inc({ code: String(code) });
        connections.detach(ws.ctx);
      },
    });
  }

  /** `ws://host:port/v1` of the listener (loopback when bound to every address). */
  get url(): string {
    const a = this.address;
    if (!a) throw new Error('the gateway is not listening yet');
    return `ws://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${WS_PATH}`;
  }

  /** The bound port (useful with PORT=0). */
  get port(): number {
    return this.address?.port ?? 0;
  }

  async onServiceStart(): Promise<void> {
    this.health.addReadiness('accepting', () => {
      if (!this.shutdown.accepting) throw new Error('draining');
    });
    const http = createHttpServer((req, res) => {
      if (this.prekeys.accepts(req)) return this.prekeys.handle(req, res);
      if (this.directory.accepts(req)) return this.directory.handle(req, res);
      if (this.push.accepts(req)) return this.push.handle(req, res);
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`no WebSocket at ${JSON.stringify((req.url ?? '').split('?')[0])} without an upgrade; connect to ${WS_PATH}\n`);
    });
    // Slow or silent peers cannot hold a socket before their upgrade request is whole.
    http.headersTimeout = 10_000;
    http.requestTimeout = 10_000;
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.handleUpgrade(req, socket, head));
    // TCP first, HTTP after: a load balancer's PROXY header is read before the HTTP parser sees bytes.
    const server = createNetServer({ noDelay: true }, (socket) => this.addresses.accept(socket, (s) => http.emit('connection', s)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.PORT, this.config.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const host = this.config.HOST === '0.0.0.0' || this.config.HOST === '::' ? '127.0.0.1' : this.config.HOST;
    this.address = { host, port: (server.address() as AddressInfo).port };
    this.sweeper.start();
    this.log.info('gateway_listening', { url: this.url });
  }

  /** The graceful drain, while the bus still serves (the last acks reach the queue), then the listener closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.log.info('gateway_draining', { connections: this.connections.size });
    await this.shutdown.run();
    await this.closeListener();
  }

  /** Stops listening (connections already taken stay until they close). */
  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Takes over an HTTP upgrade on the WebSocket path; refuses floods of new connections per address. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== WS_PATH) return refuseUpgrade(socket, 404, `no WebSocket at ${JSON.stringify(path)}; use ${WS_PATH}`);
    if (!this.shutdown.accepting) {
      this.meters.m.rejectedConnections.inc({ reason: 'draining' });
      return refuseUpgrade(socket, 503, 'the gateway is draining; reconnect', { 'Retry-After': '1' });
    }
    const peer = req.socket as IncomingMessage['socket'] & { _peername?: unknown };
    const address = this.connections.address(this.addresses.of(req));
    // net.Socket caches the peer's address in an object for the socket's life; the gateway reads it
    // once, here, so let it go (an idle connection should hold only what it needs).
    peer._peername = undefined;
    const refused = this.connections.admit(address);
    if (refused === 'replica_full') {
      this.meters.m.rejectedConnections.inc({ reason: 'replica_full' });
      return refuseUpgrade(socket, 503, 'this relay holds as many connections as it takes; try another', { 'Retry-After': '5' });
    }
    if (refused === 'address_full' || !this.limiter.allow(address.connectKey, this.config.GATEWAY_IP_CONNECT_RATE)) {
      this.meters.m.rejectedConnections.inc({ reason: refused ?? 'connect_rate' });
      return refuseUpgrade(socket, 429, refused ? 'too many connections from this address' : 'too many new connections from this address', { 'Retry-After': '1' });
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connections.attach(ws, address));
  }
}
