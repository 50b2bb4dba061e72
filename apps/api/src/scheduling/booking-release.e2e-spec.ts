import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import { DataSource } from 'typeorm';
import { BookingRelease } from './booking-release';
import {
  TEST_NOW,
  connectEvents,
  eventLog,
  shiftBody,
  startScheduling,
  submittedRequest,
  type SchedulingHarness,
} from './scheduling.test-support';

/**
 * Every way a booking ends goes through BookingStore: the consultation's own transitions
 * (declined, cancelled) cancel it with the scheduling clock, the reason in its reason field,
 * and `booking.cancelled` sent once the consultation's transaction has committed, never before
 * and never for a transaction that rolled back.
 */
describe('bookings ended by their consultation (real PostgreSQL, /events)', () => {
  let h: SchedulingHarness;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    h = await startScheduling('bookrelease', [
      'townDoctorA',
      'countyRadiologistA',
      'hubCoordinator',
    ]);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await h?.close();
  });

  const listen = async (who: string) => {
    const s = await connectEvents(h.api.url, h.token[who]);
    sockets.push(s);
    return eventLog(s);
  };

  /** A booked slot of county A's radiologist for a fresh request of township A (scheduled by it). */
  let day = 10;
  const booked = async () => {
    const date = `2027-04-${day++}`;
    await h.as('hubCoordinator').post(
      '/api/scheduling/shifts',
      shiftBody(h.f.user.countyRadiologistA.id, [h.f.org.townA], {
        start: `${date}T09:00`,
        end: `${date}T10:00`,
      }),
    );
    const slots = await h
      .as('townDoctorA')
      .get(
        `/api/scheduling/slots?specialistId=${h.f.user.countyRadiologistA.id}&from=${date}T00:00:00Z&to=${date}T23:00:00Z`,
      );
    const request = await submittedRequest(h, 'townDoctorA', 'radiology');
    const b = await h
      .as('townDoctorA')
      .post(
        '/api/scheduling/bookings',
        { slotId: slots.body.items[0].id, consultationRequestId: request },
        { 'Idempotency-Key': `key-${date}` },
      );
    expect(b.status).toBe(201);
    return { request, booking: b.body, slots: slots.body.items, key: `key-${date}` };
  };
  const row = async (id: string) =>
    (
      await h.schema.query(
        `SELECT status, reason, cancelled_by, cancelled_at FROM booking WHERE id = $1`,
        [id],
      )
    )[0];

  it('a declined consultation cancels its booking on the scheduling clock and announces booking.cancelled to both sides', async () => {
    const { request, booking } = await booked();
    const doctor = await listen('townDoctorA');
    const specialist = await listen('countyRadiologistA');
    expect(
      (
        await h
          .as('countyRadiologistA')
          .post(`/api/consultations/${request}/decline`, { reason: '本周出差' })
      ).status,
    ).toBe(200);
    const told = await doctor.next('booking.cancelled');
    expect(told?.data).toMatchObject({
      bookingId: booking.id,
      consultationRequestId: request,
      status: 'cancelled',
      by: 'consultation',
      transition: 'decline',
      reason: 'consultation decline: 本周出差',
    });
    expect((await specialist.next('booking.cancelled'))?.data.bookingId).toBe(booking.id);
    expect(await row(booking.id)).toEqual({
      status: 'cancelled',
      reason: 'consultation decline: 本周出差',
      cancelled_by: h.f.user.countyRadiologistA.id,
      cancelled_at: TEST_NOW,
    });
    const audit = await h.schema.query(
      `SELECT action, details FROM audit_event WHERE resource_id = $1 ORDER BY id`,
      [booking.id],
    );
    expect(audit.map((a) => a.action)).toEqual(['booking.create', 'booking.cancel']);
    expect(audit[1].details).toEqual({ reason: 'consultation decline', consultationId: request });
  });

  it('a consultation cancelled by its township cancels the booking the same way', async () => {
    const { request, booking } = await booked();
    const doctor = await listen('townDoctorA');
    expect(
      (
        await h
          .as('townDoctorA')
          .post(`/api/consultations/${request}/cancel`, { reason: '患者已转院' })
      ).status,
    ).toBe(200);
    expect((await doctor.next('booking.cancelled'))?.data).toMatchObject({
      bookingId: booking.id,
      by: 'consultation',
      transition: 'cancel',
    });
    expect(await row(booking.id)).toMatchObject({ status: 'cancelled', cancelled_at: TEST_NOW });
  });

  it('nothing is announced, and nothing changes, when the consultation’s transaction rolls back', async () => {
    const { request, booking } = await booked();
    const doctor = await listen('townDoctorA');
    const release = h.api.app.get(BookingRelease);
    const db = h.api.app.get(DataSource);
    const rolledBack = new Error('the consultation change failed after the booking was released');
    await expect(
      db.transaction(async (m) => {
        const released = await release.release(m, {
          consultationId: request,
          transition: 'decline',
          actor: null,
          reason: null,
        });
        expect(released.map((b) => b.id)).toEqual([booking.id]);
        throw rolledBack;
      }),
    ).rejects.toBe(rolledBack);
    expect(await doctor.next('booking.cancelled', 500)).toBeNull();
    expect((await row(booking.id)).status).toBe('booked');
    // A transition that does not end the appointment leaves it alone.
    await db.transaction(async (m) =>
      expect(
        await release.release(m, {
          consultationId: request,
          transition: 'escalate',
          actor: null,
          reason: null,
        }),
      ).toEqual([]),
    );
    expect((await row(booking.id)).status).toBe('booked');
  });

  it('inside a savepoint: announced once the outer transaction commits, forgotten when only the savepoint rolls back', async () => {
    const first = await booked();
    const second = await booked();
    const doctor = await listen('townDoctorA');
    const release = h.api.app.get(BookingRelease);
    const db = h.api.app.get(DataSource);
    const decline = (consultationId: string) => ({
      consultationId,
      transition: 'decline',
      actor: null,
      reason: null,
    });
    await db.transaction(async (m) => {
      await m
        .transaction(async (inner) => {
          await release.release(inner, decline(first.request));
          throw new Error('only the savepoint fails');
        })
        .catch(() => undefined);
      await m.transaction((inner) => release.release(inner, decline(second.request)));
      // Not before the commit, even though the savepoint that cancelled it was released.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(doctor.seen.filter((e) => e.type === 'booking.cancelled')).toEqual([]);
    });
    expect((await doctor.next('booking.cancelled'))?.data.bookingId).toBe(second.booking.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(doctor.seen.filter((e) => e.type === 'booking.cancelled')).toHaveLength(1);
    expect((await row(first.booking.id)).status).toBe('booked');
    expect((await row(second.booking.id)).status).toBe('cancelled');
  });

  it('a retry with the key of a booking rescheduled since answers that booking as it is now', async () => {
    const { request, booking, slots, key } = await booked();
    const moved = await h
      .as('townDoctorA')
      .post(`/api/scheduling/bookings/${booking.id}/reschedule`, {
        slotId: slots[1].id,
        reason: '改到九点半',
      });
    expect(moved.status).toBe(201);
    const retry = await h
      .as('townDoctorA')
      .post(
        '/api/scheduling/bookings',
        { slotId: slots[0].id, consultationRequestId: request },
        { 'Idempotency-Key': key },
      );
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({
      id: booking.id,
      status: 'rescheduled',
      reason: '改到九点半',
    });
    expect(await row(booking.id)).toMatchObject({ status: 'rescheduled', cancelled_at: TEST_NOW });
  });
});
