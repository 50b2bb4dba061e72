import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newUid, writePart10 } from '@huizhen/dicom';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { Module } from '@nestjs/common';
import { PlatformModule } from '@huizhen/platform-http';
import { ApiModule } from '../../apps/api/src/api.module';
import { ImagingModule } from '../../apps/imaging/src/imaging.module';
import { as } from '../../apps/api/src/consultations/consultation.test-support';
import { stow } from '../imaging/support/dicomweb-client';

const CT = join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'CT_small.dcm');
const CT_STUDY = '1.3.6.1.4.1.5962.1.2.1.20040119072730.12322';
/** A valid GB 11643 number: born 1960-05-12, 17th digit odd (male). */
const WANG_ID = '110105196005120010';

/** A township modality's instance of 王测试, its name in GB18030 (王^测试) with the pinyin group first. */
function gb18030Instance(study: string): Buffer {
  const gb = (hex: string) => Buffer.from(hex, 'hex');
  return writePart10([
    { tag: '00080005', vr: 'CS', value: 'GB18030' },
    { tag: '00080016', vr: 'UI', value: '1.2.840.10008.5.1.4.1.1.7' },
    { tag: '00080018', vr: 'UI', value: newUid() },
    { tag: '00080060', vr: 'CS', value: 'DX' },
    {
      tag: '00100010',
      vr: 'PN',
      value: Buffer.concat([
        Buffer.from('WANG^CESHI='),
        gb('cdf5'),
        Buffer.from('^'),
        gb('b2e2cad4'),
      ]),
    },
    { tag: '00100020', vr: 'LO', value: 'DX0042' },
    { tag: '00100030', vr: 'DA', value: '19600512' },
    { tag: '00100040', vr: 'CS', value: 'M' },
    { tag: '0020000D', vr: 'UI', value: study },
    { tag: '0020000E', vr: 'UI', value: newUid() },
  ]);
}

/**
 * Clinical safety at the door, through the single server with real PostgreSQL and real DICOM: a
 * township modality's study of 王测试 (GB18030 header, pinyin and Han groups) attaches to her
 * consultation; pydicom's CT_small.dcm (CompressedSamples^CT1) is refused with the differences
 * side by side until a reason is given, and the reason reaches the audit trail as a digest.
 * Sex and birth date come from the national ID when the registration leaves them out.
 */
describe('the image check at the door (single server, real PostgreSQL and DICOM)', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let doctor: ReturnType<typeof as>;
  let patientId: string;
  const wangStudy = newUid();

  beforeAll(async () => {
    schema = await TestSchema.create('patient_match');
    f = await seedDirectory(schema);
    server = await startTestApp(
      schema.env({ DIMSE_ENABLED: 'false', CONSULT_SWEEP_INTERVAL_SECONDS: '0' }),
      (config) => {
        // The api and the imaging service in one process, as the single server mounts them (no media).
        @Module({
          imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, ImagingModule],
        })
        class ApiAndImaging {}
        return ApiAndImaging;
      },
    );
    const token = await loginAs(server.url, f.user.townDoctorA.username);
    doctor = as(server.url, token);
    for (const file of [readFileSync(CT), gb18030Instance(wangStudy)]) {
      const stored = await stow(server.url, token, [file]);
      expect({ status: stored.status, body: stored.status === 200 ? null : stored.text }).toEqual({
        status: 200,
        body: null,
      });
    }
  });
  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  const draft = (extra: Record<string, unknown>) =>
    doctor.post('/api/consultations', {
      patientId,
      specialty: 'radiology',
      urgency: 'routine',
      mode: 'imaging_read',
      clinicalQuestion: '胸片请阅',
      ...extra,
    });
  const requestCount = async () =>
    (await schema.query<{ n: number }>(`SELECT count(*)::int AS n FROM consultation_request`))[0].n;

  it('derives sex and birth date from the national ID when the registration leaves them out', async () => {
    const res = await doctor
      .post('/api/patients', { name: '王测试', nationalId: WANG_ID })
      .expect(201);
    expect(res.body).toMatchObject({
      name: '王测试',
      sex: 'male',
      birthDate: '1960-05-12',
      nationalIdMasked: '110105********0010',
    });
    patientId = res.body.id;
  });

  it('asks for sex and birth date when there is no national ID to read them from', async () => {
    const res = await doctor.post('/api/patients', { name: '李四', sex: 'female' }).expect(400);
    expect(res.body.details).toEqual({ code: 'patient_facts_required', missing: ['birthDate'] });
  });

  it('attaches the township’s GB18030 study of 王测试 without a question, and audits the match', async () => {
    const res = await draft({ studyInstanceUids: [wangStudy] }).expect(201);
    const [event] = await schema.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_event WHERE action = 'consultation.create' AND resource_id = $1`,
      [res.body.id],
    );
    expect(event.details.patientChecks).toEqual([
      { studyInstanceUid: wangStudy, verdict: 'match', differences: [] },
    ]);
  });

  it('refuses CompressedSamples^CT1 for 王测试 with the fields side by side, writing nothing', async () => {
    const before = await requestCount();
    const res = await draft({ studyInstanceUids: [wangStudy, CT_STUDY] }).expect(409);
    expect(res.body.details).toEqual({
      code: 'patient_mismatch',
      studies: [
        {
          studyInstanceUid: CT_STUDY,
          verdict: 'mismatch',
          fields: [
            {
              field: 'name',
              verdict: 'mismatch',
              registered: '王测试',
              header: 'CompressedSamples^CT1',
            },
            // A local PACS number says nothing against a national ID: unknown, not a difference.
            { field: 'id', verdict: 'unknown', registered: '110105********0010', header: '1CT1' },
            // O is what consoles write when nobody entered a sex.
            { field: 'sex', verdict: 'unknown', registered: 'male', header: 'O' },
            { field: 'birthDate', verdict: 'unknown', registered: '1960-05-12', header: null },
          ],
        },
      ],
    });
    expect(res.body.message).toContain('name');
    expect(await requestCount()).toBe(before);
  });

  it('attaches it to an open request only with a reason, kept in the trail as a digest', async () => {
    const id = (await draft({}).expect(201)).body.id;
    const refused = await doctor
      .post(`/api/consultations/${id}/attachments/studies`, { studyInstanceUid: CT_STUDY })
      .expect(409);
    expect(refused.body.details.studies[0].fields[0]).toMatchObject({ verdict: 'mismatch' });
    const blank = await doctor
      .post(`/api/consultations/${id}/attachments/studies`, {
        studyInstanceUid: CT_STUDY,
        patientMismatchReason: ' ',
      })
      .expect(400);
    expect(blank.body.details.fields.map((f: { field: string }) => f.field)).toEqual([
      'patientMismatchReason',
    ]);
    const reason = '外院CT，影像系统登记为样例名';
    await doctor
      .post(`/api/consultations/${id}/attachments/studies`, {
        studyInstanceUid: CT_STUDY,
        patientMismatchReason: reason,
      })
      .expect(201);
    const detail = await doctor.get(`/api/consultations/${id}`).expect(200);
    expect(
      detail.body.attachments.map((a: { studyInstanceUid?: string }) => a.studyInstanceUid),
    ).toEqual([CT_STUDY]);
    const [event] = await schema.query<{ details: any }>(
      `SELECT details FROM audit_event WHERE action = 'consultation.attach' AND resource_id = $1`,
      [id],
    );
    expect(event.details.patientCheck).toEqual({
      studyInstanceUid: CT_STUDY,
      verdict: 'mismatch',
      differences: ['name'],
      reasonDigest: expect.stringMatching(/^hmac-sha256:/),
    });
    expect(JSON.stringify(event.details)).not.toContain('外院');
  });

  it('checks the study’s side as well: linking the CT from /api/imaging needs the reason too', async () => {
    const id = (await draft({}).expect(201)).body.id;
    const refused = await doctor
      .post(`/api/imaging/studies/${CT_STUDY}/consultations`, { consultationId: id })
      .expect(409);
    expect(refused.body.details).toMatchObject({
      code: 'patient_mismatch',
      studies: [{ studyInstanceUid: CT_STUDY, verdict: 'mismatch' }],
    });
    expect(refused.body.details.studies[0].fields[0]).toEqual({
      field: 'name',
      verdict: 'mismatch',
      registered: '王测试',
      header: 'CompressedSamples^CT1',
    });
    await doctor
      .post(`/api/imaging/studies/${CT_STUDY}/consultations`, {
        consultationId: id,
        patientMismatchReason: '外院检查',
      })
      .expect(201);
    const [event] = await schema.query<{ details: any }>(
      `SELECT details FROM audit_event WHERE action = 'imaging_study.attach' AND details->>'consultationId' = $1`,
      [id],
    );
    expect(event.details.patientCheck).toEqual({
      verdict: 'mismatch',
      differences: ['name'],
      reasonDigest: expect.stringMatching(/^hmac-sha256:/),
    });
    // The township's own study of 王测试 links without a question.
    await doctor
      .post(`/api/imaging/studies/${wangStudy}/consultations`, { consultationId: id })
      .expect(201);
  });

  it('takes a reason at creation for the named study only', async () => {
    const res = await draft({
      studyInstanceUids: [CT_STUDY],
      patientMismatches: [{ studyInstanceUid: CT_STUDY, reason: '外院检查' }],
    }).expect(201);
    const [event] = await schema.query<{ details: any }>(
      `SELECT details FROM audit_event WHERE action = 'consultation.create' AND resource_id = $1`,
      [res.body.id],
    );
    expect(event.details.patientChecks[0]).toMatchObject({
      verdict: 'mismatch',
      differences: ['name'],
    });
  });
});
