import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type DataSource, QueryFailedError } from 'typeorm';
import { TestSchema } from '@huizhen/testing';
import { prepared } from './prepared-statement';

describe('prepared statements through TypeORM (parsed and planned once per connection)', () => {
  let schema: TestSchema;
  let db: DataSource;

  beforeAll(async () => {
    schema = await TestSchema.create('prepared', { migrate: false });
    db = await schema.connect([], 1);
    await db.query('CREATE TABLE reading (id int PRIMARY KEY, body text)');
    await db.query(`INSERT INTO reading SELECT g, 'reading ' || g FROM generate_series(1, 50) g`);
  });

  afterAll(async () => {
    await schema?.drop();
  });

  const sql = 'SELECT id, body FROM reading WHERE id = $1';

  it('runs as a named statement on the connection, with each call its own values, also concurrently', async () => {
    const results = await Promise.all(
      [3, 17, 42, 3, 50].map((id) => db.query(prepared(sql), [id])),
    );
    expect(results.map((r) => r[0].id)).toEqual([3, 17, 42, 3, 50]);
    // One connection: the statement the calls used is prepared on it, once, under one name.
    const held: { name: string; statement: string }[] = await db.query(
      'SELECT name, statement FROM pg_prepared_statements',
    );
    const ours = held.filter((s) => s.statement === sql);
    expect(ours).toHaveLength(1);
    expect(ours[0].name).toMatch(/^hz_[0-9a-f]{20}$/);
  });

  it('inside a transaction too, and a failure names the SQL', async () => {
    await db.transaction(async (m) => {
      await m.query(prepared('UPDATE reading SET body = $2 WHERE id = $1'), [5, 'changed']);
      expect(await m.query(prepared(sql), [5])).toEqual([{ id: 5, body: 'changed' }]);
    });
    const failure = await db
      .query(prepared('SELECT id FROM reading WHERE id = $1::int'), ['not a number'])
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(QueryFailedError);
    expect(String((failure as QueryFailedError).query)).toContain(
      'FROM reading WHERE id = $1::int',
    );
  });
});
