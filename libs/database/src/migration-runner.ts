import { DataSource } from 'typeorm';

// Any constant works; it only has to be the same in every process sharing the database.
const MIGRATION_LOCK_KEY = 7_412_503_1;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so api and imaging starting
 * together against one database never run the same migration twice.
 */
export async function runMigrationsExclusively(dataSource: DataSource): Promise<string[]> {
  const poolSize = (dataSource.options as { poolSize?: number }).poolSize ?? 10;
  if (poolSize < 2) {
    // Embedded single-session database: one process by construction, and the lock would
    // hold the only connection the migrations need.
    return (await dataSource.runMigrations({ transaction: 'each' })).map((m) => m.name);
  }
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await dataSource.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await runner.release();
  }
}
