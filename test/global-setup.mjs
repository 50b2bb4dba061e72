// Once per jest run: the database-wide extensions (so test files creating their schemas in
// parallel never race on CREATE EXTENSION), and a sweep of schemas that crashed runs left
// more than two hours ago (other runs may be going on at the same time: leave recent ones).
import pg from 'pg';

export default async function globalSetup() {
  const url = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (e) {
    throw new Error(`Tests need PostgreSQL at ${url} (set TEST_DATABASE_URL): ${e.message}`);
  }
  await client.query('CREATE EXTENSION IF NOT EXISTS btree_gist');
  await client.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  // TypeORM creates it in the first schema of search_path when missing: a test schema, dropped later.
  await client.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
  const { rows } = await client.query(
    `SELECT nspname FROM pg_namespace WHERE nspname LIKE 't\\_%\\_%\\_%'`,
  );
  const cutoff = Date.now() / 1000 - 7200;
  for (const { nspname } of rows) {
    const stamp = parseInt(nspname.split('_').at(-2), 36);
    if (Number.isFinite(stamp) && stamp < cutoff)
      await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  }
  await client.end();
}
