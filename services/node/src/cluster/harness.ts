import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createLogger } from '@tacit/kit';
import { startService, type RunningService } from '@tacit/platform';
import { PrekeyService, prekeyService } from '@tacit/prekey';
import { DirectoryService, directoryService } from '@tacit/directory';
import { QueueService, queueService } from '@tacit/queue';
import { freePort, startNats, startPostgres, startRedis, waitFor, type TestServer } from '@tacit/testing';

const _gatewayMain = fileURLToPath(new URL('../../../gateway/dist/main.js', import.meta.url));

/** A gateway replica in its own process, so a test can SIGKILL it. */
export class GatewayProcess {
  child: ChildProcess | undefined;
  log = '';
  /** Everything it printed, across restarts (kept only with `keepLog`). */
  readonly fullLog: string[] = [];
  constructor(
    readonly port: number,
    /** The ops listener's port (/readyz, /metrics). */
    readonly opsPort: number,
    private readonly env: Record<string, string>,
    private readonly opts: { logLevel?: string; keepLog?: boolean } = {},
  ) {}

  get url(): string {
    return `ws://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    this.child = spawn(process.execPath, [_gatewayMain], {
      env: {
        ...this.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        OPS_PORT: String(this.opsPort),
        OPS_HOST: '127.0.0.1',
        LOG_LEVEL: this.opts.logLevel ?? 'warn',
        PATH: process.env.PATH ?? '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (b: Buffer) => {
      this.log = (this.log + b.toString()).slice(-8000);
      if (this.opts.keepLog) this.fullLog.push(b.toString());
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    await waitFor(
      async () => {
        if (this.child?.exitCode !== null) throw new Error(`gateway exited: ${this.log}`);
        const res = await fetch(`http://127.0.0.1:${this.opsPort}/readyz`).catch(() => undefined);
        return res?.status === 200;
      },
      { timeoutMs: 20_000, intervalMs: 50 },
    );
  }

  /** Kills the replica (SIGKILL: no drain, as a crash) and waits for it to be gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }
}

/**
 * The cluster shape on real servers: nats-server, PostgreSQL and Redis from @tacit/testing, the queue,
 * prekey and directory services on NATS (in the test process, as their mains run them: nothing here kills
 * them), and gateway replicas as processes.
 */
export class Cluster {
  readonly gateways: GatewayProcess[] = [];
  /** What the queue, prekey and directory services logged (with `keepLog`). */
  serviceLog: string[] = [];
  private constructor(
    readonly nats: TestServer & { url: string },
    readonly postgres: TestServer & { url: string },
    readonly redis: TestServer & { url: string },
    readonly queueService: RunningService,
    readonly prekeyService: RunningService,
    readonly directoryService: RunningService,
  ) {}

  /** The queue service's logic (its stats). */
  get queue(): QueueService {
    return this.queueService.get(QueueService);
  }

  /** The prekey service's logic (its stats). */
  get prekeys(): PrekeyService {
    return this.prekeyService.get(PrekeyService);
  }

  /** The directory's logic. */
  get directory(): DirectoryService {
    return this.directoryService.get(DirectoryService);
  }

  /**
   * `logLevel` and `keepLog` make every service log at that level and keep all of it: the gateways'
   * in {@link GatewayProcess.fullLog}, the queue's, the prekey service's and the directory's in {@link serviceLog}.
   */
  static async start(opts: { gateways?: number; jetstream?: boolean; env?: Record<string, string>; prekeyEnv?: Record<string, string>; directoryEnv?: Record<string, string>; logLevel?: 'debug' | 'info'; keepLog?: boolean } = {}): Promise<Cluster> {
    const [nats, postgres, redis] = await Promise.all([startNats({ jetstream: opts.jetstream ?? false }), startPostgres(), startRedis()]);
    const serviceLog: string[] = [];
    const logger = (service: string) =>
      createLogger({ service, level: opts.logLevel ?? 'error', write: opts.keepLog ? (line) => void serviceLog.push(line) : () => {} });
    const queue = await startService(queueService, {
      env: { DATABASE_URL: postgres.url, NATS_URL: nats.url, OPS_PORT: '0', OPS_HOST: '127.0.0.1' },
      logger: logger('queue'),
    });
    const prekey = await startService(prekeyService, {
      env: { DATABASE_URL: postgres.url, NATS_URL: nats.url, OPS_PORT: '0', OPS_HOST: '127.0.0.1', ...opts.prekeyEnv },
      logger: logger('prekey'),
    });
    const directory = await startService(directoryService, {
      env: { DATABASE_URL: postgres.url, NATS_URL: nats.url, OPS_PORT: '0', OPS_HOST: '127.0.0.1', ...opts.directoryEnv },
      logger: logger('directory'),
    });
    const cluster = new Cluster(nats, postgres, redis, queue, prekey, directory);
    cluster.serviceLog = serviceLog;
    for (let i = 0; i < (opts.gateways ?? 2); i++) {
      const gw = new GatewayProcess(await freePort(), await freePort(), { NATS_URL: nats.url, REDIS_URL: redis.url, ...opts.env }, {
        ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
        ...(opts.keepLog ? { keepLog: true } : {}),
      });
      cluster.gateways.push(gw);
    }
    await Promise.all(cluster.gateways.map((g) => g.start()));
    return cluster;
  }

  /** Rows in the queue's packets table (all partitions). */
  async queuedRows(): Promise<number> {
    const client = new pg.Client({ connectionString: this.postgres.url });
    await client.connect();
    try {
      const res = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM queue_packets');
      return Number(res.rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.kill('SIGTERM')));
    await this.queueService.close().catch(() => undefined);
    await this.prekeyService.close().catch(() => undefined);
    await this.directoryService.close().catch(() => undefined);
    await Promise.all([this.nats.stop(), this.postgres.stop(), this.redis.stop()]);
  }
}
