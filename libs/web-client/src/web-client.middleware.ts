import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** Paths the platform itself answers; everything else under GET is the single-page app. */
export const PLATFORM_PREFIXES = ['/api', '/dicom-web', '/health', '/metrics', '/socket.io'];

const ONE_YEAR_MS = 365 * 24 * 3600 * 1000;

export function isPlatformPath(path: string): boolean {
  return PLATFORM_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));
}

/**
 * Serves the built web client (apps/web/dist): hashed files under /assets with a year's
 * immutable cache, index.html (never cached, so a new deploy is picked up) for every other
 * GET outside the platform's own prefixes. Nothing else from dist is reachable — the viewer's
 * component-test page is built alongside but not served.
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
      if (!existsSync(file) || !statSync(file).isFile()) return next();
      res.sendFile(file, { maxAge: ONE_YEAR_MS, immutable: true, dotfiles: 'deny' }, (err) => err && !res.headersSent && next(err));
      return;
    }

    if (!existsSync(indexFile)) {
      if (!warned) {
        warned = true;
        logger.warn(`web client not built (${indexFile} missing): run npm run build:web`);
      }
      res.status(404).json({ statusCode: 404, error: 'Not Found', message: 'The web client is not built on this server (npm run build:web)' });
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile, { dotfiles: 'deny', lastModified: true }, (err) => err && !res.headersSent && next(err));
  };
}

export function defaultWebClientDir(): string {
  return resolve(process.cwd(), 'apps/web/dist');
}
