import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import request from 'supertest';
import { PlatformModule } from '@huizhen/platform-http';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ApiModule } from '../../apps/api/src/api.module';
import { ImagingModule } from '../../apps/imaging/src/imaging.module';

const NUL_BODY = { statusCode: 400, error: 'Bad Request', details: { code: 'nul_byte' } };

/**
 * A NUL character (U+0000) anywhere in a request (JSON at any depth, keys too, a form, the query,
 * the path) is a 400 naming it, answered at the edge and by the body parsers, not PostgreSQL's
 * 500 ("invalid byte sequence") from whichever route stored or searched it.
 */
describe('NUL characters are refused at the edge', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let token: string;

  beforeAll(async () => {
    schema = await TestSchema.create('nul_bytes');
    f = await seedDirectory(schema);
    app = await startTestApp(schema.env({ DIMSE_ENABLED: 'false' }), (config) => {
      @Module({
        imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, ImagingModule],
      })
      class ApiAndImaging {}
      return ApiAndImaging;
    });
    token = await loginAs(app.url, f.user.townDoctorA.username);
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  const post = (path: string, body: unknown) =>
    request(app.url)
      .post(path)
      .set('authorization', `Bearer ${token}`)
      .set('content-type', 'application/json')
      .send(JSON.stringify(body));

  it('in a JSON body: a value, a nested value, a key', async () => {
    const before = await schema.query('SELECT count(*)::int AS n FROM patient');
    for (const body of [
      { name: '王\u0000小东', sex: 'male', birthDate: '1968-04-12' },
      {
        name: '王小东',
        sex: 'male',
        birthDate: '1968-04-12',
        contact: { phones: [{ note: 'x\u0000' }] },
      },
      { name: '王小东', sex: 'male', birthDate: '1968-04-12', deep: [[{ 'key\u0000': 1 }]] },
    ]) {
      const res = await post('/api/patients', body).expect(400);
      expect(res.body).toMatchObject({ ...NUL_BODY, details: { code: 'nul_byte', where: 'body' } });
      expect(res.body.message).toMatch(/NUL character \(U\+0000\)/);
    }
    expect(await schema.query('SELECT count(*)::int AS n FROM patient')).toEqual(before);
    // A backslash followed by the text u0000 is no NUL: it goes on to the route (here: validation).
    const text = await post('/api/patients', {
      name: '王\\u0000',
      sex: 'male',
      birthDate: '1968-04-12',
      stray: 1,
    }).expect(400);
    expect(text.body.details.code).toBeUndefined();
    expect(text.body.message).toContain('property stray should not exist');
    // Public routes too (the body is parsed before any guard).
    expect(
      (
        await request(app.url)
          .post('/api/auth/login')
          .send({ username: 'town-doctor-a\u0000', password: 'x' })
          .expect(400)
      ).body,
    ).toMatchObject(NUL_BODY);
  });

  it('in a form body', async () => {
    const res = await request(app.url)
      .post('/api/auth/login')
      .type('form')
      .send('username=a%00b&password=x')
      .expect(400);
    expect(res.body).toMatchObject(NUL_BODY);
  });

  it('in the query string or the path of a framework route', async () => {
    const get = (path: string) =>
      request(app.url).get(path).set('authorization', `Bearer ${token}`);
    await get('/api/patients?q=%E7%8E%8B').expect(200);
    for (const path of [
      '/api/patients?q=%00',
      '/api/patients?q[%00]=1',
      '/api/patients/abc%00def',
      '/dicom-web/studies/1.2.3%00/series',
    ]) {
      const res = await get(path).expect(400);
      expect(res.body).toMatchObject({
        ...NUL_BODY,
        details: { code: 'nul_byte', where: 'path or query string' },
      });
    }
  });

  it('on the QIDO-RS direct route, answered by the edge before the framework', async () => {
    await request(app.url)
      .get('/dicom-web/studies?PatientName=%E7%8E%8B')
      .set('authorization', `Bearer ${token}`)
      .expect((r) => expect([200, 204]).toContain(r.status));
    const res = await request(app.url)
      .get('/dicom-web/studies?PatientName=%00')
      .set('authorization', `Bearer ${token}`)
      .expect(400);
    expect(res.body).toMatchObject(NUL_BODY);
    expect(res.headers['x-request-id']).toBeDefined();
    expect(
      (
        await request(app.url)
          .get('/dicom-web/series?SeriesDescription=a%00')
          .set('authorization', `Bearer ${token}`)
          .expect(400)
      ).body,
    ).toMatchObject(NUL_BODY);
  });
});
