import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import request from 'supertest';
import { PlatformModule } from '@huizhen/platform-http';
import {
  TestSchema,
  FIXTURE_PASSWORD,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ApiModule } from '../../apps/api/src/api.module';
import { startApiForTest } from '../../apps/api/src/api.test-support';
import { ImagingModule } from '../../apps/imaging/src/imaging.module';

/**
 * X-Forwarded-* headers are believed only from TRUSTED_PROXIES (none by default): a machine on
 * the hospital LAN cannot pick the address the login throttle counts and the audit trail records,
 * nor the host of a URL handed back. CORS grants no foreign origin unless CORS_ORIGINS names it.
 */
describe('trusted proxies, forwarded headers and origins', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let direct: Awaited<ReturnType<typeof startTestApp>>;
  let proxied: Awaited<ReturnType<typeof startApiForTest>>;

  beforeAll(async () => {
    schema = await TestSchema.create('proxies');
    f = await seedDirectory(schema);
    const limits = { LOGIN_RATE_LIMIT_ATTEMPTS: '3', LOGIN_RATE_LIMIT_WINDOW_SECONDS: '60' };
    // Clients reach this one directly (no TRUSTED_PROXIES): the defaults.
    direct = await startTestApp(schema.env({ ...limits, DIMSE_ENABLED: 'false' }), (config) => {
      @Module({
        imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, ImagingModule],
      })
      class ApiAndImaging {}
      return ApiAndImaging;
    });
    // This one sits behind a proxy on this machine.
    proxied = await startApiForTest(schema, { ...limits, TRUSTED_PROXIES: '127.0.0.1' });
  });
  afterAll(async () => {
    await direct?.app.close();
    await proxied?.app.close();
    await schema?.drop();
  });

  const login = (url: string, username: string, password: string, forwardedFor: string) =>
    request(url)
      .post('/api/auth/login')
      .set('x-forwarded-for', forwardedFor)
      .send({ username, password });
  const loginIps = (username: string) =>
    schema.query<{ ip: string; outcome: string }>(
      `SELECT ip, outcome FROM audit_event WHERE action = 'auth.login' AND actor_username = $1 ORDER BY id`,
      [username],
    );

  it('from an untrusted client, a forged X-Forwarded-For neither escapes the login throttle nor reaches the audit trail', async () => {
    for (let i = 1; i <= 3; i++)
      await login(direct.url, 'town-doctor-b', 'guessing-1234', `203.0.113.${i}`).expect(401);
    const limited = await login(
      direct.url,
      'town-doctor-b',
      FIXTURE_PASSWORD,
      '198.51.100.77',
    ).expect(429);
    expect(limited.body.details).toMatchObject({ code: 'login_rate_limited' });
    const recorded = await loginIps('town-doctor-b');
    expect(recorded).toHaveLength(4);
    for (const r of recorded) expect(r.ip).toBe('127.0.0.1');
  });

  it('from a trusted proxy, X-Forwarded-For is the client', async () => {
    for (let i = 0; i < 3; i++)
      await login(proxied.url, 'county-radiologist-a', 'guessing-1234', '10.20.0.1').expect(401);
    await login(proxied.url, 'county-radiologist-a', FIXTURE_PASSWORD, '10.20.0.1').expect(429);
    // Another client behind the same proxy is not punished for it; the proxy's own chain is read right to left.
    await login(
      proxied.url,
      'county-radiologist-a',
      FIXTURE_PASSWORD,
      '203.0.113.9, 10.20.0.2',
    ).expect(200);
    const recorded = await loginIps('county-radiologist-a');
    expect(recorded.map((r) => r.ip)).toEqual([
      '10.20.0.1',
      '10.20.0.1',
      '10.20.0.1',
      '10.20.0.1',
      '10.20.0.2',
    ]);
  });

  it('gives a new upload a Location that follows neither Host nor X-Forwarded-Host', async () => {
    const token = await loginAs(direct.url, f.user.townDoctorA.username);
    const created = await request(direct.url)
      .post('/dicom-web/uploads')
      .set('authorization', `Bearer ${token}`)
      .set('tus-resumable', '1.0.0')
      .set('upload-length', '1000')
      .set('host', 'evil.example')
      .set('x-forwarded-host', 'evil.example')
      .set('x-forwarded-proto', 'https')
      .expect(201);
    expect(created.headers.location).toMatch(/^\/dicom-web\/uploads\/[A-Za-z0-9_-]+$/);
    // ...and it is where the upload continues.
    const head = await request(direct.url)
      .head(created.headers.location)
      .set('authorization', `Bearer ${token}`)
      .set('tus-resumable', '1.0.0')
      .expect(200);
    expect(head.headers['upload-offset']).toBe('0');
  });

  it('grants CORS to no foreign origin by default, requests and preflights alike', async () => {
    const token = await loginAs(direct.url, f.user.townDoctorA.username);
    const simple = await request(direct.url)
      .get('/api/me')
      .set('authorization', `Bearer ${token}`)
      .set('origin', 'https://evil.example')
      .expect(200);
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(direct.url)
      .options('/api/me')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'GET')
      .set('access-control-request-headers', 'authorization');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    const polling = await request(direct.url)
      .get('/socket.io/?EIO=4&transport=polling')
      .set('origin', 'https://evil.example');
    expect(polling.headers['access-control-allow-origin']).toBeUndefined();
  });
});
