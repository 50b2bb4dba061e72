import { BadRequestException, type INestApplication, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { HuizhenConfig } from '@huizhen/config';
import { DirectRoutes } from './direct-routes';
import { ErrorBodyFilter } from './error-body.filter';
import { installHttpEdge, TRUSTED_PROXIES } from './http-edge';

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
export function configureHttpApp(app: INestApplication, config: HuizhenConfig, opts: { title: string }): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', TRUSTED_PROXIES);
  express.set('x-powered-by', false);
  // Request id, security headers, CORS, then the direct routes, before the framework (see installHttpEdge).
  installHttpEdge(app, config, directRoutesOf(app));
  app.useGlobalFilters(new ErrorBodyFilter());
  app.useGlobalPipes(edgeValidationPipe);
  app.enableShutdownHooks();
  const doc = new DocumentBuilder()
    .setTitle(opts.title)
    .setDescription('Huizhen (会诊) telemedicine consultation platform')
    .setVersion('0.1.0')
    .addBearerAuth()
    .build();
  SwaggerModule.setup('api/docs', app, () => SwaggerModule.createDocument(app, doc), {
    jsonDocumentUrl: 'api/docs/openapi.json',
  });
}

function directRoutesOf(app: INestApplication): DirectRoutes | undefined {
  try {
    return app.get(DirectRoutes, { strict: false });
  } catch {
    return undefined; // an app without the platform module (some tests) has none
  }
}
