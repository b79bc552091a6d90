import { bool, bytes, defineConfig, hostPorts, int, oneOf, port, string, url, type Config, type ConfigIssue } from '@tacit/kit';
import { MAX_CLAIM, MAX_TTL_SECONDS } from '@tacit/protocol';
import { CLIENT_ADDRESS_SOURCES } from '@tacit/platform';

/** The gateway's own settings: its client listener and limits. Read by every process that runs it. */
export const gatewayConfigSchema = defineConfig({
  HOST: string({ default: '0.0.0.0', description: 'address the client listener (WebSocket /v1, prekey endpoints /v1/prekeys, directory endpoints /v1/directory, push endpoints /v1/push) binds' }),
  PORT: port({ default: 8080, description: 'client listener port: WebSocket /v1, the prekey endpoints /v1/prekeys, the directory endpoints /v1/directory and the push endpoints /v1/push (ops endpoints are on OPS_PORT)' }),
  REDIS_URL: url({ optional: true, protocols: ['redis:', 'rediss:'], description: 'Redis for limits and dedup shared by all replicas (or REDIS_SENTINELS); unset (the node only): in memory' }),
  REDIS_SENTINELS: hostPorts({
    optional: true,
    description: 'comma-separated host:port of Redis Sentinels, instead of REDIS_URL: the gateway asks them for the master of REDIS_SENTINEL_MASTER and follows its failovers',
  }),
  REDIS_SENTINEL_MASTER: string({ optional: true, minLength: 1, description: 'name of the master the Sentinels monitor (with REDIS_SENTINELS)' }),
  REDIS_PASSWORD: string({
    optional: true,
    secret: true,
    description: 'with REDIS_SENTINELS: password of the Redis master and of the Sentinels (with REDIS_URL the password goes in the URL)',
  }),
  REDIS_TLS: bool({ default: false, description: 'with REDIS_SENTINELS: TLS to the Sentinels and to the master (with REDIS_URL: a rediss:// URL)' }),
  GATEWAY_RELAY_KEY: string({
    optional: true,
    secret: true,
    minLength: 32,
    description: "the relay key's secret (at least 32 characters, e.g. `openssl rand -hex 32`), the same on every replica: v2 claims are bound to the key it stands for; unset: GATEWAY_RELAY_KEY_FILE",
  }),
  GATEWAY_RELAY_KEY_FILE: string({
    optional: true,
    description: 'file holding the relay key secret, made (mode 0600) with a random one if missing (the node: DATA_DIR/relay-key); unset with GATEWAY_RELAY_KEY unset: a random key per process, which clients pinning a key refuse',
  }),
  GATEWAY_MAX_FRAME_BYTES: int({ default: 65_611, min: 1024, max: 1_048_576, description: 'largest frame accepted' }),
  GATEWAY_IDLE_TIMEOUT_MS: int({ default: 120_000, min: 1000, max: 3_600_000, description: 'close after this long without a frame' }),
  GATEWAY_QUEUE_TTL_SECONDS: int({ default: MAX_TTL_SECONDS, min: 60, max: MAX_TTL_SECONDS, description: 'longest a packet waits in the queue' }),
  GATEWAY_LIVE_ACK_TIMEOUT_MS: int({ default: 2000, min: 50, max: 60_000, description: 'wait for a live recipient ack before queueing' }),
  GATEWAY_REPLICA_COALESCE_MS: int({
    default: 1,
    min: 0,
    max: 1000,
    description: 'while packets and statuses to other replicas go out more often than this, each send waits until this long after the last (fewer, larger NATS messages); a quiet link sends at once; 0: every turn of the event loop',
  }),
  GATEWAY_CONN_RATE: int({ default: 2000, min: 1, max: 1_000_000, description: 'frames per second per connection' }),
  GATEWAY_CONN_BURST: int({ default: 4000, min: 1, max: 1_000_000, description: 'frame burst per connection' }),
  GATEWAY_IP_RATE: int({ default: 20_000, min: 1, max: 10_000_000, description: 'frames per second per client IP, across replicas' }),
  GATEWAY_IP_CONNECT_RATE: int({ default: 200, min: 1, max: 1_000_000, description: 'new connections per second per client IP, across replicas' }),
  GATEWAY_IP_CLAIM_RATE: int({
    default: 4096,
    // Below one CLAIM's most (1,024 dests) a full claim could never pass.
    min: MAX_CLAIM,
    max: 10_000_000,
    // Why 4,096: a CLAIM's work is per destination (a BLAKE3 mailbox id in JS: 1,024 took 18–31 ms
    // measured, and for a new mailbox a subscription and its share of the drain). The frame budget
    // alone let an address claim ~19,500 a second, which starved the node (docs/attacks.md §3, b2);
    // at 4,096 the bystander's PING p99 stayed ~20 ms under that flood. A real client claims 3 to ~720
    // mailboxes when it connects: five of them behind one address may (re)connect in the same second.
    description: 'destinations claimed per second per client address, across replicas (each costs a mailbox id derivation; a new one a subscription and a drain); past it CLAIM is RATE_LIMITED',
  }),
  GATEWAY_IP_DRAIN_RATE: int({
    default: 1024,
    // One drain query reads up to 128 mailboxes (DRAIN_SLICE): a smaller budget could never pass it.
    min: 128,
    max: 100_000_000,
    // Why 1,024: the node's embedded database costs ~0.2 ms of its event loop per mailbox a drain
    // query reads that holds packets, so an address draining flat out holds ~a fifth of a core, in
    // pieces of ~30 ms (128 mailboxes a query). A real client's drain on connect reads its 3 to ~720
    // mailboxes: within one second's budget. Repeated connections of one address wait their turn.
    description: 'mailboxes the drains of one client address may read per second, across replicas (each drain query is charged the mailboxes it reads, up to 128); past it drains wait for the next second, claims are still answered',
  }),
  GATEWAY_MAX_CLAIMS: int({ default: 4096, min: 1, max: 65_536, description: 'mailboxes one connection may claim' }),
  GATEWAY_MAX_BUFFERED_BYTES: int({ default: 1_048_576, min: 65_536, max: 67_108_864, description: 'outbound bytes buffered per connection before deliveries go to the queue' }),
  GATEWAY_DELIVERY_WINDOW: int({ default: 2048, min: 1, max: 65_536, description: 'unacked deliveries per connection (their unsent bytes are bounded by GATEWAY_MAX_BUFFERED_BYTES)' }),
  GATEWAY_DRAIN_GRACE_MS: int({ default: 10_000, min: 0, max: 300_000, description: 'SIGTERM: time for in-flight sends before connections close' }),
  GATEWAY_LOG_CLIENT_IPS: bool({ default: false, description: 'operator opt-in: log client IPs' }),
  GATEWAY_MAX_CONNECTIONS: int({ default: 100_000, min: 1, max: 10_000_000, description: 'open client connections on this replica, at most (past it, upgrades get 503: try another replica)' }),
  GATEWAY_MAX_CONNECTIONS_PER_IP: int({ default: 1000, min: 1, max: 10_000_000, description: 'open connections from one client address on this replica, at most (past it, 429)' }),
  GATEWAY_MAX_CLAIMS_PER_IP: int({ default: 65_536, min: 1, max: 100_000_000, description: 'mailboxes claimed by all connections of one client address on this replica, at most' }),
  GATEWAY_MAX_CLAIMS_TOTAL: int({ default: 1_000_000, min: 1, max: 100_000_000, description: 'mailboxes claimed on this replica, all connections (each holds ~1 KB of heap)' }),
  GATEWAY_HELLO_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 600_000, description: 'close a connection that has not sent HELLO after this long' }),
  GATEWAY_FRAME_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 600_000, description: 'close a connection holding an unfinished frame when no frame completed for this long' }),
  GATEWAY_MAX_PARTIAL_BYTES: bytes({ default: 64 * 2 ** 20, min: 2 ** 20, max: 2 ** 40, description: 'bytes of unfinished frames held on this replica, all connections; past it the connections holding the most are closed' }),
  GATEWAY_CONN_BYTE_RATE: bytes({ default: 8 * 2 ** 20, min: 65_536, max: 2 ** 40, description: 'bytes of frames per second per connection' }),
  GATEWAY_CONN_BYTE_BURST: bytes({ default: 16 * 2 ** 20, min: 131_072, max: 2 ** 40, description: 'byte burst per connection' }),
  GATEWAY_IP_BYTE_RATE: bytes({ default: 64 * 2 ** 20, min: 65_536, max: 2 ** 50, description: 'bytes of frames per second per client address, across replicas' }),
  GATEWAY_DELIVERY_ACK_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 3_600_000, description: 'a queued delivery unacked this long leaves the delivery window (it stays queued): junk a client never acks cannot stop its drain' }),
  GATEWAY_HIDE_PRESENCE: bool({ default: true, description: 'hold ACCEPTED for a live delivery until a time drawn from what queued packets take, so its timing does not tell a sender whether the recipient is online' }),
  GATEWAY_IP_QUEUE_BYTES_PER_HOUR: bytes({ default: 256 * 2 ** 20, min: 65_536, max: 2 ** 50, description: 'bytes one client address may have queued (for recipients not online) per hour, across replicas; past it its sends are RATE_LIMITED' }),
  GATEWAY_IP_QUEUE_BYTE_RATE: bytes({
    default: 256 * 2 ** 10,
    min: 65_536,
    max: 2 ** 50,
    // Why 256 KiB: the node's embedded database (PGlite, on the event loop) takes ~0.3 ms of CPU per
    // KiB of 64 KiB packets queued (~3 MiB/s a core): 256 KiB a second costs it ~80 ms of every second,
    // four 64 KiB packets; the hourly quota (256 MiB) averages 73 KiB/s, so a real sender's bursts are
    // slowed only past three times that. A cluster's queue service writes more: raise it there.
    description: 'bytes one client address may have queued (for recipients not online) per second, across replicas, beside the hourly GATEWAY_IP_QUEUE_BYTES_PER_HOUR (never below GATEWAY_MAX_FRAME_BYTES, so the largest packet fits); past it its sends are RATE_LIMITED',
  }),
  GATEWAY_MAX_INFLIGHT_SENDS: int({ default: 2048, min: 1, max: 1_000_000, description: 'SENDs of one connection not yet answered; past it, RATE_LIMITED' }),
  GATEWAY_MAX_BAD_PROOFS: int({ default: 8, min: 1, max: 1_000_000, description: 'CLAIMs with a bad proof one connection may send before it is closed (4429)' }),
  GATEWAY_CLIENT_ADDRESS_FROM: oneOf(CLIENT_ADDRESS_SOURCES, { default: 'socket', description: 'where the client address limits key on comes from: the TCP peer, a PROXY protocol v2 header, or X-Forwarded-For (both only from GATEWAY_TRUSTED_PROXIES)' }),
  GATEWAY_TRUSTED_PROXIES: string({ optional: true, description: 'comma-separated addresses and CIDRs of load balancers whose PROXY header or X-Forwarded-For is believed' }),
  GATEWAY_PREKEY_FETCHES_PER_MINUTE: int({ default: 60, min: 1, max: 10_000_000, description: 'prekey bundle fetches per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_PREKEY_UPLOADS_PER_MINUTE: int({ default: 30, min: 1, max: 10_000_000, description: 'prekey challenges and uploads per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_PREKEY_MAX_INFLIGHT: int({ default: 256, min: 1, max: 100_000, description: 'prekey requests served at once by one replica; beyond it 503' }),
  GATEWAY_PREKEY_BODY_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 120_000, description: 'time a prekey request body has to arrive' }),
  GATEWAY_DIRECTORY_LOOKUPS_PER_MINUTE: int({ default: 60, min: 1, max: 10_000_000, description: 'directory lookups per minute per client address (an IPv6 /64), across replicas (the directory counts its own DIRECTORY_LOOKUPS_PER_MINUTE too)' }),
  GATEWAY_DIRECTORY_WRITES_PER_MINUTE: int({ default: 30, min: 1, max: 10_000_000, description: 'directory challenges, registrations, transfers and releases per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_DIRECTORY_MAX_INFLIGHT: int({ default: 256, min: 1, max: 100_000, description: 'directory requests served at once by one replica; beyond it 503' }),
  GATEWAY_DIRECTORY_BODY_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 120_000, description: 'time a directory request body has to arrive' }),
  GATEWAY_PUSH_REGISTERS_PER_MINUTE: int({ default: 30, min: 1, max: 10_000_000, description: 'push registrations per minute per client address (an IPv6 /64), across replicas (the push service counts its own too)' }),
  GATEWAY_PUSH_UNREGISTERS_PER_MINUTE: int({ default: 30, min: 1, max: 10_000_000, description: 'push unregistrations per minute per client address (an IPv6 /64), across replicas' }),
  GATEWAY_PUSH_MAX_INFLIGHT: int({ default: 256, min: 1, max: 100_000, description: 'push registration requests served at once by one replica; beyond it 503' }),
  GATEWAY_PUSH_BODY_TIMEOUT_MS: int({ default: 10_000, min: 100, max: 120_000, description: 'time a push registration request body has to arrive' }),
  GATEWAY_PUSH_MAX_BODY_BYTES: bytes({
    default: 48 * 2 ** 10,
    // A registration of a CLAIM's most (1,024 dests, 34 KiB of them) with a 2,048-character Web Push
    // endpoint is ~36 KiB; 40 KiB is the least that still takes every valid one.
    min: 40 * 2 ** 10,
    max: 2 ** 20,
    description: 'longest push registration body taken (a registration of 1,024 dests with a long Web Push endpoint is ~36 KiB); past it 413',
  }),
  GATEWAY_PUSH_EVENTS: bool({ default: true, description: 'after queueing a packet for a mailbox no connection held, publish its mailbox id on tacit.push.v1.queued for the push service to wake the device (fire and forget); false: no wakes' }),
});

/** The gateway as the cluster runs it: NATS (the queue, other replicas) and Redis (shared limits) are required. */
export const gatewayServiceConfigSchema = defineConfig({
  ...gatewayConfigSchema,
  NATS_URL: url({ protocols: ['nats:', 'tls:'], description: 'NATS server: the queue and the other replicas' }),
  REDIS_URL: url({ optional: true, protocols: ['redis:', 'rediss:'], description: 'Redis for limits and dedup shared by all replicas; required unless REDIS_SENTINELS is set' }),
});

export type GatewayConfig = Config<typeof gatewayConfigSchema>;

type RedisSettings = Pick<GatewayConfig, 'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_MASTER' | 'REDIS_PASSWORD' | 'REDIS_TLS'>;

/**
 * How the gateway finds Redis, across variables: REDIS_URL, or REDIS_SENTINELS with
 * REDIS_SENTINEL_MASTER (never both); REDIS_PASSWORD and REDIS_TLS only in sentinel mode (a URL
 * carries its own password and scheme). Each issue names the variables involved.
 */
export function redisSettingsIssues(s: RedisSettings): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (s.REDIS_SENTINELS && s.REDIS_URL) {
    issues.push({ key: 'REDIS_SENTINELS', problem: 'set REDIS_URL or REDIS_SENTINELS, not both' });
  }
  if (s.REDIS_SENTINELS && !s.REDIS_SENTINEL_MASTER) {
    issues.push({ key: 'REDIS_SENTINEL_MASTER', problem: 'required with REDIS_SENTINELS (the name of the master the Sentinels monitor)' });
  }
  if (!s.REDIS_SENTINELS && s.REDIS_SENTINEL_MASTER) {
    issues.push({ key: 'REDIS_SENTINEL_MASTER', problem: 'only read with REDIS_SENTINELS, which is not set' });
  }
  if (!s.REDIS_SENTINELS && s.REDIS_PASSWORD) {
    issues.push({ key: 'REDIS_PASSWORD', problem: 'only read with REDIS_SENTINELS (with REDIS_URL, put the password in the URL)' });
  }
  if (!s.REDIS_SENTINELS && s.REDIS_TLS) {
    issues.push({ key: 'REDIS_TLS', problem: 'only read with REDIS_SENTINELS (with REDIS_URL, use a rediss:// URL)' });
  }
  return issues;
}

/** The cluster's gateway: {@link redisSettingsIssues}, and Redis is required (REDIS_URL or REDIS_SENTINELS). */
export function gatewayServiceSettingsIssues(s: RedisSettings): ConfigIssue[] {
  const issues = redisSettingsIssues(s);
  if (!s.REDIS_URL && !s.REDIS_SENTINELS) {
    issues.push({ key: 'REDIS_URL', problem: 'required but not set (or set REDIS_SENTINELS and REDIS_SENTINEL_MASTER): limits and dedup are shared through Redis' });
  }
  return issues;
}
