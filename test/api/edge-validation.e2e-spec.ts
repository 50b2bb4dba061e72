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

  /** A GET as the township doctor. */
  const get = (path: string) => request(api.url).get(path).set('authorization', `Bearer ${doctor}`);
  /** Registering a patient as the township doctor (the route most of the edge's checks guard). */
  const register = () =>
    request(api.url).post('/api/patients').set('authorization', `Bearer ${doctor}`);
  /** Mr Wang, born on the last day of 1949, as a body to register. */
  const wang = (more: Record<string, unknown>) => ({
    name: '王小东',
    sex: 'male',
    birthDate: '1949-12-31',
    ...more,
  });
  /** The fields a 400 names, sorted. */
  const fieldsOf = (res: { body: { details: { fields: { field: string }[] } } }) =>
    res.body.details.fields.map((x) => x.field).sort();
  const patientCount = () => schema.query('SELECT count(*)::int AS n FROM patient');

  it('malformed JSON -> 400 with the error shape', async () => {
    const res = await register()
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
    const before = await patientCount();
    const res = await register()
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
    expect(fieldsOf(res)).toEqual(['isAdmin', 'organizationId']);
    expect(await patientCount()).toEqual(before);
  });

  it('wrong types and values -> 400 with every problem listed', async () => {
    const res = await register()
      .send({ name: '', sex: 'm', birthDate: '12/04/1968', nationalId: '123' })
      .expect(400);
    expect(fieldsOf(res)).toEqual(['birthDate', 'name', 'nationalId', 'sex']);
    expect(res.body.message).toMatch(/birthDate must be a date YYYY-MM-DD/);
  });

  it('a national ID failing its checksum or contradicting the birth date -> 400 with the reason', async () => {
    const bad = await register()
      .send(wang({ nationalId: '110105194912310021' }))
      .expect(400);
    expect(bad.body.message).toMatch(/GB 11643 checksum/);
    const contradicts = await register()
      .send(wang({ birthDate: '1950-01-01', nationalId: '11010519491231002X' }))
      .expect(400);
    expect(contradicts.body.message).toBe(
      'nationalId says born 1949-12-31 but birthDate is 1950-01-01',
    );
  });

  it('a national ID is matchable but not readable in the database, and shown masked', async () => {
    const res = await register()
      .send(wang({ nationalId: '11010519491231002x' }))
      .expect(201);
    expect(res.body.nationalIdMasked).toBe('110105********002X');
    const dump = JSON.stringify(
      await schema.query('SELECT * FROM patient WHERE id = $1', [res.body.id]),
    );
    expect(dump).not.toContain('11010519491231002X');
    expect(dump).not.toContain('19491231002');
    const found = await get('/api/patients?nationalId=11010519491231002X').expect(200);
    expect(found.body.items.map((p: { id: string }) => p.id)).toEqual([res.body.id]);
    const dup = await register()
      .send(wang({ name: '王晓东', nationalId: '11010519491231002X' }))
      .expect(409);
    expect(dup.body.details).toEqual({ code: 'patient_exists', patientId: res.body.id });
  });

  it('bad ids and paging -> 400, unknown ids -> 404', async () => {
    await get('/api/patients/not-a-uuid').expect(400);
    await get('/api/patients?limit=5000').expect(400);
    const res = await get('/api/organizations/00000000-0000-4000-8000-000000000000').expect(404);
    expect(res.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      details: { code: 'organization_not_found' },
    });
  });

  it('a too-large body -> 413', async () => {
    const res = await register()
      .send({ name: 'x'.repeat(2_000_000), sex: 'male', birthDate: '1968-04-12' })
      .expect(413);
    expect(res.body).toEqual({
      statusCode: 413,
      error: 'Payload Too Large',
      message: 'Request body is too large',
    });
  });

  it('the planner takes the demand list it declares (20,000 rows), every other route keeps 100 KB', async () => {
    const coordinator = await loginAs(api.url, f.user.hubCoordinator.username);
    const plan = (demand: object[]) =>
      request(api.url)
        .post('/api/scheduling/plans')
        .set('authorization', `Bearer ${coordinator}`)
        .send({ from: '2027-03-01', weeks: 4, demand });
    // 20,000 rows naming an organization outside the coordinator's hub: read whole, then refused by scope.
    const row = { organizationId: f.org.otherHub, specialty: 'cardiology', count: 3, week: 1 };
    const declared = await plan(Array.from({ length: 20_000 }, () => row));
    expect(declared.status).toBe(400);
    expect(declared.body.details.code).toBe('demand_outside_scope');
    // Past the declared size: the validation's words, not the parser's 413.
    const over = await plan(Array.from({ length: 20_001 }, () => row)).expect(400);
    expect(JSON.stringify(over.body.details.fields)).toMatch(/demand/);
    // The same size on another route is still refused by the parser.
    await register()
      .send(wang({ address: 'x'.repeat(200_000) }))
      .expect(413);
  });
});
