import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { JwtService } from '@nestjs/jwt';
import request from 'supertest';
import { AuthService } from '@huizhen/auth';
import {
  TestSchema,
  FIXTURE_PASSWORD,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';
import { listen } from '../../apps/api/src/consultations/consultation.test-support';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Logout and deactivation end access tokens at once, on every node: three api processes' worth of
 * Nest apps (each its own AuthService and verified-token cache) on one database. A and B share
 * Redis and never poll (a refusal on B right after the logout on A is the Redis message); C has no
 * Redis and re-reads the table every second (the single server's and the safety net's path).
 */
describe('sessions end at once on every node', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  type Node = Awaited<ReturnType<typeof startApiForTest>>;
  let a: Node;
  let b: Node;
  let c: Node;

  beforeAll(async () => {
    schema = await TestSchema.create('sessions');
    f = await seedDirectory(schema);
    const shared = { REDIS_URL, SESSION_REVOCATION_POLL_SECONDS: '0' };
    a = await startApiForTest(schema, shared);
    b = await startApiForTest(schema, shared);
    c = await startApiForTest(schema, { SESSION_REVOCATION_POLL_SECONDS: '1' });
  });
  afterAll(async () => {
    for (const n of [a, b, c]) await n?.app.close();
    await schema?.drop();
  });

  const login = async (node: Node, username: string) => {
    const res = await request(node.url)
      .post('/api/auth/login')
      .send({ username, password: FIXTURE_PASSWORD })
      .expect(200);
    return res.body as { accessToken: string; refreshToken: string };
  };
  const me = (node: Node, token: string) =>
    request(node.url).get('/api/me').set('authorization', `Bearer ${token}`);
  const eventually = async (check: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await check()) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return check();
  };

  it('runs separate apps: each node has its own AuthService', () => {
    expect(a.app.get(AuthService)).not.toBe(b.app.get(AuthService));
    expect(b.app.get(AuthService)).not.toBe(c.app.get(AuthService));
  });

  it('answers login and refresh with Cache-Control: no-store', async () => {
    const res = await request(a.url)
      .post('/api/auth/login')
      .send({ username: 'town-doctor-a', password: FIXTURE_PASSWORD })
      .expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const refreshed = await request(a.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: res.body.refreshToken })
      .expect(200);
    expect(refreshed.headers['cache-control']).toBe('no-store');
  });

  it('logout on node A ends the access token on node B (Redis) at once, and on node C (database) within its poll', async () => {
    const pair = await login(a, 'town-doctor-a');
    // Verified, and kept in each node's cache of verified tokens.
    for (const n of [a, b, c]) {
      await me(n, pair.accessToken).expect(200);
      await me(n, pair.accessToken).expect(200);
    }
    const other = await login(b, 'town-doctor-a'); // another session of the same user: not ended
    await request(a.url)
      .post('/api/auth/logout')
      .set('authorization', `Bearer ${pair.accessToken}`)
      .send({ refreshToken: pair.refreshToken })
      .expect(204);
    const refused = await me(b, pair.accessToken).expect(401);
    expect(refused.body).toMatchObject({
      statusCode: 401,
      details: { code: 'invalid_access_token' },
    });
    expect(refused.body.message).toMatch(/session has ended/);
    await me(a, pair.accessToken).expect(401);
    expect(await eventually(async () => (await me(c, pair.accessToken)).status === 401, 3000)).toBe(
      true,
    );
    await request(b.url)
      .post('/api/auth/refresh')
      .send({ refreshToken: pair.refreshToken })
      .expect(401);
    for (const n of [a, b, c]) await me(n, other.accessToken).expect(200);
  });

  it('an /events socket opened on node B with the token is closed when the session ends on node A', async () => {
    const pair = await login(a, 'county-cardiologist-a');
    const ear = await listen(b.url, pair.accessToken);
    const closed = new Promise<string>((resolve) =>
      ear.socket.once('disconnect', (why) => resolve(String(why))),
    );
    const told = new Promise<unknown>((resolve) => ear.socket.once('session_ended', resolve));
    await request(a.url)
      .post('/api/auth/logout')
      .set('authorization', `Bearer ${pair.accessToken}`)
      .send({ refreshToken: pair.refreshToken })
      .expect(204);
    await expect(told).resolves.toMatchObject({
      reason: expect.stringMatching(/session has ended/),
    });
    await expect(closed).resolves.toBe('io server disconnect');
    // Another user's socket on the same node stays.
    const stays = await listen(b.url, (await login(a, 'city-radiologist-a')).accessToken);
    expect(stays.socket.connected).toBe(true);
    stays.socket.close();
  });

  it("logout with the refresh token alone ends that session's access tokens too", async () => {
    const pair = await login(a, 'county-radiologist-a');
    await me(b, pair.accessToken).expect(200);
    await request(a.url)
      .post('/api/auth/logout')
      .send({ refreshToken: pair.refreshToken })
      .expect(204);
    await me(b, pair.accessToken).expect(401);
  });

  it('deactivating a practitioner on node A ends all their access tokens on node B at once, and a node started later knows it', async () => {
    const admin = (await login(a, 'hub-admin')).accessToken;
    const first = await login(a, 'town-doctor-b');
    const second = await login(b, 'town-doctor-b');
    // A token of no session (signed for a test or by an older version): ended by "not before".
    const sessionless = await b.app.get(AuthService).signAccessToken({
      ...f.user.townDoctorB,
      displayName: 'x',
      organizationId: f.org.townB,
      roles: ['township_doctor'],
      specialty: null,
    });
    for (const t of [first.accessToken, second.accessToken, sessionless])
      await me(b, t).expect(200);
    await request(a.url)
      .patch(`/api/practitioners/${f.user.townDoctorB.id}`)
      .set('authorization', `Bearer ${admin}`)
      .send({ active: false })
      .expect(200);
    for (const t of [first.accessToken, second.accessToken, sessionless])
      await me(b, t).expect(401);
    expect(
      await eventually(async () => (await me(c, second.accessToken)).status === 401, 3000),
    ).toBe(true);
    const d = await startApiForTest(schema, { SESSION_REVOCATION_POLL_SECONDS: '0' });
    try {
      await me(d, first.accessToken).expect(401);
      await me(d, sessionless).expect(401);
      await me(d, admin).expect(200);
    } finally {
      await d.app.close();
    }
    const [{ n }] = await schema.query(
      `SELECT count(*)::int AS n FROM access_revocation WHERE practitioner_id = $1`,
      [f.user.townDoctorB.id],
    );
    expect(n).toBe(1);
  });

  it('refuses a token without exp, an alg=none token and a tampered one', async () => {
    const jwt = a.app.get(JwtService);
    const d = f.user.townDoctorA;
    const claims = {
      sub: d.id,
      usr: 'town-doctor-a',
      name: 'x',
      org: f.org.townA,
      roles: ['township_doctor'],
      spc: null,
    };
    const forever = await jwt.signAsync(claims, { audience: 'huizhen-api', algorithm: 'HS256' });
    expect(
      JSON.parse(Buffer.from(forever.split('.')[1], 'base64url').toString()),
    ).not.toHaveProperty('exp');
    expect((await me(a, forever).expect(401)).body.details).toEqual({
      code: 'invalid_access_token',
    });
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const exp = Math.floor(Date.now() / 1000) + 600;
    const payload = { ...claims, aud: 'huizhen-api', iat: exp - 600, exp };
    await me(a, `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`).expect(401);
    await me(a, `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}`).expect(401);
    const good = (await login(a, 'town-doctor-a')).accessToken;
    await me(a, good).expect(200);
    const [h, , s] = good.split('.');
    const admin = {
      ...JSON.parse(Buffer.from(good.split('.')[1], 'base64url').toString()),
      roles: ['admin'],
    };
    await me(a, `${h}.${b64(admin)}.${s}`).expect(401);
  });
});
