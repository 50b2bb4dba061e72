import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = process.cwd();
export const WEB_DIR = join(root, 'apps/web');
export const WEB_DIST = join(WEB_DIR, 'dist');

function newestMtime(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

function isFresh(): boolean {
  const built = join(WEB_DIST, 'index.html');
  if (!existsSync(built) || !existsSync(join(WEB_DIST, 'viewer-harness.html'))) return false;
  const sources = [
    'src',
    'index.html',
    'viewer-harness.html',
    'vite.config.ts',
    'vite-plugins',
    'tsconfig.json',
  ].map((p) => newestMtime(join(WEB_DIR, p)));
  // Libraries the client bundles from source (the video room's media client).
  for (const lib of ['media-client', 'media-signaling'])
    sources.push(newestMtime(join(root, 'libs', lib, 'src')));
  return statSync(built).mtimeMs >= Math.max(...sources);
}

function sleep(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The production build the browser tests load (Cornerstone misbehaves differently under
 * `vite dev`). Reused when newer than every source; test files running in parallel build once.
 */
export function ensureWebBuild(): { built: boolean; ms: number } {
  const started = Date.now();
  if (isFresh()) return { built: false, ms: 0 };
  const lock = join(
    tmpdir(),
    `huizhen-web-build-${createHash('sha1').update(root).digest('hex').slice(0, 12)}.lock`,
  );
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 120_000)
        rmSync(lock, { recursive: true, force: true });
      sleep(500);
    }
  }
  try {
    if (isFresh()) return { built: false, ms: Date.now() - started };
    execFileSync(
      process.execPath,
      [
        join(root, 'node_modules/vite/bin/vite.js'),
        'build',
        '--config',
        join(WEB_DIR, 'vite.config.ts'),
        '--logLevel',
        'error',
      ],
      {
        cwd: root,
        // Jest sets NODE_ENV=test, and Vite would then bundle React and antd in development mode.
        env: { ...process.env, NODE_ENV: 'production' },
        stdio: ['ignore', 'ignore', 'inherit'],
        timeout: 180_000,
      },
    );
    return { built: true, ms: Date.now() - started };
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
