import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { AUDIT_SEALER_LOCK, AuditEvent, AuditService, AuditTerms, chainHash } from '@huizhen/audit';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';

/** The audit trail is a hash chain: every altered, removed or re-linked record is found and named. */
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
      await request(api.url)
        .post('/api/patients')
        .set('authorization', `Bearer ${doctor}`)
        .send({ name: `测试${name}`, sex: 'female', birthDate: '1980-02-03' })
        .expect(201);
    }
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  const verify = async () =>
    (
      await request(api.url)
        .get('/api/audit/verify')
        .set('authorization', `Bearer ${admin}`)
        .expect(200)
    ).body;

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
    const actions = (
      await schema.query<{ action: string }>('SELECT action FROM audit_event ORDER BY id')
    ).map((r) => r.action);
    expect(actions.filter((a) => a === 'auth.login')).toHaveLength(2);
    expect(actions.filter((a) => a === 'patient.create')).toHaveLength(4);
    const v = await verify();
    expect(v).toMatchObject({ ok: true });
    expect(v.checked).toBeGreaterThanOrEqual(6);
  });

  it('seals an event written by the same statement as the read it describes, and only when its condition holds', async () => {
    const audit = api.app.get(AuditService);
    const actor = {
      id: f.user.townDoctorA.id,
      username: f.user.townDoctorA.username,
      organizationId: f.user.townDoctorA.organizationId,
    };
    const read = async (name: string) => {
      const params: unknown[] = [name];
      const event = audit.insertSelect(
        { action: 'patient.search', actor, resourceType: 'patient' },
        params,
        {
          resourceId: '(SELECT min(f.id::text) FROM found f)',
          details: `jsonb_build_object('patients', (SELECT jsonb_agg(f.id) FROM found f))`,
          when: 'EXISTS (SELECT 1 FROM found)',
        },
      );
      const rows = await schema.query<{ id: string; name: string }>(
        `WITH found AS MATERIALIZED (SELECT id, name FROM patient WHERE name = $1), logged AS (${event}) SELECT * FROM found`,
        params,
      );
      audit.appended();
      return rows;
    };
    const [found] = await read('测试甲');
    expect(await read('无此人')).toEqual([]);
    const events = await schema.query<{
      resource_id: string;
      details: unknown;
      actor_username: string;
    }>(
      `SELECT resource_id, details, actor_username FROM audit_event WHERE action = 'patient.search' ORDER BY id`,
    );
    expect(events).toEqual([
      { resource_id: found.id, details: { patients: [found.id] }, actor_username: actor.username },
    ]);
    const v = await verify();
    expect(v).toMatchObject({ ok: true, pending: 0 });
  });

  it('refuses ordinary UPDATE and DELETE on audit rows', async () => {
    await expect(schema.query(`UPDATE audit_event SET action = 'x' WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
    await expect(schema.query(`DELETE FROM audit_event WHERE seq = 1`)).rejects.toThrow(
      /append-only/,
    );
  });

  it('names the first altered record', async () => {
    const [row] = await schema.query<{ seq: string }>(
      `SELECT seq FROM audit_event WHERE action = 'patient.create' ORDER BY seq LIMIT 1 OFFSET 1`,
    );
    await tamper(`UPDATE audit_event SET actor_username = 'someone-else' WHERE seq = $1`, [
      row.seq,
    ]);
    const v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toEqual({ seq: Number(row.seq), problem: 'altered' });
    await tamper(`UPDATE audit_event SET actor_username = 'town-doctor-a' WHERE seq = $1`, [
      row.seq,
    ]);
    expect((await verify()).ok).toBe(true);
  });

  it('a patient search keeps no readable term in the trail, only a keyed hash an investigator with the key can check', async () => {
    const doctor = await loginAs(api.url, f.user.townDoctorA.username);
    await request(api.url)
      .get('/api/patients')
      .query({ q: '测试乙' })
      .set('authorization', `Bearer ${doctor}`)
      .expect(200);
    await request(api.url)
      .get('/api/patients')
      .query({ nationalId: '11010519491231002X' })
      .set('authorization', `Bearer ${doctor}`)
      .expect(200);
    // What an admin reads: the trail through the API.
    const listed = await request(api.url)
      .get('/api/audit')
      .query({ action: 'patient.search' })
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    const [byId, byName] = listed.body.items as { details: Record<string, unknown> }[];
    expect(JSON.stringify(listed.body)).not.toMatch(/测试|11010519491231002X/);
    expect(byName.details).toMatchObject({
      qDigest: expect.stringMatching(/^hmac-sha256:[\w-]{43}$/),
      byNationalId: false,
      nationalIdDigest: null,
    });
    expect(byId.details).toMatchObject({
      qDigest: null,
      byNationalId: true,
      nationalIdDigest: expect.stringMatching(/^hmac-sha256:/),
    });
    // What an investigator who holds DATA_ENCRYPTION_KEY and knows the term does.
    const terms = new AuditTerms(api.app.get<HuizhenConfig>(HUIZHEN_CONFIG).dataEncryptionKey);
    expect(terms.matches('测试乙', byName.details.qDigest)).toBe(true);
    expect(terms.matches(' 测试乙 ', byName.details.qDigest)).toBe(true); // normalized as searched
    expect(terms.matches('测试甲', byName.details.qDigest)).toBe(false);
    expect(terms.matches('11010519491231002x', byId.details.nationalIdDigest)).toBe(true);
    // Without the key (another deployment's, or none), the same term gives another digest.
    expect(new AuditTerms(randomBytes(32)).matches('测试乙', byName.details.qDigest)).toBe(false);
  });

  it('lists every break, not only the first: an altered row, a removed row, a re-linked row', async () => {
    type Raw = Record<string, any>;
    const sealed = await schema.query<Raw>(
      `SELECT * FROM audit_event WHERE seq IS NOT NULL ORDER BY seq`,
    );
    expect(sealed.length).toBeGreaterThanOrEqual(8);
    const [altered, removed, rehashed] = [sealed[1], sealed[3], sealed[5]];
    const relinked = Number(sealed[6].seq);
    const keep = [altered, removed, rehashed];
    // 1. content changed, hash left: the row itself no longer verifies.
    await tamper(`UPDATE audit_event SET action = 'auth.logout' WHERE id = $1`, [altered.id]);
    // 2. a row removed: the next one is missing its predecessor.
    await tamper(`DELETE FROM audit_event WHERE id = $1`, [removed.id]);
    // 3. a row rewritten with a fresh, self-consistent hash: it verifies alone, the next one no longer links to it.
    const rewritten: Raw = { ...rehashed, resource_id: 'forged' };
    const hash = chainHash({
      seq: Number(rewritten.seq),
      prevHash: rewritten.prev_hash,
      occurredAt: rewritten.occurred_at,
      actorId: rewritten.actor_id,
      actorUsername: rewritten.actor_username,
      actorOrganizationId: rewritten.actor_organization_id,
      action: rewritten.action,
      resourceType: rewritten.resource_type,
      resourceId: rewritten.resource_id,
      outcome: rewritten.outcome,
      ip: rewritten.ip,
      userAgent: rewritten.user_agent,
      requestId: rewritten.request_id,
      details: rewritten.details,
    });
    await tamper(`UPDATE audit_event SET resource_id = 'forged', hash = $2 WHERE id = $1`, [
      rehashed.id,
      hash,
    ]);

    const v = await verify();
    expect(v).toMatchObject({ ok: false, breakCount: 3 });
    expect(v.breaks).toEqual([
      { seq: Number(altered.seq), kind: 'altered' },
      { seq: Number(removed.seq) + 1, kind: 'missing_before', missing: 1 },
      { seq: relinked, kind: 'relinked' },
    ]);
    expect(v.firstBroken).toEqual({ seq: Number(altered.seq), problem: 'altered' }); // as earlier clients read it
    expect(v.checked).toBe(sealed.length - 1 + (v.lastSeq - Number(sealed[sealed.length - 1].seq))); // walked on after each break
    const logged = await schema.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_event WHERE action = 'audit.verify' ORDER BY id DESC LIMIT 1`,
    );
    expect(logged[0].details).toMatchObject({ ok: false, breakCount: 3 });

    // Put the rows back as they were: the chain verifies again.
    await tamper(`DELETE FROM audit_event WHERE id = ANY($1::bigint[])`, [keep.map((r) => r.id)]);
    for (const row of keep)
      await tamper(
        `INSERT INTO audit_event SELECT * FROM jsonb_populate_record(NULL::audit_event, $1::jsonb)`,
        [JSON.stringify(row)],
      );
    expect(await verify()).toMatchObject({ ok: true, breakCount: 0, breaks: [] });
  });

  it('names the record after a removed one, also when the attacker re-links the chain', async () => {
    const rows = await schema.query<{ seq: string; hash: string }>(
      `SELECT seq, hash FROM audit_event WHERE action = 'patient.create' ORDER BY seq`,
    );
    const victim = Number(rows[2].seq);
    await tamper(`DELETE FROM audit_event WHERE seq = $1`, [victim]);
    let v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken).toEqual({ seq: victim + 1, problem: 'missing_before' });
    // Renumbering the tail to close the gap still breaks the hash links.
    // In two steps (seq is UNIQUE, checked row by row), in one transaction holding the sealer's
    // lock: a verify's own event sealed between the steps would take the seq the second one frees.
    await schema.db.transaction(async (m) => {
      await m.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_SEALER_LOCK]);
      await m.query('ALTER TABLE audit_event DISABLE TRIGGER USER');
      await m.query(`UPDATE audit_event SET seq = -seq WHERE seq > $1`, [victim]);
      await m.query(`UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0`);
      await m.query('ALTER TABLE audit_event ENABLE TRIGGER USER');
    });
    const renumbered = (
      await schema.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM audit_event WHERE seq >= $1`,
        [victim],
      )
    )[0].n;
    v = await verify();
    expect(v.ok).toBe(false);
    expect(v.firstBroken.seq).toBe(victim);
    expect(['relinked', 'altered']).toContain(v.firstBroken.problem);
    // Every renumbered record is named: its seq is part of what its hash covers.
    expect(v.breaks.filter((b: { kind: string }) => b.kind === 'altered')).toHaveLength(renumbered);
    expect(v.breakCount).toBe(v.breaks.length);
  });

  it('appends from concurrent writers without forking the chain', async () => {
    const fresh = await TestSchema.create('auditrace');
    try {
      const audit = new AuditService(await fresh.connect([AuditEvent]));
      await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          audit.record({ action: 'test.concurrent', details: { i } }),
        ),
      );
      const v = await audit.verify();
      expect(v).toEqual({
        ok: true,
        checked: 40,
        lastSeq: 40,
        pending: 0,
        breakCount: 0,
        breaks: [],
      });
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
      const order = await fresh.query<{ action: string }>(
        'SELECT action FROM audit_event ORDER BY seq',
      );
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
