import { existsSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Paths the platform itself answers; everything else under GET is the single-page app. */
export const PLATFORM_PREFIXES = ['/api', '/dicom-web', '/health', '/metrics', '/socket.io'];

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;
/** The service worker's script: a fixed name at the root (its scope is the whole app). */
export const SERVICE_WORKER_PATH = '/sw.js';

export function isPlatformPath(path: string): boolean {
  return PLATFORM_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

type Coding = 'br' | 'gzip';
const SUFFIX: Record<Coding, string> = { br: '.br', gzip: '.gz' };

/** The codings this request accepts, best first (brotli, then gzip); q=0 refuses one. */
export function acceptedCodings(accept: string | string[] | undefined): Coding[] {
  if (!accept) return [];
  const q: Record<string, number> = {};
  for (const part of String(accept).split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const weight = params.map((p) => p.trim().split('=')).find(([k]) => k === 'q')?.[1];
    q[name] = weight === undefined ? 1 : Number(weight) || 0;
  }
  const of = (name: string) => q[name] ?? q['*'] ?? 0;
  return (['br', 'gzip'] as Coding[])
    .filter((c) => of(c) > 0 || (c === 'gzip' && of('x-gzip') > 0))
    .sort((a, b) => of(b) - of(a));
}

function isFile(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
}

/**
 * Sends a built file, or the NAME.br / NAME.gz the build wrote beside it when the client accepts that
 * coding (vite-plugins/light-client.ts precompresses at build time: no compression work per request).
 * The Content-Type is the original file's; Content-Length the variant's; Vary: Accept-Encoding
 * whenever a variant exists, so a shared cache keeps one copy per coding.
 */
function sendBuilt(
  req: Request,
  res: Response,
  next: NextFunction,
  file: string,
  options: { maxAge: number; immutable: boolean },
): void {
  const variants = (['br', 'gzip'] as Coding[]).filter((c) => isFile(file + SUFFIX[c]));
  let path = file;
  if (variants.length) {
    res.vary('Accept-Encoding');
    const coding = acceptedCodings(req.headers['accept-encoding']).find((c) =>
      variants.includes(c),
    );
    if (coding) {
      path = file + SUFFIX[coding];
      res.setHeader('Content-Encoding', coding);
      res.type(extname(file));
    }
  }
  res.sendFile(
    path,
    { maxAge: options.maxAge, immutable: options.immutable, dotfiles: 'deny', lastModified: true },
    (err) => {
      if (err && !res.headersSent) {
        res.removeHeader('Content-Encoding');
        next(err);
      }
    },
  );
}

/**
 * Serves the built web client (apps/web/dist): hashed files under /assets with a year's
 * immutable cache, index.html (never cached, so a new deploy is picked up) for every other
 * GET outside the platform's own prefixes, and the service worker's script /sw.js (never cached
 * either: the browser checks it for a new build on each visit). Each precompressed by the build
 * and sent brotli or gzip as the client accepts. Nothing else from dist is reachable — the
 * viewer's component-test page is built alongside but not served.
 */
export function webClientMiddleware(distDir: string) {
  const indexFile = join(distDir, 'index.html');
  const logger = new Logger('WebClient');
  let warned = false;

  return (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || isPlatformPath(req.path)) return next();

    if (req.path.startsWith('/assets/')) {
      const name = req.path.slice('/assets/'.length);
      // Hashed build outputs are flat file names; anything else is not ours to serve.
      if (!/^[\w.-]+$/.test(name) || name.startsWith('.')) return next();
      const file = join(distDir, 'assets', name);
      if (!isFile(file)) return next();
      return sendBuilt(req, res, next, file, { maxAge: ONE_YEAR_MS, immutable: true });
    }

    if (req.path === SERVICE_WORKER_PATH) {
      const file = join(distDir, 'sw.js');
      if (!isFile(file)) return next();
      res.setHeader('Cache-Control', 'no-cache');
      res.setHeader('Service-Worker-Allowed', '/');
      return sendBuilt(req, res, next, file, { maxAge: 0, immutable: false });
    }

    if (!existsSync(indexFile)) {
      if (!warned) {
        warned = true;
        logger.warn(`web client not built (${indexFile} missing): run npm run build:web`);
      }
      res.status(404).json({
        statusCode: 404,
        error: 'Not Found',
        message: 'The web client is not built on this server (npm run build:web)',
      });
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    sendBuilt(req, res, next, indexFile, { maxAge: 0, immutable: false });
  };
}

export function defaultWebClientDir(): string {
  return resolve(process.cwd(), 'apps/web/dist');
}
