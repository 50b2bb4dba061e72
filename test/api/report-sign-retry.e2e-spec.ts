import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';
import { as, storedStudy } from '../../apps/api/src/consultations/consultation.test-support';

const STUDY = '1.2.826.0.1.3680043.8.498.20001';

/**
 * Signing survives a lost answer: the client retries (or two clicks race) and gets the report
 * it signed, with the same signature, instead of 409 for a consultation already reported.
 */
describe('a repeated sign returns the signed report (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    schema = await TestSchema.create('signretry');
    f = await seedDirectory(schema);
    await storedStudy(schema, STUDY, f.org.townA);
    api = await startApiForTest(schema, { CONSULT_SWEEP_INTERVAL_SECONDS: '0' });
    for (const key of ['townDoctorA', 'countyRadiologistA', 'countyCardiologistA'])
      token[key] = await loginAs(api.url, f.user[key].username);
  });
  afterAll(async () => {
    await api?.app.close();
    await schema?.drop();
  });

  /** An imaging read claimed by the county radiologist, its report written and ready to sign. */
  async function readyToSign(): Promise<string> {
    const doc = as(api.url, token.townDoctorA);
    const patient = await doc
      .post('/api/patients', { name: '李四', sex: 'female', birthDate: '1970-01-01' })
      .expect(201);
    const draft = await doc
      .post('/api/consultations', {
        patientId: patient.body.id,
        specialty: 'radiology',
        urgency: 'routine',
        mode: 'imaging_read',
        clinicalQuestion: '胸片请阅',
        studyInstanceUids: [STUDY],
      })
      .expect(201);
    await doc.post(`/api/consultations/${draft.body.id}/submit`).expect(200);
    const rad = as(api.url, token.countyRadiologistA);
    await rad.post(`/api/consultations/${draft.body.id}/claim`).expect(200);
    await rad
      .put(`/api/consultations/${draft.body.id}/report`, {
        findings: '双肺纹理清晰。',
        impression: '未见明显异常。',
        recommendation: 'follow_up_township',
      })
      .expect(200);
    return draft.body.id;
  }

  it('a second sign by the signer answers 200 with the same report and signature, and changes nothing', async () => {
    const id = await readyToSign();
    const rad = as(api.url, token.countyRadiologistA);
    const first = await rad.post(`/api/consultations/${id}/report/sign`).expect(200);
    expect(first.body).toMatchObject({
      id,
      status: 'reported',
      report: {
        consultationId: id,
        signed: true,
        algorithm: 'Ed25519',
        signature: expect.stringMatching(/^[A-Za-z0-9+/]{86}==$/),
      },
    });
    const [before] = await schema.query(
      `SELECT signature, signed_at, updated_at FROM consultation_report WHERE consultation_id = $1`,
      [id],
    );

    const again = await rad.post(`/api/consultations/${id}/report/sign`).expect(200);
    expect(again.body).toEqual(first.body);
    const [after] = await schema.query(
      `SELECT signature, signed_at, updated_at FROM consultation_report WHERE consultation_id = $1`,
      [id],
    );
    expect(after).toEqual(before);
    const history = await schema.query(
      `SELECT transition FROM consultation_status_history WHERE consultation_id = $1 AND transition = 'sign_report'`,
      [id],
    );
    expect(history).toHaveLength(1); // one transition, one history row
    const audit = await schema.query<{ action: string }>(
      `SELECT action FROM audit_event WHERE resource_id = $1 AND action LIKE 'consultation.%sign%' ORDER BY id`,
      [id],
    );
    expect(audit.map((a) => a.action)).toEqual([
      'consultation.sign_report',
      'consultation.report.sign_repeated',
    ]);
    const verified = await rad.get(`/api/consultations/${id}/report/verify`).expect(200);
    expect(verified.body.valid).toBe(true);
  });

  it('two signs racing both answer the one signature', async () => {
    const id = await readyToSign();
    const rad = as(api.url, token.countyRadiologistA);
    const [a, b] = await Promise.all([
      rad.post(`/api/consultations/${id}/report/sign`),
      rad.post(`/api/consultations/${id}/report/sign`),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(a.body.report.signature).toBe(b.body.report.signature);
    expect(
      await schema.query(
        `SELECT 1 FROM consultation_status_history WHERE consultation_id = $1 AND transition = 'sign_report'`,
        [id],
      ),
    ).toHaveLength(1);
  });

  it('anyone else still meets the refusal: the requester and another specialist get 403', async () => {
    const id = await readyToSign();
    await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/report/sign`)
      .expect(200);
    await as(api.url, token.townDoctorA).post(`/api/consultations/${id}/report/sign`).expect(403);
    await as(api.url, token.countyCardiologistA)
      .post(`/api/consultations/${id}/report/sign`)
      .expect(403);
  });
});
