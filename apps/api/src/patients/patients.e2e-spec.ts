import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';

/**
 * The patient routes over PatientStore: registration, a correction (partial, empty, a national
 * ID another patient has), the search's order, total and pages, and reads by id.
 */
describe('patients', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  let doctor: string;
  const as = () => ({
    get: (path: string) => request(api.url).get(path).set('authorization', `Bearer ${doctor}`),
    post: (path: string, body: object) =>
      request(api.url).post(path).set('authorization', `Bearer ${doctor}`).send(body),
    patch: (path: string, body: object) =>
      request(api.url).patch(path).set('authorization', `Bearer ${doctor}`).send(body),
  });

  beforeAll(async () => {
    schema = await TestSchema.create('patients');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema);
    doctor = await loginAs(api.url, f.user.townDoctorA.username);
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  it('registers, reads and corrects a patient; the national ID stays masked', async () => {
    const created = await as()
      .post('/api/patients', {
        name: '孙立平',
        sex: 'male',
        birthDate: '1949-12-31',
        phone: '13800138000',
      })
      .expect(201);
    expect(created.body).toEqual({
      id: expect.any(String),
      organizationId: f.org.townA,
      name: '孙立平',
      sex: 'male',
      birthDate: '1949-12-31',
      nationalIdMasked: null,
      phone: '13800138000',
      address: null,
      createdAt: expect.any(String),
    });
    const id = created.body.id;
    const read = await as().get(`/api/patients/${id}`).expect(200);
    expect(read.body).toEqual(created.body);

    const same = await as().patch(`/api/patients/${id}`, {}).expect(200);
    expect(same.body).toEqual(created.body);

    const fixed = await as()
      .patch(`/api/patients/${id}`, { address: '长沙县', nationalId: '11010519491231002X' })
      .expect(200);
    expect(fixed.body).toEqual({
      ...created.body,
      address: '长沙县',
      nationalIdMasked: '110105********002X',
    });

    const other = await as()
      .post('/api/patients', { name: '孙立新', sex: 'male', birthDate: '1950-01-01' })
      .expect(201);
    const taken = await as()
      .patch(`/api/patients/${other.body.id}`, {
        birthDate: '1949-12-31',
        nationalId: '11010519491231002X',
      })
      .expect(409);
    expect(taken.body.details).toEqual({ code: 'patient_exists' });
    await as()
      .get(`/api/patients/${other.body.id}`)
      .expect(200, { ...other.body });
    await as().get('/api/patients/00000000-0000-4000-8000-000000000000').expect(404);
  });

  it('searches by name (best match first), by national ID, with the total and pages', async () => {
    for (const name of ['欧阳春', '欧阳春花', '李春']) {
      await as()
        .post('/api/patients', { name, sex: 'female', birthDate: '1980-02-03' })
        .expect(201);
    }
    const byName = await as().get('/api/patients?q=欧阳春').expect(200);
    expect(byName.body.items.map((p: { name: string }) => p.name)).toEqual(['欧阳春', '欧阳春花']);
    expect(byName.body).toMatchObject({ total: 2, limit: 50, offset: 0 });

    const paged = await as().get('/api/patients?q=欧阳春&limit=1&offset=1').expect(200);
    expect(paged.body.items.map((p: { name: string }) => p.name)).toEqual(['欧阳春花']);
    expect(paged.body.total).toBe(2);
    const past = await as().get('/api/patients?q=欧阳春&offset=5').expect(200);
    expect(past.body).toMatchObject({ items: [], total: 2 });

    const all = await as().get('/api/patients').expect(200);
    expect(all.body.total).toBe(5);
    expect(all.body.items[0].name).toBe('李春');

    const byId = await as().get('/api/patients?nationalId=11010519491231002X').expect(200);
    expect(
      byId.body.items.map((p: { name: string; nationalIdMasked: string }) => [
        p.name,
        p.nationalIdMasked,
      ]),
    ).toEqual([['孙立平', '110105********002X']]);
    const wildcard = await as().get('/api/patients?q=%25').expect(200);
    expect(wildcard.body.total).toBe(0);
  });
});
