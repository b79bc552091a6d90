// The real MeshWhisper relay (@meshwhisper/node, the `meshwhisper-node` binary) as a target:
// its own process, PORT and DB_PATH in a fresh temporary folder, loopback only.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, startNodeProcess, waitForHttp } from '../proc.js';
import type { RunContext, RunningTarget, System } from '../scenario.js';

/** Path of the script behind `node_modules/.bin/meshwhisper-node`, and the package version. */
export function meshWhisperBin(): { script: string; version: string } {
  const pkgPath = createRequire(import.meta.url).resolve('@meshwhisper/node/package.json');
  const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; bin: Record<string, string> };
  const bin = pkg.bin['meshwhisper-node'];
  if (!bin) throw new Error('@meshwhisper/node has no meshwhisper-node binary');
  return { script: join(dirname(pkgPath), bin), version: pkg.version };
}

/**
 * Starts MeshWhisper with a fresh SQLite database. `env` adds settings such as
 * MAX_BLOBS_PER_HASH (its documented cap on queued packets per destination, default 500).
 */
export async function startMeshWhisper(ctx: RunContext, env: Record<string, string> = {}): Promise<RunningTarget> {
  const port = await freePort();
  const dir = join(ctx.tmpDir, `meshwhisper-${port}`);
  mkdirSync(dir, { recursive: true });
  // Run through the bin's script with this Node, so the gc hook can be preloaded.
  const proc = startNodeProcess(meshWhisperBin().script, [], {
    cwd: dir,
    env: { PORT: String(port), LISTEN_HOST: '127.0.0.1', DB_PATH: join(dir, 'meshwhisper.db'), FEDERATION_MODE: 'off', ...env },
  });
  const healthUrl = `http://127.0.0.1:${port}/health`;
  try {
    await waitForHttp(healthUrl, 15_000);
  } catch (err) {
    await proc.stop();
    throw new Error(`meshwhisper did not start: ${proc.output().slice(-2000)}`, { cause: err });
  }
  return {
    urls: [`ws://127.0.0.1:${port}/`],
    pids: [proc.pid],
    gcSignal: 'SIGUSR2',
    driverOptions: { healthUrl },
    stop: () => proc.stop(),
  };
}

/** MeshWhisper and its driver; `env` as for {@link startMeshWhisper}. */
export function meshWhisperSystem(env: Record<string, string> = {}): System {
  return {
    start: (ctx) => startMeshWhisper(ctx, env),
    driver: { module: new URL('../drivers/meshwhisper.js', import.meta.url).href },
  };
}
