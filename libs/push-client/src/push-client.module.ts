import { Module, type DynamicModule } from '@nestjs/common';
import type { Bus } from '@tacit/kit';
import { BUS, BusClientProxy } from '@tacit/platform';
import { BusPushClient } from './push-client.js';

/** The token of the {@link PushClient} that {@link PushClientModule} provides. */
export const PUSH_CLIENT = Symbol('tacit.push-client');

/** Options of {@link PushClientModule.register}. */
export interface PushClientModuleOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

/** Provides a {@link BusPushClient} on the shell's bus as {@link PUSH_CLIENT}. */
@Module({})
export class PushClientModule {
  static register(opts: PushClientModuleOptions = {}): DynamicModule {
    return {
      module: PushClientModule,
      providers: [
        {
          provide: PUSH_CLIENT,
          useFactory: (bus: Bus) => new BusPushClient(new BusClientProxy(bus, { timeoutMs: opts.timeoutMs ?? 5000 })),
          inject: [BUS],
        },
      ],
      exports: [PUSH_CLIENT],
    };
  }
}
