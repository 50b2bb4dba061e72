import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AuditEvent, AuditService } from '@huizhen/audit';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';

/** The audit trail is a hash chain: an altered or a removed record is found and named. */
describe('audit chain (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  let admin: string;

  beforeAll(async () => {
    schema = await TestSchema.create('audit');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema);
    admin = await loginAs(api.url, f.user.hubAdmin.username);
    const doctor = await loginAs(api.url, f.user.townDoctorA.username);
    for (const name of ['甲', '乙', '丙', '丁']) {
      await request(api.url).post('/api/patients').set('authorization', `Bearer ${doctor}`).send({ name: `测试${name}`, sex: 'female', birthDate: '1980-02-03' }).expect(201);
    }
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  const verify = async () => (await request(api.url).get('/api/audit/verify').set('authorization', `Bearer ${admin}`).expect(200)).body;

  /** What an attacker with database access does: switch the append-only trigger off first. */
  async function tamper(sql: string, params: unknown[] = []) {
    await schema.query('ALTER TABLE audit_event DISABLE TRIGGER USER');
    try {
      await schema.query(sql, params);
    } finally {
      await schema.query('ALTER TABLE audit_event ENABLE TRIGGER USER');
    }
  }

  it('records logins and patient creation, and the intact chain verifies', async () => {
    const actions = (await schema.query<{ action: string }>('SELECT action FROM audit_event ORDER BY id')).map((r) => r.action);
    expect(actions.filter((a) => a === 'auth.login')).toHaveLength(2);
    expect(actions.filter((a) => a === 'patient.create')).toHaveLength(4);
    const v = await verify();
    expect(v).toMatchObject({ ok: true });
    expect(v.checked).toBeGreaterThanOrEqual(6);
  });

  it('seals an event written by the same statement as the read it describes, and only when its condition holds', async () => {
    const audit = api.app.get(AuditService);
    const actor = { id: f.user.townDoctorA.id, username: f.user.townDoctorA.username, organizationId: f.user.townDoctorA.organizationId };
    const read = async (name: string) => {
      const params: unknown[] = [name];
      const event = audit.insertSelect({ action: 'patient.search', actor, resourceType: 'patient' }, params, {
        resourceId: '(SELECT min(f.id::text) FROM found f)',
        details: `jsonb_build_object('patients', (SELECT jsonb_agg(f.name) FROM found f))`,
        when: 'EXISTS (SELECT 1 FROM found)',
      });
      const rows = await schema.query<{ id: string; name: string }>(`WITH found AS MATERIALIZED (SELECT id, name FROM patient WHERE name = $1), logged AS (${event}) SELECT * FROM found`, params);
      audit.appended();
      return rows;
    };
    const [found] = await read('测试甲');
    expect(await read('无此人')).toEqual([]);
    const events = await schema.query<{ resource_id: string; details: unknown; actor_username: string }>(
      `SELECT resource_id, details, actor_username FROM audit_event WHERE action = 'patient.search' ORDER BY id`,
    );
    expect(events).toEqual([{ resource_id: found.id, details: { patients: ['测试甲'] }, actor_username: actor.username }]);
    const v = await verify();
    expect(v).toMatchObject({ ok: true, pending: 0 });
  });

  it('refuses ordinary UPDATE and DELETE on audit rows', async () => {
    await expect(schema.query(`UPDATE audit_event SET action = 'x' WHERE seq = 1`)).rejects.toThrow(/append-only/);
    await expect(schema.query(`DELETE FROM audit_event WHERE seq = 1`)).rejects.toThrow(/append-only/);
  });

  it('names the first altered record', async () => {
    const [row] = await schema.query<{ seq: string }>(`SELECT seq FROM audit_event WHERE action = 'patient.create' ORDER BY seq LIMIT 1 OFFSET 1`);
    await tamper(`UPDATE audit_event SET actor_username = 'someone-else' WHERE seq = $1`, [row.seq]);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toEqual({ seq: Number(row.seq), problem: 'altered' });
    await tamper(`UPDATE audit_event SET actor_username = 'town-doctor-a' WHERE seq = $1`, [row.seq]);
    expect((await verify()).ok).toBe(true);
  });

  it('names the record after a removed one, also when the attacker re-links the chain', async () => {
    const rows = await schema.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM audit_event WHERE action = 'patient.create' ORDER BY seq`);
    const victim = Number(rows[2].seq);
    await tamper(`DELETE FROM audit_event WHERE seq = $1`, [victim]);
    let v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toEqual({ seq: victim + 1, problem: 'missing_before' });
    // Renumbering the tail to close the gap still breaks the hash links.
    await tamper(`UPDATE audit_event SET seq = seq - 1 WHERE seq > $1`, [victim]);
    v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken.seq).toBe(victim);
    expect(['relinked', 'altered']).toContain(v.firstBroken.problem);
  });

  it('appends from concurrent writers without forking the chain', async () => {
    const fresh = await TestSchema.create('auditrace');
    try {
      const audit = new AuditService(await fresh.connect([AuditEvent]));
      await Promise.all(Array.from({ length: 40 }, (_, i) => audit.record({ action: 'test.concurrent', details: { i } })));
      const v = await audit.verify();
      expect(v).toEqual({ ok: true, checked: 40, lastSeq: 40, pending: 0 });
      await audit.onModuleDestroy();
    } finally {
      await fresh.drop();
    }
  });

  it('an open transaction that audits does not hold up anyone else’s auditing', async () => {
    const fresh = await TestSchema.create('auditopen');
    try {
      const db = await fresh.connect([AuditEvent]);
      const audit = new AuditService(db);
      const runner = db.createQueryRunner();
      await runner.connect();
      await runner.startTransaction();
      await audit.record({ action: 'test.long_transaction' }, runner.manager);
      // Another request audits while the first transaction is still open: it must finish.
      await audit.record({ action: 'test.meanwhile' });
      expect((await audit.verify()).checked).toBe(1);
      await runner.commitTransaction();
      await runner.release();
      const v = await audit.verify();
      expect(v).toMatchObject({ ok: true, checked: 2, pending: 0 });
      const order = await fresh.query<{ action: string }>('SELECT action FROM audit_event ORDER BY seq');
      expect(order.map((r) => r.action)).toEqual(['test.meanwhile', 'test.long_transaction']);
      await audit.onModuleDestroy();
    } finally {
      await fresh.drop();
    }
  });

  it('a rolled-back change leaves no audit event behind', async () => {
    const fresh = await TestSchema.create('auditrollback');
    try {
      const db = await fresh.connect([AuditEvent]);
      const audit = new AuditService(db);
      await expect(
        db.transaction(async (m) => {
          await audit.record({ action: 'test.rolled_back' }, m);
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      expect(await audit.verify()).toMatchObject({ ok: true, checked: 0, pending: 0 });
      await audit.onModuleDestroy();
    } finally {
      await fresh.drop();
    }
  });
});
