// The image's entry point: `tacit <command>` runs one service or tool of this build, so one image
// serves every Deployment of the chart (its `args` pick the command).
//
//   node (default)  every service in one process       gateway, queue, prekey, directory, push, media  one service
//   migrate         every service's migrations, then exit (the queue's, the prekey service's, the directory's and the push service's)
//   roundtrip       a client round trip (helm test)
//   wait            until WAIT_FOR host:ports accept connections (the chart's dev-mode init container)
//
// Exit 64 for an unknown command, 78 for a bad setting (one JSON line, as the services print).
import { writeSync } from 'node:fs';
import { bool, ConfigError, defineConfig, EXIT_CONFIG, int, loadConfig, string, url, type ConfigSchema, type Config } from '@tacit/kit';
import { roundTrip } from './roundtrip.js';
import { parseEndpoints, waitForEndpoints } from './wait-for.js';

const _MAINS: Record<string, string> = {
  node: '../../services/node/dist/main.js',
  gateway: '../../services/gateway/dist/main.js',
  queue: '../../services/queue/dist/main.js',
  prekey: '../../services/prekey/dist/main.js',
  directory: '../../services/directory/dist/main.js',
  push: '../../services/push/dist/main.js',
  media: '../../services/media/dist/main.js',
  migrate: '../../services/node/dist/migrate.js',
};
const _TOOLS = ['roundtrip', 'wait'];
/** sysexits' EX_USAGE. */
const EXIT_USAGE = 64;

const roundTripSchema = defineConfig({
  ROUNDTRIP_URL: url({ protocols: ['ws:', 'wss:'], description: 'gateway URL, ws://host:port/v1' }),
  ROUNDTRIP_PACKETS: int({ default: 5, min: 1, max: 10_000, description: 'packets each way' }),
  ROUNDTRIP_TIMEOUT_MS: int({ default: 60_000, min: 1000, max: 600_000, description: 'give up after this long' }),
  ROUNDTRIP_ALLOW_INSECURE: bool({ default: false, description: 'allow ws:// to a host other than loopback (in-cluster Services)' }),
});
const waitSchema = defineConfig({
  WAIT_FOR: string({ description: 'host:port[,host:port…] that must accept TCP connections' }),
  WAIT_TIMEOUT_SECONDS: int({ default: 300, min: 1, max: 3600, description: 'give up after this long' }),
});

function line(level: string, event: string, fields: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify({ level, ts: new Date().toISOString(), service: 'tacit', event, ...fields })}\n`);
}

function settings<S extends ConfigSchema>(schema: S): Config<S> {
  try {
    return loadConfig(schema, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    line('error', 'config_invalid', { issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })) });
    process.exit(EXIT_CONFIG);
  }
}

const command = process.argv[2] ?? 'node';
if (_MAINS[command]) {
  await import(_MAINS[command]);
} else if (command === 'roundtrip') {
  const s = settings(roundTripSchema);
  try {
    const res = await roundTrip({ url: s.ROUNDTRIP_URL, packets: s.ROUNDTRIP_PACKETS, timeoutMs: s.ROUNDTRIP_TIMEOUT_MS, allowInsecure: s.ROUNDTRIP_ALLOW_INSECURE });
    line('info', 'roundtrip_ok', { ...res });
    process.exit(0);
  } catch (err) {
    line('error', 'roundtrip_failed', { error: err instanceof Error ? err.name : 'unknown', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
} else if (command === 'wait') {
  const s = settings(waitSchema);
  let endpoints;
  try {
    endpoints = parseEndpoints(s.WAIT_FOR);
  } catch (err) {
    line('error', 'config_invalid', { issues: [{ variable: 'WAIT_FOR', problem: (err as Error).message }] });
    process.exit(EXIT_CONFIG);
  }
  try {
    await waitForEndpoints(endpoints, s.WAIT_TIMEOUT_SECONDS * 1000, (closed) => line('info', 'waiting', { for: closed.map((e) => `${e.host}:${e.port}`) }));
    line('info', 'endpoints_open', { endpoints: endpoints.length });
    process.exit(0);
  } catch (err) {
    line('error', 'wait_failed', { message: (err as Error).message });
    process.exit(1);
  }
} else {
  line('error', 'unknown_command', { command, commands: [...Object.keys(_MAINS), ..._TOOLS] });
  process.exit(EXIT_USAGE);
}
