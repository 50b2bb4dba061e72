// Authenticated API throughput and latency with autocannon: /api/me, a directory list and a
// patient list (a PHI read: audited on every request), embedded PGlite vs PostgreSQL 15.
import autocannon from 'autocannon';
import pg from 'pg';
import { startServer } from '../support.mjs';

export const describe = 'authenticated API throughput/latency, embedded PGlite vs PostgreSQL 15';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const PG_ADMIN = process.env.BENCH_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';

async function freshDatabase(name) {
  const c = new pg.Client({ connectionString: PG_ADMIN });
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const db = new pg.Client({ connectionString: url.toString() });
  await db.connect();
  await db.query(
    'CREATE EXTENSION IF NOT EXISTS btree_gist; CREATE EXTENSION IF NOT EXISTS pg_trgm',
  );
  await db.end();
  return url.toString();
}

function cannon(url, token, path) {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: url + path,
        connections: CONNECTIONS,
        duration: DURATION,
        headers: { authorization: `Bearer ${token}` },
      },
      (err, r) => (err ? reject(err) : resolve(r)),
    );
  });
}

export async function run(ctx) {
  const rows = [];
  const modes = [
    ['embedded (PGlite)', {}],
    ['PostgreSQL 15', { DATABASE_URL: await freshDatabase('huizhen_bench'), SEED_DEMO: 'true' }],
  ];
  for (const [mode, env] of modes) {
    const server = await startServer(ctx.repoRoot, env);
    try {
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'demo-township', password: 'Huizhen-demo-1' }),
      });
      if (login.status !== 200)
        throw new Error(`login failed: ${login.status} ${await login.text()}`);
      const { accessToken } = await login.json();
      for (const path of ['/api/me', '/api/organizations?limit=50', '/api/patients?limit=20']) {
        const r = await runCannon(server.url, accessToken, path);
        rows.push({
          database: mode,
          route: path,
          'req/s': Math.round(r.requests.average),
          'p50 ms': r.latency.p50,
          'p99 ms': r.latency.p99,
          non2xx: r.non2xx + r.errors,
        });
      }
    } finally {
      await server.stop();
    }
  }
  return {
    rows,
    notes: [
      `${CONNECTIONS} connections for ${DURATION} s per route; server and load generator share the machine's ${ctx.machine.cpus} cores`,
      '/api/patients writes an audit event per request (PHI read), appended without a lock and sealed into the chain in batches',
    ],
  };
}

const runCannon = cannon;
