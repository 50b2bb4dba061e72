import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations';

export interface DatabaseConnection {
  url: string;
  schema: string | null;
  poolSize: number;
}

/**
 * One place that says how Huizhen talks to PostgreSQL. A schema other than public (tests
 * give each file its own) goes both into TypeORM's metadata and into search_path, so
 * hand-written migrations with unqualified names land in it too.
 */
export function dataSourceOptions(
  conn: DatabaseConnection,
  entities: DataSourceOptions['entities'] = [],
): DataSourceOptions {
  const searchPath = conn.schema ? `${conn.schema},public` : undefined;
  return {
    type: 'postgres',
    url: conn.url,
    schema: conn.schema ?? undefined,
    entities,
    migrations: MIGRATIONS,
    migrationsTableName: 'schema_migration',
    migrationsRun: false,
    synchronize: false,
    uuidExtension: 'pgcrypto',
    poolSize: conn.poolSize,
    extra: {
      max: conn.poolSize,
      ...(searchPath ? { options: `-c search_path=${searchPath}` } : {}),
      application_name: 'huizhen',
    },
  } as DataSourceOptions;
}
