import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type INestApplication, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { connect } from 'node:net';
import request from 'supertest';
import { loadConfig } from '@huizhen/config';
import { PlatformModule, configureHttpApp } from '@huizhen/platform-http';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { ApiModule } from '../../apps/api/src/api.module';
import { startApiForTest } from '../../apps/api/src/api.test-support';

/** The api app listening on all interfaces (startTestApp binds loopback), reached through 127.0.0.1. */
async function startOnAllInterfaces(schema: TestSchema, env: Record<string, string>) {
  const config = loadConfig(schema.env(env));
  @Module({ imports: [PlatformModule.forRoot({ config, database: true }), ApiModule] })
  class ApiUnderTest {}
  const moduleRef = await Test.createTestingModule({ imports: [ApiUnderTest] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] });
  configureHttpApp(app as INestApplication, config, { title: 'Huizhen (test)' });
  await app.listen(0, '0.0.0.0');
  const { port } = app.getHttpServer().address() as { port: number };
  return { app, url: `http://127.0.0.1:${port}` };
}

/**
 * What operators' doors show to whom: /metrics needs METRICS_TOKEN unless the server listens on
 * loopback only; /health tells anyone up or down, and its details only to the metrics reader or
 * an admin. And the server cuts a client that sends its headers too slowly.
 */
describe('/metrics, /health and slow clients', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let loopback: Awaited<ReturnType<typeof startApiForTest>>;
  let open: Awaited<ReturnType<typeof startOnAllInterfaces>>;
  let tokened: Awaited<ReturnType<typeof startOnAllInterfaces>>;

  beforeAll(async () => {
    schema = await TestSchema.create('operations');
    f = await seedDirectory(schema);
    loopback = await startApiForTest(schema, {
      HTTP_HEADERS_TIMEOUT_SECONDS: '1',
      HTTP_REQUEST_TIMEOUT_SECONDS: '5',
    });
    open = await startOnAllInterfaces(schema, {});
    tokened = await startOnAllInterfaces(schema, { METRICS_TOKEN: 'scrape-me-0123456789' });
  });
  afterAll(async () => {
    for (const a of [loopback, open, tokened]) await a?.app.close();
    await schema?.drop();
  });

  it('a server on loopback without METRICS_TOKEN: /metrics and the health details for local callers', async () => {
    expect((await request(loopback.url).get('/metrics').expect(200)).text).toContain(
      'huizhen_http_request_duration_seconds',
    );
    const health = await request(loopback.url).get('/health').expect(200);
    expect(health.body.checks.database).toMatchObject({ status: 'up' });
  });

  it('beyond loopback without METRICS_TOKEN: /metrics refused saying why; /health up or down only, details for an admin', async () => {
    const metrics = await request(open.url).get('/metrics').expect(403);
    expect(metrics.body).toMatchObject({
      statusCode: 403,
      message: expect.stringMatching(/METRICS_TOKEN is not set/),
    });
    const health = await request(open.url).get('/health').expect(200);
    expect(health.body).toEqual({ status: 'ok' });
    expect(JSON.stringify(health.body)).not.toMatch(/huizhen-test|freeGiB|path/);
    const doctor = await loginAs(open.url, f.user.townDoctorA.username);
    expect(
      (await request(open.url).get('/health').set('authorization', `Bearer ${doctor}`).expect(200))
        .body,
    ).toEqual({ status: 'ok' });
    const admin = await loginAs(open.url, f.user.hubAdmin.username);
    const detailed = await request(open.url)
      .get('/health')
      .set('authorization', `Bearer ${admin}`)
      .expect(200);
    expect(detailed.body.checks.storage).toMatchObject({ status: 'up', path: expect.any(String) });
    expect(
      (await request(open.url).get('/health').set('authorization', 'Bearer forged').expect(200))
        .body,
    ).toEqual({ status: 'ok' });
  });

  it('with METRICS_TOKEN: /metrics and the health details need it', async () => {
    await request(tokened.url).get('/metrics').expect(401);
    await request(tokened.url)
      .get('/metrics')
      .set('authorization', 'Bearer wrong-token-0123456789')
      .expect(401);
    const metrics = await request(tokened.url)
      .get('/metrics')
      .set('authorization', 'Bearer scrape-me-0123456789')
      .expect(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect((await request(tokened.url).get('/health').expect(200)).body).toEqual({ status: 'ok' });
    const detailed = await request(tokened.url)
      .get('/health')
      .set('authorization', 'Bearer scrape-me-0123456789')
      .expect(200);
    expect(detailed.body.checks.database).toMatchObject({ status: 'up' });
  });

  it('closes the connection of a client whose headers do not arrive within HTTP_HEADERS_TIMEOUT_SECONDS', async () => {
    const { port } = new URL(loopback.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const started = Date.now();
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    // A byte every 200 ms: never idle, never finished.
    const drip = setInterval(() => socket.write('X-Slow: a\r\n'), 200);
    const closedAfter = await new Promise<number>((resolve) =>
      socket.once('close', () => resolve(Date.now() - started)),
    );
    clearInterval(drip);
    expect(closedAfter).toBeGreaterThanOrEqual(900);
    expect(closedAfter).toBeLessThan(3000);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    // A client that sends its request in time is served as always.
    await request(loopback.url).get('/health').expect(200);
  });
});
