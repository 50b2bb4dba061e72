// Imaging archive bench: STOW-RS ingest (single client and 4 concurrent), QIDO-RS latency with
// 10,000 studies, series-metadata latency, rendered-frame latency, and the server's peak RSS
// during a 1 GB ingest. Runs the built server against the real PostgreSQL in a fresh schema.
import { randomBytes, scryptSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import pg from 'pg';
import { percentile, startServer } from '../support.mjs';

export const describe = 'DICOM archive: STOW-RS ingest, QIDO with 10,000 studies, metadata, rendered frames, peak RSS in a 1 GB ingest';

const require = createRequire(import.meta.url);
const dicomParser = require('dicom-parser');
const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const PG = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Copies of a real file with fresh UIDs written in place (same lengths), so each is a new instance. */
function instanceFactory(base) {
  const ds = dicomParser.parseDicom(base);
  const at = (tag) => ds.elements[tag];
  const fields = ['x00020003', 'x00080018', 'x0020000d', 'x0020000e'].map(at);
  return (study, series, n) => {
    const b = Buffer.from(base);
    const put = (el, uid) => {
      const v = Buffer.alloc(el.length, 0);
      v.write(uid.slice(0, el.length), 'latin1');
      v.copy(b, el.dataOffset);
    };
    const sop = `1.2.826.0.1.3680043.9.7433.3.${study}.${series}.${n}`;
    put(fields[0], sop);
    put(fields[1], sop);
    put(fields[2], `1.2.826.0.1.3680043.9.7433.1.${study}`);
    put(fields[3], `1.2.826.0.1.3680043.9.7433.2.${study}.${series}`);
    return b;
  };
}

/** A 1024×1024 16-bit CT (2 MiB of pixels) built from CT_small's header. */
function bigInstanceFactory(base) {
  const ds = dicomParser.parseDicom(base);
  const pix = ds.elements.x7fe00010;
  const head = Buffer.from(base.subarray(0, pix.dataOffset - 12));
  head.writeUInt16LE(1024, ds.elements.x00280010.dataOffset);
  head.writeUInt16LE(1024, ds.elements.x00280011.dataOffset);
  const pixHead = Buffer.from(base.subarray(pix.dataOffset - 12, pix.dataOffset));
  pixHead.writeUInt32LE(1024 * 1024 * 2, 8);
  const pixels = randomBytes(1024 * 1024 * 2);
  const small = instanceFactory(Buffer.concat([head, pixHead, pixels]));
  return small;
}

function multipart(parts) {
  const boundary = `bench-${randomBytes(6).toString('hex')}`;
  const chunks = [];
  for (const p of parts) chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, Buffer.from('\r\n'));
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function run({ repoRoot }) {
  const schema = `bench_imaging_${Date.now().toString(36)}`;
  const db = new pg.Client({ connectionString: PG });
  await db.connect();
  await db.query(`CREATE SCHEMA ${schema}`);
  const server = await startServer(repoRoot, {
    DATABASE_URL: PG,
    DATABASE_SCHEMA: schema,
    DATABASE_POOL_SIZE: '10',
    DIMSE_ENABLED: 'false',
    SEED_DEMO: 'false',
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'error',
  });
  const rows = [];
  const notes = [];
  try {
    await db.query(`SET search_path = ${schema}, public`);
    const [{ id: org }] = (await db.query(`INSERT INTO organization (name, level, region_code) VALUES ('Bench township', 'township_health_centre', '430121') RETURNING id`)).rows;
    const salt = randomBytes(16);
    const hash = ['scrypt', 16384, 8, 1, salt.toString('base64url'), scryptSync('Bench-pass-1', salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 2 ** 20 }).toString('base64url')].join('$');
    await db.query(`INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles) VALUES ('bench', 'Bench', $1, $2, '{township_doctor}')`, [hash, org]);
    const login = await fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'bench', password: 'Bench-pass-1' }) });
    const { accessToken } = await login.json();
    const auth = { authorization: `Bearer ${accessToken}` };
    const stow = async (parts) => {
      const { body, type } = multipart(parts);
      const r = await fetch(`${server.url}/dicom-web/studies`, { method: 'POST', headers: { ...auth, 'content-type': type }, body });
      if (r.status !== 200) throw new Error(`STOW ${r.status}: ${(await r.text()).slice(0, 300)}`);
    };
    const make = instanceFactory(readFileSync(CT));
    const size = readFileSync(CT).length;

    // Single client: 1,000 instances, 20 per request (a study of 50 instances per 50).
    let n = 0;
    const single = await timed(async () => {
      for (let req = 0; req < 50; req++) await stow(Array.from({ length: 20 }, () => (n++, make(1 + Math.floor(n / 50), 1, n))));
    });
    rows.push({ metric: 'STOW-RS ingest, 1 client (39 KB CT, 20/request)', value: (1000 / single) * 1000, unit: 'instances/s' });
    rows.push({ metric: 'STOW-RS ingest, 1 client', value: ((1000 * size) / 2 ** 20 / single) * 1000, unit: 'MB/s' });
    // Four concurrent clients: 2,000 instances.
    const concurrent = await timed(() =>
      Promise.all(
        [0, 1, 2, 3].map(async (c) => {
          for (let req = 0; req < 25; req++) await stow(Array.from({ length: 20 }, (_, i) => make(1000 + c * 100 + Math.floor(req / 3), 1, req * 20 + i)));
        }),
      ),
    );
    rows.push({ metric: 'STOW-RS ingest, 4 concurrent clients', value: (2000 / concurrent) * 1000, unit: 'instances/s' });
    rows.push({ metric: 'STOW-RS ingest, 4 concurrent clients', value: ((2000 * size) / 2 ** 20 / concurrent) * 1000, unit: 'MB/s' });

    // 10,000 studies in the index (rows as ingest writes them, without the files).
    await db.query(
      `INSERT INTO imaging_study (study_instance_uid, deid_uid, organization_id, patient_name, patient_name_search, dicom_patient_id, study_date, accession_number, study_description, modalities, number_of_series, number_of_instances, study_json)
       SELECT '1.2.826.0.1.3680043.9.7433.8.' || g, '2.25.' || g, $1, 'Name' || g || '^Given', '|name' || g || '^given|', 'P' || g,
              to_char(date '2020-01-01' + (g % 1500)::int, 'YYYYMMDD'), 'A' || g, 'CT chest ' || g, '{CT}', 1, 50,
              jsonb_build_object('00100010', jsonb_build_object('vr','PN','Value', jsonb_build_array(jsonb_build_object('Alphabetic','Name' || g || '^Given'))),
                                 '0020000D', jsonb_build_object('vr','UI','Value', jsonb_build_array('1.2.826.0.1.3680043.9.7433.8.' || g)))
         FROM generate_series(1, 10000 - (SELECT count(*) FROM imaging_study)) g`,
      [org],
    );
    await db.query('ANALYZE');
    const qido = async (label, path) => {
      const times = [];
      for (let i = 0; i < 40; i++) {
        times.push(await timed(async () => {
          const r = await fetch(server.url + path, { headers: auth });
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
        }));
      }
      times.sort((a, b) => a - b);
      rows.push({ metric: `QIDO ${label} (10,000 studies)`, value: percentile(times, 50), unit: 'ms p50', p95: percentile(times, 95) });
    };
    await qido('studies limit=100', '/dicom-web/studies?limit=100');
    await qido('date range (~2,000 hits, limit=100)', '/dicom-web/studies?StudyDate=20210101-20211231&limit=100');
    await qido('PatientName=name12*', '/dicom-web/studies?PatientName=name12*');
    await qido('AccessionNumber exact', '/dicom-web/studies?AccessionNumber=A5000');

    // Series metadata (50 instances) and rendered frames.
    const s1 = '1.2.826.0.1.3680043.9.7433.1.1';
    const series = '1.2.826.0.1.3680043.9.7433.2.1.1';
    const meta = [];
    for (let i = 0; i < 40; i++) meta.push(await timed(async () => void (await (await fetch(`${server.url}/dicom-web/studies/${s1}/series/${series}/metadata`, { headers: auth })).arrayBuffer())));
    meta.sort((a, b) => a - b);
    rows.push({ metric: 'series metadata (49 instances)', value: percentile(meta, 50), unit: 'ms p50', p95: percentile(meta, 95) });
    const rendered = [];
    for (let i = 1; i <= 40; i++) {
      const url = `${server.url}/dicom-web/studies/${s1}/series/${series}/instances/1.2.826.0.1.3680043.9.7433.3.1.1.${i}/rendered`;
      rendered.push(await timed(async () => {
        const r = await fetch(url, { headers: { ...auth, accept: 'image/jpeg' } });
        await r.arrayBuffer();
        if (r.status !== 200) throw new Error(`rendered ${r.status}`);
      }));
    }
    rendered.sort((a, b) => a - b);
    rows.push({ metric: 'rendered frame, JPEG (128² CT, first view)', value: percentile(rendered, 50), unit: 'ms p50', p95: percentile(rendered, 95) });

    // 1 GB ingest of 2 MiB instances, 4 clients, 10 per request; peak RSS from the kernel.
    const big = bigInstanceFactory(readFileSync(CT));
    const bigSize = big(1, 1, 1).length;
    const count = Math.ceil(2 ** 30 / bigSize);
    let next = 0;
    const gb = await timed(() =>
      Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (next < count) {
            const batch = [];
            while (batch.length < 10 && next < count) batch.push(big(5000 + Math.floor(next / 100), 1, next++));
            await stow(batch);
          }
        }),
      ),
    );
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
    rows.push({ metric: `1 GB ingest (${count} × ${(bigSize / 2 ** 20).toFixed(1)} MiB, 4 clients)`, value: ((count * bigSize) / 2 ** 20 / gb) * 1000, unit: 'MB/s' });
    rows.push({ metric: 'server peak RSS (whole run, incl. 1 GB ingest)', value: hwm, unit: 'MiB' });
    notes.push('Orthanc comparison not run in this part yet; NOTES measured Orthanc STOW at 125–250 instances/s and QIDO 284 ms (limit=100, 1,050 studies) on this machine.');
  } finally {
    await server.stop();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.end();
  }
  return { rows, notes };
}
