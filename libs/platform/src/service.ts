import 'reflect-metadata';
import { writeSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import { DiscoveryService, NestFactory } from '@nestjs/core';
import {
  ConfigError,
  createLogger,
  EXIT_CONFIG,
  HealthRegistry,
  InProcessBus,
  Metrics,
  NatsBus,
  startTracing,
  type Bus,
  type Config,
  type ConfigSchema,
  type Logger,
} from '@tacit/kit';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import { BusErrorFilter } from './bus-errors.filter.js';
import { BusServer } from './bus-server.js';
import { hasServiceStart } from './lifecycle.js';
import { loadSettings, shellConfigSchema, type SettingsCheck, type ShellConfig } from './settings.js';
import { ShellModule } from './shell.module.js';

/**
 * Prefix of the shell's own settings: an unknown OPS_* variable is refused in every service. (Not
 * TACIT_*: the scripts export TACIT_ROOT, TACIT_CACHE and others into the shell that runs services.)
 */
export const SHELL_PREFIXES: readonly string[] = ['OPS_'];

/** What makes a service process: its name, its Nest module and every setting it reads. */
export interface ServiceDefinition<S extends ConfigSchema = ConfigSchema> {
  /** Lowercase: logs' `service`, metric prefix `tacit_<name>_`, NATS client name `tacit-<name>`. */
  readonly name: string;
  /** The service's Nest module (the node: the modules it composes). */
  readonly module: Type<unknown> | DynamicModule;
  /** The settings of the service (the shell adds OPS_*, LOG_LEVEL and the OTEL_* ones). */
  readonly config: S;
  /**
   * Variables with one of these prefixes must be settings of this process: an unknown one (a typo)
   * stops it by name instead of leaving a default silently in force.
   */
  readonly prefixes?: readonly string[];
  /** Rules across settings (a bad combination stops the process like a bad value: exit 78). */
  readonly checks?: readonly SettingsCheck<Config<S>>[];
  /** Whether the operator opted in to client IPs in logs (the gateway's GATEWAY_LOG_CLIENT_IPS); default no. */
  readonly logClientIps?: (settings: Config<S>) => boolean;
}

/** Options of {@link startService}; the defaults are the real process, tests and the bench pass their own. */
export interface StartServiceOptions {
  /** The environment to read settings from (default process.env: the one place it is read). */
  env?: Record<string, string | undefined>;
  /** The root logger (default: pino on stdout at LOG_LEVEL). */
  logger?: Logger;
}

/** A running service process. */
export interface RunningService<C = Record<string, unknown>> {
  readonly app: INestApplication;
  readonly settings: C & ShellConfig;
  readonly bus: Bus;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: HealthRegistry;
  /** `http://host:port` of the ops listener (/healthz, /readyz, /metrics). */
  readonly opsUrl: string;
  /** A provider of the service. */
  get<T>(token: Type<T> | symbol | string): T;
  /**
   * Graceful stop: readiness fails at once, then Nest's shutdown hooks run (the gateway drains its
   * clients in beforeApplicationShutdown while the bus still serves; the bus transport stops taking
   * requests and answers those it took; stores close in onApplicationShutdown), then the bus closes.
   */
  close(): Promise<void>;
}

/**
 * Starts a service: settings validated first (a ConfigError names every bad variable), tracing,
 * the bus (NATS when NATS_URL is set, else in process), the Nest application with its bus
 * transport and ops listener, then each provider's {@link OnServiceStart}.
 */
export async function startService<S extends ConfigSchema>(
  def: ServiceDefinition<S>,
  opts: StartServiceOptions = {},
): Promise<RunningService<Config<S>>> {
  const schema = { ...shellConfigSchema, ...def.config };
  const settings = loadSettings(
    schema,
    opts.env ?? process.env,
    [...SHELL_PREFIXES, ...(def.prefixes ?? [])],
    (def.checks ?? []) as readonly SettingsCheck<Config<typeof schema>>[],
  ) as Config<S> & ShellConfig;
  const s = settings as unknown as Record<string, unknown>;
  const logger = opts.logger ?? createLogger({ service: def.name, level: settings.LOG_LEVEL, logClientIps: def.logClientIps?.(settings) ?? false });
  const tracing = startTracing(def.name, settings);
  const metrics = new Metrics({ service: def.name });
  const health = new HealthRegistry({ onFailure: (check) => logger.warn('readiness_check_failed', { check }) });
  const onError = (err: unknown, subject: string): void =>
    logger.warn('bus_error', { subject: loggableSubject(subject), error: err instanceof Error ? err.name : 'unknown' });
  const bus: Bus =
    typeof s.NATS_URL === 'string'
      ? await NatsBus.connect({ url: s.NATS_URL, name: `tacit-${def.name}`, waitOnFirstConnect: true, onError })
      : new InProcessBus({ onError });
  if (bus instanceof NatsBus) health.addReadiness('nats', () => bus.check());

  let app: INestApplication | undefined;
  try {
    app = await NestFactory.create(ShellModule.forRoot(def.module, { settings: s, logger, metrics, health, bus }), {
      bufferLogs: true,
      abortOnError: false,
      // A scraper's keep-alive connection must not hold the stop open.
      forceCloseConnections: true,
    });
    app.useLogger(app.get(NestPinoLogger));
    app.useGlobalFilters(new BusErrorFilter(app.getHttpAdapter()));
    app.connectMicroservice({ strategy: new BusServer(bus) }, { inheritAppConfig: true });
    await app.init();
    await app.startAllMicroservices();
    // Subscriptions are in effect before anyone is told the service is up.
    await bus.settled();
    await app.listen(settings.OPS_PORT, settings.OPS_HOST);
    for (const wrapper of app.get(DiscoveryService).getProviders()) {
      if (hasServiceStart(wrapper.instance)) await wrapper.instance.onServiceStart();
    }
  } catch (err) {
    await app?.close().catch(() => undefined);
    await bus.close().catch(() => undefined);
    await tracing?.shutdown().catch(() => undefined);
    throw err;
  }
  const a = app;
  const { port } = (a.getHttpServer() as Server).address() as AddressInfo;
  const host = settings.OPS_HOST === '0.0.0.0' || settings.OPS_HOST === '::' ? '127.0.0.1' : settings.OPS_HOST;
  let closing: Promise<void> | undefined;
  return {
    app: a,
    settings,
    bus,
    logger,
    metrics,
    health,
    opsUrl: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    get: <T>(token: Type<T> | symbol | string) => a.get<T>(token as Type<T>),
    close() {
      closing ??= (async () => {
        health.setShuttingDown();
        await a.close();
        await bus.close();
        await tracing?.shutdown();
      })();
      return closing;
    },
  };
}

/**
 * A subject as it may be logged: ids in it (a mailbox's `tacit.mbx.<hex id>`, a replica's, an
 * inbox's token) become `*`, so a log line never carries a mailbox id.
 */
export function loggableSubject(subject: string): string {
  if (subject.startsWith('_INBOX')) return '_INBOX.*';
  return subject
    .split('.')
    .map((t) => (/^[0-9a-f]{16,}$/i.test(t) ? '*' : t))
    .join('.');
}

/** Options of {@link runService}. */
export interface RunServiceOptions<C> {
  /** Called once the service is up (the node prints its URL here). */
  onStarted?: (service: RunningService<C>) => void;
}

/**
 * A service's `main`: {@link startService} on process.env; exit 78 after one log line naming every
 * bad variable; on SIGTERM or SIGINT a graceful {@link RunningService.close}, then exit 0.
 * (Not Nest's enableShutdownHooks: it re-raises the signal after closing, so the process would end
 * by the signal, 143, where operators and the chart expect 0.)
 */
export async function runService<S extends ConfigSchema>(def: ServiceDefinition<S>, opts: RunServiceOptions<Config<S>> = {}): Promise<void> {
  let service: RunningService<Config<S>>;
  try {
    service = await startService(def);
  } catch (err) {
    if (err instanceof ConfigError) {
      _writeLine(def.name, 'config_invalid', { issues: err.issues.map((i) => ({ variable: i.key, problem: i.problem })) });
      process.exit(EXIT_CONFIG);
    }
    _writeLine(def.name, 'boot_failed', { error: err instanceof Error ? err.name : 'unknown', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  }
  opts.onStarted?.(service);
  let stopping = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      service.logger.info('service_stopping', { signal });
      service.close().then(
        () => process.exit(0),
        (err: unknown) => {
          service.logger.error('stop_failed', { error: err instanceof Error ? err.name : 'unknown' });
          process.exit(1);
        },
      );
    });
  }
}

// Synchronous, before any logger exists (settings choose its level): the line is out before exit.
function _writeLine(service: string, event: string, fields: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify({ level: 'error', ts: new Date().toISOString(), service, event, ...fields })}\n`);
}
