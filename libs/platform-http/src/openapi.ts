import { applyDecorators, type Type } from '@nestjs/common';
import {
  ApiExtension,
  ApiExtraModels,
  ApiOperation,
  ApiResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { ERROR_CODE_LIST, ERROR_CODES, type ErrorCode } from '@huizhen/contract';

/**
 * A route's documentation in one line: its OpenAPI summary and the error codes it answers (from
 * the contract's catalogue). Each code's catalogued statuses become error responses with the
 * platform's one error body; the codes are kept as `x-error-codes` on the operation.
 *
 *   @Documented('Register a patient', 'patient_exists', 'invalid_national_id', 'access_denied')
 *
 * The errors every route shares (401 without a valid token on a secured route, 400 for an input
 * that fails validation) are added to every operation by `completeOpenApiDocument`.
 */
export function Documented(
  summary: string,
  ...codes: ErrorCode[]
): MethodDecorator & ClassDecorator {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes)
    for (const status of ERROR_CODES[code].statuses)
      byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  return applyDecorators(
    ApiOperation({ summary }),
    ApiExtension('x-error-codes', codes),
    ...[...byStatus]
      .sort(([a], [b]) => a - b)
      .map(([status, named]) =>
        ApiResponse({
          status,
          description: describeCodes(named),
          schema: { $ref: ERROR_BODY_REF },
        }),
      ),
  );
}

export const ERROR_BODY_REF = '#/components/schemas/ErrorBody';

/** A `{ items, total, limit, offset }` page of `item` (what a PageQuery list answers). */
export function ApiPage(item: Type<unknown>): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiResponse({
      status: 200,
      description: 'one page of the list',
      schema: {
        type: 'object',
        required: ['items', 'total', 'limit', 'offset'],
        properties: {
          items: { type: 'array', items: { $ref: getSchemaPath(item) } },
          total: { type: 'integer' },
          limit: { type: 'integer' },
          offset: { type: 'integer' },
        },
      },
    }),
  );
}

/** A success answered in other media types than JSON (DICOM JSON, multipart/related, images, PDF, iCalendar). */
export function ApiContent(
  status: number,
  description: string,
  content: Record<string, Record<string, unknown>>,
): MethodDecorator & ClassDecorator {
  return ApiResponse({
    status,
    description,
    content: Object.fromEntries(
      Object.entries(content).map(([type, schema]) => [type, { schema }]),
    ),
  });
}

/** DICOM JSON (PS3.18 F.2): an array of datasets keyed by tag. */
export const DICOM_JSON_ARRAY = {
  type: 'array',
  items: {
    type: 'object',
    additionalProperties: true,
    description: 'a DICOM JSON dataset (tag → { vr, Value })',
  },
};
/** Bytes of the named media type. */
export const BINARY = { type: 'string', format: 'binary' };

function describeCodes(codes: readonly ErrorCode[]): string {
  return codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].meaning}`).join('; ');
}

/** The platform's one error body (error-body.filter.ts ErrorBody), as an OpenAPI schema. */
export const ERROR_BODY_SCHEMA = {
  type: 'object',
  required: ['statusCode', 'error', 'message'],
  properties: {
    statusCode: { type: 'integer', example: 409 },
    error: { type: 'string', example: 'Conflict', description: 'the HTTP reason phrase' },
    message: { type: 'string', description: 'what went wrong, for a person' },
    details: {
      type: 'object',
      additionalProperties: true,
      properties: {
        code: {
          type: 'string',
          enum: ERROR_CODE_LIST,
          description: 'the error code (libs/contract ERROR_CODES)',
        },
        fields: {
          type: 'array',
          description: 'validation failures: each field and its problems',
          items: {
            type: 'object',
            properties: {
              field: { type: 'string' },
              problems: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
  },
} as const;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Adds what every operation shares to a generated document: the ErrorBody schema (the one
 * content of every error response); 401
 * `invalid_access_token` on secured operations; 400 (validation: `details.fields`; a NUL
 * character: `nul_byte`) on operations that take parameters or a body.
 */
export function completeOpenApiDocument<
  D extends { paths: Record<string, any>; components?: Record<string, any> },
>(doc: D): D {
  doc.components ??= {};
  doc.components.schemas = { ...doc.components.schemas, ErrorBody: ERROR_BODY_SCHEMA };
  const add = (op: any, status: number, description: string) => {
    op.responses ??= {};
    const existing = op.responses[status];
    if (existing) {
      if (!String(existing.description ?? '').includes(description))
        existing.description = [existing.description, description].filter(Boolean).join('; ');
      return;
    }
    op.responses[status] = {
      description,
      content: { 'application/json': { schema: { $ref: ERROR_BODY_REF } } },
    };
  };
  for (const item of Object.values(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      // Every error is the JSON ErrorBody, whatever the operation produces on success (a PDF, DICOM, an image).
      for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
        if (/^[45]\d\d$/.test(status))
          response.content = { 'application/json': { schema: { $ref: ERROR_BODY_REF } } };
      }
      if (op.security?.length) add(op, 401, describeCodes(['invalid_access_token']));
      if (op.parameters?.length || item.parameters?.length || op.requestBody)
        add(
          op,
          400,
          `a field fails validation (\`details.fields\`); ${describeCodes(['nul_byte'])}`,
        );
    }
  }
  return doc;
}
