// Tacit as a benchmark target, on real servers started by @tacit/testing:
// - single: the `npm start` node with its queue in PostgreSQL (DATABASE_URL), in-process bus and
//   in-memory limits: one gateway process.
// - replicas: the cluster shape: nats-server, PostgreSQL, Redis, the queue service and two gateway
//   replicas, each its own process.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNats, startPostgres, startRedis, waitFor } from '@tacit/testing';
import { startNodeProcess, type StartedProcess } from '../proc.js';
import type { RunContext, RunningTarget, System } from '../scenario.js';

/** The built entry points of Tacit's services in a checkout of this repository. */
export interface TacitMains {
  node: string;
  gateway: string;
  queue: string;
}

/** The mains under `root`, a checkout where `npm run build` has run (`--compare` passes another). */
export function tacitMains(root: string): TacitMains {
  return {
    node: join(root, 'services/node/dist/main.js'),
    gateway: join(root, 'services/gateway/dist/main.js'),
    queue: join(root, 'services/queue/dist/main.js'),
  };
}

/** This checkout's root. */
const _THIS_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** This checkout's mains. */
export const THIS_BUILD = tacitMains(_THIS_ROOT);

/** The main of another service of this checkout (`push`, `media`). */
export function serviceMain(service: string): string {
  return join(_THIS_ROOT, `services/${service}/dist/main.js`);
}
const DRIVER = { module: new URL('../drivers/tacit.js', import.meta.url).href };

/**
 * Node flags Tacit's processes run with, as `npm start` runs the node (root package.json; a spec
 * checks the two agree). A capped young generation: a burst of connects otherwise grows V8's
 * semi-spaces to their 64 MiB maximum, memory that stays with the process once the burst is over.
 */
export const TACIT_NODE_FLAGS = process.env.TACIT_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=16'];

/**
 * Extra settings of the single node, `KEY=value` separated by spaces (TACIT_BENCH_NODE_ENV): a row
 * measured with a feature on, e.g. a push provider configured (docs/benchmarks.md, "Running it").
 */
export const TACIT_NODE_ENV: Record<string, string> = Object.fromEntries(
  (process.env.TACIT_BENCH_NODE_ENV ?? '')
    .split(' ')
    .filter(Boolean)
    .map((kv) => {
      const at = kv.indexOf('=');
      if (at <= 0) throw new RangeError(`TACIT_BENCH_NODE_ENV expected KEY=value pairs, got ${kv}`);
      return [kv.slice(0, at), kv.slice(at + 1)];
    }),
);

/**
 * Node flags of a gateway replica, as `npm run start:gateway` runs it (a spec checks the two agree).
 * The node's: `--single-threaded-gc` was measured and not kept (docs/benchmarks-history.md):
 * shorter young collections on this shared machine, but old-generation pauses of 30–150 ms instead
 * of 10–15.
 */
export const TACIT_GATEWAY_NODE_FLAGS = process.env.TACIT_BENCH_GATEWAY_NODE_FLAGS?.split(' ').filter(Boolean) ?? [...TACIT_NODE_FLAGS];

// The bench drives every client from 127.0.0.x: lift the per-address limits meant for the internet.
const BENCH_LIMITS = {
  GATEWAY_IP_RATE: '10000000',
  GATEWAY_IP_CONNECT_RATE: '1000000',
  GATEWAY_CONN_RATE: '1000000',
  GATEWAY_CONN_BURST: '1000000',
  GATEWAY_IDLE_TIMEOUT_MS: '3600000',
  GATEWAY_MAX_CONNECTIONS_PER_IP: '1000000',
  GATEWAY_MAX_CLAIMS_PER_IP: '100000000',
  GATEWAY_IP_QUEUE_BYTES_PER_HOUR: '1024TiB',
  GATEWAY_IP_BYTE_RATE: '1TiB',
  GATEWAY_IP_CLAIM_RATE: '10000000',
  GATEWAY_IP_DRAIN_RATE: '100000000',
  GATEWAY_IP_QUEUE_BYTE_RATE: '1TiB',
  LOG_LEVEL: 'warn',
};

/**
 * The offline rows queue 12 500 packets per recipient, above the default cap of 10 000 (drawn from
 * its top eighth); MeshWhisper's MAX_BLOBS_PER_HASH is raised likewise (registry.ts). The offline
 * rows run on the single node, whose queue reads it.
 */
const OFFLINE_CAP = { QUEUE_MAILBOX_CAP: '65536' };

/**
 * BENCH_LIMITS as the build of `mains` knows them: a build from before a limit existed refuses its
 * unknown GATEWAY_* variable by name (`--compare` against an older checkout), so a setting its
 * gateway's config does not name is left out (that build has no such limit to lift).
 */
function benchLimits(mains: TacitMains): Record<string, string> {
  let config = '';
  try {
    config = readFileSync(join(dirname(mains.gateway), 'config.js'), 'utf8');
  } catch {
    return BENCH_LIMITS;
  }
  return Object.fromEntries(Object.entries(BENCH_LIMITS).filter(([k]) => !k.startsWith('GATEWAY_') || config.includes(`${k}:`)));
}

/**
 * Waits until the process answers /readyz on one of `ports`: its ops listener (OPS_PORT), or, for
 * a build from before the ops listener (`--compare` against an older checkout), its public port.
 */
async function ready(ports: number[], proc: StartedProcess): Promise<void> {
  const ok = async (port: number) => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`exited early: ${proc.output().slice(-2000)}`);
      return (await Promise.all(ports.map(ok))).some(Boolean);
    },
    { timeoutMs: 30_000, intervalMs: 50 },
  );
}

/** A public port and an ops port for one process, as its environment. */
async function listeners(): Promise<{ port: number; opsPort: number; env: Record<string, string> }> {
  const [port, opsPort] = [await freePort(), await freePort()];
  return { port, opsPort, env: { HOST: '127.0.0.1', PORT: String(port), OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort), MEDIA_PORT: '0' } };
}

async function stopAll(procs: StartedProcess[], servers: Array<{ stop(): Promise<void> }>): Promise<void> {
  await Promise.allSettled(procs.map((p) => p.stop(5000)));
  await Promise.allSettled(servers.map((s) => s.stop()));
}

/** The single node, queue in PostgreSQL. */
export async function startTacitSingle(ctx: RunContext, mains: TacitMains = THIS_BUILD): Promise<RunningTarget> {
  const pg = await startPostgres();
  const { port, opsPort, env } = await listeners();
  const node = startNodeProcess(mains.node, [], {
    nodeFlags: TACIT_NODE_FLAGS,
    env: { ...benchLimits(mains), ...OFFLINE_CAP, ...env, DATABASE_URL: pg.url, DATA_DIR: ctx.tmpDir, ...TACIT_NODE_ENV },
  });
  try {
    await ready([opsPort, port], node);
  } catch (err) {
    await stopAll([node], [pg]);
    throw err;
  }
  return {
    urls: [`ws://127.0.0.1:${port}/v1`],
    pids: [node.pid, pg.pid],
    gcSignal: 'SIGUSR2',
    driverOptions: { salt: Date.now() % 1e9 },
    stop: () => stopAll([node], [pg]),
  };
}

/** The cluster shape: NATS, PostgreSQL, Redis, the queue service and two gateway replicas. */
export async function startTacitReplicas(mains: TacitMains = THIS_BUILD): Promise<RunningTarget> {
  const [nats, pg, redis] = await Promise.all([startNats({ jetstream: false }), startPostgres(), startRedis()]);
  const procs: StartedProcess[] = [];
  try {
    const opsPort = await freePort();
    const queue = startNodeProcess(mains.queue, [], {
      nodeFlags: TACIT_NODE_FLAGS,
      env: { DATABASE_URL: pg.url, NATS_URL: nats.url, OPS_HOST: '127.0.0.1', OPS_PORT: String(opsPort), LOG_LEVEL: 'warn' },
      gcHook: false,
    });
    procs.push(queue);
    await ready([opsPort], queue);
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const { port, opsPort: gwOps, env } = await listeners();
      const gw = startNodeProcess(mains.gateway, [], {
        nodeFlags: TACIT_GATEWAY_NODE_FLAGS,
        env: { ...benchLimits(mains), ...env, NATS_URL: nats.url, REDIS_URL: redis.url },
      });
      procs.push(gw);
      ports.push(port);
      await ready([gwOps, port], gw);
    }
    return {
      urls: ports.map((p) => `ws://127.0.0.1:${p}/v1`),
      pids: [procs[1]!.pid, procs[2]!.pid, queue.pid, nats.pid, redis.pid, pg.pid],
      gcSignal: 'SIGUSR2',
      driverOptions: { salt: Date.now() % 1e9 },
      stop: () => stopAll(procs, [nats, pg, redis]),
    };
  } catch (err) {
    await stopAll(procs, [nats, pg, redis]);
    throw err;
  }
}

export const tacitSingleSystem: System = { start: (ctx) => startTacitSingle(ctx), driver: DRIVER };
export const tacitReplicasSystem: System = { start: () => startTacitReplicas(), driver: DRIVER };

/** Both shapes on the services of the build `mains` (the client is always this checkout's SDK). */
export function tacitSystemsOf(mains: TacitMains): { single: System; replicas: System } {
  return {
    single: { start: (ctx) => startTacitSingle(ctx, mains), driver: DRIVER },
    replicas: { start: () => startTacitReplicas(mains), driver: DRIVER },
  };
}
