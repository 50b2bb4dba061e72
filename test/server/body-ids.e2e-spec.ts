import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { as } from '../../apps/api/src/consultations/consultation.test-support';
import { get, stow } from '../imaging/support/dicomweb-client';

const CT = join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'CT_small.dcm');
const MR = join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'MR_small.dcm');

/**
 * Ids carried in request bodies are access decisions: a township doctor who knows another
 * health centre's Study Instance UID cannot attach it to her own consultation (from either
 * side, or when creating the request), and cannot link her own study into another
 * organization's consultation. Each refusal is a 403 in the audit trail, and the study stays
 * unreadable to her and to the specialist her request is routed to.
 */
describe('body ids cross no organization (single server, real PostgreSQL and DICOM)', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  const token: Record<string, string> = {};
  let foreignStudy: string; // township B's CT
  let ownStudy: string; // township A's MR
  let ownConsultation: string; // township A's request, routed to county A's radiology
  let foreignConsultation: string; // township B's request
  let patientA: string;

  const studyUidOf = async (who: string) =>
    (await get(server.url, token[who], '/dicom-web/studies')).json()[0]['0020000D']
      .Value[0] as string;

  beforeAll(async () => {
    schema = await TestSchema.create('body_ids');
    f = await seedDirectory(schema);
    server = await startTestApp(
      schema.env({ DIMSE_ENABLED: 'false', CONSULT_SWEEP_INTERVAL_SECONDS: '0' }),
      (config) => ServerModule.forConfig(config),
    );
    for (const who of ['townDoctorA', 'townDoctorB', 'countyRadiologistA', 'countyRadiologistB'])
      token[who] = await loginAs(server.url, f.user[who].username);
    expect((await stow(server.url, token.townDoctorB, [readFileSync(CT)])).status).toBe(200);
    foreignStudy = await studyUidOf('townDoctorB');
    expect((await stow(server.url, token.townDoctorA, [readFileSync(MR)])).status).toBe(200);
    ownStudy = await studyUidOf('townDoctorA');
    expect(ownStudy).not.toBe(foreignStudy);

    const a = as(server.url, token.townDoctorA);
    patientA = (
      await a
        .post('/api/patients', { name: '李春花', sex: 'female', birthDate: '1971-03-02' })
        .expect(201)
    ).body.id;
    ownConsultation = (
      await a
        .post('/api/consultations', {
          patientId: patientA,
          specialty: 'radiology',
          urgency: 'routine',
          mode: 'imaging_read',
          clinicalQuestion: '头痛待查',
          submit: true,
        })
        .expect(201)
    ).body.id;
    const b = as(server.url, token.townDoctorB);
    const patientB = (
      await b
        .post('/api/patients', { name: '赵大山', sex: 'male', birthDate: '1960-01-09' })
        .expect(201)
    ).body.id;
    foreignConsultation = (
      await b
        .post('/api/consultations', {
          patientId: patientB,
          specialty: 'radiology',
          urgency: 'routine',
          mode: 'imaging_read',
          clinicalQuestion: '胸片复查',
          studyInstanceUids: [foreignStudy],
          // pydicom's CT names CompressedSamples^CT1, not 赵大山 (the image check at the door).
          patientMismatches: [{ studyInstanceUid: foreignStudy, reason: '测试样例影像' }],
          submit: true,
        })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  const denials = (action: string) =>
    schema.query<{ actor_username: string; resource_type: string; resource_id: string }>(
      `SELECT actor_username, resource_type, resource_id FROM audit_event WHERE outcome = 'denied' AND action = $1 ORDER BY id`,
      [action],
    );

  it('refuses another organization’s study attached to her own consultation, and audits it', async () => {
    const res = await as(server.url, token.townDoctorA)
      .post(`/api/consultations/${ownConsultation}/attachments/studies`, {
        studyInstanceUid: foreignStudy,
      })
      .expect(403);
    expect(res.body.details).toMatchObject({ code: 'access_denied' });
    expect(await denials('imaging_study.read')).toContainEqual({
      actor_username: 'town-doctor-a',
      resource_type: 'imaging_study',
      resource_id: foreignStudy,
    });
  });

  it('refuses it in a new request’s studyInstanceUids, and writes no request', async () => {
    const before = await schema.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM consultation_request`,
    );
    await as(server.url, token.townDoctorA)
      .post('/api/consultations', {
        patientId: patientA,
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '对比',
        studyInstanceUids: [ownStudy, foreignStudy],
        submit: true,
      })
      .expect(403);
    expect(await schema.query(`SELECT count(*)::int AS n FROM consultation_request`)).toEqual(
      before,
    );
  });

  it('answers 404 for a study that is not stored (a UID reserved now could be another’s later)', async () => {
    const res = await as(server.url, token.townDoctorA)
      .post(`/api/consultations/${ownConsultation}/attachments/studies`, {
        studyInstanceUid: '1.2.826.0.1.3680043.8.498.424242',
      })
      .expect(404);
    expect(res.body.details).toMatchObject({ code: 'study_not_found' });
  });

  it('refuses linking her own study into another organization’s consultation, and audits it', async () => {
    await as(server.url, token.townDoctorA)
      .post(`/api/imaging/studies/${ownStudy}/consultations`, {
        consultationId: foreignConsultation,
      })
      .expect(403);
    expect(await denials('consultation.update')).toContainEqual({
      actor_username: 'town-doctor-a',
      resource_type: 'consultation',
      resource_id: foreignConsultation,
    });
    const links = await schema.query(
      `SELECT * FROM imaging_study_link WHERE consultation_id = $1`,
      [foreignConsultation],
    );
    expect(links).toEqual([]);
    await as(server.url, token.townDoctorA)
      .post(`/api/imaging/studies/${ownStudy}/consultations`, {
        consultationId: '00000000-0000-4000-8000-000000000000',
      })
      .expect(404);
  });

  it('and the foreign study stays unreadable to her and to the specialist her request is routed to', async () => {
    for (const who of ['townDoctorA', 'countyRadiologistA']) {
      expect(
        (await get(server.url, token[who], `/dicom-web/studies/${foreignStudy}/metadata`)).status,
      ).toBe(403);
      const found = await get(
        server.url,
        token[who],
        `/dicom-web/studies?StudyInstanceUID=${foreignStudy}`,
      );
      expect(found.status === 204 || (found.status === 200 && found.json().length === 0)).toBe(
        true,
      );
    }
    const detail = await as(server.url, token.townDoctorA)
      .get(`/api/consultations/${ownConsultation}`)
      .expect(200);
    expect(detail.body.attachments).toEqual([]);
  });

  it('still lets her attach her own study from both sides, and the routed specialist read it', async () => {
    await as(server.url, token.townDoctorA)
      .post(`/api/consultations/${ownConsultation}/attachments/studies`, {
        studyInstanceUid: ownStudy,
        patientMismatchReason: '测试样例影像',
      })
      .expect(201);
    await as(server.url, token.townDoctorA)
      .post(`/api/imaging/studies/${ownStudy}/consultations`, {
        consultationId: ownConsultation,
        patientMismatchReason: '测试样例影像',
      })
      .expect(201);
    expect(
      (await get(server.url, token.countyRadiologistA, `/dicom-web/studies/${ownStudy}/metadata`))
        .status,
    ).toBe(200);
    expect(
      (await get(server.url, token.countyRadiologistB, `/dicom-web/studies/${ownStudy}/metadata`))
        .status,
    ).toBe(403);
  });

  it('a specialist who declined a request cannot claim it afterwards', async () => {
    const rad = as(server.url, token.countyRadiologistA);
    await rad.post(`/api/consultations/${ownConsultation}/claim`).expect(200);
    await rad
      .post(`/api/consultations/${ownConsultation}/decline`, { reason: '本院今日无MRI阅片医生' })
      .expect(200);
    const again = await rad.post(`/api/consultations/${ownConsultation}/claim`).expect(403);
    expect(again.body.message).toMatch(/declined/);
    const queue = await rad.get('/api/consultations/worklist?box=queue').expect(200);
    expect(queue.body.items.map((i: { id: string }) => i.id)).not.toContain(ownConsultation);
    // The reason a person typed is in the status history (read under the policy), and only as a keyed hash in the audit trail.
    const [declined] = await schema.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_event WHERE action = 'consultation.decline' AND resource_id = $1`,
      [ownConsultation],
    );
    expect(declined.details.reason).toBeUndefined();
    expect(declined.details.reasonDigest).toMatch(/^hmac-sha256:/);
    expect(JSON.stringify(await schema.query(`SELECT details FROM audit_event`))).not.toContain(
      'MRI阅片',
    );
  });
});
