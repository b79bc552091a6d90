import { Module, type DynamicModule } from '@nestjs/common';
import type { Bus } from '@tacit/kit';
import { BUS, BusClientProxy } from '@tacit/platform';
import { BusDirectoryClient } from './directory-client.js';

/** The token of the {@link DirectoryClient} that {@link DirectoryClientModule} provides. */
export const DIRECTORY_CLIENT = Symbol('tacit.directory-client');

/** Options of {@link DirectoryClientModule.register}. */
export interface DirectoryClientModuleOptions {
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

/** Provides a {@link BusDirectoryClient} on the shell's bus as {@link DIRECTORY_CLIENT}. */
@Module({})
export class DirectoryClientModule {
  static register(opts: DirectoryClientModuleOptions = {}): DynamicModule {
    return {
      module: DirectoryClientModule,
      providers: [
        {
          provide: DIRECTORY_CLIENT,
          useFactory: (bus: Bus) => new BusDirectoryClient(new BusClientProxy(bus, { timeoutMs: opts.timeoutMs ?? 5000 })),
          inject: [BUS],
        },
      ],
      exports: [DIRECTORY_CLIENT],
    };
  }
}
