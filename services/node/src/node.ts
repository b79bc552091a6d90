import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { GatewayEdge, gatewayConfigSchema, GatewayModule, GatewayShutdown, redisSettingsIssues } from '@tacit/gateway';
import { DirectoryModule, DirectoryService, directoryConfigSchema } from '@tacit/directory';
import { defineConfig, NatsBus, string, url, type Bus, type Config, type Logger } from '@tacit/kit';
import { mediaConfigSchema, MediaLifecycle, MediaModule, mediaSettingsIssues } from '@tacit/media';
import { startService, type RunningService, type ServiceDefinition } from '@tacit/platform';
import { prekeyConfigSchema, PrekeyModule, PrekeyService } from '@tacit/prekey';
import { pushConfigSchema, PushModule, PushService, pushSettingsIssues } from '@tacit/push';
import { queueConfigSchema, QueueModule, QueueService } from '@tacit/queue';

/**
 * The node's settings: every setting of the services it contains (gateway, queue, prekey, directory,
 * push, media) and the shell's. Unset URLs mean embedded defaults; an unknown GATEWAY_*, QUEUE_*, PREKEY_*,
 * DIRECTORY_*, PUSH_*, MEDIA_*, OPS_* or TACIT_* variable stops it by name.
 */
export const nodeConfigSchema = defineConfig({
  ...queueConfigSchema,
  ...prekeyConfigSchema,
  ...directoryConfigSchema,
  ...pushConfigSchema,
  ...mediaConfigSchema,
  ...gatewayConfigSchema,
  DATABASE_URL: url({ optional: true, protocols: ['postgres:', 'postgresql:'], description: 'PostgreSQL holding the queue, the prekey bundles, the directory and push registrations; unset (the node only): PGlite in DATA_DIR' }),
  DATA_DIR: string({ default: '.tacit/data', description: 'folder of the embedded database (PGlite in pglite/, which the queue, prekey, directory and push services share) when DATABASE_URL is unset, and of the blobs (media/) when MEDIA_STORE=fs' }),
  NATS_URL: url({ optional: true, protocols: ['nats:', 'tls:'], description: 'NATS server; unset: the in-process bus' }),
});

export type NodeConfig = Config<typeof nodeConfigSchema>;

/** Every service in one process: the same Nest modules the cluster runs one per process. */
@Module({ imports: [QueueModule, PrekeyModule, DirectoryModule, PushModule, MediaModule, GatewayModule] })
export class NodeModule {}

/** The one-container node as a service definition. */
export const nodeService: ServiceDefinition<typeof nodeConfigSchema> = {
  name: 'node',
  module: NodeModule,
  config: nodeConfigSchema,
  prefixes: ['GATEWAY_', 'QUEUE_', 'PREKEY_', 'DIRECTORY_', 'PUSH_', 'MEDIA_'],
  checks: [redisSettingsIssues, pushSettingsIssues, mediaSettingsIssues],
  logClientIps: (settings) => settings.GATEWAY_LOG_CLIENT_IPS,
};

/** A running node: the gateway's URL, the ops URL and one call to stop everything. */
export interface RunningNode {
  /** ws://host:port/v1 */
  url: string;
  /** http://host:port of /healthz, /readyz, /metrics. */
  opsUrl: string;
  /** http://host:port of the media endpoints (tus /v1/media/uploads, /v1/media/blobs). */
  mediaUrl: string;
  service: RunningService<NodeConfig>;
  gateway: GatewayEdge;
  queue: QueueService;
  prekeys: PrekeyService;
  directory: DirectoryService;
  push: PushService;
  bus: Bus;
  /** Which part runs embedded and which on a real server. */
  shape: { bus: 'in-process' | 'nats'; database: 'pglite' | 'postgres'; limits: 'memory' | 'redis' };
  /** Graceful stop; `graceMs` overrides GATEWAY_DRAIN_GRACE_MS for the gateway's drain. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Every service in one process. Embedded defaults — PGlite in DATA_DIR, an in-process bus, in-memory
 * limits — and each switches to the real server when its URL is set. The services run the same code
 * as in the cluster; only this wiring differs.
 */
export async function startNode(env: Record<string, string | undefined>, logger?: Logger): Promise<RunningNode> {
  // The node keeps its relay key beside its data, so clients that pinned it find it after a restart.
  const dataDir = env.DATA_DIR || nodeConfigSchema.DATA_DIR.default!;
  if (!env.GATEWAY_RELAY_KEY && !env.GATEWAY_RELAY_KEY_FILE) env = { ...env, GATEWAY_RELAY_KEY_FILE: join(dataDir, 'relay-key') };
  // PORT=0 (a spec, a bench) asks for any free port: the media listener then takes one too, rather
  // than 8082, which two such nodes at once would both want.
  if (env.PORT === '0' && !env.MEDIA_PORT) env = { ...env, MEDIA_PORT: '0' };
  const service = await startService(nodeService, { env, ...(logger ? { logger } : {}) });
  const s = service.settings;
  const gateway = service.get(GatewayEdge);
  const shape = {
    bus: service.bus instanceof NatsBus ? 'nats' : 'in-process',
    database: s.DATABASE_URL ? 'postgres' : 'pglite',
    limits: s.REDIS_URL || s.REDIS_SENTINELS ? 'redis' : 'memory',
  } as const;
  const mediaUrl = service.get(MediaLifecycle).edge.url;
  service.logger.info('node_listening', { url: gateway.url, media: mediaUrl, ops: service.opsUrl, ...shape });
  return {
    url: gateway.url,
    opsUrl: service.opsUrl,
    mediaUrl,
    service,
    gateway,
    queue: service.get(QueueService),
    prekeys: service.get(PrekeyService),
    directory: service.get(DirectoryService),
    push: service.get(PushService),
    bus: service.bus,
    shape,
    stop(graceMs?: number) {
      if (graceMs !== undefined) service.get(GatewayShutdown).graceMs = graceMs;
      return service.close();
    },
  };
}
