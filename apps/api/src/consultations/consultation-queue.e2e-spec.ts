import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AuthService, type Actor } from '@huizhen/auth';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { as, listen, type Listener } from './consultation.test-support';
import { ConsultationsService } from './consultations.service';

const MIN = 60_000;

/** The queue under pressure: concurrent claims, declines, deadlines passing on a clock the test holds. */
describe('consultation queue: race-safe claims, declines, escalation by deadline (real PostgreSQL)', () => {
  let schema: TestSchema;
  let api: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  let clock: Clock;
  let service: ConsultationsService;
  const token: Record<string, string> = {};
  const ear: Record<string, Listener> = {};
  const radiologists: { id: string; token: string }[] = [];
  let patientId = '';

  /** Requests as the user of that fixture key. */
  const by = (who: string) => as(api.url, token[who]);
  /** A radiology read of the test's patient, routine, not yet submitted, with `more` over it. */
  const draft = (more: Record<string, unknown> = {}) => ({
    patientId,
    specialty: 'radiology',
    urgency: 'routine',
    mode: 'imaging_read',
    clinicalQuestion: 'x',
    ...more,
  });
  /** The township doctor submits a request (`body` over the draft's fields). */
  const request = async (body: Record<string, unknown> = {}) => {
    const res = await by('townDoctorA')
      .post('/api/consultations', draft({ clinicalQuestion: '胸片会诊', submit: true, ...body }))
      .expect(201);
    return res.body as { id: string; status: string; queue: any };
  };
  /** The ids of a list answer's items. */
  const idsIn = (res: { body: { items: { id: string }[] } }) => res.body.items.map((i) => i.id);
  /** Runs `work` with the consultation clock held at `t`, then lets it run free again. */
  const onClock = async (t: number, work: () => Promise<void>) => {
    clock.now = () => new Date(t);
    try {
      await work();
    } finally {
      clock.now = () => new Date();
    }
  };
  const actor = (who: string): Promise<Actor> =>
    api.app.get(AuthService).verifyAccessToken(token[who]);

  beforeAll(async () => {
    schema = await TestSchema.create('cqueue');
    f = await seedDirectory(schema);
    // Nineteen more radiologists at the county hospital: twenty claimers in all.
    await schema.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles, specialty, title)
       SELECT 'county-rad-' || n, '放射科医师' || n, password_hash, organization_id, roles, specialty, 'attending'
         FROM practitioner, generate_series(1, 19) n WHERE username = 'county-radiologist-a'`,
    );
    api = await startApiForTest(schema, { CONSULT_SWEEP_INTERVAL_SECONDS: '0' });
    clock = api.app.get<Clock>(CONSULTATION_CLOCK);
    service = api.app.get(ConsultationsService);
    for (const key of Object.keys(f.user))
      token[key] = await loginAs(api.url, f.user[key].username);
    radiologists.push({ id: f.user.countyRadiologistA.id, token: token.countyRadiologistA });
    for (const r of await schema.query(
      `SELECT id, username FROM practitioner WHERE username LIKE 'county-rad-%' ORDER BY username`,
    )) {
      radiologists.push({ id: r.id, token: await loginAs(api.url, r.username) });
    }
    for (const w of [
      'townDoctorA',
      'cityRadiologistA',
      'hubCoordinator',
      'countyRadiologistA',
      'countyRadiologistB',
    ])
      ear[w] = await listen(api.url, token[w]);
    patientId = (
      await by('townDoctorA')
        .post('/api/patients', { name: '李秀英', sex: 'female', birthDate: '1975-09-30' })
        .expect(201)
    ).body.id;
  });
  afterAll(async () => {
    Object.values(ear).forEach((l) => l.socket.close());
    await api?.app.close();
    await schema?.drop();
  });

  it('routing: a preferred hospital or specialist narrows the first queue; an unroutable request is refused before anything is written', async () => {
    const city = await request({ preferredOrganizationId: f.org.cityA });
    expect(city.queue).toMatchObject({ level: 'city_hospital', organizationIds: [f.org.cityA] });
    const named = await request({ preferredPractitionerId: f.user.cityRadiologistA.id });
    expect(named.queue).toMatchObject({ level: 'city_hospital', organizationIds: [f.org.cityA] });
    const count = async () =>
      (await schema.query(`SELECT count(*)::int AS n FROM consultation_request`))[0].n;
    const before = await count();
    const outside = await by('townDoctorA')
      .post('/api/consultations', draft({ preferredOrganizationId: f.org.countyB }))
      .expect(400);
    expect(outside.body.details.code).toBe('preferred_not_routable');
    const nobody = await by('townDoctorA')
      .post(
        '/api/consultations',
        draft({ specialty: 'dermatology', clinicalQuestion: '皮疹', submit: true }),
      )
      .expect(409);
    expect(nobody.body.details.code).toBe('no_route');
    await by('townDoctorA')
      .post('/api/consultations', draft({ urgency: 'soon' }))
      .expect(400);
    await by('townDoctorB').post('/api/consultations', draft()).expect(403);
    expect(await count()).toBe(before);
    for (const c of [city, named])
      await by('townDoctorA')
        .post(`/api/consultations/${c.id}/cancel`, { reason: '测试完毕' })
        .expect(200);
  });

  it('20 specialists claim one request at the same moment: exactly one wins, 19 get 409 with the current state', async () => {
    const { id } = await request({ urgency: 'urgent' });
    const results = await Promise.all(
      radiologists.map((r) => as(api.url, r.token).post(`/api/consultations/${id}/claim`)),
    );
    const won = results.filter((r) => r.status === 200);
    const lost = results.filter((r) => r.status === 409);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(19);
    for (const l of lost)
      expect(l.body.details).toMatchObject({ code: 'illegal_transition', status: 'claimed' });
    const [row] = await schema.query(
      `SELECT status, assigned_specialist_id FROM consultation_request WHERE id = $1`,
      [id],
    );
    expect(row).toEqual({
      status: 'claimed',
      assigned_specialist_id: won[0].body.assignedSpecialistId,
    });
    const claims = await schema.query(
      `SELECT actor_id FROM consultation_status_history WHERE consultation_id = $1 AND transition = 'claim'`,
      [id],
    );
    expect(claims).toEqual([{ actor_id: won[0].body.assignedSpecialistId }]);
    const assigned = await schema.query(
      `SELECT practitioner_id FROM consultation_participant WHERE consultation_id = $1 AND role = 'assigned_specialist'`,
      [id],
    );
    expect(assigned).toHaveLength(1);
  });

  it('a decline puts the request back in the queue with the reason recorded; the decliner no longer sees it there', async () => {
    const { id } = await request();
    const [a, b] = radiologists;
    await as(api.url, a.token).post(`/api/consultations/${id}/claim`).expect(200);
    await as(api.url, b.token)
      .post(`/api/consultations/${id}/decline`, { reason: '不是我的' })
      .expect(403);
    await by('townDoctorA')
      .post(`/api/consultations/${id}/decline`, { reason: '不是我的' })
      .expect(403);
    const back = await as(api.url, a.token)
      .post(`/api/consultations/${id}/decline`, { reason: '本周外出进修，无法及时阅片' })
      .expect(200);
    expect(back.body).toMatchObject({
      status: 'submitted',
      assignedSpecialistId: null,
      declines: 1,
    });
    const [h] = await schema.query(
      `SELECT from_status, to_status, reason, actor_id FROM consultation_status_history WHERE consultation_id = $1 AND transition = 'decline'`,
      [id],
    );
    expect(h).toEqual({
      from_status: 'claimed',
      to_status: 'submitted',
      reason: '本周外出进修，无法及时阅片',
      actor_id: a.id,
    });
    await ear.townDoctorA.waitFor('consultation.declined', (d) => d.consultationId === id);
    const aQueue = await as(api.url, a.token)
      .get('/api/consultations/worklist?box=queue')
      .expect(200);
    expect(idsIn(aQueue)).not.toContain(id);
    const bQueue = await as(api.url, b.token)
      .get('/api/consultations/worklist?box=queue')
      .expect(200);
    expect(idsIn(bQueue)).toContain(id);
    await as(api.url, b.token).post(`/api/consultations/${id}/claim`).expect(200);
  });

  it('unclaimed past its deadline, a request climbs to the city queue (hub coordinators told), then expires at the top', async () => {
    const t0 = Date.parse('2026-12-01T08:00:00Z');
    await onClock(t0, async () => {
      const { id, queue } = await request({ urgency: 'emergency' });
      expect(queue).toMatchObject({
        level: 'county_hospital',
        organizationIds: [f.org.countyA],
        deadlineAt: new Date(t0 + 30 * MIN).toISOString(),
      });

      expect(await service.sweepDeadlines(new Date(t0 + 29 * MIN))).toEqual({
        escalated: [],
        expired: [],
      });
      const first = await service.sweepDeadlines(new Date(t0 + 31 * MIN));
      expect(first.escalated).toContain(id);
      const after = await by('townDoctorA').get(`/api/consultations/${id}`).expect(200);
      expect(after.body).toMatchObject({
        status: 'submitted',
        escalations: 1,
        queue: { level: 'city_hospital', deadlineAt: new Date(t0 + 61 * MIN).toISOString() },
      });
      expect(after.body.queue.organizationIds.sort()).toEqual([f.org.countyA, f.org.cityA].sort());

      await ear.cityRadiologistA.waitFor(
        'queue.changed',
        (d) => d.consultationId === id && d.level === 'city_hospital',
      );
      await ear.hubCoordinator.waitFor('consultation.escalated', (d) => d.consultationId === id);
      await ear.townDoctorA.waitFor('consultation.escalated', (d) => d.consultationId === id);
      expect(ear.countyRadiologistB.about(id)).toEqual([]);
      const cityQueue = await by('cityRadiologistA')
        .get('/api/consultations/worklist?box=queue')
        .expect(200);
      expect(idsIn(cityQueue)).toContain(id);
      await by('cityRadiologistA').get(`/api/consultations/${id}`).expect(200);

      const second = await service.sweepDeadlines(new Date(t0 + 62 * MIN));
      expect(second.expired).toContain(id);
      await ear.townDoctorA.waitFor('consultation.expired', (d) => d.consultationId === id);
      const late = await by('cityRadiologistA').post(`/api/consultations/${id}/claim`).expect(409);
      expect(late.body.details.status).toBe('expired');
      const history = await schema.query(
        `SELECT transition, actor_id, details->>'toLevel' AS to_level FROM consultation_status_history WHERE consultation_id = $1 ORDER BY id`,
        [id],
      );
      expect(history).toEqual([
        { transition: 'create', actor_id: f.user.townDoctorA.id, to_level: null },
        { transition: 'submit', actor_id: f.user.townDoctorA.id, to_level: null },
        { transition: 'escalate', actor_id: null, to_level: 'city_hospital' },
        { transition: 'expire', actor_id: null, to_level: null },
      ]);
    });
  });

  it('two nodes sweeping at once share the work (SKIP LOCKED): every due request escalates exactly once', async () => {
    const t1 = Date.parse('2026-12-05T08:00:00Z');
    await onClock(t1, async () => {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) ids.push((await request()).id);
      const due = new Date(t1 + 25 * 60 * MIN);
      const [x, y] = await Promise.all([
        service.sweepDeadlines(due, 2),
        service.sweepDeadlines(due, 2),
      ]);
      const all = [...x.escalated, ...y.escalated].filter((e) => ids.includes(e));
      expect(all.sort()).toEqual([...ids].sort());
      const rows = await schema.query(
        `SELECT escalation_count FROM consultation_request WHERE id = ANY($1::uuid[])`,
        [ids],
      );
      expect(rows.every((r: any) => r.escalation_count === 1)).toBe(true);
    });
  });

  it('live video: schedule, session, and each participant’s room role (after the join check)', async () => {
    const { id } = await request({ mode: 'live_video', urgency: 'urgent' });
    await by('countyRadiologistA').post(`/api/consultations/${id}/claim`).expect(200);
    await expect(service.roomParticipant(await actor('townDoctorA'), id)).resolves.toEqual({
      consultationId: id,
      role: 'township_doctor',
    });
    await expect(service.roomParticipant(await actor('countyRadiologistA'), id)).resolves.toEqual({
      consultationId: id,
      role: 'host',
    });
    await expect(
      service.roomParticipant(await actor('cityRadiologistA'), id),
    ).rejects.toMatchObject({ code: 'access_denied' });
    await expect(service.roomParticipant(await actor('hubCoordinator'), id)).rejects.toMatchObject({
      code: 'access_denied',
    });
    await by('countyRadiologistA')
      .post(`/api/consultations/${id}/participants`, {
        practitionerId: f.user.cityRadiologistA.id,
        role: 'guest_specialist',
      })
      .expect(201);
    await by('countyRadiologistA')
      .post(`/api/consultations/${id}/participants`, {
        practitionerId: f.user.hubCoordinator.id,
        role: 'guest_specialist',
      })
      .expect(400);
    await by('townDoctorB')
      .post(`/api/consultations/${id}/participants`, {
        practitionerId: f.user.townDoctorB.id,
        role: 'observer',
      })
      .expect(403);
    await expect(service.roomParticipant(await actor('cityRadiologistA'), id)).resolves.toEqual({
      consultationId: id,
      role: 'guest_specialist',
    });
    // A guest takes part but is not the assigned specialist: no scheduling, no report.
    await by('cityRadiologistA')
      .post(`/api/consultations/${id}/schedule`, { start: '2099-01-01T09:00:00Z' })
      .expect(403);

    await by('countyRadiologistA')
      .post(`/api/consultations/${id}/schedule`, { start: '2000-01-01T09:00:00Z' })
      .expect(400);
    const s = await by('countyRadiologistA')
      .post(`/api/consultations/${id}/schedule`, { start: '2099-01-01T09:00:00Z' })
      .expect(200);
    expect(s.body).toMatchObject({
      status: 'scheduled',
      scheduledStart: '2099-01-01T09:00:00.000Z',
    });
    await ear.townDoctorA.waitFor('consultation.scheduled', (d) => d.consultationId === id);
    await by('countyRadiologistA').post(`/api/consultations/${id}/start-session`).expect(200);
    await by('countyRadiologistA').post(`/api/consultations/${id}/start-session`).expect(409);
    await by('countyRadiologistA')
      .put(`/api/consultations/${id}/report`, {
        findings: '视频问诊：无',
        impression: '上呼吸道感染',
        recommendation: 'treat_locally',
      })
      .expect(200);
    await by('countyRadiologistA').post(`/api/consultations/${id}/report/sign`).expect(200);
    await expect(service.roomParticipant(await actor('townDoctorA'), id)).rejects.toMatchObject({
      code: 'room_not_open',
    });
    // treat_locally: no referral follows.
    await by('townDoctorA').post('/api/referrals', { consultationId: id, reason: 'x' }).expect(409);
  });

  it('the requesting side cancels with a reason; the queue is told; a second cancel is 409', async () => {
    const { id } = await request();
    await by('countyRadiologistA')
      .post(`/api/consultations/${id}/cancel`, { reason: 'x' })
      .expect(403);
    const c = await by('townDoctorA')
      .post(`/api/consultations/${id}/cancel`, { reason: '患者已自行转院' })
      .expect(200);
    expect(c.body.status).toBe('cancelled');
    await ear.countyRadiologistA.waitFor(
      'queue.changed',
      (d) => d.consultationId === id && d.status === 'cancelled',
    );
    const again = await by('townDoctorA')
      .post(`/api/consultations/${id}/cancel`, { reason: 'again' })
      .expect(409);
    expect(again.body.details).toMatchObject({ status: 'cancelled', allowedNow: [] });
  });

  it('worklists page by keyset without gaps or repeats, and filter', async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++)
      made.push((await request({ urgency: i % 2 ? 'urgent' : 'routine' })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: any = await by('townDoctorA')
        .get(`/api/consultations/worklist?box=sent&limit=4${cursor ? `&cursor=${cursor}` : ''}`)
        .expect(200);
      seen.push(...idsIn(page));
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor && pages < 50);
    expect(new Set(seen).size).toBe(seen.length);
    const total = await schema.query(
      `SELECT count(*)::int AS n FROM consultation_request WHERE requesting_organization_id = $1`,
      [f.org.townA],
    );
    expect(seen).toHaveLength(total[0].n);
    // Newest first (requests made on the test's clock earlier sort by their own times).
    expect(seen.filter((x) => made.includes(x))).toEqual([...made].reverse());

    const urgent = await by('townDoctorA')
      .get('/api/consultations/worklist?box=sent&urgency=urgent&status=submitted')
      .expect(200);
    expect(
      urgent.body.items.every((i: any) => i.urgency === 'urgent' && i.status === 'submitted'),
    ).toBe(true);
    expect(idsIn(urgent)).toEqual(expect.arrayContaining([made[1], made[3]]));
    const none = await by('townDoctorA')
      .get(`/api/consultations/worklist?box=sent&from=2099-01-01T00:00:00Z`)
      .expect(200);
    expect(none.body.items).toEqual([]);
    const hub = await by('hubCoordinator').get('/api/consultations/worklist?limit=200').expect(200);
    expect(hub.body.box).toBe('hub');
    expect(idsIn(hub)).toEqual(expect.arrayContaining(made));
    const cityB = await by('cityCoordinatorB')
      .get('/api/consultations/worklist?limit=200')
      .expect(200);
    expect(cityB.body.items).toEqual([]);
    await by('townDoctorA').get('/api/consultations/worklist?box=queue').expect(403);
    await by('hubAdmin').get('/api/consultations/worklist').expect(403);
    await by('townDoctorA').get('/api/consultations/worklist?box=sent&cursor=bogus').expect(400);
  });
});
