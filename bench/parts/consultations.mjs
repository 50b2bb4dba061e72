// Consultations at volume: a fresh PostgreSQL database with a province of organizations and
// 100,000 consultation requests bulk-loaded with generate_series, then the built server:
// create → claim → report → sign throughput, and worklist latency (p50/p95) per box.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { percentile, startServer } from '../support.mjs';

export const describe =
  'consultation flow throughput and worklist latency with 100,000 requests in PostgreSQL';

const ADMIN_URL =
  process.env.BENCH_DATABASE_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const DB = process.env.BENCH_CONSULT_DB ?? 'huizhen_bench_consultations';
const REQUESTS = Number(process.env.BENCH_CONSULT_REQUESTS ?? 100_000);
const FLOWS = Number(process.env.BENCH_CONSULT_FLOWS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONSULT_CONCURRENCY ?? 8);
const WORKLIST_CALLS = Number(process.env.BENCH_CONSULT_WORKLIST_CALLS ?? 200);
const PASSWORD = 'Bench-pass-123';

function dbUrl(name) {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

async function api(url, method, path, token, body) {
  const t0 = performance.now();
  const res = await fetch(url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const ms = performance.now() - t0;
  const json = await res.json().catch(() => null);
  if (res.status >= 300)
    throw new Error(`${method} ${path} -> ${res.status} ${JSON.stringify(json)}`);
  return { json, ms };
}

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p95: percentile(s, 95), max: s.at(-1) };
};

/** A province: 4 cities × 3 counties × 5 townships, consortia per county and per city, people in each. */
async function seedDirectory(db, passwordHash) {
  await db.query(
    `INSERT INTO organization (name, level, region_code) VALUES ('基准省远程医疗中心', 'province_hub', '430000')`,
  );
  await db.query(`
    INSERT INTO organization (name, level, parent_id, region_code)
    SELECT '基准市' || c || '医院', 'city_hospital', (SELECT id FROM organization WHERE level = 'province_hub'), '43' || lpad(c::text, 2, '0') || '00'
      FROM generate_series(1, 4) c`);
  await db.query(`
    INSERT INTO organization (name, level, parent_id, region_code)
    SELECT o.name || '辖县' || k || '人民医院', 'county_hospital', o.id, substr(o.region_code, 1, 4) || lpad(k::text, 2, '0')
      FROM organization o, generate_series(1, 3) k WHERE o.level = 'city_hospital'`);
  await db.query(`
    INSERT INTO organization (name, level, parent_id, region_code)
    SELECT o.name || '乡镇' || t || '卫生院', 'township_health_centre', o.id, o.region_code
      FROM organization o, generate_series(1, 5) t WHERE o.level = 'county_hospital'`);
  await db.query(`
    INSERT INTO consortium (name, kind, lead_organization_id)
    SELECT name || '医共体', 'county_medical_community', id FROM organization WHERE level = 'county_hospital'`);
  await db.query(`
    INSERT INTO consortium_member (consortium_id, organization_id)
    SELECT c.id, o.id FROM consortium c JOIN organization o ON o.id = c.lead_organization_id OR o.parent_id = c.lead_organization_id`);
  await db.query(`
    INSERT INTO consortium (name, kind, lead_organization_id)
    SELECT name || '远程协作网', 'telemedicine_network', id FROM organization WHERE level = 'city_hospital'`);
  await db.query(`
    INSERT INTO consortium_member (consortium_id, organization_id)
    SELECT c.id, o.id FROM consortium c JOIN organization o
        ON o.id = c.lead_organization_id OR o.parent_id = c.lead_organization_id
        OR o.parent_id IN (SELECT id FROM organization WHERE parent_id = c.lead_organization_id)
     WHERE c.kind = 'telemedicine_network'`);
  const people = [
    [
      `'town-' || row_number() OVER ()`,
      `'township_doctor'`,
      'NULL',
      `level = 'township_health_centre'`,
      1,
    ],
    [
      `'county-rad-' || row_number() OVER ()`,
      `'specialist'`,
      `'radiology'`,
      `level = 'county_hospital'`,
      2,
    ],
    [
      `'county-card-' || row_number() OVER ()`,
      `'specialist'`,
      `'cardiology'`,
      `level = 'county_hospital'`,
      1,
    ],
    [
      `'city-rad-' || row_number() OVER ()`,
      `'specialist'`,
      `'radiology'`,
      `level = 'city_hospital'`,
      2,
    ],
    [
      `'hub-coord-' || row_number() OVER ()`,
      `'hub_coordinator'`,
      'NULL',
      `level = 'province_hub'`,
      1,
    ],
  ];
  for (const [username, role, specialty, where, each] of people) {
    await db.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles, specialty, title)
       SELECT ${username}, '医师', $1, o.id, ARRAY[${role}], ${specialty}, CASE WHEN ${role} = 'specialist' THEN 'attending' END
         FROM organization o, generate_series(1, ${each}) WHERE o.${where}`,
      [passwordHash],
    );
  }
  await db.query(`
    INSERT INTO patient (organization_id, name, sex, birth_date)
    SELECT o.id, '患者' || o.rn || '-' || n, CASE WHEN n % 2 = 0 THEN 'female' ELSE 'male' END, date '1950-01-01' + (n * 97 % 20000)
      FROM (SELECT id, row_number() OVER () AS rn FROM organization WHERE level = 'township_health_centre') o, generate_series(1, 40) n`);
}

/** REQUESTS rows over the past year, mostly closed; a few in queues, claimed, cancelled or expired. */
async function loadRequests(db) {
  await db.query(`
    CREATE TEMP TABLE town AS
      SELECT row_number() OVER (ORDER BY t.id) - 1 AS i, t.id, t.parent_id AS county,
             (SELECT p.id FROM practitioner p WHERE p.organization_id = t.id LIMIT 1) AS doctor,
             (SELECT array_agg(p.id ORDER BY p.username) FROM practitioner p WHERE p.organization_id = t.parent_id AND p.specialty = 'radiology') AS rads,
             (SELECT array_agg(p.id) FROM patient p WHERE p.organization_id = t.id) AS patients
        FROM organization t WHERE t.level = 'township_health_centre'`);
  await db.query(
    `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question,
        status, routed_organization_ids, routed_level, deadline_at, assigned_specialist_id, assigned_organization_id,
        submitted_at, claimed_at, reported_at, closed_at, created_at, updated_at, escalation_count)
     SELECT t.id, t.doctor, t.patients[1 + n % 40], 'radiology',
            (ARRAY['routine','routine','routine','urgent','emergency'])[1 + n % 5], 'imaging_read', '批量载入的会诊 ' || n,
            s.status, ARRAY[t.county], 'county_hospital',
            CASE WHEN s.status = 'submitted' THEN now() + interval '1 hour' + (n % 600) * interval '1 minute' ELSE at + interval '2 hours' END,
            CASE WHEN s.assigned THEN t.rads[1 + n % 2] END, CASE WHEN s.assigned THEN t.county END,
            at, CASE WHEN s.assigned THEN at + (n % 90) * interval '1 minute' END,
            CASE WHEN s.status IN ('reported','closed') THEN at + (30 + n % 600) * interval '1 minute' END,
            CASE WHEN s.status IN ('closed','cancelled','expired') THEN at + interval '1 day' END,
            at, at, CASE WHEN n % 23 = 0 THEN 1 ELSE 0 END
       FROM generate_series(1, $1::int) n
       JOIN town t ON t.i = n % (SELECT count(*) FROM town)
       CROSS JOIN LATERAL (SELECT now() - interval '365 days' * ((n * 7919) % $1)::float / $1 AS at) a
       CROSS JOIN LATERAL (
         SELECT CASE WHEN n % 100 < 3 THEN 'submitted' WHEN n % 100 < 6 THEN 'claimed' WHEN n % 100 < 8 THEN 'cancelled'
                     WHEN n % 100 < 10 THEN 'expired' WHEN n % 100 < 12 THEN 'reported' ELSE 'closed' END AS status) s0
       CROSS JOIN LATERAL (SELECT s0.status, s0.status IN ('claimed','reported','closed') AS assigned) s`,
    [REQUESTS],
  );
  await db.query(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) SELECT id, requester_id, 'requester' FROM consultation_request`,
  );
  await db.query(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) SELECT id, assigned_specialist_id, 'assigned_specialist' FROM consultation_request WHERE assigned_specialist_id IS NOT NULL`,
  );
  await db.query('ANALYZE');
}

async function pool(n, concurrency, work) {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

export async function run({ repoRoot }) {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();

  const env = {
    DATABASE_URL: dbUrl(DB),
    DATABASE_POOL_SIZE: '10',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SEED_DEMO: 'false',
    CONSULT_SWEEP_INTERVAL_SECONDS: '0',
    LOGIN_RATE_LIMIT_ATTEMPTS: '10000',
  };
  const rows = [];
  const notes = [];
  // The server runs the migrations; then the data goes in directly, as fast as PostgreSQL takes it.
  let server = await startServer(repoRoot, env);
  const db = new pg.Client({ connectionString: dbUrl(DB) });
  await db.connect();
  try {
    const { hashPassword } = await import(
      pathToFileURL(join(repoRoot, 'dist/apps/server/libs/auth/src/password.js')).href
    );
    let t0 = performance.now();
    await seedDirectory(db, await hashPassword(PASSWORD));
    await loadRequests(db);
    const loadSeconds = (performance.now() - t0) / 1000;
    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM consultation_request')).rows;
    rows.push({
      metric: 'bulk load (directory + requests + participants + ANALYZE)',
      value: loadSeconds,
      unit: 's',
      requests: n,
    });

    // Restart so nothing cached from an empty database (plans, scopes) flatters the numbers.
    await server.stop();
    server = await startServer(repoRoot, env);
    const url = server.url;
    const login = async (username) =>
      (await api(url, 'POST', '/api/auth/login', null, { username, password: PASSWORD })).json
        .accessToken;
    const towns = (
      await db.query(
        `SELECT t.id, d.username AS doctor, (SELECT p.id FROM patient p WHERE p.organization_id = t.id LIMIT 1) AS patient,
                (SELECT min(p.username) FROM practitioner p WHERE p.organization_id = t.parent_id AND p.specialty = 'radiology') AS radiologist
           FROM organization t JOIN practitioner d ON d.organization_id = t.id WHERE t.level = 'township_health_centre' ORDER BY t.name`,
      )
    ).rows;
    const tokens = new Map();
    const tokenOf = async (u) => tokens.get(u) ?? tokens.set(u, await login(u)).get(u);
    for (const t of towns) {
      await tokenOf(t.doctor);
      await tokenOf(t.radiologist);
    }

    // 1. The flow, CONCURRENCY at a time: create+submit, claim, write report, sign.
    const step = { create: [], claim: [], report: [], sign: [] };
    t0 = performance.now();
    await pool(FLOWS, CONCURRENCY, async (i) => {
      const t = towns[i % towns.length];
      const doc = tokens.get(t.doctor);
      const rad = tokens.get(t.radiologist);
      const c = await api(url, 'POST', '/api/consultations', doc, {
        patientId: t.patient,
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '基准测试：胸片会诊',
        studyInstanceUids: [`1.2.826.0.1.3680043.8.498.${i + 1}`],
        submit: true,
      });
      step.create.push(c.ms);
      step.claim.push((await api(url, 'POST', `/api/consultations/${c.json.id}/claim`, rad)).ms);
      step.report.push(
        (
          await api(url, 'PUT', `/api/consultations/${c.json.id}/report`, rad, {
            findings: '双肺纹理增粗',
            impression: '支气管炎',
            recommendation: 'treat_locally',
          })
        ).ms,
      );
      step.sign.push(
        (await api(url, 'POST', `/api/consultations/${c.json.id}/report/sign`, rad)).ms,
      );
    });
    const flowSeconds = (performance.now() - t0) / 1000;
    rows.push({
      metric: 'create→claim→report→sign flows',
      value: FLOWS / flowSeconds,
      unit: 'flows/s',
      n: FLOWS,
      concurrency: CONCURRENCY,
    });
    for (const [name, xs] of Object.entries(step))
      rows.push({
        metric: `  ${name} latency`,
        value: stats(xs).p50,
        unit: 'ms p50',
        p95: stats(xs).p95,
        n: xs.length,
      });

    // 2. Worklists against the full table, 4 callers at a time.
    const hub = await tokenOf(
      (
        await db.query(
          `SELECT username FROM practitioner WHERE 'hub_coordinator' = ANY(roles) LIMIT 1`,
        )
      ).rows[0].username,
    );
    const t = towns[0];
    const deepCursor = async (token, path, pages) => {
      let cursor = null;
      for (let p = 0; p < pages; p++)
        cursor = (await api(url, 'GET', `${path}${cursor ? `&cursor=${cursor}` : ''}`, token)).json
          .nextCursor;
      return cursor;
    };
    const cases = [
      [
        'baseline: GET /api/me (same auth path, no list, no audit write)',
        tokens.get(t.doctor),
        '/api/me',
      ],
      [
        'queue (county radiologist)',
        tokens.get(t.radiologist),
        '/api/consultations/worklist?box=queue&limit=50',
      ],
      [
        'assigned (county radiologist)',
        tokens.get(t.radiologist),
        '/api/consultations/worklist?box=assigned&limit=50',
      ],
      [
        'received, closed, date range',
        tokens.get(t.radiologist),
        `/api/consultations/worklist?box=received&status=closed&from=${new Date(Date.now() - 90 * 86400e3).toISOString()}&limit=50`,
      ],
      [
        'sent (township doctor)',
        tokens.get(t.doctor),
        '/api/consultations/worklist?box=sent&limit=50',
      ],
      ['hub (whole province)', hub, '/api/consultations/worklist?box=hub&limit=50'],
      [
        'hub, emergency + expired',
        hub,
        '/api/consultations/worklist?box=hub&urgency=emergency&status=expired&limit=50',
      ],
      [
        'hub, page 40 by cursor',
        hub,
        `/api/consultations/worklist?box=hub&limit=50&cursor=${await deepCursor(hub, '/api/consultations/worklist?box=hub&limit=50', 40)}`,
      ],
      [
        'hub metrics (per institution, 365 days)',
        hub,
        `/api/consultations/metrics?from=${new Date(Date.now() - 365 * 86400e3).toISOString()}`,
      ],
    ];
    for (const [name, token, path] of cases) {
      const first = await api(url, 'GET', path, token);
      const calls = name.includes('metrics') ? Math.min(40, WORKLIST_CALLS) : WORKLIST_CALLS;
      const ms = [];
      await pool(calls, 4, async () => ms.push((await api(url, 'GET', path, token)).ms));
      const s = stats(ms);
      rows.push({
        metric: name.startsWith('baseline') ? name : `worklist ${name}`,
        value: s.p95,
        unit: 'ms p95',
        p50: s.p50,
        max: s.max,
        items: first.json.items?.length ?? first.json.institutions?.length,
        n: calls,
      });
    }

    // 3. What PostgreSQL itself spends on the hub worklist query (no HTTP, no audit write).
    const scope = (await db.query(`SELECT array_agg(id) AS ids FROM organization`)).rows[0].ids;
    const plan = (
      await db.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) SELECT c.id FROM consultation_request c JOIN patient p ON p.id = c.patient_id
          WHERE (c.requesting_organization_id = ANY($1::uuid[]) OR c.assigned_organization_id = ANY($1::uuid[])) ORDER BY c.created_at DESC, c.id DESC LIMIT 51`,
        [scope],
      )
    ).rows[0]['QUERY PLAN'][0];
    rows.push({
      metric: 'hub worklist SQL execution (EXPLAIN ANALYZE)',
      value: plan['Execution Time'],
      unit: 'ms',
    });
    notes.push(
      `${n} bulk-loaded requests + ${FLOWS} made through the API; worklist latency is HTTP end to end, including the JWT check and the audit event every list writes`,
    );
  } finally {
    await db.end();
    await server.stop();
    if (!process.env.BENCH_KEEP_DB) {
      const a = new pg.Client({ connectionString: ADMIN_URL });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
      await a.end();
    }
  }
  return { rows, notes };
}
