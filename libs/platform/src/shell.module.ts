import { Global, Module, type DynamicModule, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import type { Bus, HealthRegistry, Logger, Metrics } from '@tacit/kit';
import { LoggerModule } from 'nestjs-pino';
import { OpsController } from './ops.controller.js';
import { BUS, HEALTH, LOGGER, METRICS, SETTINGS } from './tokens.js';

/** What the shell made before Nest starts, handed to every module through the tokens. */
export interface ShellParts {
  settings: Readonly<Record<string, unknown>>;
  logger: Logger;
  metrics: Metrics;
  health: HealthRegistry;
  bus: Bus;
}

/**
 * The root module of every service process: the tokens (bus, logger, metrics, health, settings),
 * Nest's logger on pino (nestjs-pino), terminus and the ops controller, and the service's own module
 * (or, in the node, the modules it composes).
 */
@Global()
@Module({})
export class ShellModule {
  static forRoot(service: Type<unknown> | DynamicModule, parts: ShellParts): DynamicModule {
    const level = parts.settings.LOG_LEVEL === 'debug' ? 'debug' : 'warn';
    return {
      module: ShellModule,
      imports: [
        // Nest's own lines (route maps, bootstrap) through the service's pino, quieter than the
        // service's: below warn they are framework chatter unless LOG_LEVEL=debug.
        LoggerModule.forRoot({
          pinoHttp: { logger: parts.logger.pino.child({ component: 'nest' }, { level }), autoLogging: false, quietReqLogger: true },
        }),
        TerminusModule.forRoot({ logger: false }),
        DiscoveryModule,
        service,
      ],
      controllers: [OpsController],
      providers: [
        { provide: SETTINGS, useValue: parts.settings },
        { provide: LOGGER, useValue: parts.logger },
        { provide: METRICS, useValue: parts.metrics },
        { provide: HEALTH, useValue: parts.health },
        { provide: BUS, useValue: parts.bus },
      ],
      exports: [SETTINGS, LOGGER, METRICS, HEALTH, BUS],
    };
  }
}
