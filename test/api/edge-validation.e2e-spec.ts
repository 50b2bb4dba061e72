import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';

/** Bad input gets a 4xx with the one error shape and a message a person can act on. */
describe('validation at the edge', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  let doctor: string;

  beforeAll(async () => {
    schema = await TestSchema.create('edge');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema);
    doctor = await loginAs(api.url, f.user.townDoctorA.username);
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  it('malformed JSON -> 400 with the error shape', async () => {
    const res = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .set('content-type', 'application/json')
      .send('{"name": "王小东", ')
      .expect(400);
    expect(res.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: 'Request body is not valid JSON',
    });
    expect(res.body.details.parser).toMatch(/position 16/);
  });

  it('unknown fields -> 400 naming them; nothing is written', async () => {
    const before = await schema.query('SELECT count(*)::int AS n FROM patient');
    const res = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({
        name: '王小东',
        sex: 'male',
        birthDate: '1968-04-12',
        organizationId: f.org.townB,
        isAdmin: true,
      })
      .expect(400);
    expect(res.body.statusCode).toBe(400);
    expect(res.body.error).toBe('Bad Request');
    expect(res.body.message).toContain('property organizationId should not exist');
    expect(res.body.message).toContain('property isAdmin should not exist');
    expect(res.body.details.fields.map((x: any) => x.field).sort()).toEqual([
      'isAdmin',
      'organizationId',
    ]);
    expect(await schema.query('SELECT count(*)::int AS n FROM patient')).toEqual(before);
  });

  it('wrong types and values -> 400 with every problem listed', async () => {
    const res = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({ name: '', sex: 'm', birthDate: '12/04/1968', nationalId: '123' })
      .expect(400);
    const fields = res.body.details.fields.map((x: any) => x.field).sort();
    expect(fields).toEqual(['birthDate', 'name', 'nationalId', 'sex']);
    expect(res.body.message).toMatch(/birthDate must be a date YYYY-MM-DD/);
  });

  it('a national ID failing its checksum or contradicting the birth date -> 400 with the reason', async () => {
    const bad = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({
        name: '王小东',
        sex: 'male',
        birthDate: '1949-12-31',
        nationalId: '110105194912310021',
      })
      .expect(400);
    expect(bad.body.message).toMatch(/GB 11643 checksum/);
    const contradicts = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({
        name: '王小东',
        sex: 'male',
        birthDate: '1950-01-01',
        nationalId: '11010519491231002X',
      })
      .expect(400);
    expect(contradicts.body.message).toBe(
      'nationalId says born 1949-12-31 but birthDate is 1950-01-01',
    );
  });

  it('a national ID is matchable but not readable in the database, and shown masked', async () => {
    const res = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({
        name: '王小东',
        sex: 'male',
        birthDate: '1949-12-31',
        nationalId: '11010519491231002x',
      })
      .expect(201);
    expect(res.body.nationalIdMasked).toBe('110105********002X');
    const dump = JSON.stringify(
      await schema.query('SELECT * FROM patient WHERE id = $1', [res.body.id]),
    );
    expect(dump).not.toContain('11010519491231002X');
    expect(dump).not.toContain('19491231002');
    const found = await request(api.url)
      .get('/api/patients?nationalId=11010519491231002X')
      .set('authorization', `Bearer ${doctor}`)
      .expect(200);
    expect(found.body.items.map((p: any) => p.id)).toEqual([res.body.id]);
    const dup = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({
        name: '王晓东',
        sex: 'male',
        birthDate: '1949-12-31',
        nationalId: '11010519491231002X',
      })
      .expect(409);
    expect(dup.body.details).toEqual({ code: 'patient_exists', patientId: res.body.id });
  });

  it('bad ids and paging -> 400, unknown ids -> 404', async () => {
    await request(api.url)
      .get('/api/patients/not-a-uuid')
      .set('authorization', `Bearer ${doctor}`)
      .expect(400);
    await request(api.url)
      .get('/api/patients?limit=5000')
      .set('authorization', `Bearer ${doctor}`)
      .expect(400);
    const res = await request(api.url)
      .get('/api/organizations/00000000-0000-4000-8000-000000000000')
      .set('authorization', `Bearer ${doctor}`)
      .expect(404);
    expect(res.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      details: { code: 'organization_not_found' },
    });
  });

  it('a too-large body -> 413', async () => {
    const res = await request(api.url)
      .post('/api/patients')
      .set('authorization', `Bearer ${doctor}`)
      .send({ name: 'x'.repeat(2_000_000), sex: 'male', birthDate: '1968-04-12' })
      .expect(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is too large',
    });
  });
});
