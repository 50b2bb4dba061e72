import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '@huizhen/auth';
import {
  FIXTURE_PASSWORD,
  TestSchema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { RoutingStore } from '../../apps/imaging/src/routing/routing-store';
import { send } from '../api/authorization/support/http';
import { startImagingForTest } from './support/dicomweb-client';

const ENV = {
  ...process.env,
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const ROOT = '1.2.826.0.1.3680043.9.7433.71';
/** Each test's study, by name, under ROOT (UIDs are digits). */
const STUDY = {
  down: 1,
  mr: 2,
  dx: 3,
  restart: 4,
  refused: 5,
  nobody: 6,
  stow: 7,
  stowDenied: 8,
  catchUp: 10,
} as const;
const uidOf = (name: keyof typeof STUDY) => `${ROOT}.${STUDY[name]}`;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` answers something truthy (the queue runs on its own timers). */
async function until<T>(what: string, check: () => Promise<T>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await check();
    if (last) return last;
    await sleep(200);
  }
  throw new Error(`waited ${ms} ms for ${what}; last: ${JSON.stringify(last)}`);
}

/** A dcmtk storescp as the superior hospital's PACS; counts what it stored, instance by instance. */
class Storescp {
  private child: ChildProcess | null = null;
  log = '';
  readonly dir: string;
  constructor(
    readonly port: number,
    readonly options: string[] = [],
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'huizhen-routing-scp-'));
  }

  async start(): Promise<void> {
    this.child = spawn('storescp', ['-v', '-od', this.dir, ...this.options, String(this.port)], {
      env: ENV,
    });
    this.child.stdout!.on('data', (d) => (this.log += d));
    this.child.stderr!.on('data', (d) => (this.log += d));
    // Listening once a connection is taken.
    await until('storescp to listen', async () => {
      const { connect } = await import('node:net');
      return new Promise<boolean>((resolve) => {
        const s = connect(this.port, '127.0.0.1');
        s.on('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    });
  }

  /** SOP Instance UID → how many times it was stored. */
  receptions(): Map<string, number> {
    const out = new Map<string, number>();
    for (const m of this.log.matchAll(/storing DICOM file: .*?\/[A-Z]+\.([0-9.]+)\s/g))
      out.set(m[1], (out.get(m[1]) ?? 0) + 1);
    return out;
  }

  stop(): void {
    this.child?.kill('SIGKILL');
    this.child = null;
  }

  drop(): void {
    this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Routing studies on arrival: a township's CT sent by its modality goes on to the county
 * hospital's PACS (dcmtk storescp) through the durable queue: retried with backoff while the
 * PACS is down, delivered once across a restart of the imaging app and a crashed node's lease,
 * a permanent refusal a dead letter with its reason (retried or discarded by an admin), and
 * another county's admin reaches none of it.
 */
describe('routing: forwarding studies on arrival through a durable queue', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let app: Awaited<ReturnType<typeof startImagingForTest>> | null = null;
  let dimsePort: number;
  const token: Record<string, string> = {};
  const work = mkdtempSync(join(tmpdir(), 'huizhen-routing-'));
  const scps: Storescp[] = [];
  const peer: Record<string, string> = {};
  let ctRule: string;
  const env = {
    DIMSE_ENABLED: 'true',
    DIMSE_PORT: '0',
    DIMSE_AE_TITLE: 'HUIZHEN',
    ROUTING_QUIET_SECONDS: '1',
    ROUTING_RETRY_BASE_SECONDS: '1',
    ROUTING_RETRY_MAX_SECONDS: '2',
    ROUTING_MAX_ATTEMPTS: '6',
    ROUTING_POLL_SECONDS: '1',
  };

  async function start(): Promise<void> {
    app = await startImagingForTest(schema, env);
    dimsePort = app.app.get(DimseScp).port;
    for (const u of ['countyAdminA', 'townDoctorA'])
      token[u] = await loginAs(app.url, f.user[u].username);
    token.countyAdminB = await loginAs(app.url, 'county-admin-b');
  }

  const go = (who: string, method: string, path: string, body?: unknown) =>
    send(app!.url, { method, path: `/api/admin${path}`, token: token[who], body });

  /** Instances of a new study from pydicom's CT (or MR), as the township's modality makes them. */
  function study(name: keyof typeof STUDY, count: number, source = 'CT_small.dcm'): string[] {
    const files: string[] = [];
    const dir = join(work, name);
    const uid = uidOf(name);
    mkdirSync(dir, { recursive: true });
    for (let i = 1; i <= count; i++) {
      const file = join(dir, `${i}.dcm`);
      copyFileSync(join(PYDICOM, source), file);
      execFileSync(
        'dcmodify',
        [
          '-nb',
          '-i',
          `(0020,000D)=${uid}`,
          '-i',
          `(0020,000E)=${uid}.1`,
          '-i',
          `(0008,0018)=${uid}.1.${i}`,
          '-i',
          `(0020,0013)=${i}`,
          file,
        ],
        { env: ENV },
      );
      files.push(file);
    }
    return files;
  }

  /** The modality sends them to us over one association, as TOWNA_CT (or another AE). */
  async function storescu(files: string[], callingAe = 'TOWNA_CT'): Promise<string> {
    return new Promise((resolve) => {
      const p = spawn(
        'storescu',
        ['-v', '-aet', callingAe, '-aec', 'HUIZHEN', '127.0.0.1', String(dimsePort), ...files],
        { env: ENV },
      );
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('close', (status) => resolve(status === 0 ? 'stored' : `storescu ${status}: ${out}`));
    });
  }

  async function jobOf(studyName: keyof typeof STUDY, ruleId = ctRule) {
    const r = await go('countyAdminA', 'GET', `/forward-jobs?organizationId=${f.org.townA}`);
    expect(r.status).toBe(200);
    return r.body.items.find(
      (j: any) => j.studyInstanceUid === uidOf(studyName) && j.ruleId === ruleId,
    );
  }

  async function destination(aeTitle: string, port: number): Promise<string> {
    const r = await go('countyAdminA', 'POST', '/dicom-peers', {
      organizationId: f.org.townA,
      aeTitle,
      host: '127.0.0.1',
      port,
      directions: ['retrieve_destination'],
      description: '县医院 PACS',
    });
    expect(r.status).toBe(201);
    return r.body.id;
  }

  beforeAll(async () => {
    schema = await TestSchema.create('routing');
    f = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles)
       VALUES ('county-admin-b', 'countyAdminB', $1, $2, '{admin}')`,
      [await hashPassword(FIXTURE_PASSWORD), f.org.countyB],
    );
    // The township's modalities, which send to us.
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, directions)
       VALUES ('TOWNA_CT', $1, '{store}'), ('TOWNA_MR', $1, '{store}'), ('TOWNA_DX', $1, '{store}'),
              ('TOWNA_US', $1, '{store}')`,
      [f.org.townA],
    );
    await start();
  }, 120_000);

  afterAll(async () => {
    await app?.app.close();
    for (const s of scps) s.drop();
    await schema?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('rules are their organization’s admins’: validated, and out of another county’s reach', async () => {
    const pacsPort = await freePort();
    scps.push(new Storescp(pacsPort, ['-aet', 'COUNTY_PACS']));
    peer.pacs = await destination('COUNTY_PACS', pacsPort);
    const peerB = await send(app!.url, {
      method: 'POST',
      path: '/api/admin/dicom-peers',
      token: token.countyAdminB,
      body: {
        organizationId: f.org.townB,
        aeTitle: 'TOWNB_PACS',
        host: '127.0.0.1',
        port: 104,
        directions: ['retrieve_destination'],
      },
    });
    expect(peerB.status).toBe(201);
    const modality = await go('countyAdminA', 'POST', '/dicom-peers', {
      organizationId: f.org.townA,
      aeTitle: 'TOWNA_XA',
      directions: ['store'],
    });

    const rule = {
      organizationId: f.org.townA,
      name: 'CT 送县医院',
      modalities: ['CT'],
      callingAeTitles: ['TOWNA_CT'],
      dimsePeerId: peer.pacs,
    };
    const bad: [unknown, number, string | undefined][] = [
      [{ ...rule, dicomwebPeerId: peer.pacs }, 400, 'routing_destination'],
      [{ ...rule, dimsePeerId: undefined }, 400, 'routing_destination'],
      [{ ...rule, dimsePeerId: modality.body.id }, 400, 'routing_destination'],
      [{ ...rule, dimsePeerId: peerB.body.id }, 403, 'access_denied'],
      [
        { ...rule, dimsePeerId: '00000000-0000-4000-8000-000000000000' },
        404,
        'dimse_peer_not_found',
      ],
      [{ ...rule, modalities: ['ct scan'] }, 400, undefined],
    ];
    for (const [body, status, code] of bad) {
      const r = await go('countyAdminA', 'POST', '/routing-rules', body);
      expect([r.status, r.body.details?.code]).toEqual([status, code]);
    }
    const created = await go('countyAdminA', 'POST', '/routing-rules', rule);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      organizationId: f.org.townA,
      modalities: ['CT'],
      callingAeTitles: ['TOWNA_CT'],
      destination: { kind: 'dimse', peerId: peer.pacs, name: 'COUNTY_PACS' },
      enabled: true,
    });
    ctRule = created.body.id;
    const again = await go('countyAdminA', 'POST', '/routing-rules', rule);
    expect([again.status, again.body.details?.code]).toEqual([409, 'routing_rule_exists']);

    // Another county's admin, and a township doctor: none of it.
    const theirs = await go('countyAdminB', 'GET', `/routing-rules?organizationId=${f.org.townA}`);
    expect(theirs.status).toBe(403);
    expect((await go('countyAdminB', 'GET', '/routing-rules')).body.items).toEqual([]);
    expect((await go('countyAdminB', 'GET', '/forward-jobs')).body.items).toEqual([]);
    const edit = await go('countyAdminB', 'PATCH', `/routing-rules/${ctRule}`, { enabled: false });
    expect(edit.status).toBe(403);
    expect((await go('countyAdminB', 'DELETE', `/routing-rules/${ctRule}`)).status).toBe(403);
    expect((await go('townDoctorA', 'GET', '/routing-rules')).status).toBe(403);
    const mine = await go('countyAdminA', 'GET', `/routing-rules?organizationId=${f.org.townA}`);
    expect(mine.body.items.map((r: any) => r.id)).toEqual([ctRule]);
    const [audit] = await schema.query(
      `SELECT details FROM audit_event WHERE action = 'dicom_route.create' AND resource_id = $1`,
      [ctRule],
    );
    expect(audit.details).toMatchObject({ name: 'CT 送县医院', dimsePeerId: peer.pacs });
  });

  it('a PACS that is down: retried with a growing delay, delivered once it is up', async () => {
    const pacs = scps[0];
    expect(await storescu(study('down', 3))).toBe('stored');
    // An MR of the same township, and a CT from another sender: the rule takes neither.
    expect(await storescu(study('mr', 1, 'MR_small.dcm'))).toBe('stored');
    expect(await storescu(study('dx', 1), 'TOWNA_DX')).toBe('stored');

    const failing = await until('two failed attempts', async () => {
      const j = await jobOf('down');
      if (j?.state === 'dead') throw new Error(JSON.stringify(j));
      return j?.state === 'queued' && j.attempts >= 2 ? j : null;
    });
    expect(failing.lastError).toMatch(/ECONNREFUSED|connection|closed/i);
    expect(failing.failures.map((x: any) => x.attempt).slice(0, 2)).toEqual([
      failing.attempts,
      failing.attempts - 1,
    ]);
    // The second delay is longer than the first (1 s, then 2 s, ±20 %).
    const at = failing.failures.map((x: any) => Date.parse(x.at));
    expect(Date.parse(failing.nextAttemptAt) - at[0]).toBeGreaterThanOrEqual(1500);

    await pacs.start();
    const done = await until('the study delivered', async () => {
      const j = await jobOf('down');
      return j?.state === 'done' ? j : null;
    });
    expect(done).toMatchObject({ instancesTotal: 3, instancesSent: 3, lastError: null });
    expect([...pacs.receptions().entries()].sort()).toEqual(
      [1, 2, 3].map((i) => [`${uidOf('down')}.1.${i}`, 1]),
    );
    expect(await jobOf('mr')).toBeUndefined();
    expect(await jobOf('dx')).toBeUndefined();
    const [audit] = await schema.query(
      `SELECT details FROM audit_event WHERE action = 'imaging_study.forward' AND resource_id = $1`,
      [uidOf('down')],
    );
    expect(audit.details).toMatchObject({ ruleId: ctRule, instances: 3 });
  }, 90_000);

  it('a restart of the imaging app in the middle, and a crashed node’s lease: each instance delivered once', async () => {
    const slowPort = await freePort();
    const slow = new Storescp(slowPort, ['-aet', 'SLOW_PACS', '--sleep-after', '1']);
    scps.push(slow);
    await slow.start();
    const patched = await go('countyAdminA', 'PATCH', `/routing-rules/${ctRule}`, {
      dimsePeerId: await destination('SLOW_PACS', slowPort),
    });
    expect(patched.status).toBe(200);
    expect(patched.body.destination.name).toBe('SLOW_PACS');

    expect(await storescu(study('restart', 6))).toBe('stored');
    const midway = await until('part of the study sent', async () => {
      const j = await jobOf('restart');
      return j?.state === 'sending' && j.instancesSent >= 2 ? j : null;
    });
    expect(midway.instancesTotal).toBe(6);
    await app!.app.close();
    app = null;
    const [left] = await schema.query(
      `SELECT id, state, claimed_by, instances_sent FROM imaging_forward_job WHERE study_instance_uid = $1`,
      [uidOf('restart')],
    );
    // Stopping gave the job back; what the PACS acknowledged stays acknowledged.
    expect(left.state).toBe('queued');
    expect(left.claimed_by).toBeNull();
    expect(left.instances_sent).toBeGreaterThanOrEqual(2);
    expect(left.instances_sent).toBeLessThan(6);
    // As a node that died while sending leaves it: 'sending' under its name until its lease runs out.
    await schema.query(
      `UPDATE imaging_forward_job SET state = 'sending', claimed_by = 'crashed-node',
              lease_until = now() + interval '2 seconds' WHERE id = $1`,
      [left.id],
    );

    await start();
    const done = await until('the study delivered after the restart', async () => {
      const j = await jobOf('restart');
      return j?.state === 'done' ? j : null;
    });
    expect(done.instancesSent).toBe(6);
    const received = slow.receptions();
    expect([...received.keys()].sort()).toEqual(
      [1, 2, 3, 4, 5, 6].map((i) => `${uidOf('restart')}.1.${i}`).sort(),
    );
    expect([...received.values()]).toEqual([1, 1, 1, 1, 1, 1]);
  }, 120_000);

  it('a permanent refusal is a dead letter with its reason; an admin retries or discards it', async () => {
    const refusingPort = await freePort();
    const refusing = new Storescp(refusingPort, ['-aet', 'REFUSING', '--refuse']);
    scps.push(refusing);
    await refusing.start();
    const rule = await go('countyAdminA', 'POST', '/routing-rules', {
      organizationId: f.org.townA,
      name: 'MR 送市医院',
      callingAeTitles: ['TOWNA_MR'],
      dimsePeerId: await destination('REFUSING', refusingPort),
    });
    expect(rule.status).toBe(201);
    expect(await storescu(study('refused', 1, 'MR_small.dcm'), 'TOWNA_MR')).toBe('stored');
    const dead = await until('a dead letter', async () => {
      const j = await jobOf('refused', rule.body.id);
      return j?.state === 'dead' ? j : null;
    });
    // One attempt: a permanent rejection is not worth another.
    expect(dead.attempts).toBe(1);
    expect(dead.lastError).toMatch(/association rejected \(result 1/);
    expect(dead.failures).toEqual([{ at: expect.any(String), attempt: 1, reason: dead.lastError }]);
    expect(dead.nextAttemptAt).toBeNull();
    const listed = await go('countyAdminA', 'GET', '/forward-jobs?state=dead');
    expect(listed.body.items.map((j: any) => j.id)).toEqual([dead.id]);

    expect((await go('countyAdminB', 'POST', `/forward-jobs/${dead.id}/retry`)).status).toBe(403);
    expect((await go('countyAdminB', 'DELETE', `/forward-jobs/${dead.id}`)).status).toBe(403);
    const done = await jobOf('restart');
    const notDead = await go('countyAdminA', 'POST', `/forward-jobs/${done.id}/retry`);
    expect([notDead.status, notDead.body.details?.code]).toEqual([409, 'forward_job_not_dead']);

    const retried = await go('countyAdminA', 'POST', `/forward-jobs/${dead.id}/retry`);
    expect(retried.status).toBe(201);
    expect(retried.body).toMatchObject({ state: 'queued', attempts: 0 });
    await until('dead again after the retry', async () => {
      const j = await jobOf('refused', rule.body.id);
      return j?.state === 'dead' && j.failures.length === 2;
    });
    const discarded = await go('countyAdminA', 'DELETE', `/forward-jobs/${dead.id}`);
    expect(discarded.status).toBe(200);
    expect(await jobOf('refused', rule.body.id)).toBeUndefined();
    const gone = await go('countyAdminA', 'DELETE', `/forward-jobs/${dead.id}`);
    expect([gone.status, gone.body.details?.code]).toEqual([404, 'forward_job_not_found']);
    expect(refusing.receptions().size).toBe(0);
  }, 90_000);

  it('a PACS that never answers: a dead letter after the last attempt, with every reason', async () => {
    const rule = await go('countyAdminA', 'POST', '/routing-rules', {
      organizationId: f.org.townA,
      name: 'DX 送省医院',
      callingAeTitles: ['TOWNA_DX'],
      dimsePeerId: await destination('NOBODY', await freePort()),
    });
    expect(rule.status).toBe(201);
    expect(await storescu(study('nobody', 1), 'TOWNA_DX')).toBe('stored');
    const dead = await until(
      'the attempts spent',
      async () => {
        const j = await jobOf('nobody', rule.body.id);
        return j?.state === 'dead' ? j : null;
      },
      90_000,
    );
    expect(dead.attempts).toBe(6);
    expect(dead.failures.map((x: any) => x.attempt)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(dead.lastError).toMatch(/ECONNREFUSED|connection/i);
  }, 120_000);

  it('STOW-RS to a DICOMweb peer: delivered with the peer’s credentials; refused ones are a dead letter', async () => {
    // The county hospital's archive: another Huizhen imaging node with its own database.
    const county = await TestSchema.create('routing_county');
    const countyDir = await seedDirectory(county);
    const countyApp = await startImagingForTest(county, {
      DIMSE_ENABLED: 'false',
      ROUTING_POLL_SECONDS: '0',
    });
    try {
      // The secret lives outside the database: the peer names the variable holding it.
      process.env.ROUTING_TEST_COUNTY_TOKEN = await loginAs(
        countyApp.url,
        countyDir.user.townDoctorA.username,
      );
      const web = await go('countyAdminA', 'POST', '/dicomweb-peers', {
        organizationId: f.org.townA,
        name: '县医院 DICOMweb',
        baseUrl: `${countyApp.url}/dicom-web`,
        credentialsRef: 'ROUTING_TEST_COUNTY_TOKEN',
      });
      expect(web.status).toBe(201);
      const rule = await go('countyAdminA', 'POST', '/routing-rules', {
        organizationId: f.org.townA,
        name: '超声送县医院',
        callingAeTitles: ['TOWNA_US'],
        dicomwebPeerId: web.body.id,
      });
      expect(rule.status).toBe(201);
      expect(rule.body.destination).toEqual({
        kind: 'dicomweb',
        peerId: web.body.id,
        name: '县医院 DICOMweb',
      });

      expect(await storescu(study('stow', 3), 'TOWNA_US')).toBe('stored');
      const done = await until('the study delivered by STOW-RS', async () => {
        const j = await jobOf('stow', rule.body.id);
        return j?.state === 'done' ? j : null;
      });
      expect(done).toMatchObject({ instancesTotal: 3, instancesSent: 3, attempts: 1 });
      const there = await fetch(`${countyApp.url}/dicom-web/studies/${uidOf('stow')}/instances`, {
        headers: { authorization: `Bearer ${process.env.ROUTING_TEST_COUNTY_TOKEN}` },
      });
      expect(there.status).toBe(200);
      const uids = ((await there.json()) as any[]).map((i) => i['00080018'].Value[0]).sort();
      expect(uids).toEqual([1, 2, 3].map((i) => `${uidOf('stow')}.1.${i}`));

      // Credentials the destination refuses will not get better by themselves.
      process.env.ROUTING_TEST_COUNTY_TOKEN = 'not-a-token';
      expect(await storescu(study('stowDenied', 1), 'TOWNA_US')).toBe('stored');
      const dead = await until('a dead letter', async () => {
        const j = await jobOf('stowDenied', rule.body.id);
        return j?.state === 'dead' ? j : null;
      });
      expect(dead.attempts).toBe(1);
      expect(dead.lastError).toBe('县医院 DICOMweb: STOW-RS answered 401');
    } finally {
      delete process.env.ROUTING_TEST_COUNTY_TOKEN;
      await countyApp.app.close();
      await county.drop();
    }
  }, 120_000);

  it('nodes claiming at once never take the same job', async () => {
    const jobs: { id: string }[] = await schema.query(
      `INSERT INTO imaging_forward_job (rule_id, organization_id, study_instance_uid, state, next_attempt_at)
       SELECT $1, $2, '${ROOT}.9.' || n, 'queued', now() FROM generate_series(1, 40) n
       RETURNING id`,
      [ctRule, f.org.townA],
    );
    const store = app!.app.get(RoutingStore);
    // Four claimers on the pool's connections at once, beside this node's own worker.
    const claims = await Promise.all(
      ['node-a', 'node-b', 'node-c', 'node-d'].map((node) =>
        store.claim(node, 60, 15).then((got) => got.map((c) => ({ node, id: c.id }))),
      ),
    );
    const taken = claims.flat();
    // 40 due jobs, 15 a claim: at least three claimers got some (the worker takes two at most).
    expect(new Set(taken.map((c) => c.node)).size).toBeGreaterThanOrEqual(3);
    expect(new Set(taken.map((c) => c.id)).size).toBe(taken.length);
    const rows: { id: string; claimed_by: string | null; attempts: number }[] = await schema.query(
      `SELECT id, claimed_by, attempts FROM imaging_forward_job WHERE id = ANY($1::uuid[])`,
      [taken.map((c) => c.id)],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    for (const c of taken)
      expect(byId.get(c.id)).toMatchObject({ claimed_by: c.node, attempts: 1 });
    await schema.query(`DELETE FROM imaging_forward_job WHERE id = ANY($1::uuid[])`, [
      jobs.map((j) => j.id),
    ]);
  });

  it('an arrival a stopped process never armed is armed at the next start', async () => {
    const rule = await go('countyAdminA', 'POST', '/routing-rules', {
      organizationId: f.org.townA,
      name: 'MR 全部送县医院',
      modalities: ['MR'],
      dimsePeerId: peer.pacs,
    });
    expect(rule.status).toBe(201);
    expect(await storescu(study('catchUp', 2, 'MR_small.dcm'), 'TOWNA_MR')).toBe('stored');
    await app!.app.close();
    app = null;
    // What a crash between the rows' commit and the job's arming leaves: the study, no job.
    await schema.query(`DELETE FROM imaging_forward_job WHERE rule_id = $1`, [rule.body.id]);
    await start();
    const done = await until('the missed study delivered', async () => {
      const j = await jobOf('catchUp', rule.body.id);
      return j?.state === 'done' ? j : null;
    });
    expect(done.instancesSent).toBe(2);
    const received = scps[0].receptions();
    expect([1, 2].map((i) => received.get(`${uidOf('catchUp')}.1.${i}`))).toEqual([1, 1]);
    // A dead letter discarded before is not brought back by a later start.
    const [discarded] = await schema.query(
      `SELECT count(*)::int AS n FROM imaging_forward_job WHERE discarded_at IS NOT NULL`,
    );
    expect(discarded.n).toBe(1);
  }, 120_000);
});
