import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from './server.module';

describe('server process on real PostgreSQL', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;

  beforeAll(async () => {
    schema = await TestSchema.create('server', { migrate: false });
    app = await startTestApp(schema.env(), (config) => ServerModule.forConfig(config));
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('runs on Node 22 (the node@22 devDependency, not the system Node)', () => {
    expect(process.version).toMatch(/^v22\./);
  });

  it('migrates an empty schema at start and reports the database healthy', async () => {
    const res = await request(app.url).get('/health').expect(200);
    expect(res.body.checks.database).toMatchObject({ status: 'up', mode: 'postgresql' });
    expect(res.body.checks.storage).toMatchObject({ status: 'up' });
    const migrations = await schema.query<{ name: string }>(
      'SELECT name FROM schema_migration ORDER BY id',
    );
    expect(migrations.map((m) => m.name)).toContain('Foundation1764000000000');
  });

  it('serves the OpenAPI document at /api/docs', async () => {
    const res = await request(app.url).get('/api/docs/openapi.json').expect(200);
    expect(res.body.openapi).toMatch(/^3\./);
    await request(app.url).get('/api/docs').expect(200).expect('content-type', /html/);
    // Each body documents its own fields: two DTOs of one name used to share (and lose) a schema.
    const bodyOf = (path: string) => {
      const ref: string =
        res.body.paths[path].post.requestBody.content['application/json'].schema.$ref;
      return Object.keys(res.body.components.schemas[ref.split('/').pop()!].properties);
    };
    expect(bodyOf('/api/consultations/{id}/attachments/studies')).toEqual([
      'studyInstanceUid',
      'patientMismatchReason',
    ]);
    expect(bodyOf('/api/imaging/studies/{study}/consultations')).toEqual([
      'consultationId',
      'patientMismatchReason',
    ]);
    expect(bodyOf('/api/imaging/studies/{study}/shares')).toEqual([
      'practitionerId',
      'expiresAt',
      'reason',
    ]);
  });

  it('answers unknown routes with the one error shape and a request id', async () => {
    const res = await request(app.url).get('/api/no-such-thing').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /api/no-such-thing',
    });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
  });

  it('exposes Prometheus metrics', async () => {
    const res = await request(app.url).get('/metrics').expect(200);
    expect(res.text).toContain('huizhen_http_request_duration_seconds');
  });
});
