import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';
import {
  as,
  listen,
  sleep,
  tinyPdf,
  type Listener,
  storedStudy,
} from './consultation.test-support';

const STUDY = '1.2.826.0.1.3680043.8.498.10001';
const STUDY_2 = '1.2.826.0.1.3680043.8.498.10002';

/**
 * The whole journey through the HTTP API and /events: a township doctor asks, the county
 * radiologists (and only they) are told, one claims, reports, signs; the signature verifies
 * and stops verifying once the stored row is altered; the PDF carries the Chinese text; the
 * referral up is accepted and the patient is sent back down with a plan.
 */
describe('consultation journey (real PostgreSQL, real socket.io)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  const token: Record<string, string> = {};
  const ear: Record<string, Listener> = {};
  let patientId = '';
  let id = '';
  let referralId = '';

  const watchers = [
    'townDoctorA',
    'townDoctorB',
    'countyRadiologistA',
    'countyCardiologistA',
    'cityRadiologistA',
    'countyRadiologistB',
    'hubCoordinator',
  ];

  beforeAll(async () => {
    schema = await TestSchema.create('cjourney');
    f = await seedDirectory(schema);
    await schema.query(
      `UPDATE practitioner SET title = 'chief' WHERE username = 'county-radiologist-a'`,
    );
    await storedStudy(schema, STUDY, f.org.townA);
    await storedStudy(schema, STUDY_2, f.org.townA);
    api = await startApiForTest(schema, {
      CONSULT_SWEEP_INTERVAL_SECONDS: '0',
      CONSULT_ATTACHMENT_MAX_BYTES: '65536',
    });
    for (const key of Object.keys(f.user))
      token[key] = await loginAs(api.url, f.user[key].username);
    for (const w of watchers) ear[w] = await listen(api.url, token[w]);
    const res = await as(api.url, token.townDoctorA)
      .post('/api/patients', { name: '王小东', sex: 'male', birthDate: '1968-04-12' })
      .expect(201);
    patientId = res.body.id;
  });
  afterAll(async () => {
    Object.values(ear).forEach((l) => l.socket.close());
    await api?.app.close();
    await schema?.drop();
  });

  it('the township doctor drafts a request with a study, then submits it to the county radiology queue', async () => {
    const doc = as(api.url, token.townDoctorA);
    const draft = await doc
      .post('/api/consultations', {
        patientId,
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '右下肺阴影，请协助判断是否为肺炎',
        history: '咳嗽、发热3天，体温38.5℃',
        studyInstanceUids: [STUDY],
      })
      .expect(201);
    id = draft.body.id;
    expect(draft.body).toMatchObject({
      status: 'draft',
      urgency: 'urgent',
      requestingOrganizationId: f.org.townA,
      queue: null,
    });

    const submitted = await doc.post(`/api/consultations/${id}/submit`).expect(200);
    expect(submitted.body.status).toBe('submitted');
    // Nearest level first: the county hospital of townA's consortia, not the city one.
    expect(submitted.body.queue).toMatchObject({
      level: 'county_hospital',
      organizationIds: [f.org.countyA],
    });
    const deadline =
      new Date(submitted.body.queue.deadlineAt).getTime() -
      new Date(submitted.body.submittedAt).getTime();
    expect(deadline).toBe(120 * 60_000);
  });

  it('only the routed specialists are told and see it; the requesting organization hears it was submitted', async () => {
    await ear.countyRadiologistA.waitFor('queue.changed', (d) => d.consultationId === id);
    await ear.townDoctorA.waitFor('consultation.submitted', (d) => d.consultationId === id);
    await sleep(300);
    for (const w of [
      'townDoctorB',
      'countyCardiologistA',
      'cityRadiologistA',
      'countyRadiologistB',
      'hubCoordinator',
    ])
      expect(ear[w].about(id)).toEqual([]);

    const queue = await as(api.url, token.countyRadiologistA)
      .get('/api/consultations/worklist')
      .expect(200);
    expect(queue.body.box).toBe('queue');
    expect(queue.body.items.map((i: any) => i.id)).toEqual([id]);
    expect(queue.body.items[0]).toMatchObject({
      urgency: 'urgent',
      patient: { name: '王小东', birthDate: '1968-04-12' },
      queueLevel: 'county_hospital',
    });
    for (const who of ['countyCardiologistA', 'cityRadiologistA', 'countyRadiologistB']) {
      const other = await as(api.url, token[who])
        .get('/api/consultations/worklist?box=queue')
        .expect(200);
      expect(other.body.items).toEqual([]);
      await as(api.url, token[who]).get(`/api/consultations/${id}`).expect(403);
    }
    const detail = await as(api.url, token.countyRadiologistA)
      .get(`/api/consultations/${id}`)
      .expect(200);
    expect(detail.body).toMatchObject({
      clinicalQuestion: '右下肺阴影，请协助判断是否为肺炎',
      allowedTransitions: expect.arrayContaining(['claim', 'cancel']),
    });
    expect(detail.body.attachments).toEqual([
      expect.objectContaining({ kind: 'imaging_study', studyInstanceUid: STUDY }),
    ]);
    const sent = await as(api.url, token.townDoctorA)
      .get('/api/consultations/worklist?box=sent&status=submitted,claimed')
      .expect(200);
    expect(sent.body.items.map((i: any) => i.id)).toEqual([id]);
  });

  it('files: a real PDF is kept with its hash; a fake one (415) and an oversize one (413) are refused', async () => {
    const doc = as(api.url, token.townDoctorA);
    const pdf = await tinyPdf();
    const up = await doc
      .raw(
        `/api/consultations/${id}/attachments/files?fileName=${encodeURIComponent('心电图.pdf')}`,
        'application/pdf',
        pdf,
      )
      .expect(201);
    expect(up.body).toMatchObject({
      kind: 'document',
      fileName: '心电图.pdf',
      sizeBytes: pdf.length,
      mediaType: 'application/pdf',
    });
    const back = await as(api.url, token.countyRadiologistA)
      .get(`/api/consultations/${id}/attachments/${up.body.id}/content`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(back.status).toBe(200);
    expect(Buffer.compare(back.body as Buffer, pdf)).toBe(0);
    await doc
      .raw(
        `/api/consultations/${id}/attachments/files`,
        'application/pdf',
        Buffer.from('not a pdf at all'),
      )
      .expect(415);
    await doc
      .raw(
        `/api/consultations/${id}/attachments/files`,
        'image/png',
        Buffer.concat([
          Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
          Buffer.alloc(70_000),
        ]),
      )
      .expect(413);
    // Far over the limit: the answer still arrives as a 413, not a cut connection; nothing is left on disk.
    const huge = await doc.raw(
      `/api/consultations/${id}/attachments/files`,
      'application/pdf',
      Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(3 * 1024 * 1024)]),
    );
    expect(huge.status).toBe(413);
    expect(huge.body.details).toMatchObject({ code: 'attachment_too_large', maxBytes: 65536 });
    await doc
      .raw(`/api/consultations/${id}/attachments/files`, 'text/plain', Buffer.from('hello'))
      .expect(415);
    await doc
      .post(`/api/consultations/${id}/attachments/studies`, { studyInstanceUid: STUDY_2 })
      .expect(201);
    await doc
      .post(`/api/consultations/${id}/attachments/studies`, { studyInstanceUid: STUDY_2 })
      .expect(409);
    await doc
      .post(`/api/consultations/${id}/attachments/studies`, { studyInstanceUid: '1.02.3' })
      .expect(400);
    const files = await schema.query(
      `SELECT kind FROM consultation_attachment WHERE consultation_id = $1 ORDER BY kind`,
      [id],
    );
    expect(files.map((r: any) => r.kind)).toEqual(['document', 'imaging_study', 'imaging_study']);
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(join(api.config.dataDir, 'consultations', id))).toEqual([up.body.id]);
  });

  it('one county radiologist claims it; a second claim answers 409 with the current state', async () => {
    const claimed = await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/claim`)
      .expect(200);
    expect(claimed.body).toMatchObject({
      status: 'claimed',
      assignedSpecialistId: f.user.countyRadiologistA.id,
      assignedOrganizationId: f.org.countyA,
    });
    const again = await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/claim`)
      .expect(409);
    expect(again.body).toMatchObject({
      statusCode: 409,
      details: { code: 'illegal_transition', status: 'claimed' },
    });
    await ear.townDoctorA.waitFor('consultation.claimed', (d) => d.consultationId === id);
    // Out of the queue: the queue's members hear that too.
    await ear.countyRadiologistA.waitFor(
      'queue.changed',
      (d) => d.consultationId === id && d.status === 'claimed',
    );
    const closeEarly = await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/close`)
      .expect(409);
    expect(closeEarly.body.details).toMatchObject({ status: 'claimed', allowedFrom: ['reported'] });
    const live = await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/schedule`, { start: '2099-01-01T09:00:00+08:00' })
      .expect(409);
    expect(live.body.details).toMatchObject({ status: 'claimed', mode: 'imaging_read' });
  });

  it('thread: messages with an attachment, events to the other participants, read receipts', async () => {
    const pdf = await tinyPdf();
    const file = await as(api.url, token.townDoctorA)
      .raw(`/api/consultations/${id}/attachments/files?fileName=lab.pdf`, 'application/pdf', pdf)
      .expect(201);
    const m1 = await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/messages`, {
        body: '血常规结果已上传',
        attachmentIds: [file.body.id],
      })
      .expect(201);
    await ear.countyRadiologistA.waitFor('consultation.message', (d) => d.messageId === m1.body.id);
    const m2 = await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/messages`, { body: '收到，正在阅片' })
      .expect(201);
    await ear.townDoctorA.waitFor('consultation.message', (d) => d.messageId === m2.body.id);
    await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/messages/read`, { lastReadMessageId: Number(m2.body.id) })
      .expect(200);
    await ear.countyRadiologistA.waitFor(
      'consultation.read',
      (d) => d.practitionerId === f.user.townDoctorA.id,
    );
    // A mark never goes back.
    await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/messages/read`, { lastReadMessageId: Number(m1.body.id) })
      .expect(200);
    const thread = await as(api.url, token.countyRadiologistA)
      .get(`/api/consultations/${id}/messages`)
      .expect(200);
    expect(thread.body.items.map((m: any) => m.body)).toEqual([
      '血常规结果已上传',
      '收到，正在阅片',
    ]);
    expect(thread.body.items[0].attachments).toEqual([
      expect.objectContaining({ id: file.body.id, fileName: 'lab.pdf' }),
    ]);
    expect(thread.body.receipts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          practitionerId: f.user.townDoctorA.id,
          lastReadMessageId: m2.body.id,
        }),
        expect.objectContaining({
          practitionerId: f.user.countyRadiologistA.id,
          lastReadMessageId: m2.body.id,
        }),
      ]),
    );
    // An attachment is sent once.
    await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/messages`, { body: 'again', attachmentIds: [file.body.id] })
      .expect(400);
  });

  it('the radiologist writes and signs the report; the township doctor is told; the signature verifies for every reader', async () => {
    const rad = as(api.url, token.countyRadiologistA);
    await rad.post(`/api/consultations/${id}/report/sign`).expect(409); // nothing written yet
    await rad
      .put(`/api/consultations/${id}/report`, { findings: '右肺下叶见斑片状高密度影，边缘模糊。' })
      .expect(200);
    await as(api.url, token.townDoctorA).get(`/api/consultations/${id}/report`).expect(404); // a draft is the author's
    const incomplete = await rad.post(`/api/consultations/${id}/report/sign`).expect(400);
    expect(incomplete.body.details.missing).toEqual(['impression', 'recommendation']);
    await rad
      .put(`/api/consultations/${id}/report`, {
        impression: '右下肺炎，建议上级医院进一步诊治。',
        recommendation: 'refer_up',
        studies: [STUDY],
      })
      .expect(200);
    await as(api.url, token.townDoctorA)
      .put(`/api/consultations/${id}/report`, { impression: '我来写' })
      .expect(403);

    const signed = await rad.post(`/api/consultations/${id}/report/sign`).expect(200);
    expect(signed.body).toMatchObject({ status: 'reported' });
    await ear.townDoctorA.waitFor('consultation.reported', (d) => d.consultationId === id);
    await rad.put(`/api/consultations/${id}/report`, { impression: 'changed' }).expect(409);

    for (const who of ['townDoctorA', 'countyRadiologistA', 'hubCoordinator']) {
      const v = await as(api.url, token[who])
        .get(`/api/consultations/${id}/report/verify`)
        .expect(200);
      expect(v.body).toMatchObject({
        valid: true,
        algorithm: 'Ed25519',
        signer: { id: f.user.countyRadiologistA.id, organizationId: f.org.countyA },
        publicKeyFingerprint: expect.stringMatching(/^SHA256:/),
      });
    }
    const report = await as(api.url, token.townDoctorA)
      .get(`/api/consultations/${id}/report`)
      .expect(200);
    expect(report.body).toMatchObject({
      signed: true,
      recommendation: 'refer_up',
      studies: [STUDY],
    });
    const [key] = await schema.query(
      `SELECT private_key_cipher, public_key FROM practitioner_signing_key WHERE practitioner_id = $1`,
      [f.user.countyRadiologistA.id],
    );
    expect(key.private_key_cipher.includes(Buffer.from('PRIVATE'))).toBe(false); // kept encrypted, not PEM
    expect(key.public_key.length).toBe(44); // Ed25519 SPKI DER
  });

  it('a signed addendum corrects without changing the report', async () => {
    const add = await as(api.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/report/addenda`, { text: '补充：左肺未见异常。' })
      .expect(201);
    expect(add.body).toMatchObject({ kind: 'addendum', signed: true });
    await as(api.url, token.townDoctorA)
      .post(`/api/consultations/${id}/report/addenda`, { text: 'x' })
      .expect(403);
    const v = await as(api.url, token.townDoctorA)
      .get(`/api/consultations/${id}/report/verify`)
      .expect(200);
    expect(v.body.valid).toBe(true);
    expect(v.body.addenda).toEqual([
      expect.objectContaining({ reportId: add.body.id, kind: 'addendum', valid: true }),
    ]);
  });

  it('the report PDF carries the Chinese text (extracted with pdftotext)', async () => {
    const res = await as(api.url, token.townDoctorA)
      .get(`/api/consultations/${id}/report/pdf`)
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    const dir = mkdtempSync(join(tmpdir(), 'report-pdf-'));
    writeFileSync(join(dir, 'r.pdf'), res.body as Buffer);
    const text = execFileSync('pdftotext', ['-enc', 'UTF-8', join(dir, 'r.pdf'), '-']).toString(
      'utf8',
    );
    rmSync(dir, { recursive: true, force: true });
    for (const s of [
      '远程会诊报告',
      '王小东',
      '放射科',
      '右肺下叶见斑片状高密度影，边缘模糊。',
      '右下肺炎，建议上级医院进一步诊治。',
      '上转上级医院',
      '青山县石桥镇卫生院',
      '青山县人民医院',
      '主任医师',
      '验证通过',
      '补充：左肺未见异常。',
      STUDY,
    ]) {
      expect(text.replace(/\s+/g, '')).toContain(s.replace(/\s+/g, ''));
    }
  });

  it('a signed report cannot be changed in place, and a tampered row fails verification', async () => {
    await expect(
      schema.query(
        `UPDATE consultation_report SET impression = '正常' WHERE consultation_id = $1 AND kind = 'report'`,
        [id],
      ),
    ).rejects.toThrow(/signed and cannot change/);
    await expect(
      schema.query(`DELETE FROM consultation_report WHERE consultation_id = $1`, [id]),
    ).rejects.toThrow(/signed and cannot change/);
    // Someone with superuser rights goes around the trigger: the signature tells.
    await schema.db.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(
        `UPDATE consultation_report SET impression = '未见异常' WHERE consultation_id = $1 AND kind = 'report'`,
        [id],
      );
    });
    const v = await as(api.url, token.townDoctorA)
      .get(`/api/consultations/${id}/report/verify`)
      .expect(200);
    expect(v.body.valid).toBe(false);
    expect(v.body.addenda[0].valid).toBe(true);
    await schema.db.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(
        `UPDATE consultation_report SET impression = '右下肺炎，建议上级医院进一步诊治。' WHERE consultation_id = $1 AND kind = 'report'`,
        [id],
      );
    });
    const restored = await as(api.url, token.townDoctorA)
      .get(`/api/consultations/${id}/report/verify`)
      .expect(200);
    expect(restored.body.valid).toBe(true);
    // Re-attributing the report to another practitioner breaks it as well.
    await schema.db.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(
        `UPDATE consultation_report SET author_id = $2 WHERE consultation_id = $1 AND kind = 'report'`,
        [id, f.user.cityRadiologistA.id],
      );
    });
    expect(
      (
        await as(api.url, token.townDoctorA)
          .get(`/api/consultations/${id}/report/verify`)
          .expect(200)
      ).body.valid,
    ).toBe(false);
    await schema.db.transaction(async (m) => {
      await m.query(`SET LOCAL session_replication_role = replica`);
      await m.query(
        `UPDATE consultation_report SET author_id = $2 WHERE consultation_id = $1 AND kind = 'report'`,
        [id, f.user.countyRadiologistA.id],
      );
    });
  });

  it('referral up (green channel) is accepted by the receiving county radiologists; the patient goes back down with a plan', async () => {
    const doc = as(api.url, token.townDoctorA);
    await as(api.url, token.townDoctorB)
      .post('/api/referrals', { consultationId: id, reason: '上转' })
      .expect(403);
    const up = await doc
      .post('/api/referrals', {
        consultationId: id,
        reason: '疑似重症肺炎，需住院治疗',
        greenChannel: true,
      })
      .expect(201);
    referralId = up.body.id;
    expect(up.body).toMatchObject({
      direction: 'up',
      fromOrganizationId: f.org.townA,
      toOrganizationId: f.org.countyA,
      greenChannel: true,
      status: 'requested',
    });
    await doc.post('/api/referrals', { consultationId: id, reason: 'double click' }).expect(409);
    await ear.countyRadiologistA.waitFor('referral.requested', (d) => d.referralId === referralId);

    const incoming = await as(api.url, token.countyRadiologistA)
      .get('/api/referrals?box=incoming&status=requested')
      .expect(200);
    expect(incoming.body.items[0]).toMatchObject({
      id: referralId,
      greenChannel: true,
      patientName: '王小东',
    });
    await doc.post(`/api/referrals/${referralId}/accept`, {}).expect(403); // the sending side cannot accept its own
    await as(api.url, token.countyCardiologistA)
      .post(`/api/referrals/${referralId}/accept`, {})
      .expect(403); // another department
    const accepted = await as(api.url, token.countyRadiologistA)
      .post(`/api/referrals/${referralId}/accept`, { note: '已安排床位' })
      .expect(200);
    expect(accepted.body).toMatchObject({
      status: 'accepted',
      answeredBy: f.user.countyRadiologistA.id,
    });
    await ear.townDoctorA.waitFor('referral.accepted', (d) => d.referralId === referralId);
    const twice = await as(api.url, token.countyRadiologistA)
      .post(`/api/referrals/${referralId}/decline`, { reason: 'x' })
      .expect(409);
    expect(twice.body.details.status).toBe('accepted');

    const down = await as(api.url, token.countyRadiologistA)
      .post(`/api/referrals/${referralId}/down-referral`, {
        reason: '病情稳定，转回基层',
        followUpPlan: '每周复查血常规，两周后复诊胸片',
      })
      .expect(201);
    expect(down.body).toMatchObject({
      direction: 'down',
      fromOrganizationId: f.org.countyA,
      toOrganizationId: f.org.townA,
      followsReferralId: referralId,
    });
    await ear.townDoctorA.waitFor('referral.requested', (d) => d.referralId === down.body.id);
    const mine = await doc.get('/api/referrals?box=incoming').expect(200);
    expect(mine.body.items.map((r: any) => r.id)).toEqual([down.body.id]);
    await doc.post(`/api/referrals/${down.body.id}/accept`, {}).expect(200);
    await doc.post(`/api/consultations/${id}/close`).expect(200);
  });

  it('the hub sees per-institution figures; Prometheus counts the flow', async () => {
    const m = await as(api.url, token.hubCoordinator).get('/api/consultations/metrics').expect(200);
    const by = Object.fromEntries(m.body.institutions.map((i: any) => [i.organizationId, i]));
    expect(by[f.org.townA]).toMatchObject({
      requestsSent: 1,
      referralsSent: 1,
      referralsReceived: 1,
      escalations: 0,
    });
    expect(by[f.org.countyA]).toMatchObject({
      requestsReceived: 1,
      reportsSigned: 1,
      referralsReceived: 1,
      referralsAccepted: 1,
    });
    expect(by[f.org.countyA].claimSeconds.average).toBeGreaterThanOrEqual(0);
    const cityB = await as(api.url, token.cityCoordinatorB)
      .get('/api/consultations/metrics')
      .expect(200);
    expect(cityB.body.institutions.map((i: any) => i.organizationId)).not.toContain(f.org.townA);
    await as(api.url, token.townDoctorA).get('/api/consultations/metrics').expect(403);
    const prom = await as(api.url, null).get('/metrics').expect(200);
    expect(prom.text).toMatch(
      /huizhen_consultation_transitions_total\{transition="sign_report",urgency="urgent",specialty="radiology"\} 1/,
    );
    expect(prom.text).toContain('huizhen_consultation_claim_seconds_bucket');
    expect(prom.text).toMatch(
      /huizhen_referrals_total\{direction="up",event="accepted",green_channel="true"\} 1/,
    );
  });

  it('every step is in the status history and the audit chain, which still verifies', async () => {
    const history = await schema.query(
      `SELECT transition, from_status, to_status FROM consultation_status_history WHERE consultation_id = $1 ORDER BY id`,
      [id],
    );
    expect(history.map((h: any) => h.transition)).toEqual([
      'create',
      'submit',
      'claim',
      'sign_report',
      'close',
    ]);
    const audit = await schema.query(
      `SELECT DISTINCT action FROM audit_event WHERE resource_id = $1`,
      [id],
    );
    expect(audit.map((a: any) => a.action)).toEqual(
      expect.arrayContaining([
        'consultation.create',
        'consultation.submit',
        'consultation.claim',
        'consultation.sign_report',
        'consultation.read',
        'consultation.report.pdf',
      ]),
    );
    const chain = await as(api.url, token.hubAdmin).get('/api/audit/verify').expect(200);
    expect(chain.body.ok).toBe(true);
  });
});
