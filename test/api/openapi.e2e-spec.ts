import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, isErrorCode } from '@huizhen/contract';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';

/**
 * One contract between server and client: the live OpenAPI document of the single-process server
 * (api + imaging + media) gives every operation a summary and its error responses (the
 * platform's one error body, the codes from the contract's catalogue: `x-error-codes`, set by
 * @Documented), and every success its schema (the views implementing libs/contract's, or
 * ApiContent for DICOM, images, PDF, files and iCalendar), so a route added without them fails here.
 */

const METHODS = ['get', 'head', 'post', 'put', 'patch', 'delete', 'options'];

interface Op {
  key: string;
  op: any;
}

function operations(doc: any): Op[] {
  return Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, op: item[m] })),
  );
}

/**
 * The operations that answer no body to describe, each with why. Everything else documents its
 * success with a schema (JSON or another media type).
 */
const NO_BODY: Record<string, string> = {
  'POST /api/auth/logout': '204',
  'DELETE /api/scheduling/me/calendar-feed': '204',
  'DELETE /api/scheduling/specialists/{specialistId}/unavailability/{id}': '204',
};
/** tus 1.0 (one handler for every method): answers in headers (Upload-Offset, Location), no JSON body to describe. */
const TUS = /^(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) \/dicom-web\/uploads(\/\{rest\})?$/;

const successes = (op: any) =>
  Object.entries<any>(op.responses ?? {}).filter(([s]) => /^2\d\d$/.test(s));
const errorStatuses = (op: any) =>
  Object.keys(op.responses ?? {}).filter((s) => /^[45]\d\d$/.test(s));
const successSchema = (op: any) =>
  Object.entries<any>(op.responses ?? {}).some(
    ([s, r]) => /^2\d\d$/.test(s) && Object.values<any>(r.content ?? {}).some((c) => c.schema),
  );

describe('the OpenAPI document', () => {
  let schema: TestSchema;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let doc: any;
  let ops: Op[];

  beforeAll(async () => {
    schema = await TestSchema.create('openapi');
    server = await startTestApp(
      schema.env({
        DIMSE_ENABLED: 'false',
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
        MEDIA_WORKERS: '1',
      }),
      (config) => ServerModule.forConfig(config),
    );
    const res = await fetch(`${server.url}/api/docs/openapi.json`);
    expect(res.status).toBe(200);
    doc = await res.json();
    ops = operations(doc);
    // OPENAPI_DUMP=/tmp/openapi.json keeps the document (for a look).
    if (process.env.OPENAPI_DUMP)
      writeFileSync(process.env.OPENAPI_DUMP, JSON.stringify(doc, null, 2));
    const count = (f: (op: any) => boolean) => ops.filter((o) => f(o.op)).length;
    console.log(
      `OpenAPI: ${ops.length} operations; with a summary ${count((op) => !!op.summary)}; ` +
        `with a response schema ${count(successSchema)}; with documented errors ${count((op) => errorStatuses(op).length > 0)}; ` +
        `with x-error-codes ${count((op) => Array.isArray(op['x-error-codes']))}`,
    );
  });

  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  const undocumented = (o: Op) =>
    !o.op.summary || !Array.isArray(o.op['x-error-codes']) || !errorStatuses(o.op).length;

  it('gives every operation a summary and its error responses (@Documented)', () => {
    expect(ops.length).toBeGreaterThan(100);
    expect(ops.filter(undocumented).map((o) => o.key)).toEqual([]);
  });

  it('gives every success a schema: JSON (a view implementing the contract) or its media type', () => {
    const withoutSchema = ops
      .filter((o) => !(o.key in NO_BODY) && !TUS.test(o.key))
      .filter((o) => !successSchema(o.op))
      .map((o) => o.key);
    expect(withoutSchema).toEqual([]);
    // Where JSON is documented, it has a schema (no `application/json: {}`).
    const emptyJson = ops.flatMap((o) =>
      successes(o.op)
        .filter(([, r]) => r.content?.['application/json'] && !r.content['application/json'].schema)
        .map(([s]) => `${o.key} ${s}`),
    );
    expect(emptyJson).toEqual([]);
  });

  it('lists only real bodiless answers: each is a 204 and still there', () => {
    const byKey = new Map(ops.map((o) => [o.key, o.op]));
    const wrong = Object.keys(NO_BODY).filter((key) => {
      const op = byKey.get(key);
      if (!op) return true;
      const ok = successes(op);
      return ok.length !== 1 || ok[0][0] !== '204' || ok[0][1].content;
    });
    expect(wrong).toEqual([]);
    expect(ops.filter((o) => TUS.test(o.key)).length).toBeGreaterThan(0);
  });

  it('answers every error response with the platform error body', () => {
    const bad = ops.flatMap((o) =>
      errorStatuses(o.op)
        .filter((s) => {
          const c = o.op.responses[s].content?.['application/json']?.schema;
          return c?.$ref !== '#/components/schemas/ErrorBody';
        })
        .map((s) => `${o.key} ${s}`),
    );
    expect(bad).toEqual([]);
    expect(doc.components.schemas.ErrorBody.required).toEqual(['statusCode', 'error', 'message']);
  });

  it("documents each named code's catalogued statuses", () => {
    const bad = ops.flatMap((o) =>
      ((o.op['x-error-codes'] ?? []) as string[]).flatMap((code) => {
        if (!isErrorCode(code)) return [`${o.key}: ${code} is not catalogued`];
        return ERROR_CODES[code].statuses
          .filter((s) => !o.op.responses[String(s)])
          .map((s) => `${o.key}: ${code} without ${s}`);
      }),
    );
    expect(bad).toEqual([]);
  });
});
