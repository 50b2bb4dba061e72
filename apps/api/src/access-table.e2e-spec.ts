import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from './api.test-support';

/**
 * Role × action × own/other organization, through the HTTP API as users meet it.
 * Each row: who, what, on whose data, expected status.
 */
describe('access policy through the API (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  const token: Record<string, string> = {};
  const patient: Record<'townA' | 'townB', string> = { townA: '', townB: '' };

  beforeAll(async () => {
    schema = await TestSchema.create('access');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema);
    for (const key of Object.keys(f.user))
      token[key] = await loginAs(api.url, f.user[key].username);
    for (const [town, doctor] of [
      ['townA', 'townDoctorA'],
      ['townB', 'townDoctorB'],
    ] as const) {
      const res = await request(api.url)
        .post('/api/patients')
        .set('authorization', `Bearer ${token[doctor]}`)
        .send({
          name: town === 'townA' ? '王小东' : '李秀英',
          sex: 'male',
          birthDate: '1968-04-12',
        })
        .expect(201);
      patient[town] = res.body.id;
    }
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  const readPatient: [who: string, whose: 'townA' | 'townB', status: number][] = [
    ['townDoctorA', 'townA', 200], // own organization
    ['townDoctorA', 'townB', 403], // another county's township
    ['townDoctorB', 'townA', 403],
    ['countyRadiologistA', 'townA', 403], // specialist: nothing routed or shared yet
    ['hubCoordinator', 'townA', 200], // under the province hub
    ['hubCoordinator', 'townB', 200],
    ['cityCoordinatorB', 'townB', 200], // under city B
    ['cityCoordinatorB', 'townA', 403], // city A's township is not under city B
    ['otherHubCoordinator', 'townA', 403], // another province
    ['hubAdmin', 'townA', 403], // admins manage people, not patient data
    ['countyAdminA', 'townA', 403],
  ];
  it.each(readPatient)('%s reading a patient of %s -> %i', async (who, whose, status) => {
    await request(api.url)
      .get(`/api/patients/${patient[whose]}`)
      .set('authorization', `Bearer ${token[who]}`)
      .expect(status);
  });

  const registerPatient: [who: string, status: number][] = [
    ['townDoctorA', 201],
    ['countyRadiologistA', 201], // a county specialist registers patients of their own hospital
    ['hubCoordinator', 403],
    ['hubAdmin', 403],
  ];
  it.each(registerPatient)(
    '%s registering a patient of their own organization -> %i',
    async (who, status) => {
      await request(api.url)
        .post('/api/patients')
        .set('authorization', `Bearer ${token[who]}`)
        .send({ name: '赵敏', sex: 'female', birthDate: '1990-01-01' })
        .expect(status);
    },
  );

  const createOrganization: [who: string, parent: keyof DirectoryFixture['org'], status: number][] =
    [
      ['hubAdmin', 'cityA', 201], // province admin: anywhere under the hub
      ['hubAdmin', 'countyB', 201],
      ['countyAdminA', 'countyA', 201], // county admin: under their county
      ['countyAdminA', 'cityB', 403], // not above it
      ['townDoctorA', 'townA', 403], // not an admin
      ['hubCoordinator', 'cityA', 403],
    ];
  it.each(createOrganization)(
    '%s creating an organization under %s -> %i',
    async (who, parent, status) => {
      const level = parent.startsWith('city')
        ? 'county_hospital'
        : parent.startsWith('county')
          ? 'township_health_centre'
          : 'village_clinic';
      await request(api.url)
        .post('/api/organizations')
        .set('authorization', `Bearer ${token[who]}`)
        .send({
          name: `新机构-${who}-${parent}`,
          level,
          parentId: f.org[parent],
          regionCode: '430122',
        })
        .expect(status);
    },
  );

  const createPractitioner: [who: string, org: keyof DirectoryFixture['org'], status: number][] = [
    ['hubAdmin', 'townB', 201],
    ['countyAdminA', 'townA', 201],
    ['countyAdminA', 'townB', 403],
    ['townDoctorA', 'townA', 403],
  ];
  it.each(createPractitioner)('%s adding a user to %s -> %i', async (who, org, status) => {
    await request(api.url)
      .post('/api/practitioners')
      .set('authorization', `Bearer ${token[who]}`)
      .send({
        username: `new.${who.toLowerCase()}.${org.toLowerCase()}`,
        displayName: '新用户',
        password: 'Strong-pass-123',
        organizationId: f.org[org],
        roles: ['township_doctor'],
      })
      .expect(status);
  });

  const readAudit: [who: string, status: number][] = [
    ['hubAdmin', 200],
    ['hubCoordinator', 403],
    ['townDoctorA', 403],
    ['countyRadiologistA', 403],
  ];
  it.each(readAudit)('%s verifying the audit chain -> %i', async (who, status) => {
    await request(api.url)
      .get('/api/audit/verify')
      .set('authorization', `Bearer ${token[who]}`)
      .expect(status);
  });

  it('every signed-in role reads the directory; nobody anonymous does', async () => {
    for (const who of ['townDoctorA', 'countyRadiologistA', 'hubCoordinator', 'hubAdmin']) {
      const res = await request(api.url)
        .get('/api/organizations?limit=200')
        .set('authorization', `Bearer ${token[who]}`)
        .expect(200);
      expect(res.body.total).toBeGreaterThanOrEqual(9);
    }
    for (const path of [
      '/api/organizations',
      '/api/me',
      `/api/patients/${patient.townA}`,
      '/api/patients',
      '/api/audit/verify',
    ]) {
      const res = await request(api.url).get(path).expect(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    }
    await request(api.url).get('/api/me').set('authorization', 'Bearer not-a-jwt').expect(401);
  });

  it('a patient search sees only the organizations in scope', async () => {
    const a = await request(api.url)
      .get('/api/patients')
      .set('authorization', `Bearer ${token.townDoctorA}`)
      .expect(200);
    expect(a.body.items.map((p: any) => p.organizationId)).toEqual(
      expect.arrayContaining([f.org.townA]),
    );
    expect(a.body.items.every((p: any) => p.organizationId === f.org.townA)).toBe(true);
    const hub = await request(api.url)
      .get('/api/patients?q=王小东')
      .set('authorization', `Bearer ${token.hubCoordinator}`)
      .expect(200);
    expect(hub.body.items.map((p: any) => p.id)).toContain(patient.townA);
    await request(api.url)
      .get('/api/patients')
      .set('authorization', `Bearer ${token.hubAdmin}`)
      .expect(403);
  });

  it('an explicit, unexpired share opens a patient to a named specialist, and only until it expires', async () => {
    const who = f.user.countyRadiologistA.id;
    await schema.query(
      `INSERT INTO access_grant (resource_type, resource_id, action, grantee_practitioner_id, expires_at) VALUES ('patient', $1, 'read', $2, now() - interval '1 minute')`,
      [patient.townA, who],
    );
    await request(api.url)
      .get(`/api/patients/${patient.townA}`)
      .set('authorization', `Bearer ${token.countyRadiologistA}`)
      .expect(403);
    await schema.query(
      `INSERT INTO access_grant (resource_type, resource_id, action, grantee_practitioner_id, expires_at) VALUES ('patient', $1, 'read', $2, now() + interval '1 hour')`,
      [patient.townA, who],
    );
    const res = await request(api.url)
      .get(`/api/patients/${patient.townA}`)
      .set('authorization', `Bearer ${token.countyRadiologistA}`)
      .expect(200);
    expect(res.body.name).toBe('王小东');
  });

  it('denials and PHI reads land in the audit trail', async () => {
    const rows = await schema.query<{ action: string; outcome: string; actor_username: string }>(
      `SELECT action, outcome, actor_username FROM audit_event WHERE resource_id = $1 ORDER BY id`,
      [patient.townA],
    );
    expect(rows).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          action: 'patient.read',
          outcome: 'success',
          actor_username: 'town-doctor-a',
        }),
        expect.objectContaining({
          action: 'patient.read',
          outcome: 'denied',
          actor_username: 'town-doctor-b',
        }),
      ]),
    );
  });
});
