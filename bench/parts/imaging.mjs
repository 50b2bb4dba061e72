// Imaging archive bench: the same DICOMweb workload against Huizhen and (when installed) Orthanc
// 1.10 + its DICOMweb plugin: STOW-RS ingest (single client and 4 concurrent), QIDO-RS latency
// with 10,000 studies, series metadata, rendered frame; ratios printed. Huizhen alone: peak RSS
// during a 1 GB ingest. Huizhen runs built, against the real PostgreSQL in a fresh schema.
// Orthanc listens on every interface (no bind option in 1.10), so it runs in a network namespace
// with only loopback. Both archives' load generator is this file in a fresh process
// (HUIZHEN_IMAGING_BENCH_ROLE=client; for Orthanc inside its namespace, via nsenter). Without
// orthanc or namespaces, that half is skipped with a note.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const describe =
  'DICOM archive vs Orthanc: STOW-RS ingest, QIDO with 10,000 studies, metadata, rendered frames; peak RSS in a 1 GB ingest';

const require = createRequire(import.meta.url);
const dicomParser = require('dicom-parser');
const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const PG = process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const ORTHANC = process.env.HUIZHEN_BENCH_ORTHANC_BIN ?? '/usr/sbin/Orthanc';
const ORTHANC_PLUGINS = [
  '/usr/share/orthanc/plugins/libOrthancDicomWeb.so',
  '/usr/share/orthanc/plugins/libOrthancGdcm.so',
];
const STUDIES = 10_000;

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * Copies of a real file (explicit VR little endian) with other UIDs and study attributes: the
 * replaced elements get new lengths, the file meta group length follows. Both archives get the
 * very same bytes.
 */
function instanceFactory(base) {
  const ds = dicomParser.parseDicom(base);
  const groupLength = ds.elements.x00020000;
  return (v) => {
    const values = {
      x00020003: [v.sop, '\0'],
      x00080018: [v.sop, '\0'],
      x0020000d: [v.study, '\0'],
      x0020000e: [v.series, '\0'],
      ...(v.studyDate ? { x00080020: [v.studyDate, ' '] } : {}),
      ...(v.patientName ? { x00100010: [v.patientName, ' '] } : {}),
      ...(v.patientId ? { x00100020: [v.patientId, ' '] } : {}),
      ...(v.accession ? { x00080050: [v.accession, ' '] } : {}),
    };
    const edits = Object.entries(values)
      .map(([tag, [text, pad]]) => ({
        el: ds.elements[tag],
        bytes: Buffer.from(text.length % 2 ? text + pad : text, 'latin1'),
      }))
      .sort((a, b) => a.el.dataOffset - b.el.dataOffset);
    const chunks = [];
    let at = 0;
    let metaDelta = 0;
    for (const { el, bytes } of edits) {
      chunks.push(base.subarray(at, el.dataOffset - 2)); // short explicit VR header: length is the last 2 bytes
      const len = Buffer.alloc(2);
      len.writeUInt16LE(bytes.length);
      chunks.push(len, bytes);
      if (el.tag.startsWith('x0002')) metaDelta += bytes.length - el.length;
      at = el.dataOffset + el.length;
    }
    chunks.push(base.subarray(at));
    const out = Buffer.concat(chunks);
    out.writeUInt32LE(
      base.readUInt32LE(groupLength.dataOffset) + metaDelta,
      groupLength.dataOffset,
    );
    return out;
  };
}

/** A 1024×1024 16-bit CT (2 MiB of pixels) built from CT_small's header. */
function bigBase(base) {
  const ds = dicomParser.parseDicom(base);
  const pix = ds.elements.x7fe00010;
  const head = Buffer.from(base.subarray(0, pix.dataOffset - 12));
  head.writeUInt16LE(1024, ds.elements.x00280010.dataOffset);
  head.writeUInt16LE(1024, ds.elements.x00280011.dataOffset);
  const pixHead = Buffer.from(base.subarray(pix.dataOffset - 12, pix.dataOffset));
  pixHead.writeUInt32LE(1024 * 1024 * 2, 8);
  return Buffer.concat([head, pixHead, randomBytes(1024 * 1024 * 2)]);
}

function multipart(parts) {
  const boundary = `bench-${randomBytes(6).toString('hex')}`;
  const chunks = [];
  for (const p of parts)
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`),
      p,
      Buffer.from('\r\n'),
    );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    type: `multipart/related; type="application/dicom"; boundary=${boundary}`,
  };
}

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

// Latency is sampled through node:http with one kept-alive connection, not fetch: fetch spends
// 0.2-0.5 ms of its own per request on this machine (0.33-0.65 vs 0.13-0.19 ms p50 against a server
// answering at once), the same for every archive, which shrinks the difference being measured.
const latencyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url, headers) {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: latencyAgent, headers }, (res) => {
        let bytes = 0;
        res.on('data', (d) => (bytes += d.length));
        res.on('end', () => resolve({ status: res.statusCode, bytes }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/**
 * Latency of GET `urlOf(i)`: 20 unmeasured requests (connection, JIT on both sides, caches,
 * prepared plans), then 100 measured; i runs through 0..39 (the rendered rows cycle through 40
 * instances).
 */
async function latency(urlOf, headers = {}, accept) {
  const times = [];
  let bytes = 0;
  for (let i = -20; i < 100; i++) {
    const url = urlOf((i + 40) % 40);
    let status = 0;
    const ms = await timed(async () => {
      ({ status, bytes } = await get(url, { ...headers, ...(accept ? { accept } : {}) }));
    });
    if (status !== 200) return { error: `${url}: HTTP ${status}` };
    if (i >= 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), bytes };
}

// The floor: a bare node:http server in its own process (no framework, no authentication, no
// audit) answering (a) at once, (b) after one trivial PostgreSQL round trip, (c) after the same
// indexed exact-accession lookup the QIDO row asks for, returning the studies' DICOM JSON. What
// any archive that answers over HTTP from a PostgreSQL index pays on this machine before doing
// anything of its own; measured with the same client and sampling as the archives.
const FLOOR_SERVER = `
const http = require('node:http');
const pg = require('pg');
const { MODE, PG, SCHEMA, ORG } = process.env;
const db = new pg.Client({ connectionString: PG });
const queries = {
  none: null,
  'select 1': { name: 'floor_select_1', text: 'SELECT 1 AS one', values: [] },
  accession: { name: 'floor_accession', text: 'SELECT study_json FROM ' + SCHEMA + '.imaging_study WHERE accession_number = $1 AND organization_id = $2::uuid', values: ['A5000', ORG] },
  // The same lookup and, in the same statement, one audit event naming the studies read: the
  // least an audited read costs (a row written and its commit flushed before the answer).
  'audited accession': {
    name: 'floor_audited_accession',
    text: 'WITH found AS MATERIALIZED (SELECT study_instance_uid, study_json FROM ' + SCHEMA + '.imaging_study WHERE accession_number = $1 AND organization_id = $2::uuid), ' +
      'logged AS (INSERT INTO ' + SCHEMA + ".audit_event (occurred_at, actor_username, actor_organization_id, action, resource_type, outcome, details) SELECT now(), 'floor', $2::uuid, 'imaging_study.read', 'imaging_study', 'success', jsonb_build_object('studyInstanceUids', to_jsonb(array_agg(study_instance_uid))) FROM found) " +
      'SELECT study_json FROM found',
    values: ['A5000', ORG],
  },
};
const q = queries[MODE];
db.connect().then(() => {
  const server = http.createServer(async (req, res) => {
    const rows = q ? (await db.query(q)).rows : [];
    const body = JSON.stringify(MODE.endsWith('accession') ? rows.map((r) => r.study_json) : rows);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
});
`;

/**
 * Starts the floor servers, has a fresh client process measure them and our own exact-accession
 * route with samples interleaved (one of each in turn, so that all of them see the same moment
 * of the machine), stops them.
 */
async function floorLatencies(repoRoot, env, ours) {
  const servers = [];
  try {
    const targets = {};
    for (const mode of ['none', 'select 1', 'accession', 'audited accession']) {
      const child = spawn(process.execPath, ['-e', FLOOR_SERVER], {
        cwd: repoRoot,
        env: { ...process.env, ...env, MODE: mode },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      servers.push(child);
      const port = await new Promise((resolve, reject) => {
        child.stdout.once('data', (d) => resolve(Number(String(d).trim())));
        child.once('exit', (code) =>
          reject(new Error(`floor server (${mode}) exited with ${code}`)),
        );
      });
      targets[mode] = { url: `http://127.0.0.1:${port}/`, headers: {} };
    }
    targets.huizhen = ours;
    return await clientProcess('floor', { HUIZHEN_IMAGING_BENCH_FLOOR: JSON.stringify(targets) });
  } finally {
    for (const c of servers) c.kill();
  }
}

/** p50/p95 of each target, sampled in turn: 20 unmeasured rounds, then `rounds` measured. */
async function interleavedLatencies(targets, rounds = 300) {
  const times = Object.fromEntries(Object.keys(targets).map((k) => [k, []]));
  const errors = {};
  for (let i = -20; i < rounds; i++) {
    for (const [name, t] of Object.entries(targets)) {
      if (errors[name]) continue;
      let status = 0;
      const ms = await timed(async () => {
        ({ status } = await get(t.url, t.headers));
      });
      if (status !== 200) errors[name] = `${name}: HTTP ${status}`;
      else if (i >= 0) times[name].push(ms);
    }
  }
  return Object.fromEntries(
    Object.entries(times).map(([name, ts]) => {
      if (errors[name]) return [name, { error: errors[name] }];
      ts.sort((a, b) => a - b);
      return [name, { p50: percentile(ts, 50), p95: percentile(ts, 95) }];
    }),
  );
}

const MACHINE_CHECK = 'machine speed check (one core hashes 256 MiB; lower is faster)';
const BESIDE_FLOORS =
  'QIDO AccessionNumber exact (10,000 studies), sampled beside the floors (300 rounds)';

const uid = {
  study: (s) => `1.2.826.0.1.3680043.9.7433.1.${s}`,
  series: (s, se) => `1.2.826.0.1.3680043.9.7433.2.${s}.${se}`,
  sop: (s, se, n) => `1.2.826.0.1.3680043.9.7433.3.${s}.${se}.${n}`,
};

// C-STORE as a modality sends a series: one association, one instance after the other, each
// waiting for its response (dcmtk's storescu), twice: with TCP_NODELAY=1 (the archive's own
// speed) and as storescu comes (Nagle on: each instance's data may wait for the receiver's delayed
// ACK, ~40 ms; what a sender that leaves it on gets from either archive).
const CSTORE_COUNT = 200;

/** Two new series of CSTORE_COUNT instances as files for storescu (one per sender setting; the same files for both archives). */
function cstoreFiles() {
  const make = instanceFactory(readFileSync(CT));
  const dir = mkdtempSync(join(tmpdir(), 'huizhen-bench-cstore-'));
  const series = (n) =>
    Array.from({ length: CSTORE_COUNT }, (_, k) => {
      const file = join(dir, `ct${n}-${k + 1}.dcm`);
      writeFileSync(
        file,
        make({
          study: uid.study(90_000),
          series: uid.series(90_000, n),
          sop: uid.sop(90_000, n, k + 1),
        }),
      );
      return file;
    });
  return { dir, files: series(1), nagleFiles: series(2) };
}

/** storescu of `files` over one association; instances/s, or an error. `prefix` enters a network namespace. */
function cstoreRate(files, port, calledAe, prefix = [], noDelay = true) {
  if (spawnSync('sh', ['-c', 'command -v storescu']).status !== 0)
    return { error: 'storescu is not installed (apt-get install -y dcmtk)' };
  const argv = [
    ...prefix,
    'storescu',
    '-aet',
    'BENCHCT',
    '-aec',
    calledAe,
    '127.0.0.1',
    String(port),
    ...files,
  ];
  const env = { ...process.env };
  if (noDelay) env.TCP_NODELAY = '1';
  else delete env.TCP_NODELAY;
  const t = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 120_000 });
  const ms = performance.now() - t;
  if (r.status !== 0)
    return { error: `storescu exited with ${r.status}: ${String(r.stderr).slice(0, 200)}` };
  return { rate: (files.length / ms) * 1000 };
}

const cstoreRow = (who, r, nagle = false) => ({
  archive: who,
  metric: `C-STORE, one association (storescu, ${CSTORE_COUNT} CT instances${nagle ? ', sender with Nagle on' : ''})`,
  value: r.error ? NaN : r.rate,
  unit: r.error ? r.error : 'instances/s',
});

/**
 * The workload, identical for both archives: `base` is the DICOMweb root, `headers` its auth.
 * Returns raw measurements; the caller names the rows.
 */
/**
 * The machine's speed at this moment: ms for one core to hash 256 MiB. This VM's speed moves by a
 * third within minutes (the same client work cost 30-40 % more CPU in one minute than in the
 * next), so each archive's run records it at its start and end.
 */
function machineCheck() {
  const block = Buffer.alloc(16 * 2 ** 20, 7);
  const t = performance.now();
  for (let i = 0; i < 16; i++) createHash('sha256').update(block).digest();
  return performance.now() - t;
}

async function workload(base, headers) {
  const make = instanceFactory(readFileSync(CT));
  const size = readFileSync(CT).length;
  const stow = async (parts) => {
    const { body, type } = multipart(parts);
    const r = await fetch(`${base}/studies`, {
      method: 'POST',
      headers: { ...headers, 'content-type': type, accept: 'application/dicom+json' },
      body,
    });
    const text = await r.text();
    if (r.status !== 200) throw new Error(`STOW ${r.status}: ${text.slice(0, 300)}`);
  };
  const inst = (s, se, n) =>
    make({ study: uid.study(s), series: uid.series(s, se), sop: uid.sop(s, se, n) });
  const m = { size, machineBefore: machineCheck() };
  // Warm-up, unmeasured, as for the latency rows: 200 instances (4 studies) so that neither archive
  // is measured starting cold (the JIT, caches, prepared plans, first directories of the store).
  for (let req = 0; req < 10; req++)
    await stow(
      Array.from({ length: 20 }, (_, i) => inst(70_000 + Math.floor(req / 3), 1, req * 20 + i)),
    );
  // Single client: 1,000 instances, 20 per request, studies of 50 instances.
  let n = 0;
  m.single = await timed(async () => {
    for (let req = 0; req < 50; req++)
      await stow(Array.from({ length: 20 }, () => (n++, inst(1 + Math.floor(n / 50), 1, n))));
  });
  // Four concurrent clients: 2,000 instances.
  m.concurrent = await timed(() =>
    Promise.all(
      [0, 1, 2, 3].map(async (c) => {
        for (let req = 0; req < 25; req++)
          await stow(
            Array.from({ length: 20 }, (_, i) =>
              inst(1000 + c * 100 + Math.floor(req / 3), 1, req * 20 + i),
            ),
          );
      }),
    ),
  );
  // Up to 10,000 studies: one-instance studies with spread dates, names, accession numbers (4 clients).
  const existing = 4 + 21 + 4 * 9;
  const filler = STUDIES - existing;
  let next = 0;
  m.filler = await timed(() =>
    Promise.all(
      [0, 1, 2, 3].map(async () => {
        while (next < filler) {
          const batch = [];
          while (batch.length < 20 && next < filler) {
            const g = ++next;
            const d = new Date(Date.UTC(2020, 0, 1) + (g % 1500) * 86_400_000)
              .toISOString()
              .slice(0, 10)
              .replace(/-/g, '');
            batch.push(
              make({
                study: `1.2.826.0.1.3680043.9.7433.8.${g}`,
                series: `1.2.826.0.1.3680043.9.7433.8.${g}.1`,
                sop: `1.2.826.0.1.3680043.9.7433.8.${g}.1.1`,
                studyDate: d,
                patientName: `Name${g}^Given`,
                patientId: `P${g}`,
                accession: `A${g}`,
              }),
            );
          }
          await stow(batch);
        }
      }),
    ),
  );
  m.fillerCount = filler;
  const sample = (path, accept) => latency((i) => base + path(i), headers, accept);
  m.qido = {};
  for (const [label, q] of [
    ['studies limit=100', '/studies?limit=100'],
    ['studies limit=100 includefield=all', '/studies?limit=100&includefield=all'],
    ['date range (~2,400 hits, limit=100)', '/studies?StudyDate=20210101-20211231&limit=100'],
    ['PatientName=Name12*', '/studies?PatientName=Name12*'],
    ['AccessionNumber exact', '/studies?AccessionNumber=A5000'],
  ]) {
    m.qido[label] = await sample(() => q);
  }
  const s1 = uid.study(1);
  const se1 = uid.series(1, 1);
  m.metadata = await sample(
    () => `/studies/${s1}/series/${se1}/metadata`,
    'application/dicom+json',
  );
  m.rendered = await sample(
    (i) => `/studies/${s1}/series/${se1}/instances/${uid.sop(1, 1, i + 1)}/rendered`,
    'image/jpeg',
  );
  m.machineAfter = machineCheck();
  return m;
}

// ---------- Orthanc in a loopback-only network namespace ----------

export function orthancProblem() {
  if (!existsSync(ORTHANC))
    return `${ORTHANC} is not installed (apt-get install -y orthanc orthanc-dicomweb orthanc-gdcm)`;
  if (!existsSync(ORTHANC_PLUGINS[0]))
    return 'the Orthanc DICOMweb plugin is not installed (apt-get install -y orthanc-dicomweb)';
  for (const tool of ['unshare', 'nsenter', 'ip'])
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is missing`;
  const probe = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up'], { timeout: 5000 });
  if (probe.status !== 0)
    return `network namespaces are not permitted here (unshare -n: ${String(probe.stderr).trim() || probe.status})`;
  return null;
}

async function withOrthanc(fn) {
  const dir = mkdtempSync(join(tmpdir(), 'huizhen-bench-orthanc-'));
  const config = {
    Name: 'bench',
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    StorageCompression: false,
    HttpPort: 8042,
    DicomServerEnabled: true,
    DicomAet: 'ORTHANC',
    DicomPort: 4242,
    DicomCheckCalledAet: false,
    DicomAlwaysAllowStore: true,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    SaveJobs: false,
    Plugins: ORTHANC_PLUGINS.filter((p) => existsSync(p)),
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
  };
  writeFileSync(join(dir, 'orthanc.json'), JSON.stringify(config));
  // unshare execs sh, which execs Orthanc: one PID, inside a namespace with only loopback.
  const child = spawn(
    'unshare',
    ['-n', 'sh', '-c', `ip link set lo up && exec ${ORTHANC} ${join(dir, 'orthanc.json')}`],
    {
      env: { ...process.env, TCP_NODELAY: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let log = '';
  child.stderr.on('data', (d) => (log = (log + d).slice(-4000)));
  const inNs = (args, opts = {}) =>
    spawnSync('nsenter', ['-t', String(child.pid), '-n', ...args], { timeout: 10_000, ...opts });
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`Orthanc exited with ${child.exitCode}: ${log.slice(-500)}`);
      if (inNs(['bash', '-c', 'exec 3<>/dev/tcp/127.0.0.1/8042']).status === 0) break;
      if (Date.now() > deadline)
        throw new Error(`Orthanc did not listen in 30 s: ${log.slice(-500)}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    return await fn(child.pid);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the workload in a fresh client process (this file, HUIZHEN_IMAGING_BENCH_ROLE=client) for
 * either archive, so both are measured by the same code in the same kind of process; `prefix`
 * enters Orthanc's network namespace. The floor servers are measured the same way (role floor).
 */
function clientProcess(role, env, prefix = []) {
  return new Promise((resolve, reject) => {
    const argv = [...prefix, process.execPath, fileURLToPath(import.meta.url)];
    const c = spawn(argv[0], argv.slice(1), {
      env: { ...process.env, ...env, HUIZHEN_IMAGING_BENCH_ROLE: role },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    // A guard against a hung archive, not a budget: on a slow day Orthanc alone needs over 5 minutes
    // (its QIDO rows at ~0.5 s a query, 600 queries).
    const timer = setTimeout(() => c.kill('SIGKILL'), 12 * 60_000);
    c.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0)
        return reject(
          new Error(
            `${role} process ${signal ? `was killed (${signal}; the guard is 12 minutes)` : `exited with ${code}`}`,
          ),
        );
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch (e) {
        reject(e);
      }
    });
  });
}

const role = process.env.HUIZHEN_IMAGING_BENCH_ROLE;
if (role === 'client' || role === 'floor') {
  const auth = process.env.HUIZHEN_IMAGING_BENCH_AUTH;
  const work =
    role === 'client'
      ? workload(process.env.HUIZHEN_IMAGING_BENCH_BASE, auth ? { authorization: auth } : {})
      : interleavedLatencies(JSON.parse(process.env.HUIZHEN_IMAGING_BENCH_FLOOR));
  work
    .then((m) => {
      process.stdout.write(JSON.stringify(m) + '\n');
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}

// ---------- the part ----------

function rowsOf(m, who) {
  const rows = [];
  const rate = (count, ms) => (count / ms) * 1000;
  rows.push({
    archive: who,
    metric: 'STOW-RS ingest, 1 client (39 KB CT, 20/request)',
    value: rate(1000, m.single),
    unit: 'instances/s',
  });
  rows.push({
    archive: who,
    metric: 'STOW-RS ingest, 1 client',
    value: rate((1000 * m.size) / 2 ** 20, m.single),
    unit: 'MB/s',
  });
  rows.push({
    archive: who,
    metric: 'STOW-RS ingest, 4 concurrent clients',
    value: rate(2000, m.concurrent),
    unit: 'instances/s',
  });
  rows.push({
    archive: who,
    metric: 'STOW-RS ingest, 4 concurrent clients',
    value: rate((2000 * m.size) / 2 ** 20, m.concurrent),
    unit: 'MB/s',
  });
  rows.push({
    archive: who,
    metric: `STOW-RS ingest, ${m.fillerCount} one-instance studies, 4 clients`,
    value: rate(m.fillerCount, m.filler),
    unit: 'instances/s',
  });
  const lat = (label, r) =>
    rows.push(
      r.error
        ? { archive: who, metric: label, value: NaN, unit: r.error }
        : { archive: who, metric: label, value: r.p50, unit: 'ms p50', p95: r.p95 },
    );
  for (const [label, r] of Object.entries(m.qido)) lat(`QIDO ${label} (10,000 studies)`, r);
  rows.push({
    archive: who,
    metric: `${MACHINE_CHECK}, as this archive's run started`,
    value: m.machineBefore,
    unit: 'ms',
  });
  rows.push({
    archive: who,
    metric: `${MACHINE_CHECK}, as this archive's run ended`,
    value: m.machineAfter,
    unit: 'ms',
  });
  lat('series metadata (50 instances)', m.metadata);
  lat('rendered frame, JPEG (128² CT)', m.rendered);
  return rows;
}

export async function run(context) {
  const cstore = cstoreFiles();
  try {
    return await measure(context, cstore);
  } finally {
    rmSync(cstore.dir, { recursive: true, force: true });
  }
}

async function measure({ repoRoot }, cstore) {
  const { startServer } = await import(join(repoRoot, 'bench/support.mjs'));
  const pg = require('pg');
  const rows = [];
  const notes = [];
  const schema = `bench_imaging_${Date.now().toString(36)}`;
  const db = new pg.Client({ connectionString: PG });
  await db.connect();
  await db.query(`CREATE SCHEMA ${schema}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'huizhen-bench-imaging-'));
  const { freePort } = await import(join(repoRoot, 'bench/support.mjs'));
  const dimsePort = await freePort();
  const server = await startServer(repoRoot, {
    DATA_DIR: dataDir,
    DATABASE_URL: PG,
    DATABASE_SCHEMA: schema,
    DATABASE_POOL_SIZE: '10',
    DIMSE_ENABLED: 'true',
    DIMSE_PORT: String(dimsePort),
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_RTC_PORT_BASE: '0',
    SEED_DEMO: 'false',
    NODE_ENV: 'production',
    JWT_SECRET: 'bench-secret-bench-secret-bench-secret-01',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
    LOG_LEVEL: 'error',
  });
  let ours;
  try {
    await db.query(`SET search_path = ${schema}, public`);
    const [{ id: org }] = (
      await db.query(
        `INSERT INTO organization (name, level, region_code) VALUES ('Bench township', 'township_health_centre', '430121') RETURNING id`,
      )
    ).rows;
    const salt = randomBytes(16);
    const hash = [
      'scrypt',
      16384,
      8,
      1,
      salt.toString('base64url'),
      scryptSync('Bench-pass-1', salt, 32, { N: 16384, r: 8, p: 1, maxmem: 64 * 2 ** 20 }).toString(
        'base64url',
      ),
    ].join('$');
    await db.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles) VALUES ('bench', 'Bench', $1, $2, '{township_doctor}')`,
      [hash, org],
    );
    const login = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bench', password: 'Bench-pass-1' }),
    });
    const { accessToken } = await login.json();
    const auth = { authorization: `Bearer ${accessToken}` };
    ours = await clientProcess('client', {
      HUIZHEN_IMAGING_BENCH_BASE: `${server.url}/dicom-web`,
      HUIZHEN_IMAGING_BENCH_AUTH: auth.authorization,
    });
    const [{ n }] = (await db.query('SELECT count(*)::int AS n FROM imaging_study')).rows;
    if (n !== STUDIES) notes.push(`Huizhen held ${n} studies during QIDO (expected ${STUDIES})`);
    rows.push(...rowsOf(ours, 'huizhen'));
    await db.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description) VALUES ('BENCHCT', $1, 'bench modality')`,
      [org],
    );
    rows.push(cstoreRow('huizhen', cstoreRate(cstore.files, dimsePort, 'HUIZHEN')));
    rows.push(
      cstoreRow('huizhen', cstoreRate(cstore.nagleFiles, dimsePort, 'HUIZHEN', [], false), true),
    );
    const floors = await floorLatencies(
      repoRoot,
      { PG, SCHEMA: schema, ORG: org },
      { url: `${server.url}/dicom-web/studies?AccessionNumber=A5000`, headers: auth },
    );
    for (const [mode, metric] of [
      ['none', 'floor: bare node:http, no work'],
      ['select 1', 'floor: bare node:http + one PostgreSQL round trip (SELECT 1)'],
      ['accession', 'floor: bare node:http + the exact-accession lookup (no auth, no audit)'],
      [
        'audited accession',
        'floor: bare node:http + the exact-accession lookup + its audit event (no auth)',
      ],
    ]) {
      const r = floors[mode];
      rows.push(
        r.error
          ? { archive: 'floor', metric, value: NaN, unit: r.error }
          : { archive: 'floor', metric, value: r.p50, unit: 'ms p50', p95: r.p95 },
      );
    }
    const beside = floors.huizhen;
    rows.push(
      beside.error
        ? { archive: 'huizhen', metric: BESIDE_FLOORS, value: NaN, unit: beside.error }
        : {
            archive: 'huizhen',
            metric: BESIDE_FLOORS,
            value: beside.p50,
            unit: 'ms p50',
            p95: beside.p95,
          },
    );
    const audited = floors['audited accession'];
    if (!beside.error && !audited.error)
      rows.push({
        archive: 'ratio',
        metric: 'QIDO AccessionNumber exact: huizhen over the audited floor, same moment',
        value: beside.p50 / audited.p50,
        unit: 'huizhen p50 ÷ floor p50',
      });

    // 1 GB ingest of 2 MiB instances, 4 clients, 10 per request; peak RSS from the kernel.
    const big = instanceFactory(bigBase(readFileSync(CT)));
    const bigSize = big({
      study: uid.study(1),
      series: uid.series(1, 1),
      sop: uid.sop(1, 1, 1),
    }).length;
    const count = Math.ceil(2 ** 30 / bigSize);
    let next = 0;
    const gb = await timed(() =>
      Promise.all(
        [0, 1, 2, 3].map(async () => {
          while (next < count) {
            const parts = [];
            while (parts.length < 10 && next < count) {
              const i = next++;
              const s = 50_000 + Math.floor(i / 100);
              parts.push(
                big({ study: uid.study(s), series: uid.series(s, 1), sop: uid.sop(s, 1, i) }),
              );
            }
            const { body, type } = multipart(parts);
            const r = await fetch(`${server.url}/dicom-web/studies`, {
              method: 'POST',
              headers: { ...auth, 'content-type': type },
              body,
            });
            if (r.status !== 200)
              throw new Error(`STOW ${r.status}: ${(await r.text()).slice(0, 300)}`);
          }
        }),
      ),
    );
    const status = readFileSync(`/proc/${server.child.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)[1]) / 1024;
    rows.push({
      archive: 'huizhen',
      metric: `1 GB ingest (${count} × ${(bigSize / 2 ** 20).toFixed(1)} MiB, 4 clients)`,
      value: ((count * bigSize) / 2 ** 20 / gb) * 1000,
      unit: 'MB/s',
    });
    rows.push({
      archive: 'huizhen',
      metric: 'server peak RSS (whole run, incl. 1 GB ingest)',
      value: hwm,
      unit: 'MiB',
    });
  } finally {
    await server.stop();
    await db.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await db.end();
    rmSync(dataDir, { recursive: true, force: true }); // over 1.5 GB of instances otherwise left in /tmp
  }

  const problem = orthancProblem();
  if (problem) {
    notes.push(`Orthanc comparison skipped: ${problem}.`);
    return { rows, notes };
  }
  let theirs;
  try {
    theirs = await withOrthanc(async (pid) => {
      const inNamespace = ['nsenter', '-t', String(pid), '-n'];
      const m = await clientProcess(
        'client',
        { HUIZHEN_IMAGING_BENCH_BASE: 'http://127.0.0.1:8042/dicom-web' },
        inNamespace,
      );
      return {
        ...m,
        cstore: cstoreRate(cstore.files, 4242, 'ORTHANC', inNamespace),
        cstoreNagle: cstoreRate(cstore.nagleFiles, 4242, 'ORTHANC', inNamespace, false),
      };
    });
  } catch (e) {
    notes.push(`Orthanc comparison failed, skipped: ${e instanceof Error ? e.message : String(e)}`);
    return { rows, notes };
  }
  const orthancRows = [
    ...rowsOf(theirs, 'orthanc 1.10.1'),
    cstoreRow('orthanc 1.10.1', theirs.cstore),
    cstoreRow('orthanc 1.10.1', theirs.cstoreNagle, true),
  ];
  rows.push(...orthancRows);
  // Ratios: ingest as huizhen/orthanc (higher is better for us), latency as orthanc/huizhen (likewise).
  for (const r of orthancRows) {
    if (r.metric.startsWith(MACHINE_CHECK)) continue;
    const mine = rows.find(
      (x) => x.archive === 'huizhen' && x.metric === r.metric && x.unit === r.unit,
    );
    if (!mine || !Number.isFinite(mine.value) || !Number.isFinite(r.value)) continue;
    const higherIsBetter = r.unit === 'instances/s' || r.unit === 'MB/s';
    rows.push({
      archive: 'ratio',
      metric: r.metric,
      value: higherIsBetter ? mine.value / r.value : r.value / mine.value,
      unit: higherIsBetter ? 'huizhen ÷ orthanc' : 'orthanc p50 ÷ huizhen p50',
    });
  }
  // The best ratios any archive answering over HTTP from PostgreSQL could show on the exact-accession row, without and with an audited read.
  const accession = orthancRows.find((r) => r.metric.startsWith('QIDO AccessionNumber exact'));
  const beside = rows.find((r) => r.archive === 'huizhen' && r.metric === BESIDE_FLOORS);
  if (accession && beside && Number.isFinite(accession.value) && Number.isFinite(beside.value)) {
    rows.push({
      archive: 'ratio',
      metric: `${accession.metric}, sampled beside the floors`,
      value: accession.value / beside.value,
      unit: 'orthanc p50 ÷ huizhen p50',
    });
  }
  for (const [mode, label] of [
    ['exact-accession lookup (no auth, no audit)', 'orthanc ÷ floor (the most reachable)'],
    ['its audit event', 'orthanc ÷ audited floor (the most reachable with every read audited)'],
  ]) {
    const floor = rows.find((r) => r.archive === 'floor' && r.metric.includes(mode));
    if (accession && floor && Number.isFinite(accession.value) && Number.isFinite(floor.value)) {
      rows.push({
        archive: 'ratio',
        metric: `${accession.metric}, ${label}`,
        value: accession.value / floor.value,
        unit: 'orthanc p50 ÷ floor p50',
      });
    }
  }
  notes.push(
    'Orthanc 1.10.1 + DICOMweb plugin (Debian), default SQLite index, storage synced, in a loopback-only network namespace; same files, same requests, client inside its namespace.',
  );
  return { rows, notes };
}
