import { Module, type DynamicModule } from '@nestjs/common';
import type { Bus } from '@tacit/kit';
import { BUS, BusClientProxy } from '@tacit/platform';
import { BusPrekeyClient } from './prekey-client.js';

/** The token of the {@link PrekeyClient} that {@link PrekeyClientModule} provides. */
export const PREKEY_CLIENT = Symbol('tacit.prekey-client');

/** Options of {@link PrekeyClientModule.register}. */
export interface PrekeyClientModuleOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

/** Provides a {@link BusPrekeyClient} on the shell's bus as {@link PREKEY_CLIENT}. */
@Module({})
export class PrekeyClientModule {
  static register(opts: PrekeyClientModuleOptions = {}): DynamicModule {
    return {
      module: PrekeyClientModule,
      providers: [
        {
          provide: PREKEY_CLIENT,
          useFactory: (bus: Bus) => new BusPrekeyClient(new BusClientProxy(bus, { timeoutMs: opts.timeoutMs ?? 5000 })),
          inject: [BUS],
        },
      ],
      exports: [PREKEY_CLIENT],
    };
  }
}
