import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthService } from '@huizhen/auth';
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
import { ConsultationsService } from './consultations.service';

const STUDY = '1.2.826.0.1.3680043.8.498.20001';

/**
 * Someone else's request, seen from outside: a township doctor of another county, a specialist
 * outside the consortium, coordinators and admins of other trees, and nobody at all. Every
 * route answers 403 (401 for the anonymous), lists leave it out, /events says nothing, and
 * nothing changes.
 */
describe('consultations: access from outside (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  const token: Record<string, string> = {};
  const ear: Record<string, Listener> = {};
  const outsiders = [
    'townDoctorB',
    'countyRadiologistB',
    'cityCoordinatorB',
    'otherHubCoordinator',
    'hubAdmin',
  ];
  let queued = ''; // submitted, in countyA's radiology queue
  let reported = ''; // claimed by countyRadiologistA, report signed (refer_up)
  let referral = '';
  let fileId = '';
  let messageId = 0;
  let before: unknown[] = [];

  const snapshot = () =>
    schema.query(
      `SELECT c.id, c.status, c.assigned_specialist_id, c.updated_at,
              (SELECT count(*) FROM consultation_message m WHERE m.consultation_id = c.id) AS messages,
              (SELECT count(*) FROM consultation_attachment a WHERE a.consultation_id = c.id) AS attachments,
              (SELECT count(*) FROM consultation_participant p WHERE p.consultation_id = c.id) AS participants,
              (SELECT count(*) FROM consultation_report r WHERE r.consultation_id = c.id) AS reports,
              (SELECT string_agg(status || direction, ',') FROM referral x WHERE x.consultation_id = c.id) AS referrals
         FROM consultation_request c ORDER BY c.id`,
    );

  beforeAll(async () => {
    schema = await TestSchema.create('caccess');
    f = await seedDirectory(schema);
    api = await startApiForTest(schema, { CONSULT_SWEEP_INTERVAL_SECONDS: '0' });
    await storedStudy(schema, STUDY, f.org.townA);
    for (const key of Object.keys(f.user))
      token[key] = await loginAs(api.url, f.user[key].username);
    for (const w of ['townDoctorB', 'countyRadiologistB', 'cityCoordinatorB'])
      ear[w] = await listen(api.url, token[w]);
    const doc = as(api.url, token.townDoctorA);
    const rad = as(api.url, token.countyRadiologistA);
    const patientId = (
      await doc
        .post('/api/patients', { name: '张伟', sex: 'male', birthDate: '1959-02-14' })
        .expect(201)
    ).body.id;
    const body = {
      patientId,
      specialty: 'radiology',
      urgency: 'urgent',
      mode: 'both',
      clinicalQuestion: '胸痛待查',
      studyInstanceUids: [STUDY],
      submit: true,
    };
    queued = (await doc.post('/api/consultations', body).expect(201)).body.id;
    reported = (await doc.post('/api/consultations', body).expect(201)).body.id;
    await rad.post(`/api/consultations/${reported}/claim`).expect(200);
    fileId = (
      await doc
        .raw(
          `/api/consultations/${reported}/attachments/files?fileName=ecg.pdf`,
          'application/pdf',
          await tinyPdf(),
        )
        .expect(201)
    ).body.id;
    messageId = Number(
      (
        await doc
          .post(`/api/consultations/${reported}/messages`, { body: '心电图见附件' })
          .expect(201)
      ).body.id,
    );
    await rad
      .put(`/api/consultations/${reported}/report`, {
        findings: '主动脉结钙化',
        impression: '建议上级医院心内科就诊',
        recommendation: 'refer_up',
      })
      .expect(200);
    await rad.post(`/api/consultations/${reported}/report/sign`).expect(200);
    referral = (
      await doc
        .post('/api/referrals', {
          consultationId: reported,
          reason: '胸痛待查',
          greenChannel: true,
        })
        .expect(201)
    ).body.id;
    await sleep(200);
    before = await snapshot();
  });
  afterAll(async () => {
    Object.values(ear).forEach((l) => l.socket.close());
    await api?.app.close();
    await schema?.drop();
  });

  const routes = (): [method: 'get' | 'post' | 'put' | 'raw', path: string, body?: object][] => [
    ['get', `/api/consultations/${queued}`],
    ['get', `/api/consultations/${reported}`],
    ['post', `/api/consultations/${queued}/submit`],
    ['post', `/api/consultations/${queued}/claim`],
    ['post', `/api/consultations/${reported}/claim`],
    ['post', `/api/consultations/${reported}/decline`, { reason: '不接' }],
    ['post', `/api/consultations/${reported}/schedule`, { start: '2099-01-01T09:00:00Z' }],
    ['post', `/api/consultations/${reported}/start-session`],
    ['post', `/api/consultations/${reported}/close`],
    ['post', `/api/consultations/${queued}/cancel`, { reason: '取消' }],
    [
      'post',
      `/api/consultations/${queued}/participants`,
      { practitionerId: f.user.townDoctorB.id, role: 'observer' },
    ],
    ['post', `/api/consultations/${queued}/attachments/studies`, { studyInstanceUid: '1.2.3.4' }],
    ['raw', `/api/consultations/${queued}/attachments/files`],
    ['get', `/api/consultations/${reported}/attachments/${fileId}/content`],
    ['get', `/api/consultations/${reported}/messages`],
    ['post', `/api/consultations/${reported}/messages`, { body: '你好' }],
    ['post', `/api/consultations/${reported}/messages/read`, { lastReadMessageId: messageId }],
    ['put', `/api/consultations/${queued}/report`, { findings: '伪造' }],
    ['post', `/api/consultations/${reported}/report/sign`],
    ['post', `/api/consultations/${reported}/report/addenda`, { text: '伪造补充' }],
    ['get', `/api/consultations/${reported}/report`],
    ['get', `/api/consultations/${reported}/report/verify`],
    ['get', `/api/consultations/${reported}/report/pdf`],
    ['post', '/api/referrals', { consultationId: reported, reason: '转诊' }],
    ['get', `/api/referrals/${referral}`],
    ['post', `/api/referrals/${referral}/accept`, {}],
    ['post', `/api/referrals/${referral}/decline`, { reason: '不收' }],
    ['post', `/api/referrals/${referral}/cancel`],
    ['post', `/api/referrals/${referral}/down-referral`, { reason: '下转', followUpPlan: '随访' }],
  ];

  const call = async (
    who: string | null,
    [method, path, body]: ReturnType<typeof routes>[number],
  ) => {
    const client = as(api.url, who ? token[who] : null);
    if (method === 'raw') return client.raw(path, 'application/pdf', await tinyPdf());
    if (method === 'get') return client.get(path);
    return client[method](path, body);
  };

  it.each(outsiders)(
    '%s gets 403 on every route of the other organization’s requests',
    async (who) => {
      const answers: string[] = [];
      for (const r of routes()) {
        const res = await call(who, r);
        answers.push(`${res.status} ${r[0]} ${r[1]}`);
        if (res.status === 403)
          expect(res.body).toMatchObject({ statusCode: 403, details: { code: 'access_denied' } });
      }
      expect(answers.filter((a) => !a.startsWith('403'))).toEqual([]);
    },
  );

  it('an anonymous client gets 401 on every route, and no /events socket', async () => {
    for (const r of [
      ...routes(),
      ['get', '/api/consultations/worklist'],
      ['get', '/api/consultations/metrics'],
      ['get', '/api/referrals'],
    ] as ReturnType<typeof routes>) {
      const res = await call(null, r);
      expect(`${res.status} ${r[1]}`).toBe(`401 ${r[1]}`);
    }
    await expect(listen(api.url)).rejects.toThrow(/unauthorized/);
  });

  it('lists, metrics and the room leave it out for outsiders', async () => {
    for (const who of ['townDoctorB', 'countyRadiologistB']) {
      for (const box of who === 'townDoctorB'
        ? ['sent']
        : ['queue', 'assigned', 'received', 'sent']) {
        const res = await as(api.url, token[who])
          .get(`/api/consultations/worklist?box=${box}&limit=200`)
          .expect(200);
        expect(res.body.items).toEqual([]);
      }
      for (const box of ['incoming', 'outgoing']) {
        const res = await as(api.url, token[who]).get(`/api/referrals?box=${box}`).expect(200);
        expect(res.body.items).toEqual([]);
      }
    }
    for (const who of ['cityCoordinatorB', 'otherHubCoordinator']) {
      expect(
        (await as(api.url, token[who]).get('/api/consultations/worklist?limit=200').expect(200))
          .body.items,
      ).toEqual([]);
      expect(
        (await as(api.url, token[who]).get('/api/consultations/metrics').expect(200)).body
          .institutions,
      ).toEqual([]);
      expect(
        (await as(api.url, token[who]).get('/api/referrals?box=hub').expect(200)).body.items,
      ).toEqual([]);
    }
    const service = api.app.get(ConsultationsService);
    for (const who of outsiders) {
      const actor = await api.app.get(AuthService).verifyAccessToken(token[who]);
      await expect(service.roomParticipant(actor, reported)).rejects.toMatchObject({
        code: 'access_denied',
      });
    }
  });

  it('nothing changed, the denials are in the audit trail, and /events told the outsiders nothing', async () => {
    expect(await snapshot()).toEqual(before);
    const denied = await schema.query(
      `SELECT DISTINCT actor_username FROM audit_event WHERE outcome = 'denied' AND resource_id = ANY($1::text[])`,
      [[queued, reported, referral]],
    );
    expect(denied.map((d: any) => d.actor_username).sort()).toEqual([
      'city-coordinator-b',
      'county-radiologist-b',
      'hub-admin',
      'other-hub-coordinator',
      'town-doctor-b',
    ]);
    for (const w of Object.keys(ear)) expect(ear[w].events).toEqual([]);
  });
});
