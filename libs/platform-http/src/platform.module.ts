import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule, type HuizhenConfig } from '@huizhen/config';
import { DatabaseModule } from '@huizhen/database';
import { ObservabilityModule } from '@huizhen/observability';
import { DirectRoutes } from './direct-routes';
import { OperationsController } from './operations.controller';
import { StorageHealth } from './storage-health';

/** What every app process has once: validated config, observability and (optionally) the database. */
@Module({})
export class PlatformModule {
  static forRoot(opts: { config?: HuizhenConfig; database: boolean }): DynamicModule {
    return {
      module: PlatformModule,
      global: true,
      controllers: [OperationsController],
      providers: [StorageHealth, DirectRoutes],
      exports: [DirectRoutes],
      imports: [
        ConfigModule.forRoot(opts.config),
        ObservabilityModule,
        ...(opts.database ? [DatabaseModule.forRoot()] : []),
      ],
    };
  }
}
