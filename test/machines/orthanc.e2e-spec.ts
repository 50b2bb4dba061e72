import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { dataSetOf } from '../../apps/imaging/src/dimse/dimse-retrieve';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { send } from '../api/authorization/support/http';
import { waitFor } from '../browser/support/wait';
import { get, multipartRelated, parseMultipart } from '../imaging/support/dicomweb-client';
import { tcpRelay } from '../media/support/tcp-relay';
import { ORTHANC_DICOM_PORT, OrthancPeer } from './support/orthanc';
import { apiAndImaging } from './support/api-and-imaging';

/** The access-token lifetime of this server: the shortest the config takes. */
const ACCESS_TTL_S = 30;
const ORTHANC_AE = 'TOWNA_ORTHANC';
/** The studies Orthanc holds from the start, to push to us. */
const pushedByOrthanc = ['bearer', 'basic', 'person', 'cstore', 'lateKey', 'latePerson', 'revoked'];
/** What Orthanc's HTTP client logs when we refuse its credentials. */
const UNAUTHORIZED = /received HTTP status 401/;
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const DCMTK_ENV = {
  ...process.env,
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

const why = OrthancPeer.unsupportedReason();
if (why) process.stderr.write(`Orthanc machine tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

/** A fresh UID under 2.25 (a UUID-derived root): every run's studies are new to both archives. */
const newUid = () => `2.25.${BigInt(`0x${randomBytes(15).toString('hex')}`)}`;

type ForwardJob = { studyInstanceUid: string; state: string; destination: { kind: string } };

interface TestStudy {
  uid: string;
  patientName: string;
  /** SOP Instance UID → the file as written (what Orthanc is given). */
  files: Map<string, string>;
}

/**
 * A study of real files from pydicom's test set (a CT and an MR, one series each), rewritten by
 * dcmodify with fresh UIDs and this patient.
 */
function makeStudy(dir: string, patientName: string, patientId: string): TestStudy {
  const study: TestStudy = { uid: newUid(), patientName, files: new Map() };
  for (const source of ['CT_small.dcm', 'MR_small.dcm']) {
    const sop = newUid();
    const file = join(dir, `${sop}.dcm`);
    copyFileSync(join(PYDICOM, source), file);
    const set = {
      StudyInstanceUID: study.uid,
      SeriesInstanceUID: newUid(),
      SOPInstanceUID: sop,
      PatientName: patientName,
      PatientID: patientId,
      AccessionNumber: '',
    };
    const args = ['-nb'];
    for (const [k, v] of Object.entries(set)) args.push('-i', `${k}=${v}`);
    execFileSync('dcmodify', [...args, file], { env: DCMTK_ENV });
    study.files.set(sop, file);
  }
  return study;
}

/** dcmtk's storescu as a township's modality sending to us (asynchronously: the SCP is in this process). */
function storescu(
  callingAe: string,
  port: number,
  files: string[],
): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const args = ['-aet', callingAe, '-aec', 'HUIZHEN', '127.0.0.1', String(port), ...files];
    const p = spawn('storescu', args, { env: DCMTK_ENV });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (status) => resolve({ status, out }));
  });
}

/**
 * Orthanc as a township's archive, holding a service-account key in its configuration: it pushes
 * studies to us by STOW-RS (the key as Bearer and as Basic password) and by C-STORE (its AE
 * registered as the township's peer through the admin route), queries us by C-FIND and sees only
 * its organization's studies, pulls its township's studies by WADO-RS, receives the studies our
 * routing rules forward to it (C-STORE and STOW-RS); the key keeps working past the access-token lifetime (a person's
 * token configured beside it stops), and revoking it stops the next push at once.
 */
suite('Orthanc as our peer, holding a machine credential', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let orthanc: OrthancPeer;
  const relays: { close(): Promise<void> }[] = [];
  const token: Record<string, string> = {};
  const tokenAt: Record<string, number> = {};
  let pastedToken: string;
  let pastedAt = 0;
  let key: string;
  let accountId: string;
  let orthancPeerId: string;
  /** Orthanc's id of each study it pushes (it holds those from the start). */
  const inOrthanc = new Map<TestStudy, string>();
  const study: Record<string, TestStudy> = {};

  /** A person's access token younger than half its lifetime: the test reads and administers as people on a slow machine too. */
  async function tokenOf(who: string): Promise<string> {
    if (!token[who] || Date.now() - tokenAt[who] > (ACCESS_TTL_S * 1000) / 2) {
      token[who] = await loginAs(server.url, f.user[who].username);
      tokenAt[who] = Date.now();
    }
    return token[who];
  }

  const admin = async (method: string, path: string, body?: unknown) =>
    send(server.url, {
      method,
      path: `/api/admin${path}`,
      token: await tokenOf('countyAdminA'),
      body,
    });

  /** Our view of a study, as the township's doctor reads it: its instances' SOP UIDs, and its owner. */
  async function ours(s: TestStudy): Promise<{ sops: string[]; organizationId: string | null }> {
    const rows = await schema.query(
      'SELECT organization_id FROM imaging_study WHERE study_instance_uid = $1',
      [s.uid],
    );
    const r = await get(
      server.url,
      await tokenOf('townDoctorA'),
      `/dicom-web/studies/${s.uid}/instances`,
    );
    const sops =
      r.status === 200
        ? (r.json() as Record<string, { Value?: string[] }>[]).map((i) => i['00080018'].Value![0])
        : [];
    return { sops: sops.sort(), organizationId: rows[0]?.organization_id ?? null };
  }

  /** Orthanc's STOW-RS client sends a study it holds to one of its configured DICOMweb servers. */
  const stowFromOrthanc = (serverName: string, s: TestStudy) =>
    orthanc.rest('POST', `/dicom-web/servers/${serverName}/stow`, {
      Resources: [inOrthanc.get(s)],
      Synchronous: true,
    });

  const findInOrthanc = (s: TestStudy, expand: boolean) =>
    orthanc.rest('POST', '/tools/find', {
      Level: 'Instance',
      Query: { StudyInstanceUID: s.uid },
      Expand: expand,
    });
  const orthancInstancesOf = async (s: TestStudy) =>
    ((await findInOrthanc(s, false)).body as string[]).length;

  /** The instances Orthanc holds of a study: SOP Instance UID → the file as Orthanc stores it. */
  async function heldByOrthanc(s: TestStudy): Promise<Map<string, Buffer>> {
    const found = await findInOrthanc(s, true);
    const held = new Map<string, Buffer>();
    for (const i of found.body as { ID: string; MainDicomTags: { SOPInstanceUID: string } }[])
      held.set(i.MainDicomTags.SOPInstanceUID, await orthanc.file(i.ID));
    return held;
  }

  /** A person's STOW-RS straight to us (the web's upload path), not through Orthanc. */
  async function stowAs(who: string, s: TestStudy): Promise<void> {
    const mp = multipartRelated([...s.files.values()].map((p) => readFileSync(p)));
    const r = await send(server.url, {
      method: 'POST',
      path: '/dicom-web/studies',
      token: await tokenOf(who),
      body: mp.body,
      contentType: mp.contentType,
      headers: { accept: 'application/dicom+json' },
    });
    if (r.status !== 200)
      throw new Error(`${who}'s STOW of ${s.patientName}: ${r.status} ${r.text}`);
  }

  beforeAll(async () => {
    schema = await TestSchema.create('orthanc_peer');
    f = await seedDirectory(schema);
    server = await startTestApp(
      schema.env({
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S),
        DIMSE_ENABLED: 'true',
        DIMSE_PORT: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_AE_TITLE: 'HUIZHEN',
        // Forward an arrived study at once, and look for due jobs every second.
        ROUTING_QUIET_SECONDS: '0',
        ROUTING_POLL_SECONDS: '1',
        ROUTING_RETRY_BASE_SECONDS: '1',
      }),
      apiAndImaging,
    );
    orthanc = await OrthancPeer.prepare();
    // The server listens on loopback; Orthanc reaches it at the link's host end, relayed.
    const http = await tcpRelay(orthanc.hostAddress, Number(new URL(server.url).port));
    const dimse = await tcpRelay(orthanc.hostAddress, server.app.get(DimseScp).port);
    relays.push(http, dimse);
    const ourUrl = `http://${orthanc.hostAddress}:${http.port}/dicom-web/`;

    // Every file first: the pasted token's lifetime starts below, and the tests before it ends must not wait on dcmodify.
    const tmp = orthanc.scratch('studies');
    const patients: Record<string, [string, string]> = {
      // The studies Orthanc holds and pushes to us.
      bearer: ['ORTHANC^BEARER', 'OR-1'],
      basic: ['ORTHANC^BASIC', 'OR-2'],
      person: ['ORTHANC^PERSON', 'OR-3'],
      cstore: ['ORTHANC^CSTORE', 'OR-4'],
      lateKey: ['ORTHANC^LATEKEY', 'OR-5'],
      latePerson: ['ORTHANC^LATEPERSON', 'OR-6'],
      revoked: ['ORTHANC^REVOKED', 'OR-7'],
      // A study the township's doctor stores here directly (Orthanc does not hold it), and
      // township B's study, matching the same queries: Orthanc (township A) must never see B's.
      direct: ['ORTHANC^DIRECT', 'OR-9'],
      moved: ['ORTHANC^MOVED', 'OR-10'],
      otherOrg: ['ORTHANC^OTHERORG', 'OR-8'],
      // What the township's modalities send us, for the rules to route on to Orthanc.
      routedDimse: ['ROUTED^DR', 'RT-1'],
      routedStow: ['ROUTED^US', 'RT-2'],
    };
    for (const [name, [patient, id]] of Object.entries(patients))
      study[name] = makeStudy(tmp, patient, id);

    // What a township did before keys: the doctor's access token pasted into Orthanc's config.
    pastedToken = await loginAs(server.url, f.user.townDoctorA.username);
    pastedAt = Date.now();

    const created = await admin('POST', '/service-accounts', {
      organizationId: f.org.townA,
      name: '乡镇卫生院 Orthanc',
      scopes: ['dicomweb:read', 'dicomweb:write'],
    });
    expect(created.status).toBe(201);
    key = created.body.key;
    accountId = created.body.account.id;
    const peer = await admin('POST', '/dicom-peers', {
      organizationId: f.org.townA,
      aeTitle: ORTHANC_AE,
      host: orthanc.nsAddress,
      port: ORTHANC_DICOM_PORT,
      directions: ['store', 'query', 'retrieve_destination'],
      description: '乡镇卫生院 Orthanc',
    });
    expect(peer.status).toBe(201);
    orthancPeerId = peer.body.id;

    await orthanc.start({
      aeTitle: ORTHANC_AE,
      dicomwebServers: {
        huizhen: { url: ourUrl, httpHeaders: { Authorization: `Bearer ${key}` } },
        'huizhen-basic': { url: ourUrl, username: 'orthanc', password: key },
        'huizhen-person': { url: ourUrl, httpHeaders: { Authorization: `Bearer ${pastedToken}` } },
      },
      modalities: { huizhen: { aeTitle: 'HUIZHEN', host: orthanc.hostAddress, port: dimse.port } },
    });

    for (const [name, s] of Object.entries(study)) {
      if (!pushedByOrthanc.includes(name)) continue;
      for (const file of s.files.values()) {
        const { study: orthancId } = await orthanc.upload(file);
        inOrthanc.set(s, orthancId);
      }
    }
    await stowAs('townDoctorA', study.direct);
    await stowAs('townDoctorA', study.moved);
    await stowAs('townDoctorB', study.otherOrg);
  }, 180_000);

  afterAll(async () => {
    await orthanc?.stop();
    for (const r of relays) await r.close();
    await server?.app.close();
    await schema?.drop();
  });

  it('Orthanc pushes by STOW-RS with the key as Bearer: the study is the township’s, bit for bit', async () => {
    const s = study.bearer;
    const pushed = await stowFromOrthanc('huizhen', s);
    expect([pushed.status, pushed.text]).toEqual([200, expect.any(String)]);
    const seen = await ours(s);
    expect(seen).toEqual({ sops: [...s.files.keys()].sort(), organizationId: f.org.townA });
    // What we serve back is the data set Orthanc was given, byte for byte.
    const wado = await get(
      server.url,
      await tokenOf('townDoctorA'),
      `/dicom-web/studies/${s.uid}`,
      'multipart/related; type="application/dicom"',
    );
    expect(wado.status).toBe(200);
    const served = parseMultipart(wado.body, wado.headers.get('content-type')!).map((p) =>
      dataSetOf(p.body),
    );
    const given = [...s.files.values()].map((p) => dataSetOf(readFileSync(p)));
    expect(served.length).toBe(given.length);
    for (const g of given) expect(served.some((d) => d.equals(g))).toBe(true);
    // The machine is audited as itself.
    const [audit] = await schema.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE actor_id = $1`,
      [accountId],
    );
    expect(audit.n).toBeGreaterThan(0);
  });

  it('… and with the key as the Basic password; a person’s pasted token works too, for now', async () => {
    expect((await stowFromOrthanc('huizhen-basic', study.basic)).status).toBe(200);
    expect((await ours(study.basic)).organizationId).toBe(f.org.townA);
    expect((await stowFromOrthanc('huizhen-person', study.person)).status).toBe(200);
    expect((await ours(study.person)).organizationId).toBe(f.org.townA);
  });

  it('Orthanc pushes by C-STORE as its registered AE: the study is the township’s', async () => {
    const s = study.cstore;
    const stored = await orthanc.rest('POST', '/modalities/huizhen/store', {
      Resources: [inOrthanc.get(s)],
      Synchronous: true,
    });
    expect([stored.status, stored.body?.FailedInstancesCount]).toEqual([200, 0]);
    expect(await ours(s)).toEqual({
      sops: [...s.files.keys()].sort(),
      organizationId: f.org.townA,
    });
  });

  it('Orthanc queries us by C-FIND: its organization’s studies, nothing of another', async () => {
    const query = await orthanc.rest('POST', '/modalities/huizhen/query', {
      Level: 'Study',
      Query: { PatientName: 'ORTHANC^*', StudyInstanceUID: '', NumberOfStudyRelatedInstances: '' },
    });
    expect(query.status).toBe(200);
    const answers = await orthanc.rest('GET', `/queries/${query.body.ID}/answers?expand&simplify`);
    expect(answers.status).toBe(200);
    const found = new Map<string, Record<string, string>>(
      (answers.body as Record<string, string>[]).map((a) => [a.StudyInstanceUID, a]),
    );
    const expected = [
      study.bearer,
      study.basic,
      study.person,
      study.cstore,
      study.direct,
      study.moved,
    ];
    expect([...found.keys()].sort()).toEqual(expected.map((s) => s.uid).sort());
    expect(found.has(study.otherOrg.uid)).toBe(false);
    expect(found.get(study.cstore.uid)).toMatchObject({
      PatientName: 'ORTHANC^CSTORE',
      NumberOfStudyRelatedInstances: '2',
    });
    // An exact UID of the other township's study is no different from one that does not exist.
    const direct = await orthanc.rest('POST', '/modalities/huizhen/query', {
      Level: 'Study',
      Query: { StudyInstanceUID: study.otherOrg.uid },
    });
    const none = await orthanc.rest('GET', `/queries/${direct.body.ID}/answers`);
    expect(none.body).toEqual([]);
  });

  it('Orthanc retrieves from us by C-MOVE to itself: its township’s study whole, not another’s', async () => {
    const move = (s: TestStudy) =>
      orthanc.rest('POST', '/modalities/huizhen/move', {
        Level: 'Study',
        Resources: [{ StudyInstanceUID: s.uid }],
        TargetAet: ORTHANC_AE,
        Synchronous: true,
      });
    expect((await move(study.moved)).status).toBe(200);
    const held = await heldByOrthanc(study.moved);
    expect([...held.keys()].sort()).toEqual([...study.moved.files.keys()].sort());
    for (const [sop, file] of study.moved.files)
      expect(dataSetOf(held.get(sop)!).equals(dataSetOf(readFileSync(file)))).toBe(true);
    // Township B's study matches nothing for township A's AE: success, nothing sent.
    const foreign = await move(study.otherOrg);
    expect([foreign.status, foreign.text]).toEqual([200, expect.any(String)]);
    expect((await heldByOrthanc(study.otherOrg)).size).toBe(0);
  });

  it('Orthanc retrieves from us by WADO-RS with the key: its township’s study whole, not another’s', async () => {
    const pulled = await orthanc.rest('POST', '/dicom-web/servers/huizhen/retrieve', {
      Resources: [{ Study: study.direct.uid }],
    });
    expect([pulled.status, pulled.body?.ReceivedInstancesCount]).toEqual([200, '2']);
    const held = await heldByOrthanc(study.direct);
    expect([...held.keys()].sort()).toEqual([...study.direct.files.keys()].sort());
    for (const [sop, file] of study.direct.files)
      expect(dataSetOf(held.get(sop)!).equals(dataSetOf(readFileSync(file)))).toBe(true);
    // Township B's study: we refuse the key (403), Orthanc's job fails and it holds nothing of it.
    const foreign = await orthanc.rest('POST', '/dicom-web/servers/huizhen/retrieve', {
      Resources: [{ Study: study.otherOrg.uid }],
    });
    expect(foreign.status).not.toBe(200);
    expect((await heldByOrthanc(study.otherOrg)).size).toBe(0);
    const asOrthancAsked = await send(server.url, {
      method: 'GET',
      path: `/dicom-web/studies/${study.otherOrg.uid}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect([asOrthancAsked.status, asOrthancAsked.body?.details?.code]).toEqual([
      403,
      'access_denied',
    ]);
  });

  it('a study arriving from the township’s modality is routed to Orthanc, by C-STORE and by STOW-RS', async () => {
    // The township's X-ray and ultrasound send to us; a rule for each forwards what they send to
    // the township's Orthanc, one over DIMSE (its AE), one over DICOMweb (its STOW-RS root).
    for (const aeTitle of ['TOWNA_DR', 'TOWNA_US']) {
      const modality = await admin('POST', '/dicom-peers', {
        organizationId: f.org.townA,
        aeTitle,
        directions: ['store'],
      });
      expect(modality.status).toBe(201);
    }
    const web = await admin('POST', '/dicomweb-peers', {
      organizationId: f.org.townA,
      name: '乡镇卫生院 Orthanc DICOMweb',
      baseUrl: `${orthanc.url}/dicom-web`,
    });
    expect(web.status).toBe(201);
    const rules = [
      { name: 'DR 送 Orthanc', callingAeTitles: ['TOWNA_DR'], dimsePeerId: orthancPeerId },
      { name: '超声 送 Orthanc', callingAeTitles: ['TOWNA_US'], dicomwebPeerId: web.body.id },
    ];
    for (const rule of rules) {
      const created = await admin('POST', '/routing-rules', {
        organizationId: f.org.townA,
        ...rule,
      });
      expect([rule.name, created.status]).toEqual([rule.name, 201]);
    }
    const sent = { TOWNA_DR: study.routedDimse, TOWNA_US: study.routedStow };
    for (const [aeTitle, s] of Object.entries(sent)) {
      const stored = await storescu(aeTitle, server.app.get(DimseScp).port, [...s.files.values()]);
      expect([aeTitle, stored.status, stored.out]).toEqual([aeTitle, 0, expect.any(String)]);
    }
    for (const s of Object.values(sent)) {
      await waitFor(
        () => orthancInstancesOf(s),
        (n) => n === s.files.size,
        `Orthanc to hold ${s.patientName}`,
        60_000,
      );
      const held = await heldByOrthanc(s);
      for (const [sop, file] of s.files)
        expect(dataSetOf(held.get(sop)!).equals(dataSetOf(readFileSync(file)))).toBe(true);
    }
    // The job is marked done once the destination acknowledged and the association closed:
    // a moment after Orthanc holds the last instance.
    const jobs = () =>
      admin('GET', `/forward-jobs?organizationId=${f.org.townA}`).then((r) =>
        (r.body.items as ForwardJob[]).map((j) => [
          j.studyInstanceUid,
          j.destination.kind,
          j.state,
        ]),
      );
    const expected = [
      [study.routedDimse.uid, 'dimse', 'done'],
      [study.routedStow.uid, 'dicomweb', 'done'],
    ];
    const done = await waitFor(
      jobs,
      (list) => list.every((j) => j[2] === 'done'),
      'the forward jobs to be done',
      60_000,
    ).catch(async () => jobs());
    expect(done.sort()).toEqual(expected.sort());
  }, 90_000);

  it('the key keeps working past the access-token lifetime; the person’s pasted token does not', async () => {
    const wait = pastedAt + (ACCESS_TTL_S + 2) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const mark = orthanc.log.length;
    const person = await stowFromOrthanc('huizhen-person', study.latePerson);
    expect(person.status).not.toBe(200);
    // Orthanc answers its own caller 500 and says why in its log: our 401.
    expect(orthanc.logSince(mark)).toMatch(UNAUTHORIZED);
    expect((await ours(study.latePerson)).organizationId).toBeNull();
    const machine = await stowFromOrthanc('huizhen', study.lateKey);
    expect(machine.status).toBe(200);
    expect((await ours(study.lateKey)).sops).toEqual([...study.lateKey.files.keys()].sort());
  }, 90_000);

  it('revoking the key stops Orthanc’s next push at once, Bearer and Basic alike', async () => {
    const revoked = await admin('POST', `/service-accounts/${accountId}/revoke`);
    expect(revoked.status).toBe(200);
    for (const name of ['huizhen', 'huizhen-basic']) {
      const mark = orthanc.log.length;
      const refused = await stowFromOrthanc(name, study.revoked);
      expect([name, refused.status]).not.toEqual([name, 200]);
      expect([name, orthanc.logSince(mark)]).toEqual([name, expect.stringMatching(UNAUTHORIZED)]);
    }
    expect((await ours(study.revoked)).organizationId).toBeNull();
  });
});
