import type { DynamicModule, INestMicroservice, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { Bus } from '@tacit/kit';
import { BusErrorFilter } from './bus-errors.filter.js';
import { BusServer } from './bus-server.js';

/** A module's bus handlers served on a bus, without the rest of a service (see {@link serveOnBus}). */
export interface BusApp {
  readonly app: INestMicroservice;
  /** Stops serving; requests already taken are answered first. */
  close(): Promise<void>;
}

/**
 * Serves the `@BusHandle` handlers of `module` on `bus` through the same transport and error
 * filter as a service: for specs of a controller (or a client library) on the in-process bus or
 * a real nats-server, and for tools that need one service's API without its process.
 */
export async function serveOnBus(bus: Bus, module: Type<unknown> | DynamicModule): Promise<BusApp> {
  const app = await NestFactory.createMicroservice(module, { strategy: new BusServer(bus), logger: false, abortOnError: false });
  app.useGlobalFilters(new BusErrorFilter());
  await app.listen();
  await bus.settled();
  return { app, close: () => app.close() };
}
