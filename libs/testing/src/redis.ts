import { connect } from 'node:net';
import { join } from 'node:path';
import { defaultSearchDirs, findBinary } from './binaries.js';
import { _launch, _retryOnPortClash, type TestServer } from './server.js';
import { _makeServerDir } from './_tmp.js';
import { freePort } from './wait.js';

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** Extra redis-server arguments, e.g. `['--maxmemory', '64mb']` (they win over the defaults). */
  args?: string[];
  /** Search only these folders for `redis-server`. */
  binDirs?: string[];
  /** How long to wait for readiness (default 30 000 ms). */
  readyTimeoutMs?: number;
}

/** A running redis-server with the append-only file on. */
export interface RedisServer extends TestServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

/** Sends PING over a fresh connection; true on `+PONG` (not `-LOADING` while the AOF replays). */
export function _redisPing(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      if (buffered.includes('\r\n')) done(buffered.startsWith('+PONG'));
    });
  });
}

async function _startRedisOnce(options: RedisOptions): Promise<RedisServer> {
  const binary = findBinary('redis-server', options.binDirs ?? defaultSearchDirs());
  const port = await freePort();
  const dir = _makeServerDir('redis');
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--dir', dir,
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--logfile', '',
    ...(options.args ?? []),
  ];
  return _launch(
    {
      name: 'redis-server',
      command: binary,
      args,
      dir,
      logFile: join(dir, 'redis.log'),
      ready: () => _redisPing(port),
      readyTimeoutMs: options.readyTimeoutMs,
    },
    port,
    { url: `redis://127.0.0.1:${port}` },
  );
}

/**
 * Starts redis-server on a free loopback port with `appendonly yes`, `appendfsync everysec` and
 * its data in a temporary folder; resolves once it answers PING.
 */
export function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  return _retryOnPortClash(() => _startRedisOnce(options));
}
