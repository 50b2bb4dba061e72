import { Injectable, Logger, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One Prometheus registry per process; features register their own metrics on it. */
export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'huizhen_' });

const httpDuration = new Histogram({
  name: 'huizhen_http_request_duration_seconds',
  help: 'HTTP request duration by method, route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const httpErrors = new Counter({
  name: 'huizhen_http_errors_total',
  help: 'HTTP responses with status >= 500',
  labelNames: ['route'] as const,
  registers: [metricsRegistry],
});

/**
 * Times one request for Prometheus and writes its access log line when it finishes. `routeOf`
 * names the matched route pattern, never the raw URL (query strings may hold PHI; ids in paths
 * would explode cardinality).
 */
export function observeHttpRequest(
  req: IncomingMessage,
  res: ServerResponse,
  routeOf: () => string,
  logger: Logger,
): void {
  const started = performance.now();
  const end = httpDuration.startTimer();
  res.on('finish', () => {
    const labels = { method: req.method, route: routeOf(), status: String(res.statusCode) };
    end(labels);
    if (res.statusCode >= 500) httpErrors.inc({ route: labels.route });
    logger.log({
      msg: 'request',
      method: req.method,
      route: labels.route,
      status: res.statusCode,
      ms: Math.round((performance.now() - started) * 10) / 10,
      actorId: (req as unknown as { huizhenActor?: { id: string } }).huizhenActor?.id,
    });
  });
}

/** Times every request the framework routes (direct routes observe themselves). */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  private readonly logger = new Logger('HTTP');

  use(req: Request, res: Response, next: NextFunction): void {
    observeHttpRequest(
      req,
      res,
      () => `${req.baseUrl ?? ''}${(req.route?.path as string | undefined) ?? 'unmatched'}`,
      this.logger,
    );
    next();
  }
}
