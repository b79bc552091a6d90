import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultSearchDirs, findBinary } from './binaries.js';
import { _launch, _retryOnPortClash, type StopOptions, type TestServer } from './server.js';
import { _makeServerDir } from './_tmp.js';
import { _redisPing, startRedis, type RedisServer } from './redis.js';
import { freePort } from './wait.js';

/** Options of {@link startRedisSentinel}. */
export interface RedisSentinelOptions {
  /** Name the Sentinel monitors the master under (default `tacit`). */
  masterName?: string;
  /** `requirepass` of the master and of the Sentinel, and the Sentinel's `auth-pass` to the master. */
  password?: string;
  /** Search only these folders for `redis-server`. */
  binDirs?: string[];
  /** How long to wait for readiness (default 30 000 ms). */
  readyTimeoutMs?: number;
}

/** A Redis master and one Sentinel monitoring it, each its own process on a free loopback port. */
export interface RedisSentinelSetup {
  /** The master the Sentinel hands out. */
  readonly master: RedisServer;
  /** The Sentinel process (`redis-server <conf> --sentinel`). */
  readonly sentinel: TestServer;
  readonly masterName: string;
  /** `127.0.0.1:<sentinel port>`, as REDIS_SENTINELS takes it. */
  readonly sentinels: string;
  /** Stops the Sentinel, then the master, and removes their folders. */
  stop(options?: StopOptions): Promise<void>;
}

async function _startSentinelOnce(master: RedisServer, masterName: string, options: RedisSentinelOptions): Promise<TestServer> {
  const binary = findBinary('redis-server', options.binDirs ?? defaultSearchDirs());
  const port = await freePort();
  const dir = _makeServerDir('redis-sentinel');
  // Sentinel rewrites its config file (it records what it learns), so it lives in the server's folder.
  const conf = join(dir, 'sentinel.conf');
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    `dir ${dir}`,
    'daemonize no',
    'protected-mode no',
    'logfile ""',
    `sentinel monitor ${masterName} 127.0.0.1 ${master.port} 1`,
    `sentinel down-after-milliseconds ${masterName} 1000`,
    `sentinel failover-timeout ${masterName} 5000`,
    ...(options.password === undefined ? [] : [`sentinel auth-pass ${masterName} ${options.password}`, `requirepass ${options.password}`]),
  ];
  writeFileSync(conf, `${lines.join('\n')}\n`);
  return _launch(
    {
      name: 'redis-sentinel',
      command: binary,
      args: [conf, '--sentinel'],
      dir,
      logFile: join(dir, 'sentinel.log'),
      ready: () => _redisPing(port, undefined, options.password),
      readyTimeoutMs: options.readyTimeoutMs,
    },
    port,
    {},
  );
}

/**
 * Starts a Redis master (see startRedis) and one Redis Sentinel monitoring it under `masterName`
 * (Debian's redis-server in sentinel mode: no separate binary needed); resolves once both answer
 * PING. A client finds the master by asking the Sentinel (`SENTINEL get-master-addr-by-name`).
 */
export async function startRedisSentinel(options: RedisSentinelOptions = {}): Promise<RedisSentinelSetup> {
  const masterName = options.masterName ?? 'tacit';
  const master = await startRedis({
    ...(options.password === undefined ? {} : { password: options.password }),
    ...(options.binDirs ? { binDirs: options.binDirs } : {}),
    ...(options.readyTimeoutMs ? { readyTimeoutMs: options.readyTimeoutMs } : {}),
  });
  let sentinel: TestServer;
  try {
    sentinel = await _retryOnPortClash(() => _startSentinelOnce(master, masterName, options));
  } catch (err) {
    await master.stop();
    throw err;
  }
  return {
    master,
    sentinel,
    masterName,
    sentinels: `127.0.0.1:${sentinel.port}`,
    async stop(stopOptions?: StopOptions) {
      await sentinel.stop(stopOptions);
      await master.stop(stopOptions);
    },
  };
}
