import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ERROR_CODES, isErrorCode } from '@huizhen/contract';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';

/**
 * One contract between server and client: the live OpenAPI document of the single-process server
 * (api + imaging + media) gives every operation a summary and its error responses (the
 * platform's one error body, the codes from the contract's catalogue: `x-error-codes`, set by
 * @Documented), so a route added without them fails here.
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
