import { BadRequestException, type INestApplication, ValidationPipe, type ValidationError } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { NestExpressApplication } from '@nestjs/platform-express';
import helmet from 'helmet';
import type { HuizhenConfig } from '@huizhen/config';
import { requestIdMiddleware } from '@huizhen/observability';
import { DirectRoutes } from './direct-routes';
import { ErrorBodyFilter } from './error-body.filter';

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
  express.set('trust proxy', 'loopback, linklocal, uniquelocal');
  express.set('x-powered-by', false);
  app.use(requestIdMiddleware);
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          // The web client uses blob: workers and WASM codecs for the image viewer.
          'script-src': ["'self'", "'wasm-unsafe-eval'"],
          'worker-src': ["'self'", 'blob:'],
          'img-src': ["'self'", 'data:', 'blob:'],
          'connect-src': ["'self'", 'ws:', 'wss:'],
        },
      },
      crossOriginEmbedderPolicy: false,
    }),
  );
  app.enableCors({
    origin: config.corsOrigins === '*' ? true : config.corsOrigins,
    credentials: config.corsOrigins !== '*',
    exposedHeaders: ['X-Request-Id', 'Location', 'Upload-Offset', 'Upload-Length', 'Tus-Resumable'],
  });
  // Hot reads, after the edge above and before body parsers and the router (see DirectRoutes).
  const direct = directRoutesOf(app);
  if (direct) app.use(direct.middleware);
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
