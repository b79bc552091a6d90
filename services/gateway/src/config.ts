import { bool, defineConfig, int, port, string, url, type Config } from '@tacit/kit';

/** The gateway's own settings: its client listener and limits. Read by every process that runs it. */
export const gatewayConfigSchema = defineConfig({
  HOST: string({ default: '0.0.0.0', description: 'address the client listener (WebSocket /v1, prekey endpoints /v1/prekeys) binds' }),
  PORT: port({ default: 8080, description: 'client listener port: WebSocket /v1 and the prekey endpoints /v1/prekeys (ops endpoints are on OPS_PORT)' }),
  REDIS_URL: url({ optional: true, protocols: ['redis:', 'rediss:'], description: 'Redis for limits and dedup shared by all replicas; unset (the node only): in memory' }),
  GATEWAY_MAX_FRAME_BYTES: int({ default: 65_611, min: 1024, max: 1_048_576, description: 'largest frame accepted' }),
  GATEWAY_IDLE_TIMEOUT_MS: int({ default: 120_000, min: 1000, max: 3_600_000, description: 'close after this long without a frame' }),
  GATEWAY_QUEUE_TTL_SECONDS: int({ default: 2_592_000, min: 60, max: 2_592_000, description: 'longest a packet waits in the queue' }),
  GATEWAY_LIVE_ACK_TIMEOUT_MS: int({ default: 2000, min: 50, max: 60_000, description: 'wait for a live recipient ack before queueing' }),
  GATEWAY_CONN_RATE: int({ default: 2000, min: 1, max: 1_000_000, description: 'frames per second per connection' }),
  GATEWAY_CONN_BURST: int({ default: 4000, min: 1, max: 1_000_000, description: 'frame burst per connection' }),
  GATEWAY_IP_RATE: int({ default: 20_000, min: 1, max: 10_000_000, description: 'frames per second per client IP, across replicas' }),
  GATEWAY_IP_CONNECT_RATE: int({ default: 200, min: 1, max: 1_000_000, description: 'new connections per second per client IP, across replicas' }),
  GATEWAY_MAX_CLAIMS: int({ default: 4096, min: 1, max: 65_536, description: 'mailboxes one connection may claim' }),
  GATEWAY_MAX_BUFFERED_BYTES: int({ default: 1_048_576, min: 65_536, max: 67_108_864, description: 'outbound bytes buffered per connection before deliveries go to the queue' }),
  GATEWAY_DELIVERY_WINDOW: int({ default: 2048, min: 1, max: 65_536, description: 'unacked deliveries per connection (their unsent bytes are bounded by GATEWAY_MAX_BUFFERED_BYTES)' }),
  GATEWAY_DRAIN_GRACE_MS: int({ default: 10_000, min: 0, max: 300_000, description: 'SIGTERM: time for in-flight sends before connections close' }),
  GATEWAY_LOG_CLIENT_IPS: bool({ default: false, description: 'operator opt-in: log client IPs' }),
  GATEWAY_PREKEY_FETCHES_PER_MINUTE: int({ default: 60, min: 1, max: 10_000_000, description: 'prekey bundle fetches per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_PREKEY_UPLOADS_PER_MINUTE: int({ default: 30, min: 1, max: 10_000_000, description: 'prekey challenges and uploads per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_PREKEY_MAX_INFLIGHT: int({ default: 256, min: 1, max: 100_000, description: 'prekey requests served at once by one replica; beyond it 503' }),
  GATEWAY_PREKEY_BODY_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 120_000, description: 'time a prekey request body has to arrive' }),
});

/** The gateway as the cluster runs it: NATS (the queue, other replicas) and Redis (shared limits) are required. */
export const gatewayServiceConfigSchema = defineConfig({
  ...gatewayConfigSchema,
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server: the queue and the other replicas' }),
  REDIS_URL: url({ protocols: ['redis:', 'rediss:'], description: 'Redis for limits and dedup shared by all replicas' }),
});

export type GatewayConfig = Config<typeof gatewayConfigSchema>;
