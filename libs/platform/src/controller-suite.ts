/**
 * The spec every bus controller of a store-backed service runs (`@tacit/platform/testing`): its API
 * through its client library on the in-process bus and across two connections to a real nats-server,
 * and with its PostgreSQL killed — `UnavailableError` while it is down, served again once it is back.
 * Each service gives what differs: how to make it, its client, and what to ask.
 * @module
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Type } from '@nestjs/common';
import { InProcessBus, NatsBus, UnavailableError, type Bus } from '@tacit/kit';
import { startNats, startPostgres, type NatsServer, type PostgresServer } from '@tacit/testing';
import { BusClientProxy } from './bus-client.js';
import { serveOnBus } from './serve.js';

/** A service made for a spec, and how to let it go. */
export interface SpecService<S> {
  service: S;
  close(): Promise<void>;
}

/** What {@link describeBusController} needs of one service. */
export interface BusControllerSuite<S, C> {
  /** The controller class served, and the token its service is provided under. */
  controller: Type;
  serviceToken: Type<S> | symbol;
  /** The NATS connection name of the service side. */
  name: string;
  /** The service on an in-memory PGlite store, started. */
  memory(): Promise<SpecService<S>>;
  /** The service on a migrated PostgreSQL at `url`, started. */
  postgres(url: string): Promise<SpecService<S>>;
  /** The service's client library over `proxy`. */
  client(proxy: BusClientProxy): C;
  /** Every operation and every refusal, through `client` (its raw bus is `clientBus`). */
  roundTrip(client: C, clientBus: Bus): Promise<void>;
  /** With PostgreSQL: `seed` writes something; `probe` reads it back (it rejects while PostgreSQL is down). */
  seed(client: C): Promise<void>;
  probe(client: C): Promise<void>;
}

/** Serves `controller` with `service` on `bus`. */
async function serve<S>(suite: BusControllerSuite<S, unknown>, bus: Bus, service: S): Promise<{ close(): Promise<void> }> {
  class ControllerOnBus {}
  return serveOnBus(bus, { module: ControllerOnBus, controllers: [suite.controller], providers: [{ provide: suite.serviceToken, useValue: service }] });
}

/** Runs `suite.roundTrip` from `clientBus` to the controller served on `serverBus`. */
async function roundTrip<S, C>(suite: BusControllerSuite<S, C>, serverBus: Bus, clientBus: Bus, service: S): Promise<void> {
  const served = await serve(suite, serverBus, service);
  try {
    await suite.roundTrip(suite.client(new BusClientProxy(clientBus)), clientBus);
  } finally {
    await served.close();
  }
}

/** The shared controller spec, as a `describe` named `title`. */
export function describeBusController<S, C>(title: string, suite: BusControllerSuite<S, C>): void {
  describe(title, () => {
    let sut: SpecService<S>;
    before(async () => {
      sut = await suite.memory();
    });
    after(async () => {
      await sut?.close();
    });

    it('answers over an InProcessBus, refusals typed', async () => {
      const bus = new InProcessBus();
      await roundTrip(suite, bus, bus, sut.service);
      await bus.close();
    });

    describe('over a real nats-server', () => {
      let nats: NatsServer;
      before(async () => {
        nats = await startNats({ jetstream: false });
      });
      after(async () => {
        await nats?.stop();
      });

      it('answers across two connections, refusals typed', async () => {
        const [server, client] = [await NatsBus.connect({ url: nats.url, name: suite.name }), await NatsBus.connect({ url: nats.url, name: 'gateway' })];
        try {
          await roundTrip(suite, server, client, sut.service);
        } finally {
          await client.close();
          await server.close();
        }
      });
    });

    describe('with PostgreSQL down', () => {
      let pg: PostgresServer;
      before(async () => {
        pg = await startPostgres();
      });
      after(async () => {
        await pg?.stop();
      });

      it('answers UnavailableError (retryable), and serves again once it is back', async () => {
        const onPg = await suite.postgres(pg.url);
        const bus = new InProcessBus();
        const served = await serve(suite, bus, onPg.service);
        try {
          const client = suite.client(new BusClientProxy(bus));
          await suite.seed(client);
          await pg.kill();
          await assert.rejects(suite.probe(client), UnavailableError);
          await pg.start();
          await suite.probe(client);
        } finally {
          await served.close();
          await bus.close();
          await onPg.close();
        }
      });
    });
  });
}
