import { Module, type DynamicModule } from '@nestjs/common';
import type { Bus } from '@tacit/kit';
import { BUS, BusClientProxy } from '@tacit/platform';
import { BusQueueClient, type BusQueueClientOptions } from './queue-client.js';

/** The token of the {@link QueueClient} that {@link QueueClientModule} provides. */
export const QUEUE_CLIENT = Symbol('tacit.queue-client');

/** Options of {@link QueueClientModule.register}. */
export interface QueueClientModuleOptions extends BusQueueClientOptions {
  /** Per-request timeout (default 10 000 ms: a group commit under load can take a while). */
  timeoutMs?: number;
}

/** Provides a {@link BusQueueClient} on the shell's bus as {@link QUEUE_CLIENT}. */
@Module({})
export class QueueClientModule {
  static register(opts: QueueClientModuleOptions = {}): DynamicModule {
    return {
      module: QueueClientModule,
      providers: [
        {
          provide: QUEUE_CLIENT,
          useFactory: (bus: Bus) => new BusQueueClient(new BusClientProxy(bus, { timeoutMs: opts.timeoutMs ?? 10_000 }), opts),
          inject: [BUS],
        },
      ],
      exports: [QUEUE_CLIENT],
    };
  }
}
