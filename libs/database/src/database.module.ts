import { Global, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DatabaseEndpoint } from './database-endpoint';
import { dataSourceOptions } from './data-source-options';
import { runMigrationsExclusively } from './migration-runner';
import { DatabaseHealth } from './database-health';
import { guardTransactionConnections } from './transaction-guard';

@Module({ providers: [DatabaseEndpoint], exports: [DatabaseEndpoint] })
class DatabaseEndpointModule {}

@Global()
@Module({})
export class DatabaseModule {
  static forRoot() {
    let endpointInUse: DatabaseEndpoint | null = null;
    let strictTransactions = true;
    return {
      module: DatabaseModule,
      imports: [
        DatabaseEndpointModule,
        TypeOrmModule.forRootAsync({
          imports: [DatabaseEndpointModule],
          inject: [HUIZHEN_CONFIG, DatabaseEndpoint],
          useFactory: async (config: HuizhenConfig, endpoint: DatabaseEndpoint) => {
            endpointInUse = endpoint;
            strictTransactions = endpoint.isEmbedded || config.nodeEnv === 'test';
            return {
              ...dataSourceOptions({
                url: await endpoint.resolveUrl(),
                schema: config.databaseSchema,
                poolSize: config.databasePoolSize,
              }),
              autoLoadEntities: true,
            };
          },
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options!).initialize();
            if (endpointInUse) endpointInUse.dataSource = dataSource;
            guardTransactionConnections(dataSource, strictTransactions);
            const ran = await runMigrationsExclusively(dataSource);
            if (ran.length) new Logger('Database').log(`migrations applied: ${ran.join(', ')}`);
            return dataSource;
          },
        }),
      ],
      providers: [DatabaseHealth],
      exports: [DatabaseEndpointModule],
    };
  }
}
