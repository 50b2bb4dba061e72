import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Controller,
  Get,
  HttpStatus,
  Injectable,
  Module,
  type OnModuleInit,
  Req,
  Res,
} from '@nestjs/common';
import type { Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import request from 'supertest';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { requestContext } from '@huizhen/observability';
import { DirectRoutes, DomainError, PlatformModule } from '@huizhen/platform-http';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ApiModule } from '../../apps/api/src/api.module';

/** What both kinds of route answer: who asked, from where, what, and the request context logs and audit share. */
function answer(
  actor: Actor,
  seen: { query: Record<string, unknown>; origin: string; ip?: string },
  res: ServerResponse,
): void {
  const text = JSON.stringify({
    actor: actor.username,
    context: requestContext.getStore(),
    q: seen.query.q ?? null,
    origin: seen.origin,
    ip: seen.ip,
  });
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(text);
}

@Controller('api/route-probe')
class FrameworkRouted {
  @Get('framework')
  framework(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response) {
    answer(
      actor,
      {
        query: req.query as Record<string, unknown>,
        origin: `${req.protocol}://${req.get('host')}`,
        ip: req.ip,
      },
      res,
    );
  }
}

@Injectable()
class DirectProbe implements OnModuleInit {
  constructor(private readonly direct: DirectRoutes) {}
  onModuleInit() {
    this.direct.get<Actor>('/api/route-probe/direct', async (actor, req, res) =>
      answer(actor, req, res),
    );
    this.direct.get<Actor>('/api/route-probe/refuses', async () => {
      throw new DomainError('probe_refused', HttpStatus.FORBIDDEN, 'not for you', { why: 'probe' });
    });
    this.direct.get<Actor>('/api/route-probe/breaks', async () => {
      throw new Error('secret internals');
    });
  }
}

@Module({ controllers: [FrameworkRouted], providers: [DirectProbe] })
class RouteProbeModule {}

/** Headers that differ per response by nature. */
const PER_RESPONSE = new Set([
  'date',
  'etag',
  'x-request-id',
  'content-length',
  'connection',
  'keep-alive',
]);
const edgeHeaders = (h: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(h).filter(([k]) => !PER_RESPONSE.has(k)));

/**
 * Every request passes the edge (request id, security headers, CORS). A direct route then skips
 * the body parsers, the router and the Nest pipeline, but nothing a route owes its caller:
 * authentication, the edge's headers, the request id, the error body, metrics.
 */
describe('the HTTP edge and direct routes', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let token: string;

  beforeAll(async () => {
    schema = await TestSchema.create('direct_routes');
    f = await seedDirectory(schema);
    app = await startTestApp(
      schema.env({ CORS_ORIGINS: 'https://viewer.example', TRUSTED_PROXIES: '127.0.0.1' }),
      (config) => {
        @Module({
          imports: [
            PlatformModule.forRoot({ config, database: true }),
            ApiModule,
            RouteProbeModule,
          ],
        })
        class AppUnderTest {}
        return AppUnderTest;
      },
    );
    token = await loginAs(app.url, f.user.townDoctorA.username);
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('answers with the same headers, actor and request context as a framework route', async () => {
    const get = (path: string) =>
      request(app.url)
        .get(path)
        .set('authorization', `Bearer ${token}`)
        .set('origin', 'https://viewer.example')
        .set('x-request-id', 'probe-req-1');
    const framework = await get('/api/route-probe/framework?q=1&q=2&x=%E7%8E%8B').expect(200);
    const direct = await get('/api/route-probe/direct?q=1&q=2&x=%E7%8E%8B').expect(200);
    expect(direct.body).toEqual({
      actor: f.user.townDoctorA.username,
      context: { requestId: 'probe-req-1', ip: '127.0.0.1' },
      q: ['1', '2'],
      origin: new URL(app.url).origin,
      ip: '127.0.0.1',
    });
    expect(direct.body).toEqual(framework.body);
    expect(direct.headers['x-request-id']).toBe('probe-req-1');
    expect(direct.headers['access-control-allow-origin']).toBe('https://viewer.example');
    expect(direct.headers['content-security-policy']).toContain("default-src 'self'");
    expect(edgeHeaders(direct.headers)).toEqual(edgeHeaders(framework.headers));
  });

  it('reads the client address and scheme through a trusted proxy as the framework does', async () => {
    const get = (path: string) =>
      request(app.url)
        .get(path)
        .set('authorization', `Bearer ${token}`)
        .set('x-forwarded-for', '203.0.113.7')
        .set('x-forwarded-proto', 'https, http')
        .set('user-agent', 'probe/1');
    const direct = await get('/api/route-probe/direct').expect(200);
    const framework = await get('/api/route-probe/framework').expect(200);
    expect(direct.body.ip).toBe('203.0.113.7');
    expect(direct.body.context).toEqual({
      requestId: direct.headers['x-request-id'],
      ip: '203.0.113.7',
      userAgent: 'probe/1',
    });
    expect(direct.body.origin).toBe(`https://${new URL(app.url).host}`);
    expect({ ...direct.body, context: null }).toEqual({ ...framework.body, context: null });
  });

  it('is authenticated: no or a bad token gets the framework route 401 body', async () => {
    for (const auth of [undefined, 'Bearer not-a-token', `Bearer ${token}x`]) {
      const r = request(app.url).get('/api/route-probe/direct');
      const fr = request(app.url).get('/api/route-probe/framework');
      if (auth) {
        r.set('authorization', auth);
        fr.set('authorization', auth);
      }
      const [d, fw] = [await r.expect(401), await fr.expect(401)];
      expect(d.body).toEqual(fw.body);
      expect(d.body).toMatchObject({ statusCode: 401, details: { code: 'invalid_access_token' } });
    }
  });

  it('answers thrown errors with the one error body; unknown errors as 500 without internals', async () => {
    const refused = await request(app.url)
      .get('/api/route-probe/refuses')
      .set('authorization', `Bearer ${token}`)
      .expect(403);
    expect(refused.body).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'not for you',
      details: { code: 'probe_refused', why: 'probe' },
    });
    const broken = await request(app.url)
      .get('/api/route-probe/breaks')
      .set('authorization', `Bearer ${token}`)
      .expect(500);
    expect(broken.body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
    });
    expect(JSON.stringify(broken.body)).not.toContain('secret');
  });

  it('matches as the router does (case, one trailing slash, HEAD) and leaves other methods and paths to it', async () => {
    const auth = `Bearer ${token}`;
    await request(app.url).get('/API/Route-Probe/DIRECT/').set('authorization', auth).expect(200);
    const head = await request(app.url)
      .head('/api/route-probe/direct')
      .set('authorization', auth)
      .expect(200);
    expect(head.text ?? '').toBe('');
    // POST has no route here: the router's 404, not the direct handler.
    const post = await request(app.url)
      .post('/api/route-probe/direct')
      .set('authorization', auth)
      .send({})
      .expect(404);
    expect(post.body.statusCode).toBe(404);
    await request(app.url)
      .get('/api/route-probe/direct/more')
      .set('authorization', auth)
      .expect(404);
  });

  it('is timed for Prometheus under its route pattern', async () => {
    await request(app.url)
      .get('/api/route-probe/direct?q=secret-query')
      .set('authorization', `Bearer ${token}`)
      .expect(200);
    const metrics = (await request(app.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(
      /huizhen_http_request_duration_seconds_count\{method="GET",route="\/api\/route-probe\/direct",status="200"\} [1-9]/,
    );
    expect(metrics).toMatch(
      /huizhen_http_request_duration_seconds_count\{method="GET",route="\/api\/route-probe\/refuses",status="403"\} 1/,
    );
    expect(metrics).not.toContain('secret-query');
  });

  it('puts the security headers and a sane request id on every response, errors and preflights too', async () => {
    const responses = [
      await request(app.url)
        .get('/api/route-probe/direct')
        .set('x-request-id', 'bad id with spaces')
        .expect(401),
      await request(app.url).get('/api/route-probe/framework').expect(401),
      await request(app.url).get('/health').expect(200),
      await request(app.url)
        .options('/dicom-web/studies')
        .set('origin', 'https://viewer.example')
        .set('access-control-request-method', 'GET')
        .set('access-control-request-headers', 'authorization')
        .expect(204),
    ];
    for (const r of responses) {
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers['content-security-policy']).toContain(
        "script-src 'self' 'wasm-unsafe-eval'",
      );
      // Plain HTTP (this server): no HSTS, no upgrade-insecure-requests; HTTPS has both (test/media/production-defaults).
      expect(r.headers['strict-transport-security']).toBeUndefined();
      expect(r.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-powered-by']).toBeUndefined();
    }
    const preflight = responses[3];
    expect(preflight.headers['access-control-allow-origin']).toBe('https://viewer.example');
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');
    expect(preflight.headers['access-control-allow-headers']).toBe('authorization');
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
  });

  it('grants CORS only to the configured origins', async () => {
    const other = await request(app.url)
      .get('/api/route-probe/direct')
      .set('authorization', `Bearer ${token}`)
      .set('origin', 'https://evil.example')
      .expect(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await request(app.url)
      .options('/api/route-probe/direct')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'GET')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('cannot be registered in an app without an authenticator', () => {
    expect(() => new DirectRoutes().get('/open', async () => undefined)).toThrow(
      /no request authenticator/,
    );
  });
});
