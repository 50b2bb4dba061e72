import { describe, expect, it } from '@jest/globals';
import {
  Params,
  RowShapeError,
  camelRow,
  columnList,
  columns,
  command,
  execute,
  rowsOf,
  sql,
  typed,
  type Db,
} from './typed-sql';

/** A database answering every statement with these rows (as TypeORM hands them over). */
const answering = (result: unknown): Db => ({ query: async () => result }) as unknown as Db;

describe('typed SQL statements', () => {
  it('refuses a column declared but never selected: the booking replay once declared `rescheduled` and read undefined', async () => {
    const replay = sql(
      { id: 'uuid', slot_id: 'uuid', consultation_request_id: 'uuid', rescheduled: 'bool' },
      'SELECT id, slot_id, consultation_request_id FROM booking WHERE booked_by = $1 AND idempotency_key = $2',
    );
    const db = answering([{ id: 'b1', slot_id: 's1', consultation_request_id: 'c1' }]);
    await expect(replay.first(db, ['u', 'k'])).rejects.toThrow(RowShapeError);
    await expect(replay.first(db, ['u', 'k'])).rejects.toThrow(
      /declares rescheduled but does not select it/,
    );
  });

  it('maps a row whose columns are the object fields by name, selecting the declared columns', async () => {
    const PEER = columns({ id: 'uuid', ae_title: 'text', port: 'int?', created_at: 'timestamptz' });
    expect(columnList(PEER)).toBe('id, ae_title, port, created_at');
    const at = new Date('2026-12-07T00:00:00Z');
    const db = answering([{ id: 'p1', ae_title: 'TOWN01_DR', port: null, created_at: at }]);
    const peer = await sql(PEER, `SELECT ${columnList(PEER)} FROM peer`)
      .map((r) => camelRow(r))
      .first(db);
    expect(peer).toEqual({ id: 'p1', aeTitle: 'TOWN01_DR', port: null, createdAt: at });
  });

  it('refuses a column selected but not declared, and passes a row that matches', async () => {
    const s = sql({ id: 'uuid' }, 'SELECT id, status FROM booking');
    await expect(s.all(answering([{ id: 'b1', status: 'booked' }]))).rejects.toThrow(
      /selects status without declaring it/,
    );
    const ok = sql({ id: 'uuid', status: 'text' }, 'SELECT id, status FROM booking').map(
      (r) => `${r.id}:${r.status}`,
    );
    expect(await ok.all(answering([{ id: 'b1', status: 'booked' }]))).toEqual(['b1:booked']);
    expect(await ok.first(answering([]))).toBeNull();
  });

  it('reads RETURNING rows of an UPDATE ([rows, count] from TypeORM) and counts changed rows', async () => {
    expect(rowsOf([[{ id: 'a' }], 1])).toEqual([{ id: 'a' }]);
    expect(rowsOf([{ id: 'a' }, { id: 'b' }])).toEqual([{ id: 'a' }, { id: 'b' }]);
    const returning = sql({ id: 'uuid' }, `UPDATE booking SET status = 'cancelled' RETURNING id`);
    expect(await returning.all(answering([[{ id: 'a' }], 1]))).toEqual([{ id: 'a' }]);
    expect(await execute(answering([[], 3]), 'UPDATE booking SET reason = null')).toBe(3);
  });

  it('appends clauses to a declared statement and numbers optional parameters', () => {
    const p = new Params();
    const where = [`a = ${p.add(1)}`, `b = ${p.add('x')}`];
    expect(where).toEqual(['a = $1', 'b = $2']);
    expect(p.values).toEqual([1, 'x']);
    const base = sql({ id: 'uuid' }, 'SELECT id FROM slot');
    expect(base.append('WHERE id = $1').text).toBe('SELECT id FROM slot\nWHERE id = $1');
  });

  it('passes typed positional parameters as given, and names prepared statements', async () => {
    const seen: { text: unknown; params: unknown[] }[] = [];
    const db = {
      query: async (text: unknown, params: unknown[]) => {
        seen.push({ text, params });
        return [{ id: 'a', status: 'booked' }];
      },
    } as unknown as Db;
    const s = sql(
      { id: 'uuid', status: typed<'booked' | 'cancelled'>('text') },
      'SELECT id, status FROM booking WHERE id = $1 AND created_at < $2',
    ).takes<[id: string, before: Date]>();
    const at = new Date(0);
    const row = await s.first(db, ['a', at]);
    expect(row?.status).toBe('booked');
    expect(seen[0]).toEqual({ text: s.text, params: ['a', at] });
    await s.prepared().all(db, ['a', at]);
    const named = seen[1].text as unknown as { name: string; text: string };
    expect(named.text).toBe(s.text);
    expect(named.name).toMatch(/^hz_/);
  });

  it('runs writes for their effect: the changed rows of an UPDATE, 0 for an INSERT without RETURNING', async () => {
    const update = command<[id: string]>('UPDATE booking SET status = $2 WHERE id = $1');
    expect(await update.run(answering([[], 2]), ['a'])).toBe(2);
    expect(await command('INSERT INTO booking DEFAULT VALUES').run(answering([]))).toBe(0);
    const p = new Params();
    const { add } = p;
    expect([p.add('x'), add('y')]).toEqual(['$1', '$2']);
  });
});
