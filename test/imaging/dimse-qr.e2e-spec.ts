import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type TestSchema,
  TestSchema as Schema,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { dataSetOf } from '../../apps/imaging/src/dimse/dimse-retrieve';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { startImagingForTest } from './support/dicomweb-client';
import { DCMTK_ENV, dcmtk, findscuMatches } from './support/dcmtk';

const ENV = DCMTK_ENV;
const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data/test_files';

/** A real file from pydicom's test set, rewritten by dcmodify into our test study's instance. */
function instance(
  dir: string,
  source: string,
  name: string,
  attributes: Record<string, string>,
): string {
  const file = join(dir, name);
  copyFileSync(join(PYDICOM, source), file);
  const args = ['-nb'];
  for (const [k, v] of Object.entries(attributes)) args.push('-i', `${k}=${v}`);
  execFileSync('dcmodify', [...args, file], { env: ENV });
  return file;
}

/** A free TCP port on loopback for the storescp the C-MOVE sends to. */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The data sets of the DICOM files in a directory, by SOP Instance UID (read with dcmdump). */
function receivedDataSets(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir)) {
    const file = join(dir, f);
    const uid = execFileSync('dcmdump', ['-q', '+P', '0008,0018', '-s', file], { env: ENV })
      .toString()
      .match(/\[(.*?)\]/)?.[1];
    if (uid) out.set(uid, dataSetOf(readFileSync(file)));
  }
  return out;
}

describe('DIMSE query/retrieve SCP against dcmtk', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let port: number;
  let tmp: string;
  const warnings: string[] = [];
  let storescp: ChildProcess | null = null;
  let received: string;
  const sent = new Map<string, Buffer>();
  const uid = {
    a1: '1.2.826.0.1.3680043.9.7433.99.1',
    a1Series: '1.2.826.0.1.3680043.9.7433.99.1.1',
    a2: '1.2.826.0.1.3680043.9.7433.99.2',
    a3: '1.2.826.0.1.3680043.9.7433.99.4',
    b1: '1.2.826.0.1.3680043.9.7433.99.3',
  };

  async function find(ae: string, model: '-S' | '-P', keys: string[], extra: string[] = []) {
    const args = ['-v', model, '-aet', ae, '-aec', 'HUIZHEN', ...extra];
    for (const k of keys) args.push('-k', k);
    const r = await dcmtk('findscu', [...args, '127.0.0.1', String(port)]);
    const final = /Received Final Find Response \(([^)]*)\)/.exec(r.out)?.[1] ?? '';
    return { status: r.status, matches: findscuMatches(r.out), final, out: r.out };
  }

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, m: unknown) {
      warnings.push(String(m));
    });
    schema = await Schema.create('dimse_qr');
    dir = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description, directions)
       VALUES ('TOWNA_CT', $1, 'township A CT', '{store,query}'),
              ('TOWNB_WS', $2, 'township B workstation', '{store,query}'),
              ('TOWNA_MOD', $1, 'township A modality that only sends', '{store}')`,
      [dir.org.townA, dir.org.townB],
    );
    // C-MOVE destinations: a dcmtk storescp of township A, and one registered for township B.
    const destinationPort = await freePort();
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description, directions, host, port)
       VALUES ('TOWNA_STORE', $1, 'township A viewing station', '{retrieve_destination}', '127.0.0.1', $3),
              ('TOWNB_STORE', $2, 'township B viewing station', '{retrieve_destination}', '127.0.0.1', $3)`,
      [dir.org.townA, dir.org.townB, destinationPort],
    );
    app = await startImagingForTest(schema, {
      DIMSE_PORT: '0',
      DIMSE_HOST: '127.0.0.1',
      DIMSE_AE_TITLE: 'HUIZHEN',
      DIMSE_IDLE_TIMEOUT_SECONDS: '5',
    });
    port = app.app.get(DimseScp).port;

    // Township A: a CT study of three instances (2026) and an MR study (2025); township B: a CT study.
    tmp = mkdtempSync(join(tmpdir(), 'dimse-qr-'));
    const a1 = [1, 2, 3].map((n) =>
      instance(tmp, 'CT_small.dcm', `a1-${n}.dcm`, {
        PatientName: 'WANG^FANG',
        PatientID: 'PA1',
        StudyInstanceUID: uid.a1,
        SeriesInstanceUID: uid.a1Series,
        SOPInstanceUID: `${uid.a1Series}.${n}`,
        InstanceNumber: String(n),
        StudyDate: '20260301',
        StudyDescription: 'Chest CT',
        AccessionNumber: 'ACC-A1',
      }),
    );
    const a2 = instance(tmp, 'MR_small.dcm', 'a2.dcm', {
      PatientName: 'LI^NA',
      PatientID: 'PA2',
      StudyInstanceUID: uid.a2,
      SeriesInstanceUID: `${uid.a2}.1`,
      SOPInstanceUID: `${uid.a2}.1.1`,
      StudyDate: '20251115',
      StudyDescription: 'Knee MR',
    });
    const b1 = instance(tmp, 'CT_small.dcm', 'b1.dcm', {
      PatientName: 'WANG^WEI',
      PatientID: 'PB1',
      StudyInstanceUID: uid.b1,
      SeriesInstanceUID: `${uid.b1}.1`,
      SOPInstanceUID: `${uid.b1}.1.1`,
      StudyDate: '20260302',
    });
    for (const f of [...a1, a2, b1]) {
      const sop = execFileSync('dcmdump', ['-q', '+P', '0008,0018', '-s', f], { env: ENV })
        .toString()
        .match(/\[(.*?)\]/)![1];
      sent.set(sop, dataSetOf(readFileSync(f)));
    }
    received = join(tmp, 'received');
    mkdirSync(received);
    storescp = spawn(
      'storescp',
      ['-aet', 'TOWNA_STORE', '-od', received, '+B', String(destinationPort)],
      { env: ENV, stdio: 'ignore' },
    );
    for (const [ae, files] of [
      ['TOWNA_CT', [...a1, a2]],
      ['TOWNB_WS', [b1]],
    ] as [string, string[]][]) {
      const r = await dcmtk('storescu', [
        '-aet',
        ae,
        '-aec',
        'HUIZHEN',
        '127.0.0.1',
        String(port),
        ...files,
      ]);
      expect({ ae, out: r.out.trim(), status: r.status }).toEqual({ ae, out: '', status: 0 });
    }
  });
  afterAll(async () => {
    storescp?.kill();
    await app?.app.close();
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses a context it does not serve in the A-ASSOCIATE-AC (abstract syntax not supported) and logs it', async () => {
    warnings.length = 0;
    // The retired Patient/Study Only model is not served (Modality Worklist is now: mwl.e2e-spec.ts):
    // its only context must come back refused with result 3.
    const r = await dcmtk('findscu', [
      '-d',
      '-O',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientName=',
      '127.0.0.1',
      String(port),
    ]);
    expect(r.status).not.toBe(0);
    expect(r.out).toMatch(
      /A-ASSOCIATE-AC[\s\S]*Context ID: +1 \(Abstract Syntax Not Supported\)\s+D: +Abstract Syntax: +=\w*FINDPatientStudyOnlyQueryRetrieveInformationModel/,
    );
    expect(r.out).toMatch(/No Acceptable Presentation Contexts/);
    expect(warnings.join('\n')).toMatch(
      /A-ASSOCIATE-AC to TOWNA_CT: abstract syntax not supported for 1\.2\.840\.10008\.5\.1\.4\.1\.2\.3\.1/,
    );
  });

  it('C-FIND at study level: the organization’s studies with the asked keys, nothing of another organization', async () => {
    const keys = [
      'QueryRetrieveLevel=STUDY',
      'StudyInstanceUID',
      'PatientName',
      'PatientID',
      'StudyDate',
      'StudyDescription',
      'ModalitiesInStudy',
      'NumberOfStudyRelatedInstances',
    ];
    const a = await find('TOWNA_CT', '-S', keys);
    expect(a.final).toBe('Success');
    expect(a.matches.map((m) => m.StudyInstanceUID).sort()).toEqual([uid.a1, uid.a2]);
    const a1 = a.matches.find((m) => m.StudyInstanceUID === uid.a1)!;
    expect(a1).toMatchObject({
      PatientName: 'WANG^FANG',
      PatientID: 'PA1',
      StudyDate: '20260301',
      StudyDescription: 'Chest CT',
      ModalitiesInStudy: 'CT',
      NumberOfStudyRelatedInstances: '3',
      QueryRetrieveLevel: 'STUDY',
      RetrieveAETitle: 'HUIZHEN',
    });
    const b = await find('TOWNB_WS', '-S', keys);
    expect(b.final).toBe('Success');
    expect(b.matches.map((m) => m.StudyInstanceUID)).toEqual([uid.b1]);
    // Named by its UID, township B's study is still not township A's to see.
    const named = await find('TOWNA_CT', '-S', [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${uid.b1}`,
    ]);
    expect(named.matches).toEqual([]);
  });

  it('C-FIND matches as QIDO-RS does: wildcards (any case), date ranges, UID lists', async () => {
    const studies = async (...keys: string[]) =>
      (
        await find('TOWNA_CT', '-S', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID', ...keys])
      ).matches
        .map((m) => m.StudyInstanceUID)
        .sort();
    expect(await studies('PatientName=WANG*')).toEqual([uid.a1]);
    expect(await studies('PatientName=wang^f?ng')).toEqual([uid.a1]);
    expect(await studies('PatientName=*')).toEqual([uid.a1, uid.a2]);
    expect(await studies('StudyDate=20260101-20261231')).toEqual([uid.a1]);
    expect(await studies('StudyDate=-20251231')).toEqual([uid.a2]);
    expect(await studies('StudyDate=20251115')).toEqual([uid.a2]);
    expect(await studies('StudyDescription=chest*')).toEqual([uid.a1]);
    expect(await studies(`StudyInstanceUID=${uid.a1}\\${uid.a2}\\${uid.b1}`)).toEqual([
      uid.a1,
      uid.a2,
    ]);
    expect(await studies('AccessionNumber=ACC-A1')).toEqual([uid.a1]);
    // A malformed date is refused with QIDO-RS's reason, not answered as no match.
    const bad = await find(
      'TOWNA_CT',
      '-S',
      ['QueryRetrieveLevel=STUDY', 'StudyDate=2026'],
      ['-d'],
    );
    expect(bad.out).toMatch(/DIMSE Status +: 0xc000: Failed: Unable to process/);
    expect(bad.out).toMatch(/\(0000,0902\) LO \[00080020=2026 should be YYYYMMDD/);
  });

  it('C-FIND at series and image level, and at patient level of the Patient Root model', async () => {
    const series = await find('TOWNA_CT', '-S', [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${uid.a1}`,
      'SeriesInstanceUID',
      'Modality',
      'NumberOfSeriesRelatedInstances',
    ]);
    expect(series.matches).toEqual([
      expect.objectContaining({
        SeriesInstanceUID: uid.a1Series,
        Modality: 'CT',
        NumberOfSeriesRelatedInstances: '3',
        QueryRetrieveLevel: 'SERIES',
      }),
    ]);
    const images = await find('TOWNA_CT', '-S', [
      'QueryRetrieveLevel=IMAGE',
      `StudyInstanceUID=${uid.a1}`,
      `SeriesInstanceUID=${uid.a1Series}`,
      'SOPInstanceUID',
      'SOPClassUID',
      'InstanceNumber',
      'PatientName',
    ]);
    expect(images.final).toBe('Success');
    expect(images.matches.map((m) => [m.SOPInstanceUID, m.InstanceNumber, m.PatientName])).toEqual(
      [1, 2, 3].map((n) => [`${uid.a1Series}.${n}`, String(n), 'WANG^FANG']),
    );
    expect(images.matches[0].SOPClassUID).toBe('=CTImageStorage');
    const one = await find('TOWNA_CT', '-S', [
      'QueryRetrieveLevel=IMAGE',
      `StudyInstanceUID=${uid.a1}`,
      'SOPInstanceUID',
      'InstanceNumber=2',
    ]);
    expect(one.matches.map((m) => m.SOPInstanceUID)).toEqual([`${uid.a1Series}.2`]);
    // Township B's instances stay out of township A's image-level answers, named or not.
    const other = await find('TOWNA_CT', '-S', [
      'QueryRetrieveLevel=IMAGE',
      `StudyInstanceUID=${uid.b1}`,
      'SOPInstanceUID',
    ]);
    expect(other.matches).toEqual([]);

    const patients = await find('TOWNA_CT', '-P', [
      'QueryRetrieveLevel=PATIENT',
      'PatientID',
      'PatientName',
      'NumberOfPatientRelatedStudies',
    ]);
    expect(patients.final).toBe('Success');
    expect(
      patients.matches
        .map((m) => [m.PatientID, m.PatientName, m.NumberOfPatientRelatedStudies])
        .sort(),
    ).toEqual([
      ['PA1', 'WANG^FANG', '1'],
      ['PA2', 'LI^NA', '1'],
    ]);
    const studiesOfPatient = await find('TOWNA_CT', '-P', [
      'QueryRetrieveLevel=STUDY',
      'PatientID=PA2',
      'StudyInstanceUID',
    ]);
    expect(studiesOfPatient.matches.map((m) => m.StudyInstanceUID)).toEqual([uid.a2]);
    // Study Root has no PATIENT level.
    const wrong = await find('TOWNA_CT', '-S', ['QueryRetrieveLevel=PATIENT', 'PatientID']);
    expect(wrong.final).toBe('Error: DataSetDoesNotMatchSOPClass');
  });

  it('C-FIND is refused to a peer not registered to query, and every answer is audited as QIDO-RS’s are', async () => {
    const r = await find('TOWNA_MOD', '-S', ['QueryRetrieveLevel=STUDY', 'StudyInstanceUID']);
    expect(r.matches).toEqual([]);
    // 0x0124 Refused: Not Authorized (PS3.7 C.5), which dcmtk 3.6.7 does not name.
    expect(r.final).toBe('Unknown Status: 0x124');
    expect(warnings.join('\n')).not.toMatch(/C-FIND failed/);
    const events: { actor_username: string; details: { studyInstanceUids?: string[] } }[] =
      await schema.query(
        `SELECT actor_username, details FROM audit_event
          WHERE action = 'imaging_study.read' AND actor_username = 'dimse:TOWNA_CT'`,
      );
    const audited = new Set(events.flatMap((e) => e.details.studyInstanceUids ?? []));
    expect([...audited].sort()).toEqual([uid.a1, uid.a2]);
    const [{ n }] = await schema.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE actor_username = 'dimse:TOWNA_MOD'`,
    );
    expect(n).toBe(0);
  });

  it('C-GET sends the study back on the same association, bytes as stored; nothing of another organization', async () => {
    const out = join(tmp, 'get-a1');
    mkdirSync(out);
    const r = await dcmtk('getscu', [
      '-d',
      '-S',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '+B',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${uid.a1}`,
      '127.0.0.1',
      String(port),
    ]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/DIMSE Status +: 0x0000: Success: Sub-operations complete/);
    expect(r.out).toMatch(/Number of Completed Suboperations +: 3/);
    const got = receivedDataSets(out);
    expect([...got.keys()].sort()).toEqual([1, 2, 3].map((n) => `${uid.a1Series}.${n}`));
    for (const [sop, data] of got) expect(data.equals(sent.get(sop)!)).toBe(true);

    const image = join(tmp, 'get-image');
    mkdirSync(image);
    const one = await dcmtk('getscu', [
      '-S',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '-od',
      image,
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${uid.a1}`,
      '-k',
      `SeriesInstanceUID=${uid.a1Series}`,
      '-k',
      `SOPInstanceUID=${uid.a1Series}.2`,
      '127.0.0.1',
      String(port),
    ]);
    expect(one.status).toBe(0);
    expect([...receivedDataSets(image).keys()]).toEqual([`${uid.a1Series}.2`]);

    // Township B's workstation asks for township A's study: nothing is sent.
    const other = join(tmp, 'get-other');
    mkdirSync(other);
    const b = await dcmtk('getscu', [
      '-d',
      '-S',
      '-aet',
      'TOWNB_WS',
      '-aec',
      'HUIZHEN',
      '-od',
      other,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${uid.a1}`,
      '127.0.0.1',
      String(port),
    ]);
    expect(b.out).toMatch(/Number of Completed Suboperations +: 0/);
    expect(readdirSync(other)).toEqual([]);
  });

  it('C-MOVE sends to the registered destination over a new association, with the counts; an unregistered destination is refused (0xA801)', async () => {
    const r = await dcmtk('movescu', [
      '-d',
      '-S',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '-aem',
      'TOWNA_STORE',
      '-k',
      'QueryRetrieveLevel=SERIES',
      '-k',
      `StudyInstanceUID=${uid.a1}`,
      '-k',
      `SeriesInstanceUID=${uid.a1Series}`,
      '127.0.0.1',
      String(port),
    ]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/DIMSE Status +: 0x0000: Success: Sub-operations complete/);
    // The final response's counts (movescu prints each response's command).
    expect(r.out).toMatch(
      /Remaining Suboperations +: none\s+D: +Completed Suboperations +: 3\s+D: +Failed Suboperations +: 0\s+D: +Warning Suboperations +: 0/,
    );
    const got = receivedDataSets(received);
    expect([...got.keys()].sort()).toEqual([1, 2, 3].map((n) => `${uid.a1Series}.${n}`));
    for (const [sop, data] of got) expect(data.equals(sent.get(sop)!)).toBe(true);

    for (const destination of ['NOBODY', 'TOWNB_STORE', 'TOWNA_CT']) {
      const refused = await dcmtk('movescu', [
        '-d',
        '-S',
        '-aet',
        'TOWNA_CT',
        '-aec',
        'HUIZHEN',
        '-aem',
        destination,
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${uid.a2}`,
        '127.0.0.1',
        String(port),
      ]);
      expect({ destination, status: /DIMSE Status +: (0x\w+)/.exec(refused.out)?.[1] }).toEqual({
        destination,
        status: '0xa801',
      });
    }
    expect(warnings.join('\n')).toMatch(
      /C-MOVE from TOWNA_CT to NOBODY refused: move destination NOBODY is not registered/,
    );
  });

  it('C-GET of an instance stored in implicit VR to an SCU that took explicit VR: the values sent, headers rewritten', async () => {
    // Stored last (the queries above do not see it), in implicit VR little endian (as many modalities send).
    const a3 = instance(tmp, 'MR_small_implicit.dcm', 'a3.dcm', {
      PatientName: 'LI^NA',
      PatientID: 'PA2',
      StudyInstanceUID: uid.a3,
      SeriesInstanceUID: `${uid.a3}.1`,
      SOPInstanceUID: `${uid.a3}.1.1`,
      StudyDate: '20240101',
    });
    const implicit = await dcmtk('storescu', [
      '-xi',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '127.0.0.1',
      String(port),
      a3,
    ]);
    expect(implicit.status).toBe(0);
    const [stored] = await schema.query(
      'SELECT transfer_syntax_uid FROM imaging_instance WHERE sop_instance_uid = $1',
      [`${uid.a3}.1.1`],
    );
    expect(stored.transfer_syntax_uid).toBe('1.2.840.10008.1.2');
    const out = join(tmp, 'get-implicit');
    mkdirSync(out);
    const r = await dcmtk('getscu', [
      '-d',
      '-S',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '+B',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${uid.a3}`,
      '127.0.0.1',
      String(port),
    ]);
    expect(r.out).toMatch(/Number of Completed Suboperations +: 1/);
    const [file] = readdirSync(out);
    const dump = execFileSync('dcmdump', ['-q', join(out, file)], { env: ENV }).toString();
    expect(dump).toMatch(/\(0002,0010\) UI =LittleEndianExplicit/);
    expect(dump).toMatch(/# Used TransferSyntax: Little Endian Explicit\n[\s\S]*\(7fe0,0010\) OW /);
    expect(dump).toMatch(/\(0008,0018\) UI \[1\.2\.826\.0\.1\.3680043\.9\.7433\.99\.4\.1\.1\]/);
    expect(dump).toMatch(/\(0010,0010\) PN \[LI\^NA\]/);
  });
});
