import {
  BadRequestException,
  type INestApplication,
  ValidationPipe,
  type ValidationError,
} from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HuizhenConfig } from '@huizhen/config';
import type { IncomingMessage } from 'node:http';
import { DirectRoutes } from './direct-routes';
import { ErrorBodyFilter } from './error-body.filter';
import { hasEncodedNul, installHttpEdge, nulByteError } from './http-edge';
import { isJsonRequest, largeJsonBodyLimit, largeJsonBodyOf } from './json-body-limits';
import { completeOpenApiDocument } from './openapi';

function flatten(errors: ValidationError[], parent = ''): { field: string; problems: string[] }[] {
  return errors.flatMap((e) => {
    const field = parent ? `${parent}.${e.property}` : e.property;
    const own = e.constraints ? [{ field, problems: Object.values(e.constraints) }] : [];
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** Validation at the edge: unknown fields are an error, not silently dropped. */
export const edgeValidationPipe = new ValidationPipe({
  whitelist: true,
  forbidNonWhitelisted: true,
  transform: true,
  exceptionFactory: (errors) => {
    const fields = flatten(errors);
    const message = fields.map((f) => f.problems.join(', ')).join('; ');
    return new BadRequestException({ message: message || 'Invalid request', details: { fields } });
  },
});

/** Everything every HTTP-serving app does the same way: headers, CORS, errors, validation, docs. */
export function configureHttpApp(
  app: INestApplication,
  config: HuizhenConfig,
  opts: { title: string },
): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', config.trustedProxies.length ? config.trustedProxies : false);
  express.set('x-powered-by', false);
  // Request id, security headers, CORS, then the direct routes, before the framework (see installHttpEdge).
  installHttpEdge(app, config, directRoutesOf(app));
  // The framework's own body parsers (Nest skips its defaults when these are in place), with a
  // check of the raw text for a NUL character: one place for every route and every depth, keys too.
  // (Nest's types leave `verify` out because its rawBody option sets it; no app here uses rawBody.)
  // Routes that declared a larger body (json-body-limits.ts) first; the default 100 KB for the rest.
  const large = largeJsonBodyLimit();
  if (large)
    express.useBodyParser('json', {
      limit: large,
      type: (req: IncomingMessage) => isJsonRequest(req) && !!largeJsonBodyOf(req),
      verify: refuseNul('json'),
    } as object);
  express.useBodyParser('json', {
    type: (req: IncomingMessage) => isJsonRequest(req) && !largeJsonBodyOf(req),
    verify: refuseNul('json'),
  } as object);
  express.useBodyParser('urlencoded', {
    extended: true,
    verify: refuseNul('urlencoded'),
  } as object);
  app.useGlobalFilters(new ErrorBodyFilter());
  app.useGlobalPipes(edgeValidationPipe);
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription('Huizhen (会诊) telemedicine consultation platform')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup(
    'api/docs',
    app,
    () => completeOpenApiDocument(SwaggerModule.createDocument(app, doc)),
    {
      jsonDocumentUrl: 'api/docs/openapi.json',
    },
  );
}

/**
 * A body parser's `verify`: refuses a body holding a NUL character. In JSON text a NUL can only
 * be written `\u0000` (a raw control byte is already invalid JSON), and is one when an odd number
 * of backslashes leads to it (`\\u0000` is a backslash and the text u0000); in a form, `%00`.
 */
function refuseNul(kind: 'json' | 'urlencoded') {
  return (_req: unknown, _res: unknown, buf: Buffer) => {
    const found = kind === 'json' ? jsonHasNul(buf) : hasEncodedNul(buf.toString('latin1'));
    if (!found) return;
    // body-parser passes it on with this type (and our status): the error filter answers it as ours.
    throw Object.assign(nulByteError('body'), { type: 'entity.nul_byte' });
  };
}

/** `\u0000` escapes in JSON text (any depth, keys too). */
export function jsonHasNul(buf: Buffer): boolean {
  for (let i = buf.indexOf('u0000'); i !== -1; i = buf.indexOf('u0000', i + 1)) {
    let slashes = 0;
    while (i - slashes - 1 >= 0 && buf[i - slashes - 1] === 0x5c) slashes++;
    if (slashes % 2 === 1) return true;
  }
  return false;
}

function directRoutesOf(app: INestApplication): DirectRoutes | undefined {
  try {
    return app.get(DirectRoutes, { strict: false });
  } catch {
    return undefined; // an app without the platform module (some tests) has none
  }
}
