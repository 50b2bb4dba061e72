import cors from 'cors';
import helmet from 'helmet';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { HttpStatus, type INestApplication, Logger } from '@nestjs/common';
import proxyAddr from 'proxy-addr';
import type { HuizhenConfig } from '@huizhen/config';
import { requestContext, requestIdOf } from '@huizhen/observability';
import type { DirectRequest, DirectRoutes } from './direct-routes';
import { DomainError } from './domain-error';
import { sendErrorBody } from './error-body.filter';
import { isSecureRequest, tlsEdgeHandler } from './tls-edge';
import { compressResponse } from './response-compression';

/**
 * The peers whose X-Forwarded-For/-Proto/-Host are believed: TRUSTED_PROXIES, none by default (a
 * client on the hospital LAN must not choose the address the login throttle and the audit trail
 * see). The framework is given the same list (Express's `trust proxy`).
 */
export function trustedProxies(
  config: Pick<HuizhenConfig, 'trustedProxies'>,
): (addr: string, i: number) => boolean {
  return proxyAddr.compile(config.trustedProxies);
}

/** The NUL character (U+0000), which PostgreSQL refuses in text: refused at the edge instead. */
export function nulByteError(where: string, details: Record<string, unknown> = {}): DomainError {
  return new DomainError(
    'nul_byte',
    HttpStatus.BAD_REQUEST,
    `the request's ${where} contains a NUL character (U+0000), which no field accepts`,
    { where, ...details },
  );
}

/** A percent-encoded NUL in a request target (path or query): the only way one gets there, Node refuses raw control bytes. */
export function hasEncodedNul(url: string): boolean {
  return url.includes('%00');
}

/**
 * The Node HTTP server's limits against slow clients: all headers within headersTimeout, the
 * whole request within requestTimeout (generous: a township link sends a large STOW-RS study or
 * an untiled tus upload in one request; 0 turns it off), and a socket silent for idleTimeout is
 * closed (a stalled upload, a half-sent request). Node checks the first two every
 * connectionsCheckingInterval (30 s by default: too coarse for a 20 s limit), read when the
 * server starts listening, so this runs before listen.
 */
export function applyServerTimeouts(server: Server, limits: HuizhenConfig['http']): void {
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.timeout = limits.idleTimeoutMs;
  const check = Math.max(
    100,
    Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs || Infinity) / 4,
  );
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval =
    Math.min(5_000, check);
}

/**
 * The security headers every response carries (helmet's, with the web client's needs in the
 * CSP), taken once from helmet itself: with static options they do not depend on the request,
 * and setting a list costs a fraction of running helmet's middlewares on every request. Over
 * plain HTTP (`secure: false`) the CSP has no `upgrade-insecure-requests` (it turned the room's
 * ws:// into wss:// on a server without TLS, and the room hung) and there is no HSTS.
 */
export function securityHeaders(opts: { secure?: boolean } = {}): [string, string][] {
  const secure = opts.secure ?? true;
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string) => void headers.push([name, String(value)]),
    removeHeader: () => undefined,
  };
  const helmetMiddleware = helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        // The web client uses blob: workers and WASM codecs for the image viewer.
        'script-src': ["'self'", "'wasm-unsafe-eval'"],
        'worker-src': ["'self'", 'blob:'],
        'img-src': ["'self'", 'data:', 'blob:'],
        'connect-src': ["'self'", 'ws:', 'wss:'],
        ...(secure ? {} : { 'upgrade-insecure-requests': null }),
      },
    },
    strictTransportSecurity: secure,
    crossOriginEmbedderPolicy: false,
  });
  let called = false;
  helmetMiddleware(
    { headers: {}, method: 'GET' } as never,
    recorder as never,
    () => (called = true),
  );
  if (!called || !headers.length) throw new Error('helmet did not set its headers synchronously');
  return headers;
}

/**
 * What every HTTP request passes first, before the framework sees it, in this order: its request
 * id (an incoming sane X-Request-Id or a new one) and the context logs and audit share, the
 * security headers, CORS (a preflight is answered here), a NUL character in the path or query
 * (a 400, nul_byte, instead of PostgreSQL's 500 later). Then a direct route answers, or the
 * framework (Express and Nest, socket.io's polling) takes the request inside the same context.
 * It also sets the server's limits against slow clients (applyServerTimeouts).
 */
export function installHttpEdge(
  app: INestApplication,
  config: HuizhenConfig,
  direct?: DirectRoutes,
): void {
  const server: Server = app.getHttpServer();
  const logger = new Logger('HTTP');
  const headers = {
    secure: securityHeaders({ secure: true }),
    plain: securityHeaders({ secure: false }),
  };
  applyServerTimeouts(server, config.http);
  const trust = trustedProxies(config);
  const tls = tlsEdgeHandler(config, trust);
  const parseQuery = (
    app.getHttpAdapter().getInstance() as {
      get(setting: string): (q: string) => Record<string, unknown>;
    }
  ).get('query parser fn');
  const corsHandler = cors({
    // Only the named origins (none by default: the web client is served from the same origin).
    origin: config.corsOrigins,
    credentials: true,
    exposedHeaders: ['X-Request-Id', 'Location', 'Upload-Offset', 'Upload-Length', 'Tus-Resumable'],
  });
  const framework = server.listeners('request') as ((
    req: IncomingMessage,
    res: ServerResponse,
  ) => void)[];
  if (framework.length !== 1)
    throw new Error(`the HTTP edge expects one request listener, found ${framework.length}`);
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = requestIdOf(req.headers['x-request-id']);
    res.setHeader('X-Request-Id', requestId);
    const secure = isSecureRequest(req, trust);
    for (const [name, value] of secure ? headers.secure : headers.plain) res.setHeader(name, value);
    if (tls(req, res, secure)) return; // the local CA's pages; a LAN page over plain HTTP sent to HTTPS (tls-edge.ts)
    compressResponse(req, res); // JSON and text above 1 KB, br or gzip (response-compression.ts)
    const ip = proxyAddr(req, trust);
    requestContext.run({ requestId, ip, userAgent: req.headers['user-agent'] }, () =>
      corsHandler(req as never, res as never, (err?: unknown) => {
        if (err) sendErrorBody(res, err, logger);
        else if (hasEncodedNul(req.url ?? ''))
          sendErrorBody(res, nulByteError('path or query string'), logger);
        else if (!direct?.dispatch(req, res, () => directRequest(req, ip, trust, parseQuery)))
          framework[0].call(server, req, res);
      }),
    );
  });
}

/** The request as a direct route reads it, parsed as the framework would parse it. */
function directRequest(
  req: IncomingMessage,
  ip: string,
  trust: (addr: string, i: number) => boolean,
  parseQuery: (q: string) => Record<string, unknown>,
): DirectRequest {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const socket = req.socket as TLSSocket;
  let scheme = socket.encrypted ? 'https' : 'http';
  const forwarded = req.headers['x-forwarded-proto'];
  if (typeof forwarded === 'string' && trust(socket.remoteAddress ?? '', 0))
    scheme = forwarded.split(',')[0].trim() || scheme;
  return {
    query: q === -1 ? {} : parseQuery(url.slice(q + 1)),
    ip,
    origin: `${scheme}://${req.headers.host ?? ''}`,
  };
}
