import { randomBytes } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions, runMigrationsExclusively } from '@huizhen/database';

export const TEST_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/**
 * A schema of its own on the real PostgreSQL for one test file, migrated from empty.
 * `drop()` removes it; a crashed run's leftovers (the name carries its creation time) are
 * swept by a later run's global setup.
 */
export class TestSchema {
  private constructor(
    readonly name: string,
    /** Connected with search_path set to this schema. */
    readonly db: DataSource,
  ) {}

  static async create(prefix = 't', opts: { migrate?: boolean } = {}): Promise<TestSchema> {
    const stamp = Math.floor(Date.now() / 1000).toString(36);
    const name = `t_${prefix.replace(/[^a-z0-9]/g, '').slice(0, 16)}_${stamp}_${randomBytes(3).toString('hex')}`;
    const root = await new DataSource({
      type: 'postgres',
      url: TEST_DATABASE_URL,
      poolSize: 1,
    }).initialize();
    await root.query(`CREATE SCHEMA "${name}"`);
    await root.destroy();
    const db = await new DataSource(
      dataSourceOptions({ url: TEST_DATABASE_URL, schema: name, poolSize: 2 }),
    ).initialize();
    if (opts.migrate !== false) await runMigrationsExclusively(db);
    return new TestSchema(name, db);
  }

  /** Environment for an app under test pointed at this schema. */
  env(extra: Record<string, string> = {}): Record<string, string> {
    return {
      NODE_ENV: 'test',
      DATABASE_URL: TEST_DATABASE_URL,
      DATABASE_SCHEMA: this.name,
      DATABASE_POOL_SIZE: '5',
      JWT_SECRET: 'test-secret-test-secret-test-secret-0001',
      DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
      DATA_DIR: `/tmp/huizhen-test/${this.name}`,
      LOG_LEVEL: 'error',
      SEED_DEMO: 'false',
      ...extra,
    };
  }

  /** A DataSource on this schema that knows the given entities (for medium tests of a service). */
  async connect(entities: DataSourceOptions['entities'], poolSize = 5): Promise<DataSource> {
    const ds = await new DataSource(
      dataSourceOptions({ url: TEST_DATABASE_URL, schema: this.name, poolSize }, entities),
    ).initialize();
    this.extra.push(ds);
    return ds;
  }

  private readonly extra: DataSource[] = [];

  query<T = any>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.db.query(sql, params);
  }

  async drop(): Promise<void> {
    for (const ds of this.extra) if (ds.isInitialized) await ds.destroy();
    await this.db.query(`DROP SCHEMA IF EXISTS "${this.name}" CASCADE`);
    await this.db.destroy();
  }
}
