import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { observeHttpRequest } from '@huizhen/observability';
import { sendErrorBody } from './error-body.filter';

/** Who is asking: resolves the request's actor (and records it on the request) or throws a 401 DomainError. */
export interface RequestAuthenticator {
  authenticate(req: Request): Promise<unknown>;
}

/** The app's RequestAuthenticator (the auth module provides it). */
export const REQUEST_AUTHENTICATOR = Symbol('REQUEST_AUTHENTICATOR');

export type DirectRouteHandler<A> = (actor: A, req: Request, res: Response) => Promise<void>;

/**
 * Hot read routes answered right after the edge middleware every route passes (request id,
 * security headers, CORS) and before the body parsers, the router and the Nest pipeline, whose
 * cost is most of such a request (exact-match QIDO-RS: see ARCHITECTURE). A direct route is
 * always authenticated by the app's authenticator, timed and logged like every route, and
 * answers errors with the same body. GET and HEAD on exact paths (case-insensitive, an optional
 * trailing slash, as the router matches); its feature keeps the same route on its controller too.
 */
@Injectable()
export class DirectRoutes {
  private readonly routes = new Map<string, { path: string; handler: DirectRouteHandler<unknown> }>();
  private readonly logger = new Logger('HTTP');

  constructor(@Optional() @Inject(REQUEST_AUTHENTICATOR) private readonly authenticator?: RequestAuthenticator) {}

  /** Registers a route; refused when the app has no authenticator (a direct route is never public). */
  get<A>(path: string, handler: DirectRouteHandler<A>): void {
    if (!this.authenticator) throw new Error(`direct route ${path}: this app has no request authenticator`);
    this.routes.set(path.toLowerCase(), { path, handler: handler as DirectRouteHandler<unknown> });
  }

  readonly middleware = (req: Request, res: Response, next: NextFunction): void => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !this.routes.size) return next();
    let path = req.path.toLowerCase();
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = this.routes.get(path);
    if (!route) return next();
    observeHttpRequest(req, res, () => route.path, this.logger);
    this.authenticator!.authenticate(req)
      .then((actor) => route.handler(actor, req, res))
      .catch((err: unknown) => sendErrorBody(res, err, this.logger));
  };
}
