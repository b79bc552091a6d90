// @tacit/testing: real nats-server, PostgreSQL, Redis (alone or behind a Sentinel), MinIO and Jaeger on free loopback ports, each in
// a temporary folder, restartable on the same port and data, and gone when the test process is.
export { JaegerQueryError, MissingServerError, ServerStartError } from './errors.js';
export { defaultSearchDirs, findBinary, findPostgresBinDir, tacitCacheDir } from './binaries.js';
export { killAll, type StopOptions, type TestServer } from './server.js';
export { earlyInWindow, freePort, waitFor, type Truthy, type WaitForOptions } from './wait.js';
export { startNats, type NatsOptions, type NatsServer } from './nats.js';
export { startPostgres, type PostgresOptions, type PostgresServer } from './postgres.js';
export { startRedis, type RedisOptions, type RedisServer } from './redis.js';
export { startRedisSentinel, type RedisSentinelOptions, type RedisSentinelSetup } from './redis-sentinel.js';
export { startMinio, type MinioOptions, type MinioServer } from './minio.js';
export {
  startJaeger,
  type JaegerKeyValue,
  type JaegerOptions,
  type JaegerReference,
  type JaegerSearchOptions,
  type JaegerServer,
  type JaegerSpan,
  type JaegerTrace,
  type JaegerWaitOptions,
} from './jaeger.js';
export { httpGet, type HttpAnswer } from './http.js';
export { ChildScript } from './child.js';
