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
  /** `requirepass`: clients must AUTH with it (the url then carries it). */
  password?: string;
}

/** A running redis-server with the append-only file on. */
export interface RedisServer extends TestServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

/** One command in RESP (safe for any bytes in the arguments, unlike an inline command). */
function _resp(...args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`;
}

/**
 * Sends PING (after AUTH when `password` is given) over a fresh connection; true on `+PONG` (not
 * `-LOADING` while the AOF replays, nor `-NOAUTH`).
 */
export function _redisPing(port: number, timeoutMs = 2_000, password?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let buffered = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('error', () => done(false));
    const replies = password === undefined ? 1 : 2;
    socket.once('connect', () => socket.write((password === undefined ? '' : _resp('AUTH', password)) + _resp('PING')));
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      const lines = buffered.split('\r\n');
      if (lines.length > replies) done(lines[replies - 1] === '+PONG' && (replies === 1 || lines[0] === '+OK'));
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
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    ...(options.args ?? []),
  ];
  return _launch(
    {
      name: 'redis-server',
      command: binary,
      args,
      dir,
      logFile: join(dir, 'redis.log'),
      ready: () => _redisPing(port, undefined, options.password),
      readyTimeoutMs: options.readyTimeoutMs,
    },
    port,
    { url: options.password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}` },
  );
}

/**
 * Starts redis-server on a free loopback port with `appendonly yes`, `appendfsync everysec` and
 * its data in a temporary folder; resolves once it answers PING.
 */
export function startRedis(options: RedisOptions = {}): Promise<RedisServer> {
  return _retryOnPortClash(() => _startRedisOnce(options));
}
