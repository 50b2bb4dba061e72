import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  client,
  shiftBody,
  startScheduling,
  type Reply,
  type SchedulingHarness,
} from '../../apps/api/src/scheduling/scheduling.test-support';

/**
 * Bad input at the API's edge: an id that names nothing is 404 with a code saying what was not
 * found (never 200 with an empty list or defaults), a malformed id is 400, and a recurrence rule
 * that cannot work says what is wrong with it.
 */
describe('unknown ids, malformed ids, bad recurrence rules (real PostgreSQL)', () => {
  let h: SchedulingHarness;
  const X = randomUUID();
  const Y = randomUUID();

  beforeAll(async () => {
    h = await startScheduling('unknownids');
  });
  afterAll(async () => {
    await h?.close();
  });

  type Method = 'get' | 'post' | 'patch' | 'put' | 'del';
  /** who, method, path ({X} is the unknown id), body, expected code. */
  type Route = [
    who: string | null,
    method: Method,
    path: string,
    body: Record<string, unknown> | null,
    code: string,
  ];
  const leave = { kind: 'leave', start: '2027-05-01T00:00', end: '2027-05-02T00:00' };
  const ROUTES: Route[] = [
    // scheduling
    ['hubCoordinator', 'get', '/api/scheduling/shifts/{X}', null, 'shift_not_found'],
    ['hubCoordinator', 'patch', '/api/scheduling/shifts/{X}', { note: '改' }, 'shift_not_found'],
    [
      'hubCoordinator',
      'post',
      '/api/scheduling/shifts/{X}/cancel',
      { reason: '取消' },
      'shift_not_found',
    ],
    [
      'hubCoordinator',
      'get',
      '/api/scheduling/shifts?specialistId={X}',
      null,
      'specialist_not_found',
    ],
    [
      'hubCoordinator',
      'get',
      '/api/scheduling/shifts?organizationId={X}',
      null,
      'organization_not_found',
    ],
    [
      'countyRadiologistA',
      'get',
      '/api/scheduling/specialists/{X}/availability',
      null,
      'specialist_not_found',
    ],
    [
      'hubCoordinator',
      'put',
      '/api/scheduling/specialists/{X}/working-hours',
      { windows: [] },
      'specialist_not_found',
    ],
    [
      'hubCoordinator',
      'post',
      '/api/scheduling/specialists/{X}/unavailability',
      leave,
      'specialist_not_found',
    ],
    [
      'hubCoordinator',
      'del',
      '/api/scheduling/specialists/{X}/unavailability/{Y}',
      null,
      'specialist_not_found',
    ],
    [
      'hubCoordinator',
      'get',
      '/api/scheduling/specialists/{X}/calendar.ics',
      null,
      'specialist_not_found',
    ],
    ['townDoctorA', 'get', '/api/scheduling/slots?specialistId={X}', null, 'specialist_not_found'],
    [
      'townDoctorA',
      'get',
      '/api/scheduling/slots?organizationId={X}',
      null,
      'organization_not_found',
    ],
    [
      'townDoctorA',
      'get',
      '/api/scheduling/slots?specialistOrganizationId={X}',
      null,
      'organization_not_found',
    ],
    [
      'townDoctorA',
      'post',
      '/api/scheduling/bookings',
      { slotId: '{Y}', consultationRequestId: '{X}' },
      'consultation_request_not_found',
    ],
    ['townDoctorA', 'get', '/api/scheduling/bookings/{X}', null, 'booking_not_found'],
    [
      'townDoctorA',
      'post',
      '/api/scheduling/bookings/{X}/reschedule',
      { slotId: '{Y}', reason: '改期' },
      'booking_not_found',
    ],
    [
      'townDoctorA',
      'post',
      '/api/scheduling/bookings/{X}/cancel',
      { reason: '取消' },
      'booking_not_found',
    ],
    [
      'countyRadiologistA',
      'post',
      '/api/scheduling/bookings/{X}/outcome',
      { outcome: 'fulfilled' },
      'booking_not_found',
    ],
    [
      'hubCoordinator',
      'get',
      '/api/scheduling/grassroots-ledger?organizationId={X}',
      null,
      'organization_not_found',
    ],
    ['hubCoordinator', 'get', '/api/scheduling/plans/{X}', null, 'plan_not_found'],
    ['hubCoordinator', 'post', '/api/scheduling/plans/{X}/accept', null, 'plan_not_found'],
    ['hubCoordinator', 'post', '/api/scheduling/plans/{X}/discard', null, 'plan_not_found'],
    // directory
    ['hubAdmin', 'get', '/api/organizations/{X}', null, 'organization_not_found'],
    ['hubAdmin', 'get', '/api/organizations?parentId={X}', null, 'organization_not_found'],
    [
      'hubAdmin',
      'patch',
      '/api/organizations/{X}',
      { name: '新名字医院' },
      'organization_not_found',
    ],
    ['hubAdmin', 'get', '/api/consortia/{X}', null, 'consortium_not_found'],
    ['hubAdmin', 'get', '/api/consortia?organizationId={X}', null, 'organization_not_found'],
    ['hubAdmin', 'patch', '/api/consortia/{X}', { name: '新医共体' }, 'consortium_not_found'],
    ['hubAdmin', 'get', '/api/practitioners/{X}', null, 'practitioner_not_found'],
    ['hubAdmin', 'get', '/api/practitioners?organizationId={X}', null, 'organization_not_found'],
    [
      'hubAdmin',
      'patch',
      '/api/practitioners/{X}',
      { displayName: '新名' },
      'practitioner_not_found',
    ],
    // patients
    ['townDoctorA', 'get', '/api/patients/{X}', null, 'patient_not_found'],
    ['townDoctorA', 'patch', '/api/patients/{X}', { phone: '13800138000' }, 'patient_not_found'],
    // referrals
    [
      'townDoctorA',
      'post',
      '/api/referrals',
      { consultationId: '{X}', reason: '转诊' },
      'consultation_not_found',
    ],
    ['townDoctorA', 'get', '/api/referrals/{X}', null, 'referral_not_found'],
    ['countyRadiologistA', 'post', '/api/referrals/{X}/accept', {}, 'referral_not_found'],
    [
      'countyRadiologistA',
      'post',
      '/api/referrals/{X}/decline',
      { reason: '不收' },
      'referral_not_found',
    ],
    ['townDoctorA', 'post', '/api/referrals/{X}/cancel', null, 'referral_not_found'],
    [
      'countyRadiologistA',
      'post',
      '/api/referrals/{X}/down-referral',
      { reason: '下转', followUpPlan: '随访' },
      'referral_not_found',
    ],
    // consultations (the report routes are consultation-report.service.ts)
    ['townDoctorA', 'get', '/api/consultations/{X}', null, 'consultation_not_found'],
    ['townDoctorA', 'get', '/api/consultations/{X}/routing', null, 'consultation_not_found'],
    [
      'hubCoordinator',
      'get',
      '/api/consultations/worklist?organizationId={X}',
      null,
      'organization_not_found',
    ],
    ['townDoctorA', 'post', '/api/consultations/{X}/submit', null, 'consultation_not_found'],
    ['countyRadiologistA', 'post', '/api/consultations/{X}/claim', null, 'consultation_not_found'],
    ['townDoctorA', 'get', '/api/consultations/{X}/messages', null, 'consultation_not_found'],
    [
      'countyRadiologistA',
      'put',
      '/api/consultations/{X}/report',
      { findings: '所见' },
      'consultation_not_found',
    ],
    [
      'countyRadiologistA',
      'post',
      '/api/consultations/{X}/report/sign',
      null,
      'consultation_not_found',
    ],
    [
      'countyRadiologistA',
      'post',
      '/api/consultations/{X}/report/addenda',
      { text: '补充' },
      'consultation_not_found',
    ],
    ['townDoctorA', 'get', '/api/consultations/{X}/report', null, 'consultation_not_found'],
    ['townDoctorA', 'get', '/api/consultations/{X}/report/verify', null, 'consultation_not_found'],
    ['townDoctorA', 'get', '/api/consultations/{X}/report/pdf', null, 'consultation_not_found'],
    // audit trail
    ['hubAdmin', 'get', '/api/audit?actorId={X}', null, 'actor_not_found'],
  ];

  const fill = (text: string, x: string) => text.replaceAll('{X}', x).replaceAll('{Y}', Y);
  const call = (
    who: string | null,
    method: Method,
    path: string,
    body: Record<string, unknown> | null,
    x: string,
  ): Promise<Reply> => {
    const c = who ? h.as(who) : client(h.api.url);
    const b = body ? JSON.parse(fill(JSON.stringify(body), x)) : undefined;
    return method === 'get' || method === 'del'
      ? c[method](fill(path, x))
      : c[method](fill(path, x), b);
  };

  it.each(ROUTES)('%s %s %s → 404', async (who, method, path, body, code) => {
    const res = await call(who, method, path, body, X);
    expect({ status: res.status, code: res.body?.details?.code }).toEqual({ status: 404, code });
    expect(res.body.message).toContain(X);
  });

  it.each(ROUTES.filter(([, , path]) => path.includes('{X}')))(
    '%s %s %s with a malformed id → 400',
    async (who, method, path, body) => {
      const res = await call(who, method, path, body, 'not-a-uuid');
      expect(res.status).toBe(400);
    },
  );

  it('a calendar feed address that names no feed is 404', async () => {
    const res = await client(h.api.url).get(
      '/api/scheduling/calendar-feeds/no-such-token/calendar.ics',
    );
    expect({ status: res.status, code: res.body?.details?.code }).toEqual({
      status: 404,
      code: 'feed_not_found',
    });
  });

  it('a known id still answers 200 (the checks look the id up, they do not refuse filters)', async () => {
    const { f } = h;
    expect(
      (
        await h
          .as('countyRadiologistA')
          .get(`/api/scheduling/specialists/${f.user.countyRadiologistA.id}/availability`)
      ).status,
    ).toBe(200);
    expect(
      (
        await h
          .as('townDoctorA')
          .get(
            `/api/scheduling/slots?specialistId=${f.user.countyRadiologistA.id}&organizationId=${f.org.townA}`,
          )
      ).status,
    ).toBe(200);
    expect(
      (await h.as('hubAdmin').get(`/api/practitioners?organizationId=${f.org.countyA}`)).body.total,
    ).toBeGreaterThan(0);
    expect((await h.as('hubAdmin').get(`/api/audit?actorId=${f.user.townDoctorA.id}`)).status).toBe(
      200,
    );
    // A township doctor is a practitioner but not a specialist: no availability of theirs to show.
    expect(
      (
        await h
          .as('townDoctorA')
          .get(`/api/scheduling/specialists/${f.user.townDoctorA.id}/availability`)
      ).body.details.code,
    ).toBe('specialist_not_found');
  });

  describe('a recurrence rule that cannot work is 400 invalid_rrule, saying what is wrong', () => {
    const RULES: [rrule: string, message: RegExp][] = [
      ['FREQ=WEEKLY;BYDAY=XX;COUNT=3', /BYDAY "XX" is not a weekday/],
      ['FREQ=FORTNIGHTLY;COUNT=3', /FREQ=FORTNIGHTLY is unknown/],
      ['BYDAY=MO;COUNT=3', /no FREQ/],
      ['FREQ=WEEKLY;COUNT=3;UNTIL=20270301T000000', /both COUNT and UNTIL/],
      ['FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30;COUNT=3', /never falls in February/],
      ['FREQ=WEEKLY;UNTIL=20260101', /no occurrence from 2027-02-01T09:00/],
      ['FREQ=DAILY;COUNT=100000', /more than \d+ occurrences/],
    ];

    it.each(RULES)('create with %s', async (rrule, message) => {
      const { f } = h;
      const res = await h
        .as('hubCoordinator')
        .post(
          '/api/scheduling/shifts',
          shiftBody(f.user.countyRadiologistA.id, [f.org.townA], { rrule }),
        );
      expect({ status: res.status, code: res.body.details?.code }).toEqual({
        status: 400,
        code: 'invalid_rrule',
      });
      expect(res.body.message).toMatch(message);
      expect(res.body.message).not.toMatch(/Cannot read properties/);
    });

    it('a change to an existing shift is checked the same way, and the shift stays as it was', async () => {
      const { f } = h;
      const created = await h
        .as('hubCoordinator')
        .post(
          '/api/scheduling/shifts',
          shiftBody(f.user.countyCardiologistA.id, [f.org.townA], { rrule: 'FREQ=WEEKLY;COUNT=2' }),
        );
      expect(created.status).toBe(201);
      const res = await h.as('hubCoordinator').patch(`/api/scheduling/shifts/${created.body.id}`, {
        rrule: 'FREQ=WEEKLY;BYDAY=MO,XX;COUNT=3',
      });
      expect({ status: res.status, code: res.body.details?.code }).toEqual({
        status: 400,
        code: 'invalid_rrule',
      });
      expect(res.body.message).toMatch(/BYDAY "XX"/);
      expect(
        (await h.as('hubCoordinator').get(`/api/scheduling/shifts/${created.body.id}`)).body.rrule,
      ).toBe('FREQ=WEEKLY;COUNT=2');
    });

    it('exdates have their own code', async () => {
      const { f } = h;
      const res = await h.as('hubCoordinator').post(
        '/api/scheduling/shifts',
        shiftBody(f.user.cityRadiologistA.id, [f.org.townA], {
          rrule: 'FREQ=DAILY;COUNT=2',
          exdates: ['next monday'],
        }),
      );
      expect({ status: res.status, code: res.body.details?.code }).toEqual({
        status: 400,
        code: 'invalid_exdate',
      });
    });
  });
});
