import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findBinary, defaultSearchDirs } from './binaries.js';
import { _launch, _retryOnPortClash, type TestServer } from './server.js';
import { _httpOk, _makeServerDir } from './_tmp.js';
import { freePort } from './wait.js';

/** Options of {@link startNats}. */
export interface NatsOptions {
  /** Enable JetStream, stored in the server's temporary folder (default true). */
  jetstream?: boolean;
  /**
   * Flush JetStream writes to disk before acknowledging them (`sync_interval: always`), so a
   * SIGKILL loses nothing acknowledged. Default false: nats-server's own periodic sync.
   */
  syncAlways?: boolean;
  /** Extra nats-server command-line arguments. */
  args?: string[];
  /** Search only these folders for `nats-server` (default: setup cache, PATH, Debian paths). */
  binDirs?: string[];
  /** How long to wait for readiness (default 30 000 ms). */
  readyTimeoutMs?: number;
}

/** A running nats-server. */
export interface NatsServer extends TestServer {
  /** `nats://127.0.0.1:<port>` */
  readonly url: string;
  /** HTTP monitoring port (`/healthz`, `/varz`, `/jsz`). */
  readonly monitorPort: number;
}

async function _startNatsOnce(options: NatsOptions): Promise<NatsServer> {
  const binary = findBinary('nats-server', options.binDirs ?? defaultSearchDirs());
  const [port, monitorPort] = [await freePort(), await freePort()];
  const dir = _makeServerDir('nats');
  const config = [`server_name: "tacit-test-${port}"`, 'host: "127.0.0.1"', `port: ${port}`, `http: "127.0.0.1:${monitorPort}"`];
  if (options.jetstream ?? true) {
    const sync = options.syncAlways ? ', sync_interval: always' : '';
    config.push(`jetstream: { store_dir: ${JSON.stringify(join(dir, 'jetstream'))}${sync} }`);
  }
  const configFile = join(dir, 'nats.conf');
  writeFileSync(configFile, config.join('\n') + '\n');
  const args = ['-c', configFile, ...(options.args ?? [])];
  // healthz checks JetStream too: after a restart it answers 200 only once streams are recovered.
  const healthz = `http://127.0.0.1:${monitorPort}/healthz`;
  return _launch(
    {
      name: 'nats-server',
      command: binary,
      args,
      dir,
      logFile: join(dir, 'nats.log'),
      ready: () => _httpOk(healthz),
      readyTimeoutMs: options.readyTimeoutMs,
    },
    port,
    { url: `nats://127.0.0.1:${port}`, monitorPort },
  );
}

/** Starts nats-server on a free loopback port and resolves once `/healthz` answers 200. */
export function startNats(options: NatsOptions = {}): Promise<NatsServer> {
  return _retryOnPortClash(() => _startNatsOnce(options));
}
