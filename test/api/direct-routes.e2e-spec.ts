import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, HttpStatus, Injectable, Module, type OnModuleInit, Req, Res } from '@nestjs/common';
import type { Request, Response } from 'express';
import request from 'supertest';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { requestContext } from '@huizhen/observability';
import { DirectRoutes, DomainError, PlatformModule } from '@huizhen/platform-http';
import { TestSchema, loginAs, seedDirectory, startTestApp, type DirectoryFixture } from '@huizhen/testing';
import { ApiModule } from '../../apps/api/src/api.module';

/** What both kinds of route answer: who asked, and the request id the logs and audit share. */
function answer(actor: Actor, req: Request, res: Response): void {
  res.status(200).type('application/json').send(JSON.stringify({ actor: actor.username, requestId: requestContext.getStore()?.requestId, q: req.query.q ?? null }));
}

@Controller('api/route-probe')
class FrameworkRouted {
  @Get('framework')
  framework(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response) {
    answer(actor, req, res);
  }
}

@Injectable()
class DirectProbe implements OnModuleInit {
  constructor(private readonly direct: DirectRoutes) {}
  onModuleInit() {
    this.direct.get<Actor>('/api/route-probe/direct', async (actor, req, res) => answer(actor, req, res));
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
const PER_RESPONSE = new Set(['date', 'etag', 'x-request-id', 'content-length', 'connection', 'keep-alive']);
const edgeHeaders = (h: Record<string, unknown>) => Object.fromEntries(Object.entries(h).filter(([k]) => !PER_RESPONSE.has(k)));

/**
 * A direct route skips the body parsers, the router and the Nest pipeline, but nothing a route
 * owes its caller: authentication, the edge's headers, the request id, the error body, metrics.
 */
describe('direct routes', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let token: string;

  beforeAll(async () => {
    schema = await TestSchema.create('direct_routes');
    f = await seedDirectory(schema);
    app = await startTestApp(schema.env({ CORS_ORIGINS: 'https://viewer.example' }), (config) => {
      @Module({ imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, RouteProbeModule] })
      class AppUnderTest {}
      return AppUnderTest;
    });
    token = await loginAs(app.url, f.user.townDoctorA.username);
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('answers with the same headers, actor and request context as a framework route', async () => {
    const get = (path: string) => request(app.url).get(path).set('authorization', `Bearer ${token}`).set('origin', 'https://viewer.example').set('x-request-id', 'probe-req-1');
    const framework = await get('/api/route-probe/framework?q=1').expect(200);
    const direct = await get('/api/route-probe/direct?q=1').expect(200);
    expect(direct.body).toEqual({ actor: f.user.townDoctorA.username, requestId: 'probe-req-1', q: '1' });
    expect(direct.body).toEqual(framework.body);
    expect(direct.headers['x-request-id']).toBe('probe-req-1');
    expect(direct.headers['access-control-allow-origin']).toBe('https://viewer.example');
    expect(direct.headers['content-security-policy']).toContain("default-src 'self'");
    expect(edgeHeaders(direct.headers)).toEqual(edgeHeaders(framework.headers));
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
    const refused = await request(app.url).get('/api/route-probe/refuses').set('authorization', `Bearer ${token}`).expect(403);
    expect(refused.body).toEqual({ statusCode: 403, error: 'Forbidden', message: 'not for you', details: { code: 'probe_refused', why: 'probe' } });
    const broken = await request(app.url).get('/api/route-probe/breaks').set('authorization', `Bearer ${token}`).expect(500);
    expect(broken.body).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' });
    expect(JSON.stringify(broken.body)).not.toContain('secret');
  });

  it('matches as the router does (case, one trailing slash, HEAD) and leaves other methods and paths to it', async () => {
    const auth = `Bearer ${token}`;
    await request(app.url).get('/API/Route-Probe/DIRECT/').set('authorization', auth).expect(200);
    const head = await request(app.url).head('/api/route-probe/direct').set('authorization', auth).expect(200);
    expect(head.text ?? '').toBe('');
    // POST has no route here: the router's 404, not the direct handler.
    const post = await request(app.url).post('/api/route-probe/direct').set('authorization', auth).send({}).expect(404);
    expect(post.body.statusCode).toBe(404);
    await request(app.url).get('/api/route-probe/direct/more').set('authorization', auth).expect(404);
  });

  it('is timed for Prometheus under its route pattern', async () => {
    await request(app.url).get('/api/route-probe/direct?q=secret-query').set('authorization', `Bearer ${token}`).expect(200);
    const metrics = (await request(app.url).get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/huizhen_http_request_duration_seconds_count\{method="GET",route="\/api\/route-probe\/direct",status="200"\} [1-9]/);
    expect(metrics).toMatch(/huizhen_http_request_duration_seconds_count\{method="GET",route="\/api\/route-probe\/refuses",status="403"\} 1/);
    expect(metrics).not.toContain('secret-query');
  });

  it('cannot be registered in an app without an authenticator', () => {
    expect(() => new DirectRoutes().get('/open', async () => undefined)).toThrow(/no request authenticator/);
  });
});
