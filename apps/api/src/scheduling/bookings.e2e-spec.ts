import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Socket } from 'socket.io-client';
import { BookingsService } from './bookings.service';
import {
  TEST_NOW,
  client,
  connectEvents,
  eventLog,
  shiftBody,
  startScheduling,
  submittedRequest,
  submittedRequests,
  type SchedulingHarness,
} from './scheduling.test-support';

describe('bookings (real PostgreSQL, concurrency, events, calendars, reports)', () => {
  let h: SchedulingHarness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    h = await startScheduling('bookings');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await h?.close();
  });

  const slotsOf = async (who: string, query: string) =>
    (await h.as(who).get(`/api/scheduling/slots?${query}`)).body;

  it('200 concurrent attempts on 20 free slots: exactly 20 bookings, 180 clean 409s, no double booking', async () => {
    const { f } = h;
    const spec = f.user.countyCardiologistA.id;
    // 20 slots: 10 on each of two mornings, 30 minutes each, 09:00-14:00 local.
    const shift = await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(spec, [f.org.townA], {
        start: '2027-03-01T09:00',
        end: '2027-03-01T14:00',
        rrule: 'FREQ=DAILY;COUNT=2',
      }),
    );
    expect(shift.status).toBe(201);
    const page = await slotsOf(
      'townDoctorA',
      `specialistId=${spec}&from=2027-03-01T00:00:00Z&to=2027-03-03T00:00:00Z&limit=100`,
    );
    expect(page.total).toBe(20);
    const slots: string[] = page.items.map((s: any) => s.id);
    const doctor = client(h.api.url, h.token.townDoctorA);
    const requests = await submittedRequests(h, 'townDoctorA', 'cardiology', 200);
    const attempts = Array.from({ length: 200 }, (_, i) =>
      doctor.post('/api/scheduling/bookings', {
        slotId: slots[i % 20],
        consultationRequestId: requests[i],
      }),
    );
    const replies = await Promise.all(attempts);
    const byStatus = replies.reduce<Record<number, number>>(
      (acc, r) => ((acc[r.status] = (acc[r.status] ?? 0) + 1), acc),
      {},
    );
    expect(byStatus).toEqual({ 201: 20, 409: 180 });
    for (const r of replies.filter((x) => x.status === 409)) {
      expect(r.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        details: { code: 'slot_taken' },
      });
      expect(r.body.message).toMatch(/already booked; search again/);
    }
    const rows = await h.schema.query(
      `SELECT slot_id, count(*)::int AS n FROM booking WHERE shift_id = $1 AND status = 'booked' GROUP BY slot_id`,
      [shift.body.id],
    );
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.n === 1)).toBe(true);
    const overlapping = await h.schema.query(
      `SELECT count(*)::int AS n FROM booking a JOIN booking b ON a.id < b.id AND a.specialist_id = b.specialist_id AND a.period && b.period
        WHERE a.status = 'booked' AND b.status = 'booked'`,
    );
    expect(overlapping).toEqual([{ n: 0 }]);
    expect(
      await h.schema.query(
        `SELECT count(*)::int AS n FROM slot WHERE shift_id = $1 AND booked_count <> 1`,
        [shift.body.id],
      ),
    ).toEqual([{ n: 0 }]);
    expect(
      (
        await slotsOf(
          'townDoctorA',
          `specialistId=${spec}&from=2027-03-01T00:00:00Z&to=2027-03-03T00:00:00Z`,
        )
      ).total,
    ).toBe(0);
    // Each winner's consultation took its slot in the same transaction; the losers' still wait.
    const consultations = await h.schema.query(
      `SELECT c.status, c.assigned_specialist_id, c.scheduled_start = lower(b.period) AS at_slot FROM consultation_request c LEFT JOIN booking b ON b.consultation_request_id = c.id AND b.status = 'booked'
        WHERE c.id = ANY($1::uuid[])`,
      [requests],
    );
    expect(
      consultations.filter(
        (c) => c.status === 'scheduled' && c.assigned_specialist_id === spec && c.at_slot === true,
      ),
    ).toHaveLength(20);
    expect(
      consultations.filter((c) => c.status === 'submitted' && c.assigned_specialist_id === null),
    ).toHaveLength(180);
    // The constraint is the guarantee, not the slot counter: a second appointment at the same time is refused by PostgreSQL.
    const [b] = await h.schema.query(`SELECT * FROM booking WHERE shift_id = $1 LIMIT 1`, [
      shift.body.id,
    ]);
    const [waiting] = await h.schema.query(
      `SELECT id FROM consultation_request WHERE id = ANY($1::uuid[]) AND status = 'submitted' LIMIT 1`,
      [requests],
    );
    await expect(
      h.schema.query(
        `INSERT INTO booking (slot_id, shift_id, specialist_id, period, seat, capacity, consultation_request_id, requesting_organization_id, booked_by) VALUES ($1,$2,$3,$4,1,1,$5,$6,$7)`,
        [
          b.slot_id,
          b.shift_id,
          b.specialist_id,
          b.period,
          waiting.id,
          b.requesting_organization_id,
          b.booked_by,
        ],
      ),
    ).rejects.toMatchObject({ code: '23P01', constraint: 'booking_no_double_booking' });
  });

  it('is idempotent with an Idempotency-Key, also under concurrent retries', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistA.id;
    await h
      .as('hubCoordinator')
      .post(
        '/api/scheduling/shifts',
        shiftBody(spec, [f.org.townA], { start: '2027-03-02T09:00', end: '2027-03-02T12:00' }),
      );
    const [s1, s2] = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${spec}&from=2027-03-02T00:00:00Z&to=2027-03-03T00:00:00Z`,
      )
    ).items;
    const req = await submittedRequest(h, 'townDoctorA', 'radiology');
    const tries = await Promise.all(
      Array.from({ length: 6 }, () =>
        h
          .as('townDoctorA')
          .post(
            '/api/scheduling/bookings',
            { slotId: s1.id, consultationRequestId: req },
            { 'Idempotency-Key': 'retry-1' },
          ),
      ),
    );
    expect(tries.filter((t) => t.status === 201)).toHaveLength(1);
    expect(tries.filter((t) => t.status === 200)).toHaveLength(5);
    expect(new Set(tries.map((t) => t.body.id)).size).toBe(1);
    expect(tries.find((t) => t.status === 200)!.headers.get('idempotent-replayed')).toBe('true');
    expect(
      await h.schema.query(
        `SELECT count(*)::int AS n FROM booking WHERE consultation_request_id = $1`,
        [req],
      ),
    ).toEqual([{ n: 1 }]);
    // The body field works the same; a key reused for something else is refused.
    const viaBody = await h.as('townDoctorA').post('/api/scheduling/bookings', {
      slotId: s1.id,
      consultationRequestId: req,
      idempotencyKey: 'retry-1',
    });
    expect(viaBody.status).toBe(200);
    const reused = await h
      .as('townDoctorA')
      .post(
        '/api/scheduling/bookings',
        { slotId: s2.id, consultationRequestId: req },
        { 'Idempotency-Key': 'retry-1' },
      );
    expect(reused.status).toBe(422);
    // Without a key, a second booking for the same request is a conflict, not a duplicate.
    const twice = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: s2.id, consultationRequestId: req });
    expect(twice.status).toBe(409);
    expect(twice.body.details.code).toBe('request_already_booked');
  });

  it('books, reschedules and cancels with a reason; both calendars and /events follow', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistA.id;
    await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(spec, [f.org.townA, f.org.townB], {
        start: '2027-03-03T14:00',
        end: '2027-03-03T16:00',
      }),
    );
    const slots = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${spec}&from=2027-03-03T00:00:00Z&to=2027-03-04T00:00:00Z`,
      )
    ).items;
    expect(slots).toHaveLength(4);
    expect(slots[0]).toMatchObject({
      localStart: '2027-03-03T14:00',
      timeZone: 'Asia/Shanghai',
      mode: 'remote_block',
      remaining: 1,
    });
    const specialistSocket = await connectEvents(h.api.url, h.token.countyRadiologistA);
    const doctorSocket = await connectEvents(h.api.url, h.token.townDoctorA);
    sockets.push(specialistSocket, doctorSocket);
    const specialistEvents = eventLog(specialistSocket);
    const doctorEvents = eventLog(doctorSocket);
    const req = await submittedRequest(h, 'townDoctorA', 'radiology');
    const booked = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: slots[0].id, consultationRequestId: req });
    expect(booked.status).toBe(201);
    expect((await specialistEvents.next('booking.created')).data).toMatchObject({
      bookingId: booked.body.id,
      localStart: '2027-03-03T14:00',
    });
    expect((await doctorEvents.next('booking.created')).data.bookingId).toBe(booked.body.id);

    const mine = await h
      .as('countyRadiologistA')
      .get('/api/scheduling/calendar?from=2027-03-03T00:00:00Z&to=2027-03-04T00:00:00Z');
    expect(mine.body.shifts).toEqual([
      expect.objectContaining({ localStart: '2027-03-03T14:00', booked: 1 }),
    ]);
    expect(mine.body.bookings.map((b: any) => b.id)).toEqual([booked.body.id]);
    const theirs = await h
      .as('townDoctorA')
      .get('/api/scheduling/calendar?from=2027-03-03T00:00:00Z&to=2027-03-04T00:00:00Z');
    expect(theirs.body.bookings.map((b: any) => b.id)).toEqual([booked.body.id]);
    expect(
      (
        await h
          .as('townDoctorB')
          .get('/api/scheduling/calendar?from=2027-03-03T00:00:00Z&to=2027-03-04T00:00:00Z')
      ).body.bookings,
    ).toEqual([]);

    // Another organization cannot book, move, cancel or read it.
    expect(
      (
        await h
          .as('townDoctorB')
          .post('/api/scheduling/bookings', { slotId: slots[1].id, consultationRequestId: req })
      ).status,
    ).toBe(403);
    expect(
      (
        await h.as('townDoctorB').post(`/api/scheduling/bookings/${booked.body.id}/reschedule`, {
          slotId: slots[1].id,
          reason: 'x',
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await h
          .as('townDoctorB')
          .post(`/api/scheduling/bookings/${booked.body.id}/cancel`, { reason: 'x' })
      ).status,
    ).toBe(403);
    expect(
      (await h.as('townDoctorB').get(`/api/scheduling/bookings/${booked.body.id}`)).status,
    ).toBe(403);
    expect(
      (await h.as('countyRadiologistA').get(`/api/scheduling/bookings/${booked.body.id}`)).status,
    ).toBe(200);

    const moved = await h
      .as('townDoctorA')
      .post(`/api/scheduling/bookings/${booked.body.id}/reschedule`, {
        slotId: slots[2].id,
        reason: '患者下午有检查',
      });
    expect(moved.status).toBe(201);
    expect(moved.body).toMatchObject({
      rescheduledFrom: booked.body.id,
      localStart: '2027-03-03T15:00',
      status: 'booked',
      consultationRequestId: req,
    });
    expect((await specialistEvents.next('booking.rescheduled')).data).toMatchObject({
      previousBookingId: booked.body.id,
      reason: '患者下午有检查',
    });
    expect(
      (await h.as('townDoctorA').get(`/api/scheduling/bookings/${booked.body.id}`)).body.status,
    ).toBe('rescheduled');
    expect(
      (
        await slotsOf(
          'townDoctorA',
          `specialistId=${spec}&from=2027-03-03T00:00:00Z&to=2027-03-04T00:00:00Z`,
        )
      ).items.map((s: any) => s.localStart),
    ).toEqual(['2027-03-03T14:00', '2027-03-03T14:30', '2027-03-03T15:30']);

    const cancelled = await h
      .as('townDoctorA')
      .post(`/api/scheduling/bookings/${moved.body.id}/cancel`, { reason: '患者已转诊' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', reason: '患者已转诊' });
    expect((await specialistEvents.next('booking.cancelled')).data).toMatchObject({
      bookingId: moved.body.id,
      reason: '患者已转诊',
    });
    expect(
      (
        await h
          .as('townDoctorA')
          .post(`/api/scheduling/bookings/${moved.body.id}/cancel`, { reason: 'again' })
      ).status,
    ).toBe(409);
    expect(
      (await h.as('townDoctorA').post(`/api/scheduling/bookings/${moved.body.id}/cancel`, {}))
        .status,
    ).toBe(400);
    const audit = await h.schema.query(
      `SELECT action FROM audit_event WHERE resource_type = 'booking' AND resource_id = ANY($1) AND outcome = 'success' ORDER BY id`,
      [[booked.body.id, moved.body.id]],
    );
    expect(audit.map((a) => a.action)).toEqual([
      'booking.create',
      'booking.reschedule',
      'booking.cancel',
    ]);
  });

  it('booking a slot for a claimed live consultation schedules it at the slot; another organization gets 403, an unknown request 404', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistA.id;
    // The whole way through the API: patient, live request submitted to the county queue, claimed.
    const patient = await h
      .as('townDoctorA')
      .post('/api/patients', { name: '李秀英', sex: 'female', birthDate: '1959-09-09' });
    expect(patient.status).toBe(201);
    const created = await h.as('townDoctorA').post('/api/consultations', {
      patientId: patient.body.id,
      specialty: 'radiology',
      urgency: 'routine',
      mode: 'live_video',
      clinicalQuestion: '胸片复查，请视频会诊',
      submit: true,
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await h.as('countyRadiologistA').post(`/api/consultations/${id}/claim`)).status).toBe(
      200,
    );
    await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(spec, [f.org.townA, f.org.townB], {
        start: '2027-03-15T10:00',
        end: '2027-03-15T11:00',
      }),
    );
    const slots = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${spec}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`,
      )
    ).items;
    expect(slots).toHaveLength(2);

    // Township B may not book for township A's request, even on a slot offered to both; nothing changes.
    const foreign = await h
      .as('townDoctorB')
      .post('/api/scheduling/bookings', { slotId: slots[0].id, consultationRequestId: id });
    expect(foreign.status).toBe(403);
    const unknown = randomUUID();
    const missing = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: slots[0].id, consultationRequestId: unknown });
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ details: { code: 'consultation_request_not_found' } });
    expect(missing.body.message).toContain(`consultation request ${unknown} does not exist`);
    // A slot of another specialist does not fit a request its specialist already claimed: nothing is booked.
    await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(f.user.cityRadiologistA.id, [f.org.townA], {
        start: '2027-03-15T14:00',
        end: '2027-03-15T14:30',
      }),
    );
    const [otherSlot] = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${f.user.cityRadiologistA.id}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`,
      )
    ).items;
    const mismatch = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: otherSlot.id, consultationRequestId: id });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.details.code).toBe('specialist_mismatch');
    expect(
      (
        await slotsOf(
          'townDoctorA',
          `specialistId=${f.user.cityRadiologistA.id}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`,
        )
      ).total,
    ).toBe(1); // the seat was given back
    expect((await h.as('townDoctorA').get(`/api/consultations/${id}`)).body.status).toBe('claimed');

    const booked = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: slots[1].id, consultationRequestId: id });
    expect(booked.status).toBe(201);
    const seen = await h.as('countyRadiologistA').get(`/api/consultations/${id}`);
    expect(seen.body).toMatchObject({
      status: 'scheduled',
      assignedSpecialistId: spec,
      scheduledStart: slots[1].start,
    });
    expect(seen.body.statusHistory.at(-1)).toMatchObject({
      transition: 'schedule',
      from: 'claimed',
      to: 'scheduled',
      actorId: f.user.townDoctorA.id,
      details: { via: 'booking', bookingId: booked.body.id, start: slots[1].start },
    });
    const audit = await h.schema.query(
      `SELECT action, actor_id FROM audit_event WHERE resource_id = $1 AND action = 'consultation.schedule'`,
      [id],
    );
    expect(audit).toEqual([{ action: 'consultation.schedule', actor_id: f.user.townDoctorA.id }]);

    // Moving the booking moves the consultation; cancelling it leaves the request claimed, waiting for a time.
    const moved = await h
      .as('townDoctorA')
      .post(`/api/scheduling/bookings/${booked.body.id}/reschedule`, {
        slotId: slots[0].id,
        reason: '提前',
      });
    expect(moved.status).toBe(201);
    expect((await h.as('townDoctorA').get(`/api/consultations/${id}`)).body).toMatchObject({
      status: 'scheduled',
      scheduledStart: slots[0].start,
    });
    expect(
      (
        await h
          .as('townDoctorA')
          .post(`/api/scheduling/bookings/${moved.body.id}/cancel`, { reason: '患者未能到场' })
      ).status,
    ).toBe(200);
    expect((await h.as('townDoctorA').get(`/api/consultations/${id}`)).body).toMatchObject({
      status: 'claimed',
      scheduledStart: null,
      assignedSpecialistId: spec,
    });

    // Booked again, then the specialist declines the request: the appointment ends and its seat is offered again.
    const again = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: slots[1].id, consultationRequestId: id });
    expect(again.status).toBe(201);
    const freeBefore = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${spec}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`,
      )
    ).total;
    expect(
      (
        await h
          .as('countyRadiologistA')
          .post(`/api/consultations/${id}/decline`, { reason: '本周出差，请改约' })
      ).status,
    ).toBe(200);
    const [after] = await h.schema.query(`SELECT status, reason FROM booking WHERE id = $1`, [
      again.body.id,
    ]);
    expect(after).toEqual({
      status: 'cancelled',
      reason: 'consultation decline: 本周出差，请改约',
    });
    expect(
      (
        await slotsOf(
          'townDoctorA',
          `specialistId=${spec}&from=2027-03-15T00:00:00Z&to=2027-03-16T00:00:00Z`,
        )
      ).total,
    ).toBe(freeBefore + 1);
    expect((await h.as('townDoctorA').get(`/api/consultations/${id}`)).body.status).toBe(
      'submitted',
    );
  });

  it('a township doctor can book only slots offered to their organization, for their organization’s requests', async () => {
    const { f } = h;
    await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(f.user.cityRadiologistA.id, [f.org.townA], {
        start: '2027-03-04T09:00',
        end: '2027-03-04T10:00',
      }),
    );
    const [slot] = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${f.user.cityRadiologistA.id}&from=2027-03-04T00:00:00Z&to=2027-03-05T00:00:00Z`,
      )
    ).items;
    const townB = await submittedRequest(h, 'townDoctorB', 'radiology');
    const notOffered = await h
      .as('townDoctorB')
      .post('/api/scheduling/bookings', { slotId: slot.id, consultationRequestId: townB });
    expect(notOffered.status).toBe(403);
    expect(notOffered.body.details.code).toBe('slot_not_offered');
    expect(
      (
        await h
          .as('townDoctorB')
          .post(`/api/consultations/${townB}/cancel`, { reason: '患者已去县医院' })
      ).status,
    ).toBe(200); // no longer waiting
    expect(
      (
        await h.as('hubCoordinator').post('/api/scheduling/bookings', {
          slotId: slot.id,
          consultationRequestId: await submittedRequest(h, 'townDoctorA', 'radiology'),
        })
      ).status,
    ).toBe(403);
    // A township doctor's default search shows only what is offered to them.
    expect(
      (
        await slotsOf(
          'townDoctorB',
          `specialistId=${f.user.cityRadiologistA.id}&from=2027-03-04T00:00:00Z&to=2027-03-05T00:00:00Z`,
        )
      ).total,
    ).toBe(0);
    expect(
      (
        await slotsOf(
          'townDoctorB',
          `specialty=radiology&mode=remote_block&organizationId=${f.org.townA}&from=2027-03-04T00:00:00Z&to=2027-03-05T00:00:00Z`,
        )
      ).total,
    ).toBe(2);
  });

  it('sends reminders once, before the slot, to both parties (injected clock)', async () => {
    const { f } = h;
    const spec = f.user.cityRadiologistA.id;
    await h
      .as('hubCoordinator')
      .post(
        '/api/scheduling/shifts',
        shiftBody(spec, [f.org.townA], { start: '2027-03-05T09:00', end: '2027-03-05T10:00' }),
      );
    const [slot] = (
      await slotsOf(
        'townDoctorA',
        `specialistId=${spec}&from=2027-03-05T00:00:00Z&to=2027-03-06T00:00:00Z`,
      )
    ).items;
    const booked = await h.as('townDoctorA').post('/api/scheduling/bookings', {
      slotId: slot.id,
      consultationRequestId: await submittedRequest(h, 'townDoctorA', 'radiology'),
    });
    const doctor = eventLog(await connectEvents(h.api.url, h.token.townDoctorA));
    const specialist = eventLog(await connectEvents(h.api.url, h.token.cityRadiologistA));
    const sweep = h.api.app.get(BookingsService);
    expect(await sweep.sweepReminders(new Date('2027-03-04T23:00:00Z'))).toBe(0); // 2 hours before: not yet
    expect(await sweep.sweepReminders(new Date('2027-03-05T00:15:00Z'))).toBe(1); // 45 minutes before
    expect((await doctor.next('booking.reminder')).data).toMatchObject({
      bookingId: booked.body.id,
      minutesBefore: 45,
      localStart: '2027-03-05T09:00',
    });
    expect((await specialist.next('booking.reminder')).data.bookingId).toBe(booked.body.id);
    expect(await sweep.sweepReminders(new Date('2027-03-05T00:30:00Z'))).toBe(0); // sent once
  });

  it('hub views: coverage, utilization, no-shows, unfilled shifts, grassroots ledger', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistB.id;
    // Two on-site days in township B, one booked slot each... the second day nobody comes.
    const visit = await h.as('cityCoordinatorB').post(
      '/api/scheduling/shifts',
      shiftBody(spec, [f.org.townB], {
        mode: 'on_site_visit',
        start: '2027-03-08T09:00',
        end: '2027-03-08T11:00',
        rrule: 'FREQ=DAILY;COUNT=3',
      }),
    );
    expect(visit.status).toBe(201);
    const slots = (
      await slotsOf(
        'townDoctorB',
        `specialistId=${spec}&from=2027-03-08T00:00:00Z&to=2027-03-11T00:00:00Z&limit=20`,
      )
    ).items;
    const [r1, r2, r3] = await submittedRequests(h, 'townDoctorB', 'radiology', 3);
    const day1 = await h
      .as('townDoctorB')
      .post('/api/scheduling/bookings', { slotId: slots[0].id, consultationRequestId: r1 });
    const day2 = await h
      .as('townDoctorB')
      .post('/api/scheduling/bookings', { slotId: slots[4].id, consultationRequestId: r2 });
    const leftWaiting = await h
      .as('townDoctorB')
      .post('/api/scheduling/bookings', { slotId: slots[5].id, consultationRequestId: r3 });
    await h
      .as('townDoctorB')
      .post(`/api/scheduling/bookings/${leftWaiting.body.id}/cancel`, { reason: '专家时间冲突' });
    expect(
      (
        await h
          .as('countyRadiologistB')
          .post(`/api/scheduling/bookings/${day1.body.id}/outcome`, { outcome: 'fulfilled' })
      ).status,
    ).toBe(409); // not started yet
    h.clock.now = () => new Date('2027-03-10T00:30:00Z'); // 08:30 on the third visit day
    try {
      expect(
        (
          await h
            .as('countyRadiologistB')
            .post(`/api/scheduling/bookings/${day1.body.id}/outcome`, { outcome: 'fulfilled' })
        ).status,
      ).toBe(200);
      expect(
        (
          await h
            .as('countyRadiologistA')
            .post(`/api/scheduling/bookings/${day2.body.id}/outcome`, { outcome: 'no_show' })
        ).status,
      ).toBe(403);
      expect(
        (
          await h
            .as('countyRadiologistB')
            .post(`/api/scheduling/bookings/${day2.body.id}/outcome`, { outcome: 'no_show' })
        ).status,
      ).toBe(200);
      const range = 'from=2027-03-08T00:00:00Z&to=2027-03-11T00:00:00Z';
      const util = await h.as('cityCoordinatorB').get(`/api/scheduling/hub/utilization?${range}`);
      expect(util.body.items).toEqual([
        expect.objectContaining({
          specialistId: spec,
          slots: 12,
          seats: 12,
          booked: 2,
          fulfilled: 1,
          noShows: 1,
          cancelled: 1,
          utilization: 0.167,
        }),
      ]);
      const noShows = await h.as('cityCoordinatorB').get(`/api/scheduling/hub/no-shows?${range}`);
      expect(noShows.body).toMatchObject({
        total: 1,
        items: [{ organizationId: f.org.townB, specialistId: spec, noShows: 1, rate: 0.5 }],
      });
      const unfilled = await h
        .as('cityCoordinatorB')
        .get(`/api/scheduling/hub/unfilled-shifts?${range}`);
      expect(unfilled.body.items.map((o: any) => o.localStart)).toEqual(['2027-03-10T09:00']);
      const coverage = await h.as('cityCoordinatorB').get(`/api/scheduling/hub/coverage?${range}`);
      expect(coverage.body.items).toEqual([
        expect.objectContaining({
          organizationId: f.org.townB,
          specialty: 'radiology',
          seatsOffered: 12,
          seatsBooked: 2,
          seatsFree: 10,
          requestsWaiting: 1,
        }),
      ]);
      expect(coverage.body.waitingSource).toBe('ConsultationSlotBookings'); // r3: booking cancelled, claimed again, waiting for a time
      // City B's coordinator sees nothing of city A; the province hub sees both.
      const cityB = await h
        .as('cityCoordinatorB')
        .get('/api/scheduling/hub/utilization?from=2027-03-01T00:00:00Z&to=2027-03-06T00:00:00Z');
      expect(cityB.body.items.map((i: any) => i.specialistId)).toEqual([
        f.user.countyRadiologistA.id,
      ]); // only the block that also serves township B
      expect(cityB.body.items[0].seats).toBe(4);
      expect(
        (
          await h
            .as('hubCoordinator')
            .get(
              '/api/scheduling/hub/utilization?from=2027-03-01T00:00:00Z&to=2027-03-11T00:00:00Z',
            )
        ).body.items.length,
      ).toBeGreaterThanOrEqual(3);
      for (const who of ['townDoctorA', 'countyRadiologistA', 'hubAdmin'])
        expect((await h.as(who).get(`/api/scheduling/hub/coverage?${range}`)).status).toBe(403);

      const ledger = await h
        .as('cityCoordinatorB')
        .get(`/api/scheduling/grassroots-ledger?organizationId=${f.org.countyB}&year=2027`);
      expect(ledger.status).toBe(200);
      expect(ledger.body.requiredDays).toBe(180);
      expect(ledger.body.specialists).toEqual([
        expect.objectContaining({
          specialistId: spec,
          servedDays: 2,
          plannedDays: 1,
          remainingDays: 178,
          met: false,
          year: { year: 2027, servedDays: 2, plannedDays: 1 },
        }),
      ]);
      expect(
        (
          await h
            .as('cityCoordinatorB')
            .get(`/api/scheduling/grassroots-ledger?organizationId=${f.org.countyA}`)
        ).status,
      ).toBe(403);
    } finally {
      h.clock.now = () => new Date(TEST_NOW);
    }
  });

  it('exports the roster as iCalendar, with a Bearer token or a secret feed address', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistA.id;
    const ics = await h
      .as('countyRadiologistA')
      .get(`/api/scheduling/specialists/${spec}/calendar.ics`);
    expect(ics.status).toBe(200);
    expect(ics.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(ics.text.startsWith('BEGIN:VCALENDAR\r\n')).toBe(true);
    expect(ics.text).toContain('DTSTART:20270303T060000Z'); // 14:00 Shanghai
    expect(ics.text.split('\r\n').every((l) => Buffer.byteLength(l) <= 75)).toBe(true);
    expect(ics.text).toMatch(/SUMMARY:远程门诊: /);
    expect(
      (await h.as('townDoctorA').get(`/api/scheduling/specialists/${spec}/calendar.ics`)).status,
    ).toBe(403);
    expect(
      (await h.as('hubCoordinator').get(`/api/scheduling/specialists/${spec}/calendar.ics`)).status,
    ).toBe(200);
    expect(
      (await h.as('cityCoordinatorB').get(`/api/scheduling/specialists/${spec}/calendar.ics`))
        .status,
    ).toBe(403);
    expect(
      (await client(h.api.url).get(`/api/scheduling/specialists/${spec}/calendar.ics`)).status,
    ).toBe(401);

    const minted = await h.as('countyRadiologistA').post('/api/scheduling/me/calendar-feed');
    expect(minted.status).toBe(201);
    const feed = await client(h.api.url).get(minted.body.path);
    expect(feed.status).toBe(200);
    expect(feed.text).toBe(ics.text); // the same calendar (DTSTAMP comes from the fixed test clock), no token needed
    const again = await h.as('countyRadiologistA').post('/api/scheduling/me/calendar-feed');
    expect((await client(h.api.url).get(minted.body.path)).status).toBe(404); // replaced
    expect((await client(h.api.url).get(again.body.path)).status).toBe(200);
    expect((await h.as('townDoctorA').post('/api/scheduling/me/calendar-feed')).status).toBe(403);
  });
});
