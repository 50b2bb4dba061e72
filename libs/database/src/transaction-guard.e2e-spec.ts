import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { TestSchema } from '@huizhen/testing';
import { QueryOutsideTransactionError, guardTransactionConnections } from './transaction-guard';

describe('transaction guard (a query beside an open transaction, which hangs a one-connection database)', () => {
  let schema: TestSchema;
  let db: DataSource;

  beforeAll(async () => {
    schema = await TestSchema.create('txguard', { migrate: false });
    // One connection, as the embedded database has.
    db = await schema.connect([], 1);
    guardTransactionConnections(db, true);
    await db.query('CREATE TABLE note (id int PRIMARY KEY, body text)');
  });

  afterAll(async () => {
    await schema?.drop();
  });

  it('refuses the pool inside the callback and rolls the transaction back; the manager works', async () => {
    await expect(
      db.transaction(async (m) => {
        await m.query(`INSERT INTO note VALUES (1, 'kept only if committed')`);
        await db.query('SELECT count(*) FROM note');
      }),
    ).rejects.toBeInstanceOf(QueryOutsideTransactionError);
    expect(await db.query('SELECT count(*)::int AS n FROM note')).toEqual([{ n: 0 }]);

    await db.transaction(async (m) => {
      await m.query(`INSERT INTO note VALUES (2, 'two')`);
      await m.transaction(async (inner) => inner.query(`INSERT INTO note VALUES (3, 'three')`));
    });
    expect(await db.query('SELECT id FROM note ORDER BY id')).toEqual([{ id: 2 }, { id: 3 }]);
  });

  it('work the transaction scheduled for later runs on the pool once it has ended', async () => {
    let later: Promise<unknown> = Promise.resolve();
    await db.transaction(async (m) => {
      await m.query(`INSERT INTO note VALUES (4, 'four')`);
      later = new Promise((resolve, reject) =>
        setTimeout(() => db.query('SELECT count(*)::int AS n FROM note').then(resolve, reject), 20),
      );
    });
    await expect(later).resolves.toEqual([{ n: 3 }]);
  });

  it('a refused flow does not affect other requests running at the same time', async () => {
    const [inside, outside] = await Promise.allSettled([
      db.transaction(async () => db.query('SELECT 1')),
      db.query('SELECT 1 AS one'),
    ]);
    expect(inside.status).toBe('rejected');
    expect(outside).toEqual({ status: 'fulfilled', value: [{ one: 1 }] });
  });
});
