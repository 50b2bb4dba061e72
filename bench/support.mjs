// Shared by bench parts: start the built server as a child process and wait for /health.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts dist/apps/server (built by `npm run bench`) with the given env; resolves when /health is 200. */
export async function startServer(repoRoot, env = {}) {
  const port = await freePort();
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'huizhen-bench-'));
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist/apps/server/apps/server/src/main.js')],
    {
      cwd: repoRoot,
      // Loopback and free ports for everything the server listens on: benches may run beside other servers.
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        MEDIA_LISTEN_IP: '127.0.0.1',
        MEDIA_RTC_PORT_BASE: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_PORT: '0',
        ...env,
      },
      // HUIZHEN_BENCH_SERVER_LOG=<file>: the server's log goes there (it is dropped otherwise).
      stdio: [
        'ignore',
        process.env.HUIZHEN_BENCH_SERVER_LOG
          ? openSync(process.env.HUIZHEN_BENCH_SERVER_LOG, 'a')
          : 'ignore',
        'inherit',
      ],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${url}/health`);
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error('server did not become healthy in 120 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    port,
    dataDir,
    child,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    },
  };
}

export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
