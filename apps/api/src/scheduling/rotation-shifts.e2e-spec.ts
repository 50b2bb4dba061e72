import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import {
  connectEvents,
  eventLog,
  shiftBody,
  startScheduling,
  submittedRequests,
  type SchedulingHarness,
} from './scheduling.test-support';

describe('rotation shifts (real PostgreSQL, exclusion constraints)', () => {
  let h: SchedulingHarness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    h = await startScheduling('shifts');
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await h?.close();
  });

  /** `who` asks for a shift of the specialist hosted by `hosts` (`spec` over the test default). */
  const postShift = (
    who: string,
    specialistId: string,
    hosts: string[],
    spec?: Parameters<typeof shiftBody>[2],
  ) => h.as(who).post('/api/scheduling/shifts', shiftBody(specialistId, hosts, spec));
  /** One field of each occurrence a shift answer lists. */
  const occurrences = (res: { body: { occurrences: Record<string, unknown>[] } }, field: string) =>
    res.body.occurrences.map((o) => o[field]);

  it('expands a weekly shift in Europe/Berlin across the DST change, skipping the EXDATE, and stores its occurrences and slots', async () => {
    const { f } = h;
    const res = await postShift('hubCoordinator', f.user.countyRadiologistA.id, [f.org.townA], {
      timeZone: 'Europe/Berlin',
      start: '2027-03-15T09:00',
      end: '2027-03-15T12:00',
      rrule: 'FREQ=WEEKLY;BYDAY=MO;COUNT=5',
      exdates: ['2027-03-22'],
    });
    expect(res.status).toBe(201);
    expect(occurrences(res, 'localStart')).toEqual([
      '2027-03-15T09:00',
      '2027-03-29T09:00',
      '2027-04-05T09:00',
      '2027-04-12T09:00',
    ]);
    expect(occurrences(res, 'start')).toEqual([
      '2027-03-15T08:00:00.000Z',
      '2027-03-29T07:00:00.000Z',
      '2027-04-05T07:00:00.000Z',
      '2027-04-12T07:00:00.000Z',
    ]);
    const rows = await h.schema.query(
      `SELECT lower(period) AS s, (SELECT count(*)::int FROM slot WHERE occurrence_id = o.id) AS slots FROM shift_occurrence o WHERE shift_id = $1 ORDER BY 1`,
      [res.body.id],
    );
    expect(rows.map((r) => r.slots)).toEqual([6, 6, 6, 6]); // 3 hours of 30-minute slots, also on the day after the change
    expect(res.body.occurrences.every((o: any) => o.seats === 6 && o.booked === 0)).toBe(true);
  });

  it('uses Asia/Shanghai when no zone is given', async () => {
    const { f } = h;
    const res = await postShift('hubCoordinator', f.user.countyCardiologistA.id, [f.org.townA], {
      start: '2027-02-01T09:00',
      end: '2027-02-01T11:00',
      rrule: 'FREQ=DAILY;COUNT=3',
    });
    expect(res.status).toBe(201);
    expect(res.body.timeZone).toBe('Asia/Shanghai');
    expect(occurrences(res, 'start')).toEqual([
      '2027-02-01T01:00:00.000Z',
      '2027-02-02T01:00:00.000Z',
      '2027-02-03T01:00:00.000Z',
    ]);
  });

  it('refuses an overlapping shift with a 409 naming the shift already there; the database itself refuses it too', async () => {
    const { f } = h;
    const first = await postShift('hubCoordinator', f.user.cityRadiologistA.id, [f.org.townA], {
      mode: 'on_site_visit',
      start: '2027-05-10T08:00',
      end: '2027-05-10T17:00',
    });
    expect(first.status).toBe(201);
    // Same specialist, remote block 16:00-18:00 the same day: overlaps the visit's last hour.
    const clash = await postShift(
      'hubCoordinator',
      f.user.cityRadiologistA.id,
      [f.org.townA, f.org.townB],
      {
        start: '2027-05-03T16:00',
        end: '2027-05-03T18:00',
        rrule: 'FREQ=WEEKLY;COUNT=3',
      },
    );
    expect(clash.status).toBe(409);
    expect(clash.body.details.code).toBe('shift_overlap');
    expect(clash.body.message).toContain(first.body.id);
    expect(clash.body.message).toContain('2027-05-10 08:00–17:00');
    expect(clash.body.message).toContain('2027-05-10T16:00');
    expect(clash.body.details.conflicts[0]).toMatchObject({
      shiftId: first.body.id,
      mode: 'on_site_visit',
    });
    expect(
      await h.schema.query(
        `SELECT count(*)::int AS n FROM rotation_shift WHERE specialist_id = $1`,
        [f.user.cityRadiologistA.id],
      ),
    ).toEqual([{ n: 1 }]);
    // Buffers count: a visit with an hour of travel after it blocks a shift starting right at 17:00.
    const buffered = await postShift('hubCoordinator', f.user.cityRadiologistA.id, [f.org.townA], {
      start: '2027-05-10T17:00',
      end: '2027-05-10T18:00',
      bufferBeforeMinutes: 30,
    });
    expect(buffered.status).toBe(409);
    // No application check in the way: the constraint holds on its own.
    const [occ] = await h.schema.query(
      `SELECT specialist_id, shift_id FROM shift_occurrence WHERE shift_id = $1`,
      [first.body.id],
    );
    await expect(
      h.schema.query(
        `INSERT INTO shift_occurrence (shift_id, specialist_id, mode, period, blocked, local_date) VALUES ($1, $2, 'remote_block', tstzrange('2027-05-10T02:00Z','2027-05-10T03:00Z'), tstzrange('2027-05-10T02:00Z','2027-05-10T03:00Z'), '2027-05-10')`,
        [occ.shift_id, occ.specialist_id],
      ),
    ).rejects.toMatchObject({ code: '23P01' });
  });

  it('keeps shifts off leave, and leave off shifts', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistB.id;
    const leave = await h
      .as('cityCoordinatorB')
      .post(`/api/scheduling/specialists/${spec}/unavailability`, {
        kind: 'leave',
        start: '2027-06-01T00:00',
        end: '2027-06-08T00:00',
        reason: '年假',
      });
    expect(leave.status).toBe(201);
    const onLeave = await postShift('cityCoordinatorB', spec, [f.org.townB], {
      start: '2027-06-03T09:00',
      end: '2027-06-03T12:00',
    });
    expect(onLeave.status).toBe(409);
    expect(onLeave.body.message).toMatch(/on leave from 2027-06-01T00:00.*年假/);
    const shift = await postShift('cityCoordinatorB', spec, [f.org.townB], {
      start: '2027-06-10T09:00',
      end: '2027-06-10T12:00',
    });
    expect(shift.status).toBe(201);
    const clash = await h
      .as('countyRadiologistB')
      .post(`/api/scheduling/specialists/${spec}/unavailability`, {
        kind: 'commitment',
        start: '2027-06-10T11:00',
        end: '2027-06-10T13:00',
      });
    expect(clash.status).toBe(409);
    expect(clash.body.details.occurrences[0].shiftId).toBe(shift.body.id);
    // Working hours: a shift outside them is refused; the free windows leave out shifts.
    await h.as('countyRadiologistB').put(`/api/scheduling/specialists/${spec}/working-hours`, {
      windows: [1, 2, 3, 4, 5].map((weekday) => ({ weekday, start: '08:00', end: '17:00' })),
    });
    const evening = await postShift('cityCoordinatorB', spec, [f.org.townB], {
      start: '2027-06-11T18:00',
      end: '2027-06-11T20:00',
    });
    expect(evening.status).toBe(409);
    expect(evening.body.details.code).toBe('outside_working_hours');
    const av = await h
      .as('townDoctorB')
      .get(
        `/api/scheduling/specialists/${spec}/availability?from=2027-06-10T00:00:00%2B08:00&to=2027-06-11T00:00:00%2B08:00`,
      );
    expect(av.status).toBe(200);
    expect(av.body.free.map((w: any) => [w.localStart, w.localEnd])).toEqual([
      ['2027-06-10T08:00', '2027-06-10T09:00'],
      ['2027-06-10T12:00', '2027-06-10T17:00'],
    ]);
  });

  it('a change touching bookings asks what to do with them; cancelling with notice tells the township doctors on /events', async () => {
    const { f } = h;
    const spec = f.user.countyRadiologistA.id;
    const shift = await postShift('hubCoordinator', spec, [f.org.townA], {
      start: '2027-07-05T09:00',
      end: '2027-07-05T11:00',
      rrule: 'FREQ=WEEKLY;COUNT=2',
    });
    expect(shift.status).toBe(201);
    const slots = await h
      .as('townDoctorA')
      .get(
        `/api/scheduling/slots?specialistId=${spec}&from=2027-07-05T00:00:00Z&to=2027-07-20T00:00:00Z`,
      );
    expect(slots.body.total).toBe(8);
    const [s1, s2] = [slots.body.items[0], slots.body.items[5]]; // 5 July 09:00, 12 July 09:30
    const doctor = eventLog(await connectEvents(h.api.url, h.token.townDoctorA));
    const other = eventLog(await connectEvents(h.api.url, h.token.townDoctorB));
    const [r1, r2] = await submittedRequests(h, 'townDoctorA', 'radiology', 2);
    const b1 = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: s1.id, consultationRequestId: r1 });
    const b2 = await h
      .as('townDoctorA')
      .post('/api/scheduling/bookings', { slotId: s2.id, consultationRequestId: r2 });
    expect([b1.status, b2.status]).toEqual([201, 201]);
    expect(await doctor.next('booking.created')).toMatchObject({ data: { bookingId: b1.body.id } });

    // Moving the second week by an hour drops the 12 July 09:30 slot: refused without a decision.
    const change = { exdates: [], rrule: 'FREQ=WEEKLY;COUNT=1' };
    const refused = await h
      .as('hubCoordinator')
      .patch(`/api/scheduling/shifts/${shift.body.id}`, change);
    expect(refused.status).toBe(409);
    expect(refused.body.details.code).toBe('bookings_affected');
    expect(refused.body.details.bookings).toEqual([
      expect.objectContaining({
        bookingId: b2.body.id,
        localStart: '2027-07-12T09:30',
        requestingOrganizationId: f.org.townA,
      }),
    ]);
    // The 5 July booking still sits in an identical slot: it follows quietly.
    const moved = await h.as('hubCoordinator').patch(`/api/scheduling/shifts/${shift.body.id}`, {
      ...change,
      onBookings: 'move',
      reason: '专家调整',
    });
    expect(moved.status).toBe(200);
    expect(moved.body.bookings.kept).toBe(0); // first week unchanged: its occurrence was kept as is
    expect(moved.body.bookings.moved).toEqual([expect.objectContaining({ bookingId: b2.body.id })]);
    const movedEvent = await doctor.next('booking.moved');
    expect(movedEvent.data).toMatchObject({
      bookingId: b2.body.id,
      shiftId: shift.body.id,
      reason: '专家调整',
      previousStart: '2027-07-12T01:30:00.000Z',
    });
    const newStart = movedEvent.data.newStart;
    expect(new Date(newStart).getTime()).toBeGreaterThan(Date.parse('2027-07-05T01:00:00Z'));
    // The consultation follows its booking to the new time.
    const scheduledAt = async (id: string) =>
      (
        await h.schema.query(
          `SELECT status, scheduled_start FROM consultation_request WHERE id = $1`,
          [id],
        )
      )[0];
    expect(await scheduledAt(r2)).toEqual({
      status: 'scheduled',
      scheduled_start: new Date(newStart),
    });

    // Cancel the whole shift: both bookings cancelled with notice, to townA only.
    const noDecision = await h
      .as('hubCoordinator')
      .post(`/api/scheduling/shifts/${shift.body.id}/cancel`, { reason: '专家临时出差' });
    expect(noDecision.status).toBe(409);
    expect(noDecision.body.details.bookings).toHaveLength(2);
    const cancelledEvents = [doctor.next('booking.cancelled'), doctor.next('booking.cancelled')];
    const cancelled = await h
      .as('hubCoordinator')
      .post(`/api/scheduling/shifts/${shift.body.id}/cancel`, {
        reason: '专家临时出差',
        onBookings: 'cancel_with_notice',
      });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.bookings.cancelled).toHaveLength(2);
    const got = await Promise.all(cancelledEvents);
    expect(
      got.every((e) => e?.data.reason === '专家临时出差' && e.data.shiftId === shift.body.id),
    ).toBe(true);
    expect(other.seen.filter((e) => e.type.startsWith('booking.'))).toEqual([]);
    const left = await h.schema.query(
      `SELECT status, count(*)::int AS n FROM booking WHERE shift_id = $1 GROUP BY status ORDER BY status`,
      [shift.body.id],
    );
    expect(left).toEqual([
      { status: 'cancelled', n: 2 },
      { status: 'rescheduled', n: 1 },
    ]);
    expect(cancelled.body.shift.status).toBe('cancelled');
    // Their consultations keep their specialist and wait for a new time.
    expect(await scheduledAt(r1)).toEqual({ status: 'claimed', scheduled_start: null });
    expect(await scheduledAt(r2)).toEqual({ status: 'claimed', scheduled_start: null });
    expect(cancelled.body.shift.occurrences.every((o: any) => o.status === 'cancelled')).toBe(true);
    // Now free again: the time can be rostered anew.
    const again = await postShift('hubCoordinator', spec, [f.org.townA], {
      start: '2027-07-05T09:00',
      end: '2027-07-05T11:00',
    });
    expect(again.status).toBe(201);
  });

  const createShift: [who: string, specialist: string, host: 'townA' | 'townB', status: number][] =
    [
      ['hubCoordinator', 'countyRadiologistA', 'townA', 201], // province hub covers everything
      ['hubCoordinator', 'countyRadiologistB', 'townB', 201],
      ['cityCoordinatorB', 'countyRadiologistB', 'townB', 201], // city B's subtree
      ['cityCoordinatorB', 'countyRadiologistA', 'townA', 403], // not under city B
      ['otherHubCoordinator', 'countyRadiologistA', 'townA', 403], // another province
      ['townDoctorA', 'countyRadiologistA', 'townA', 403], // not a coordinator
      ['countyRadiologistA', 'countyRadiologistA', 'townA', 403],
      ['hubAdmin', 'countyRadiologistA', 'townA', 403],
    ];
  let day = 1;
  it.each(createShift)(
    '%s creating a shift of %s at %s -> %i',
    async (who, specialist, host, status) => {
      const date = `2027-08-${String(day++).padStart(2, '0')}`;
      const res = await postShift(who, h.f.user[specialist].id, [h.f.org[host]], {
        start: `${date}T09:00`,
        end: `${date}T10:00`,
      });
      expect(res.status).toBe(status);
    },
  );

  it('only the covering hub edits or cancels a shift; every signed-in user reads it', async () => {
    const { f } = h;
    const shift = await postShift('hubCoordinator', f.user.countyRadiologistA.id, [f.org.townA], {
      start: '2027-09-01T09:00',
      end: '2027-09-01T10:00',
    });
    for (const who of ['cityCoordinatorB', 'otherHubCoordinator', 'townDoctorA']) {
      expect(
        (await h.as(who).patch(`/api/scheduling/shifts/${shift.body.id}`, { note: 'x' })).status,
      ).toBe(403);
      expect(
        (await h.as(who).post(`/api/scheduling/shifts/${shift.body.id}/cancel`, { reason: 'x' }))
          .status,
      ).toBe(403);
    }
    expect((await h.as('townDoctorB').get(`/api/scheduling/shifts/${shift.body.id}`)).status).toBe(
      200,
    );
    // Adding a host outside city B's subtree is refused even to the coordinator who may edit the rest.
    const b = await postShift('cityCoordinatorB', f.user.countyRadiologistB.id, [f.org.townB], {
      start: '2027-09-02T09:00',
      end: '2027-09-02T10:00',
    });
    expect(
      (
        await h.as('cityCoordinatorB').patch(`/api/scheduling/shifts/${b.body.id}`, {
          hostOrganizationIds: [f.org.townB, f.org.townA],
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await h
          .as('cityCoordinatorB')
          .patch(`/api/scheduling/shifts/${b.body.id}`, { note: '河口镇' })
      ).status,
    ).toBe(200);
    // On-site visits stay within the consortium: county A's radiologist does not travel to township B.
    const far = await postShift('hubCoordinator', f.user.countyRadiologistA.id, [f.org.townB], {
      mode: 'on_site_visit',
      start: '2027-09-03T09:00',
      end: '2027-09-03T10:00',
    });
    expect(far.status).toBe(400);
    expect(far.body.details.code).toBe('outside_consortium');
  });

  it('rejects malformed rules with a message a coordinator can act on', async () => {
    const { f } = h;
    const bad = await postShift('hubCoordinator', f.user.countyRadiologistA.id, [f.org.townA], {
      rrule: 'FREQ=WEEKLY',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/COUNT or UNTIL/);
    const zone = await postShift('hubCoordinator', f.user.countyRadiologistA.id, [f.org.townA], {
      timeZone: 'China/Beijing',
    });
    expect(zone.status).toBe(400);
    expect(zone.body.message).toMatch(/IANA/);
  });
});
