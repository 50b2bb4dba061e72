import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { AuditTerms } from '@huizhen/audit';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type DirectoryFixture,
  loginAs,
  seedDirectory,
  startTestApp,
  TestSchema,
} from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { studyUidOf } from '../../apps/imaging/src/worklist/modality-worklist';
import { as } from '../../apps/api/src/consultations/consultation.test-support';
import { get, stow } from './support/dicomweb-client';
import { DCMTK_ENV, dcmtk, findscuMatches } from './support/dcmtk';

const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

/**
 * CT_small rewritten by dcmodify into the one image of a study under an accession number, naming
 * a patient as a modality's console would (UTF-8 names: ISO_IR 192).
 */
function examImage(
  dir: string,
  study: { uid: string; accession: string },
  patient: { name: string; id: string; sex: string; birthDate: string },
): string {
  const file = join(dir, `${study.uid}.dcm`);
  copyFileSync(CT, file);
  const args = ['-nb', '-i', 'SpecificCharacterSet=ISO_IR 192'];
  for (const [k, v] of Object.entries({
    PatientName: patient.name,
    PatientID: patient.id,
    PatientSex: patient.sex,
    PatientBirthDate: patient.birthDate,
    AccessionNumber: study.accession,
    StudyInstanceUID: study.uid,
    SeriesInstanceUID: `${study.uid}.1`,
    SOPInstanceUID: `${study.uid}.1.1`,
  }))
    args.push('-i', `${k}=${v}`);
  execFileSync('dcmodify', [...args, file], { env: DCMTK_ENV });
  return file;
}

/** Polls until `check` returns a value (the attachment is made before the C-STORE is answered; this only absorbs a slow machine). */
async function eventually<T>(check: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Modality worklist from consultations, against dcmtk: a township doctor's request for an X-ray
 * is a scheduled step that the centre's registered modality (and only it) reads with
 * `findscu -W`; the image the modality sends back with that accession number attaches itself,
 * and an image of another patient under the same accession waits for the doctor.
 */
describe('modality worklist from consultations (dcmtk findscu -W, storescu)', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let port: number;
  let tmp: string;
  const token: Record<string, string> = {};
  const warnings: string[] = [];

  /** A patient of township A and a submitted request for a chest X-ray of them. */
  async function requestExam(name: string, sex: string, birthDate: string) {
    const doctor = as(server.url, token.townDoctorA);
    const patient = await doctor.post('/api/patients', { name, sex, birthDate }).expect(201);
    const created = await doctor
      .post('/api/consultations', {
        patientId: patient.body.id,
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '咳嗽两周，请阅胸片',
        requestedExam: { modality: 'DX', procedure: '胸部正位 DR' },
        submit: true,
      })
      .expect(201);
    const detail = await doctor.get(`/api/consultations/${created.body.id}`).expect(200);
    return {
      id: created.body.id as string,
      patientId: patient.body.id as string,
      accession: detail.body.requestedExam.accessionNumber as string,
      detail: detail.body,
    };
  }

  async function worklist(ae: string, keys: string[] = []) {
    const args = ['-v', '-W', '-aet', ae, '-aec', 'HUIZHEN'];
    for (const k of [
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'PatientSex',
      'AccessionNumber',
      'StudyInstanceUID',
      'RequestedProcedureDescription',
      'ScheduledProcedureStepSequence[0].Modality',
      'ScheduledProcedureStepSequence[0].ScheduledStationAETitle',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStartDate',
      'ScheduledProcedureStepSequence[0].ScheduledProcedureStepStatus',
      ...keys,
    ])
      args.push('-k', k);
    const r = await dcmtk('findscu', [...args, '127.0.0.1', String(port)]);
    const final = /Received Final Find Response \(([^)]*)\)/.exec(r.out)?.[1] ?? '';
    return { status: r.status, matches: findscuMatches(r.out), final, out: r.out };
  }

  async function storescu(ae: string, file: string) {
    return dcmtk('storescu', ['-aet', ae, '-aec', 'HUIZHEN', '127.0.0.1', String(port), file]);
  }

  async function arrivals(consultationId: string, who = 'townDoctorA') {
    const r = await as(server.url, token[who]).get(
      `/api/imaging/consultations/${consultationId}/arrivals`,
    );
    return r;
  }

  /** The county radiologist claims the request; then the status of their read of the study. */
  async function claimAndRead(consultationId: string, studyUid: string): Promise<number> {
    await as(server.url, token.countyRadiologistA)
      .post(`/api/consultations/${consultationId}/claim`)
      .expect(200);
    return readBySpecialist(studyUid);
  }

  async function readBySpecialist(studyUid: string): Promise<number> {
    const r = await get(
      server.url,
      token.countyRadiologistA,
      `/dicom-web/studies/${studyUid}/metadata`,
    );
    return r.status;
  }

  async function attachedStudies(consultationId: string): Promise<string[]> {
    const d = await as(server.url, token.townDoctorA)
      .get(`/api/consultations/${consultationId}`)
      .expect(200);
    return d.body.attachments
      .filter((a: { kind: string }) => a.kind === 'imaging_study')
      .map((a: { studyInstanceUid: string }) => a.studyInstanceUid);
  }

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(function (this: Logger, m: unknown) {
      warnings.push(String(m));
    });
    schema = await TestSchema.create('mwl');
    f = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description, directions)
       VALUES ('TOWNA_DR', $1, 'township A X-ray', '{store,worklist}'),
              ('TOWNA_WS', $1, 'township A workstation: queries, no worklist', '{store,query}'),
              ('TOWNB_DR', $2, 'township B X-ray', '{store,worklist}')`,
      [f.org.townA, f.org.townB],
    );
    server = await startTestApp(
      schema.env({
        DIMSE_PORT: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_AE_TITLE: 'HUIZHEN',
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
      }),
      (config) => ServerModule.forConfig(config),
    );
    port = server.app.get(DimseScp).port;
    for (const who of ['townDoctorA', 'townDoctorB', 'countyRadiologistA'])
      token[who] = await loginAs(server.url, f.user[who].username);
    tmp = mkdtempSync(join(tmpdir(), 'mwl-'));
  });

  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  it('serves a submitted request’s exam to its centre’s worklist modality, and to no other', async () => {
    const exam = await requestExam('王小东', 'male', '1968-04-12');
    expect(exam.accession).toMatch(/^HZ\d{10}$/);
    expect(exam.detail.requestedExam).toEqual({
      modality: 'DX',
      procedure: '胸部正位 DR',
      accessionNumber: exam.accession,
    });

    const mine = await worklist('TOWNA_DR', [
      `AccessionNumber=${exam.accession}`,
      'ScheduledProcedureStepSequence[0].Modality=DX',
    ]);
    expect(mine.final).toBe('Success');
    expect(mine.matches).toHaveLength(1);
    expect(mine.matches[0]).toMatchObject({
      PatientName: '王小东',
      PatientID: exam.patientId,
      PatientBirthDate: '19680412',
      PatientSex: 'M',
      AccessionNumber: exam.accession,
      StudyInstanceUID: studyUidOf(exam.id),
      RequestedProcedureDescription: '胸部正位 DR',
      Modality: 'DX',
      ScheduledStationAETitle: 'TOWNA_DR',
      ScheduledProcedureStepStatus: 'SCHEDULED',
    });

    // Universal matching lists it too; another modality kind's query does not.
    expect((await worklist('TOWNA_DR')).matches.map((m) => m.AccessionNumber)).toContain(
      exam.accession,
    );
    const ct = await worklist('TOWNA_DR', ['ScheduledProcedureStepSequence[0].Modality=CT']);
    expect(ct.final).toBe('Success');
    expect(ct.matches).toEqual([]);
    // Wildcard name matching.
    const named = await worklist('TOWNA_DR', ['PatientName=王*']);
    expect(named.matches.map((m) => m.AccessionNumber)).toContain(exam.accession);

    // Another centre's modality sees nothing of township A.
    const other = await worklist('TOWNB_DR');
    expect(other.final).toBe('Success');
    expect(other.matches).toEqual([]);

    // A workstation of the same centre without the worklist direction is refused.
    const ws = await worklist('TOWNA_WS');
    expect(ws.matches).toEqual([]);
    expect(ws.final).toMatch(/0x124/);
    expect(warnings.some((w) => /TOWNA_WS refused: not registered for worklist/.test(w))).toBe(
      true,
    );

    // A stranger's association is rejected.
    const stranger = await worklist('NOBODY');
    expect(stranger.matches).toEqual([]);
    expect(stranger.out).toMatch(/Association Rejected/i);

    // Each answer with patients in it is a PHI read by the modality, audited.
    const audited = await schema.query(
      `SELECT actor_username, details FROM audit_event WHERE action = 'imaging_worklist.read' ORDER BY occurred_at`,
    );
    expect(audited.length).toBeGreaterThanOrEqual(3);
    expect(
      audited.every((e: { actor_username: string }) => e.actor_username === 'dimse:TOWNA_DR'),
    ).toBe(true);
    expect(audited[0].details.consultationIds).toEqual([exam.id]);
  });

  it('attaches an image that comes back with the accession number by itself (storescu)', async () => {
    const exam = await requestExam('李春梅', 'female', '1975-09-30');
    const studyUid = `${studyUidOf(exam.id)}`;
    const file = examImage(
      tmp,
      { uid: studyUid, accession: exam.accession },
      { name: '李春梅', id: exam.patientId, sex: 'F', birthDate: '19750930' },
    );
    const sent = await storescu('TOWNA_DR', file);
    expect(sent).toMatchObject({ status: 0 });

    expect(
      await eventually(async () => {
        const s = await attachedStudies(exam.id);
        return s.length ? s : undefined;
      }),
    ).toEqual([studyUid]);
    const list = await arrivals(exam.id);
    expect(list.status).toBe(200);
    expect(list.body).toEqual([
      expect.objectContaining({ studyInstanceUid: studyUid, status: 'attached', mismatches: [] }),
    ]);
    // Performed: the step leaves the worklist.
    const after = await worklist('TOWNA_DR', [`AccessionNumber=${exam.accession}`]);
    expect(after.matches).toEqual([]);
    // The radiologist who claims the request reads the images through it.
    expect(await claimAndRead(exam.id, studyUid)).toBe(200);
    const attach = await schema.query(
      `SELECT actor_id, details FROM audit_event WHERE action = 'imaging_study.attach' AND resource_id = $1`,
      [studyUid],
    );
    expect(attach).toEqual([
      expect.objectContaining({
        actor_id: null,
        details: expect.objectContaining({
          consultationId: exam.id,
          via: 'worklist',
          door: 'dimse',
        }),
      }),
    ]);
  });

  it('holds an image of another patient until the doctor confirms it with a reason', async () => {
    const exam = await requestExam('赵建国', 'male', '1959-01-15');
    const studyUid = '1.2.826.0.1.3680043.9.7433.23.2.1';
    const file = examImage(
      tmp,
      { uid: studyUid, accession: exam.accession },
      { name: '钱红', id: 'QH-0381', sex: 'F', birthDate: '19800101' },
    );
    expect((await storescu('TOWNA_DR', file)).status).toBe(0);

    const held = await eventually(async () => {
      const r = await arrivals(exam.id);
      return r.body.length ? r.body[0] : undefined;
    });
    expect(held).toMatchObject({
      status: 'held',
      studyInstanceUid: studyUid,
      accessionNumber: exam.accession,
      mismatches: ['name', 'patient_id', 'sex', 'birth_date'],
      imagePatient: { name: '钱红', id: 'QH-0381', sex: 'F', birthDate: '19800101' },
    });
    // Held, not attached: the request does not list it and its specialist cannot reach it.
    expect(await attachedStudies(exam.id)).toEqual([]);
    expect(await claimAndRead(exam.id, studyUid)).toBe(403);
    // Nor may the specialist see or decide on what arrived: that is the township's.
    expect((await arrivals(exam.id, 'countyRadiologistA')).status).toBe(403);
    await as(server.url, token.countyRadiologistA)
      .post(`/api/imaging/arrivals/${held.id}/confirm`, { reason: '是同一患者' })
      .expect(403);
    // Another township's doctor neither.
    await as(server.url, token.townDoctorB)
      .post(`/api/imaging/arrivals/${held.id}/confirm`, { reason: '是同一患者' })
      .expect(403);

    // A reason is required.
    const bare = await as(server.url, token.townDoctorA)
      .post(`/api/imaging/arrivals/${held.id}/confirm`, {})
      .expect(400);
    expect(JSON.stringify(bare.body.details)).toMatch(/reason/);
    const confirmed = await as(server.url, token.townDoctorA)
      .post(`/api/imaging/arrivals/${held.id}/confirm`, {
        reason: '检查室登记时录错了患者信息，已核对本人',
      })
      .expect(200);
    expect(confirmed.body).toMatchObject({
      status: 'confirmed',
      decisionReason: '检查室登记时录错了患者信息，已核对本人',
      decidedBy: f.user.townDoctorA.id,
    });
    expect(await attachedStudies(exam.id)).toEqual([studyUid]);
    expect(await readBySpecialist(studyUid)).toBe(200);
    // Decided once.
    const again = await as(server.url, token.townDoctorA)
      .post(`/api/imaging/arrivals/${held.id}/reject`, {})
      .expect(409);
    expect(again.body.details.code).toBe('arrival_decided');
    const trail = await schema.query(
      `SELECT action, actor_id, details FROM audit_event WHERE resource_id = $1 ORDER BY occurred_at`,
      [studyUid],
    );
    expect(trail.map((e: { action: string }) => e.action)).toEqual(
      expect.arrayContaining(['imaging_study.hold', 'imaging_study.attach']),
    );
    const decision = trail.find(
      (e: { action: string; actor_id: string | null }) =>
        e.action === 'imaging_study.attach' && e.actor_id === f.user.townDoctorA.id,
    );
    // The reason's text stays in the arrival; the trail keeps its keyed digest.
    expect(decision.details).toMatchObject({
      arrivalId: held.id,
      mismatches: ['name', 'patient_id', 'sex', 'birth_date'],
    });
    expect(decision.details.reasonDigest).toBe(
      server.app.get(AuditTerms).digest('检查室登记时录错了患者信息，已核对本人'),
    );
    expect(JSON.stringify(decision.details)).not.toContain('检查室');
  });

  it('attaches an image whose console wrote the name in pinyin (STOW-RS)', async () => {
    const exam = await requestExam('孙丽', 'female', '1990-06-01');
    const studyUid = '1.2.826.0.1.3680043.9.7433.23.5.1';
    const file = examImage(
      tmp,
      { uid: studyUid, accession: exam.accession },
      { name: 'SUN^LI', id: exam.patientId, sex: 'F', birthDate: '19900601' },
    );
    expect((await stow(server.url, token.townDoctorA, [readFileSync(file)])).status).toBe(200);
    expect((await arrivals(exam.id)).body).toEqual([
      expect.objectContaining({ studyInstanceUid: studyUid, status: 'attached', mismatches: [] }),
    ]);
    expect(await attachedStudies(exam.id)).toEqual([studyUid]);
  });

  it('rejects a held study sent by STOW-RS: never attached, the exam back on the worklist', async () => {
    const exam = await requestExam('孙莉莉', 'female', '1990-06-01');
    const studyUid = '1.2.826.0.1.3680043.9.7433.23.3.1';
    const file = examImage(
      tmp,
      { uid: studyUid, accession: exam.accession },
      { name: 'ZHOU^XUN', id: exam.patientId, sex: 'F', birthDate: '19900601' },
    );
    const up = await stow(server.url, token.townDoctorA, [readFileSync(file)]);
    expect(up.status).toBe(200);
    const held = await eventually(async () => {
      const r = await arrivals(exam.id);
      return r.body.length ? r.body[0] : undefined;
    });
    // Another name, even under the worklist's Patient ID: a person decides.
    expect(held).toMatchObject({ status: 'held', mismatches: ['name'] });
    expect((await worklist('TOWNA_DR', [`AccessionNumber=${exam.accession}`])).matches).toEqual([]);

    const rejected = await as(server.url, token.townDoctorA)
      .post(`/api/imaging/arrivals/${held.id}/reject`, { reason: '不是本患者' })
      .expect(200);
    expect(rejected.body.status).toBe('rejected');
    expect(await attachedStudies(exam.id)).toEqual([]);
    const back = await worklist('TOWNA_DR', [`AccessionNumber=${exam.accession}`]);
    expect(back.matches.map((m) => m.AccessionNumber)).toEqual([exam.accession]);
    await as(server.url, token.townDoctorA)
      .post(`/api/imaging/arrivals/${held.id}/confirm`, { reason: '改主意' })
      .expect(409);
  });

  it('attaches nothing for another centre’s image carrying the accession number', async () => {
    const exam = await requestExam('周明', 'male', '1970-03-03');
    const studyUid = '1.2.826.0.1.3680043.9.7433.23.4.1';
    const file = examImage(
      tmp,
      { uid: studyUid, accession: exam.accession },
      { name: '周明', id: exam.patientId, sex: 'M', birthDate: '19700303' },
    );
    expect((await storescu('TOWNB_DR', file)).status).toBe(0);
    const stored = await schema.query(
      `SELECT organization_id FROM imaging_study WHERE study_instance_uid = $1`,
      [studyUid],
    );
    expect(stored).toEqual([{ organization_id: f.org.townB }]);
    expect((await arrivals(exam.id)).body).toEqual([]);
    expect(await attachedStudies(exam.id)).toEqual([]);
    const unknown = await as(server.url, token.townDoctorA)
      .post('/api/imaging/arrivals/00000000-0000-4000-8000-000000000000/confirm', { reason: 'x' })
      .expect(404);
    expect(unknown.body.details.code).toBe('arrival_not_found');
    const noConsultation = await arrivals('00000000-0000-4000-8000-000000000000');
    expect([noConsultation.status, noConsultation.body.details.code]).toEqual([
      404,
      'consultation_not_found',
    ]);
    expect((await arrivals('not-a-uuid')).status).toBe(400);
  });
});
