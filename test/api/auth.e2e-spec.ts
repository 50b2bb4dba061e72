import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import {
  TestSchema,
  FIXTURE_PASSWORD,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';

describe('password login, rotating refresh tokens, logout, rate limit', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;

  beforeAll(async () => {
    schema = await TestSchema.create('auth');
    f = await seedDirectory(schema);
    // The tests play several clients behind one proxy (this machine): X-Forwarded-For names them.
    api = await startApiForTest(schema, {
      LOGIN_RATE_LIMIT_ATTEMPTS: '3',
      LOGIN_RATE_LIMIT_WINDOW_SECONDS: '60',
      TRUSTED_PROXIES: '127.0.0.1',
    });
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  const login = (username: string, password: string, ip = '10.1.1.1') =>
    request(api.url)
      .post('/api/auth/login')
      .set('x-forwarded-for', ip)
      .send({ username, password });

  it('logs in with username + password and answers /api/me', async () => {
    const res = await login('town-doctor-a', FIXTURE_PASSWORD).expect(200);
    expect(res.body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(res.body.accessToken.split('.')).toHaveLength(3);
    const me = await request(api.url)
      .get('/api/me')
      .set('authorization', `Bearer ${res.body.accessToken}`)
      .expect(200);
    expect(me.body).toMatchObject({
      username: 'town-doctor-a',
      roles: ['township_doctor'],
      organizationId: f.org.townA,
      organizationName: '青山县石桥镇卫生院',
    });
  });

  it('usernames are case-insensitive; wrong passwords and unknown users get the same 401', async () => {
    await login('Town-Doctor-A', FIXTURE_PASSWORD, '10.1.1.2').expect(200);
    const bad = await login('town-doctor-a', 'wrong-password-1', '10.1.1.2').expect(401);
    const unknown = await login('nobody-here', 'wrong-password-1', '10.1.1.2').expect(401);
    expect(bad.body).toEqual(unknown.body);
    expect(bad.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'username or password is incorrect',
      details: { code: 'invalid_credentials' },
    });
  });

  it('rotates refresh tokens and revokes the whole family when a spent one comes back', async () => {
    const first = (await login('county-radiologist-a', FIXTURE_PASSWORD, '10.1.1.3').expect(200))
      .body;
    const second = (
      await request(api.url)
        .post('/api/auth/refresh')
        .send({ refreshToken: first.refreshToken })
        .expect(200)
    ).body;
    expect(second.refreshToken).not.toBe(first.refreshToken);
    // The first token is spent: presenting it again looks like theft.
    await request(api.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: first.refreshToken })
      .expect(401);
    // ...and the thief's reuse killed the legitimate successor too.
    await request(api.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: second.refreshToken })
      .expect(401);
    const audit = await schema.query(
      `SELECT outcome FROM audit_event WHERE action = 'auth.refresh_reuse'`,
    );
    expect(audit).toEqual([{ outcome: 'denied' }]);
  });

  it('logout ends the refresh token family', async () => {
    const pair = (await login('hub-coordinator', FIXTURE_PASSWORD, '10.1.1.4').expect(200)).body;
    await request(api.url)
      .post('/api/auth/logout')
      .set('authorization', `Bearer ${pair.accessToken}`)
      .send({ refreshToken: pair.refreshToken })
      .expect(204);
    await request(api.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: pair.refreshToken })
      .expect(401);
  });

  it('rate-limits failed logins per user and address with 429 and a retry time', async () => {
    for (let i = 0; i < 3; i++) await login('hub-admin', 'guessing-1234', '10.9.9.9').expect(401);
    const limited = await login('hub-admin', FIXTURE_PASSWORD, '10.9.9.9').expect(429);
    expect(limited.body.details).toMatchObject({ code: 'login_rate_limited' });
    expect(limited.body.details.retryAfterSeconds).toBeGreaterThan(0);
    // Another address is not punished for it.
    await login('hub-admin', FIXTURE_PASSWORD, '10.9.9.10').expect(200);
  });

  it('deactivating a user ends their sessions', async () => {
    const admin = (await login('hub-admin', FIXTURE_PASSWORD, '10.1.1.5').expect(200)).body
      .accessToken;
    const pair = (await login('town-doctor-b', FIXTURE_PASSWORD, '10.1.1.5').expect(200)).body;
    await request(api.url)
      .patch(`/api/practitioners/${f.user.townDoctorB.id}`)
      .set('authorization', `Bearer ${admin}`)
      .send({ active: false })
      .expect(200);
    await request(api.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: pair.refreshToken })
      .expect(401);
    await login('town-doctor-b', FIXTURE_PASSWORD, '10.1.1.5').expect(401);
  });

  it('an access token checked once is honoured until its expiry and not a moment after; a forged one never', async () => {
    const jwt = api.app.get(JwtService);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const d = f.user.townDoctorA;
    const token = await jwt.signAsync(
      {
        sub: d.id,
        usr: 'town-doctor-a',
        name: 'x',
        org: f.org.townA,
        roles: ['township_doctor'],
        spc: null,
        exp,
      },
      { audience: 'huizhen-api', algorithm: 'HS256' },
    );
    const me = () => request(api.url).get('/api/me').set('authorization', `Bearer ${token}`);
    expect((await me().expect(200)).body).toMatchObject({ username: 'town-doctor-a' });
    expect((await me().expect(200)).body).toMatchObject({ username: 'town-doctor-a' }); // from the verified tokens
    // Same header and claims, another signature: not the cached token, so it is checked and refused.
    const [h, p] = token.split('.');
    const forged = `${h}.${p}.${Buffer.alloc(32, 7).toString('base64url')}`;
    const refused = await request(api.url)
      .get('/api/me')
      .set('authorization', `Bearer ${forged}`)
      .expect(401);
    expect(refused.body.details).toEqual({ code: 'invalid_access_token' });
    await new Promise((r) => setTimeout(r, exp * 1000 - Date.now() + 20));
    expect((await me().expect(401)).body.details).toEqual({ code: 'invalid_access_token' });
  });

  it('stores passwords as scrypt hashes and refresh tokens only as digests', async () => {
    const [p] = await schema.query(
      `SELECT password_hash FROM practitioner WHERE username = 'town-doctor-a'`,
    );
    expect(p.password_hash).toMatch(/^scrypt\$16384\$8\$1\$/);
    const tokens = await schema.query(
      `SELECT octet_length(token_hash) AS n FROM refresh_token LIMIT 1`,
    );
    expect(tokens[0].n).toBe(32);
  });
});
