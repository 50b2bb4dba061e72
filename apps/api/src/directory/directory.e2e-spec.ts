import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';

/**
 * The directory over HTTP on real PostgreSQL: the listings' filters, order and totals, what a
 * read answers (and never: a password hash), and the admins' writes with the tree's rules.
 */
describe('directory: listings, reads and admin changes (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  let admin: string;

  beforeAll(async () => {
    schema = await TestSchema.create('directory');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema);
    admin = await loginAs(api.url, f.user.hubAdmin.username);
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  const get = (path: string, token = admin) =>
    request(api.url).get(path).set('authorization', `Bearer ${token}`);
  const send = (method: 'post' | 'patch', path: string, body: object) =>
    request(api.url)[method](path).set('authorization', `Bearer ${admin}`).send(body);
  const names = (body: { items: { name?: string; displayName?: string }[] }) =>
    body.items.map((i) => i.name ?? i.displayName);

  it('lists organizations by region code then name, filtered, paged, with the total', async () => {
    const counties = await get('/api/organizations?level=county_hospital').expect(200);
    expect(counties.body).toMatchObject({ total: 2, limit: expect.any(Number), offset: 0 });
    expect(names(counties.body)).toEqual(['青山县人民医院', '云溪县人民医院']);

    const underHub = await get(`/api/organizations?parentId=${f.org.hub}`).expect(200);
    expect(names(underHub.body)).toEqual(['清河市第一人民医院', '白水市中心医院']);

    const all = await get('/api/organizations?limit=200').expect(200);
    const regions = all.body.items.map((o: { regionCode: string }) => o.regionCode);
    expect(regions).toEqual([...regions].sort());
    const page = await get('/api/organizations?limit=2&offset=1').expect(200);
    expect(page.body).toMatchObject({ total: 9, limit: 2, offset: 1 });
    expect(names(page.body)).toEqual(names(all.body).slice(1, 3));

    const named = await get(`/api/organizations?q=${encodeURIComponent('卫生')}`).expect(200);
    expect(names(named.body).sort()).toEqual(
      ['石桥镇柳村卫生室', '青山县石桥镇卫生院', '云溪县河口镇卫生院'].sort(),
    );
    // A wildcard typed into the search is a character, not a pattern.
    const literal = await get(`/api/organizations?q=${encodeURIComponent('%')}`).expect(200);
    expect(literal.body).toMatchObject({ items: [], total: 0 });
  });

  it('reads an organization as its fields with the level’s name', async () => {
    const res = await get(`/api/organizations/${f.org.countyA}`).expect(200);
    expect(res.body).toEqual({
      id: f.org.countyA,
      name: '青山县人民医院',
      level: 'county_hospital',
      parentId: f.org.cityA,
      regionCode: '430121',
      active: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      levelName: expect.any(String),
    });
  });

  it('lists consortia by name with their members, by kind or by member', async () => {
    const ofTown = await get(`/api/consortia?organizationId=${f.org.townA}`).expect(200);
    expect(ofTown.body.total).toBe(2);
    expect(names(ofTown.body).sort()).toEqual(['清河市远程医疗协作网', '青山县域医共体'].sort());
    const network = ofTown.body.items.find(
      (c: { id: string }) => c.id === f.consortium.networkA,
    ) as { memberIds: string[] };
    expect(network.memberIds.sort()).toEqual([f.org.cityA, f.org.countyA, f.org.townA].sort());

    const communities = await get('/api/consortia?kind=county_medical_community').expect(200);
    expect(communities.body.total).toBe(2);

    const one = await get(`/api/consortia/${f.consortium.countyB}`).expect(200);
    expect(one.body).toMatchObject({
      id: f.consortium.countyB,
      kind: 'county_medical_community',
      leadOrganizationId: f.org.countyB,
      kindName: expect.any(String),
    });
    expect(one.body.memberIds.sort()).toEqual([f.org.countyB, f.org.townB].sort());
  });

  it('lists and reads practitioners without their password hash', async () => {
    const radiologists = await get('/api/practitioners?role=specialist&specialty=radiology').expect(
      200,
    );
    expect(names(radiologists.body)).toEqual([
      'cityRadiologistA',
      'countyRadiologistA',
      'countyRadiologistB',
    ]);
    const atCounty = await get(`/api/practitioners?organizationId=${f.org.countyA}`).expect(200);
    expect(names(atCounty.body)).toEqual([
      'countyAdminA',
      'countyCardiologistA',
      'countyRadiologistA',
    ]);
    const byName = await get('/api/practitioners?q=cardio').expect(200);
    expect(names(byName.body)).toEqual(['countyCardiologistA']);

    const one = await get(`/api/practitioners/${f.user.countyRadiologistA.id}`).expect(200);
    expect(one.body).toEqual({
      id: f.user.countyRadiologistA.id,
      username: 'county-radiologist-a',
      displayName: 'countyRadiologistA',
      organizationId: f.org.countyA,
      roles: ['specialist'],
      specialty: 'radiology',
      title: 'attending',
      active: true,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      specialtyName: expect.any(String),
      titleName: expect.any(String),
    });
    for (const p of [...radiologists.body.items, one.body])
      expect(p).not.toHaveProperty('passwordHash');
  });

  it('creates and changes organizations within the tree’s rules', async () => {
    const created = await send('post', '/api/organizations', {
      name: '青山县新村卫生院',
      level: 'township_health_centre',
      parentId: f.org.countyA,
      regionCode: '430121',
    }).expect(201);
    expect(created.body).toMatchObject({
      name: '青山县新村卫生院',
      level: 'township_health_centre',
      parentId: f.org.countyA,
      active: true,
    });
    await send('post', '/api/organizations', {
      name: '青山县新村卫生院',
      level: 'township_health_centre',
      parentId: f.org.countyA,
      regionCode: '430121',
    })
      .expect(409)
      .expect(({ body }) => expect(body.details.code).toBe('already_exists'));
    await send('post', '/api/organizations', {
      name: '升级的医院',
      level: 'city_hospital',
      parentId: f.org.countyA,
      regionCode: '430121',
    })
      .expect(400)
      .expect(({ body }) => expect(body.details.code).toBe('organization_parent_level'));

    const renamed = await send('patch', `/api/organizations/${created.body.id}`, {
      name: '青山县新村中心卫生院',
      active: false,
    }).expect(200);
    expect(renamed.body).toMatchObject({
      id: created.body.id,
      name: '青山县新村中心卫生院',
      active: false,
      parentId: f.org.countyA,
    });
    expect((await get(`/api/organizations/${created.body.id}`).expect(200)).body).toMatchObject({
      name: '青山县新村中心卫生院',
      active: false,
    });
    await send('patch', `/api/organizations/${f.org.cityA}`, { parentId: f.org.countyA })
      .expect(400)
      .expect(({ body }) =>
        expect(['organization_cycle', 'organization_parent_level']).toContain(body.details.code),
      );
  });

  it('creates a consortium with its lead among the members, and replaces the members', async () => {
    const created = await send('post', '/api/consortia', {
      name: '白水市协作网',
      kind: 'telemedicine_network',
      leadOrganizationId: f.org.cityB,
      memberIds: [f.org.countyB],
    }).expect(201);
    expect(created.body.memberIds.sort()).toEqual([f.org.cityB, f.org.countyB].sort());

    const changed = await send('patch', `/api/consortia/${created.body.id}`, {
      name: '白水市远程协作网',
      memberIds: [f.org.townB],
    }).expect(200);
    expect(changed.body).toMatchObject({
      name: '白水市远程协作网',
      leadOrganizationId: f.org.cityB,
    });
    expect(changed.body.memberIds.sort()).toEqual([f.org.cityB, f.org.townB].sort());
    const read = await get(`/api/consortia/${created.body.id}`).expect(200);
    expect(read.body.memberIds.sort()).toEqual([f.org.cityB, f.org.townB].sort());

    await send('patch', `/api/consortia/${created.body.id}`, { name: '青山县域医共体' })
      .expect(409)
      .expect(({ body }) => expect(body.details.code).toBe('already_exists'));
  });

  it('creates a practitioner, changes them, and a new password ends their sessions', async () => {
    const created = await send('post', '/api/practitioners', {
      username: 'new.radiologist',
      displayName: '新放射科医师',
      password: 'Strong-pass-123',
      organizationId: f.org.countyB,
      roles: ['specialist'],
      specialty: 'radiology',
    }).expect(201);
    expect(created.body).toMatchObject({
      username: 'new.radiologist',
      organizationId: f.org.countyB,
      roles: ['specialist'],
      specialty: 'radiology',
      title: null,
      active: true,
    });
    expect(created.body).not.toHaveProperty('passwordHash');
    await send('post', '/api/practitioners', {
      username: 'new.radiologist',
      displayName: '重名',
      password: 'Strong-pass-123',
      organizationId: f.org.countyB,
      roles: ['township_doctor'],
    }).expect(409);

    const token = await loginAs(api.url, 'new.radiologist', 'Strong-pass-123');
    await get('/api/me', token).expect(200);
    const changed = await send('patch', `/api/practitioners/${created.body.id}`, {
      displayName: '改名的医师',
      title: 'chief',
      password: 'Another-pass-456',
    }).expect(200);
    expect(changed.body).toMatchObject({ displayName: '改名的医师', title: 'chief' });
    expect(changed.body).not.toHaveProperty('passwordHash');
    await get('/api/me', token).expect(401);
    await loginAs(api.url, 'new.radiologist', 'Another-pass-456');

    await send('patch', `/api/practitioners/${created.body.id}`, {
      username: f.user.townDoctorA.username,
    }).expect(409);
  });
});
