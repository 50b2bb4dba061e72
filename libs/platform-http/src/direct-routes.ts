import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { observeHttpRequest } from '@huizhen/observability';
import { sendErrorBody } from './error-body.filter';

/** Who is asking: resolves the request's actor (and records it on the request) or throws a 401 DomainError. */
export interface RequestAuthenticator {
  authenticate(req: { headers: IncomingHttpHeaders }): Promise<unknown>;
}

/** The app's RequestAuthenticator (the auth module provides it). */
export const REQUEST_AUTHENTICATOR = Symbol('REQUEST_AUTHENTICATOR');

/** A request as a direct route reads it: parsed as the framework parses it (query, trusted proxies). */
export interface DirectRequest {
  query: Record<string, unknown>;
  /** The client's address (a trusted proxy's X-Forwarded-For honoured). */
  ip: string;
  /** scheme://host as the client addressed this server: the start of URLs handed back. */
  origin: string;
}

export type DirectRouteHandler<A> = (
  actor: A,
  req: DirectRequest,
  res: ServerResponse,
) => Promise<void>;

/**
 * Hot read routes answered right after the edge every request passes (installHttpEdge: request
 * id, security headers, CORS), before Express, its body parsers, the router and the Nest
 * pipeline, whose cost was most of such a request (exact-match QIDO-RS: see ARCHITECTURE). A
 * direct route is always authenticated by the app's authenticator, timed and logged like every
 * route, and answers errors with the same body. GET and HEAD on exact paths (case-insensitive,
 * an optional trailing slash, as the router matches); its feature keeps the same route on its
 * controller (documented, and reached by nothing else).
 */
@Injectable()
export class DirectRoutes {
  private readonly routes = new Map<
    string,
    { path: string; handler: DirectRouteHandler<unknown> }
  >();
  private readonly logger = new Logger('HTTP');

  constructor(
    @Optional()
    @Inject(REQUEST_AUTHENTICATOR)
    private readonly authenticator?: RequestAuthenticator,
  ) {}

  /** Registers a route; refused when the app has no authenticator (a direct route is never public). */
  get<A>(path: string, handler: DirectRouteHandler<A>): void {
    if (!this.authenticator)
      throw new Error(`direct route ${path}: this app has no request authenticator`);
    this.routes.set(path.toLowerCase(), { path, handler: handler as DirectRouteHandler<unknown> });
  }

  /** Answers the request if it is a direct route's (true), or leaves it to the framework (false). */
  dispatch(req: IncomingMessage, res: ServerResponse, view: () => DirectRequest): boolean {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || !this.routes.size) return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    let path = (q === -1 ? url : url.slice(0, q)).toLowerCase();
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = this.routes.get(path);
    if (!route) return false;
    observeHttpRequest(req, res, () => route.path, this.logger);
    this.authenticator!.authenticate(req)
      .then((actor) => route.handler(actor, view(), res))
      .catch((err: unknown) => sendErrorBody(res, err, this.logger));
    return true;
  }
}
