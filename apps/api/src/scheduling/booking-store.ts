import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Booking, BookingCancelledBy, WithDates } from '@huizhen/contract';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { CommitHooks } from './commit-hooks';
import { instantToLocal } from './recurrence';
import {
  SCHEDULING_CLOCK,
  type BookingStatus,
  type SchedulingClock,
  type ShiftMode,
} from './scheduling-terms';
import { command, sql, type Db } from '@huizhen/database';

/** A booking as the store holds it: the contract's Booking with its times as Dates. */
export type BookingView = WithDates<Booking, 'start' | 'end' | 'createdAt'>;

/** Seats that count against a slot (and against the no-double-booking constraint). */
export const HOLDING_STATUSES = ['booked', 'fulfilled', 'no_show'];

/** One seat of a slot, taken for a booking about to be written. */
export interface ClaimedSeat {
  slotId: string;
  shiftId: string;
  specialistId: string;
  specialty: string | null;
  start: Date;
  end: Date;
  capacity: number;
  seat: number;
}

/** A booked appointment a shift change is about to settle (locked by `heldOn`). */
export interface HeldBooking {
  id: string;
  slotId: string;
  consultationRequestId: string;
  requestingOrganizationId: string;
  bookedBy: string;
  seat: number;
  start: Date;
  end: Date;
  mode: ShiftMode;
}

export interface NewBooking {
  consultationRequestId: string;
  organizationId: string;
  bookedBy: string;
  idempotencyKey: string | null;
  rescheduledFrom?: string | null;
  reason?: string | null;
}

/** Who ended a booking, as its `booking.cancelled` event says. */
/** Who ended a booking: the contract's words for booking.cancelled's `by`. */
export type EndedBy = BookingCancelledBy;

/** Why a booking ends: the one reason field, who did it, and what the event adds. */
export interface BookingEnd {
  reason: string | null;
  /** The practitioner who ended it; null when the platform did (a consultation expired). */
  actorId: string | null;
  by: EndedBy;
  /** Added to the `booking.cancelled` event (the shift, the consultation transition). */
  extra?: Record<string, unknown>;
}

export type BookingEventType =
  'booking.created' | 'booking.rescheduled' | 'booking.moved' | 'booking.cancelled';

const BOOKING = sql(
  {
    id: 'uuid',
    slot_id: 'uuid',
    shift_id: 'uuid',
    specialist_id: 'uuid',
    specialist_name: 'text',
    consultation_request_id: 'uuid',
    requesting_organization_id: 'uuid',
    requesting_organization_name: 'text',
    booked_by: 'uuid',
    mode: 'text',
    s: 'timestamptz',
    e: 'timestamptz',
    time_zone: 'text',
    status: 'text',
    reason: 'text?',
    rescheduled_from: 'uuid?',
    created_at: 'timestamptz',
  },
  `SELECT b.id, b.slot_id, b.shift_id, b.specialist_id, p.display_name AS specialist_name, b.consultation_request_id,
          b.requesting_organization_id, o.name AS requesting_organization_name, b.booked_by, sh.mode,
          lower(b.period) AS s, upper(b.period) AS e, sh.time_zone, b.status, b.reason, b.rescheduled_from, b.created_at
     FROM booking b
     JOIN rotation_shift sh ON sh.id = b.shift_id
     JOIN practitioner p ON p.id = b.specialist_id
     JOIN organization o ON o.id = b.requesting_organization_id`,
).map((r): BookingView => ({
  id: r.id,
  slotId: r.slot_id,
  shiftId: r.shift_id,
  specialistId: r.specialist_id,
  specialistName: r.specialist_name,
  consultationRequestId: r.consultation_request_id,
  requestingOrganizationId: r.requesting_organization_id,
  requestingOrganizationName: r.requesting_organization_name,
  bookedBy: r.booked_by,
  mode: r.mode as ShiftMode,
  start: r.s,
  end: r.e,
  timeZone: r.time_zone,
  localStart: instantToLocal(r.s, r.time_zone),
  status: r.status as BookingStatus,
  reason: r.reason,
  rescheduledFrom: r.rescheduled_from,
  createdAt: r.created_at,
}));
const BOOKING_BY_ID = BOOKING.append('WHERE b.id = $1').takes<[id: string]>();
const BOOKINGS_BY_IDS = BOOKING.append(
  'WHERE b.id = ANY($1::uuid[]) ORDER BY lower(b.period)',
).takes<[ids: string[]]>();
const CALENDAR = BOOKING.append(
  `WHERE (b.specialist_id = $1 OR b.requesting_organization_id = $2) AND b.status = ANY($5)
     AND b.period && tstzrange($3, $4) ORDER BY lower(b.period)`,
).takes<[specialistId: string, organizationId: string, from: Date, to: Date, statuses: string[]]>();

/** What an idempotent retry needs of the booking its key made. */
const BY_KEY = sql(
  { id: 'uuid', slot_id: 'uuid', consultation_request_id: 'uuid' },
  `SELECT id, slot_id, consultation_request_id FROM booking WHERE booked_by = $1 AND idempotency_key = $2`,
)
  .takes<[bookedBy: string, idempotencyKey: string]>()
  .map((r) => ({ id: r.id, slotId: r.slot_id, consultationRequestId: r.consultation_request_id }));

const ACTIVE_OF_REQUEST = sql(
  { id: 'uuid', s: 'timestamptz' },
  `SELECT id, lower(period) AS s FROM booking WHERE consultation_request_id = $1 AND status = 'booked'`,
)
  .takes<[consultationRequestId: string]>()
  .map((r) => ({ id: r.id, start: r.s }));

const HELD_ON_OCCURRENCES = sql(
  {
    id: 'uuid',
    slot_id: 'uuid',
    consultation_request_id: 'uuid',
    requesting_organization_id: 'uuid',
    booked_by: 'uuid',
    seat: 'int',
    s: 'timestamptz',
    e: 'timestamptz',
    mode: 'text',
  },
  `SELECT b.id, b.slot_id, b.consultation_request_id, b.requesting_organization_id, b.booked_by, b.seat,
          lower(b.period) AS s, upper(b.period) AS e, sl.mode
     FROM booking b JOIN slot sl ON sl.id = b.slot_id
    WHERE sl.occurrence_id = ANY($1::uuid[]) AND b.status = 'booked' ORDER BY lower(b.period) FOR UPDATE OF b`,
)
  .takes<[occurrenceIds: string[]]>()
  .map((r): HeldBooking => ({
    id: r.id,
    slotId: r.slot_id,
    consultationRequestId: r.consultation_request_id,
    requestingOrganizationId: r.requesting_organization_id,
    bookedBy: r.booked_by,
    seat: r.seat,
    start: r.s,
    end: r.e,
    mode: r.mode as ShiftMode,
  }));

/** Taking a seat: the UPDATE locks the slot row, so concurrent bookers of one slot queue here. */
const TAKE_SEAT = sql(
  {
    shift_id: 'uuid',
    specialist_id: 'uuid',
    specialty: 'text?',
    s: 'timestamptz',
    e: 'timestamptz',
    capacity: 'int',
  },
  `UPDATE slot SET booked_count = booked_count + 1
    WHERE id = $1 AND status = 'open' AND booked_count < capacity
    RETURNING shift_id, specialist_id, specialty, lower(period) AS s, upper(period) AS e, capacity`,
).takes<[slotId: string]>();
const FREE_SEAT = sql(
  { seat: 'int' },
  `SELECT s AS seat FROM generate_series(1, $2::int) s
    WHERE NOT EXISTS (SELECT 1 FROM booking b WHERE b.slot_id = $1 AND b.seat = s AND b.status = ANY($3))
    ORDER BY s LIMIT 1`,
).takes<[slotId: string, capacity: number, holdingStatuses: string[]]>();
const INSERT = sql(
  { id: 'uuid' },
  `INSERT INTO booking (slot_id, shift_id, specialist_id, period, seat, capacity, consultation_request_id, requesting_organization_id,
                        specialty, booked_by, idempotency_key, rescheduled_from, reason, updated_at)
   VALUES ($1, $2, $3, tstzrange($4, $5, '[)'), $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
).takes<
  [
    slotId: string,
    shiftId: string,
    specialistId: string,
    start: Date,
    end: Date,
    seat: number,
    capacity: number,
    consultationRequestId: string,
    requestingOrganizationId: string,
    specialty: string | null,
    bookedBy: string,
    idempotencyKey: string | null,
    rescheduledFrom: string | null,
    reason: string | null,
    at: Date,
  ]
>();
/** Ending a booking: the one place its status leaves `booked` for `cancelled` or `rescheduled`. */
const END = sql(
  { id: 'uuid', slot_id: 'uuid' },
  `UPDATE booking SET status = $2, reason = $3, cancelled_by = $4, cancelled_at = $5, updated_at = $5
    WHERE id = ANY($1::uuid[]) AND status = 'booked' RETURNING id, slot_id`,
).takes<
  [
    ids: string[],
    status: 'cancelled' | 'rescheduled',
    reason: string | null,
    cancelledBy: string | null,
    at: Date,
  ]
>();
const ACTIVE_IDS_OF_REQUEST = sql(
  { id: 'uuid' },
  `SELECT id FROM booking WHERE consultation_request_id = $1 AND status = 'booked' ORDER BY lower(period) FOR UPDATE`,
).takes<[consultationRequestId: string]>();
const DUE_REMINDERS = sql(
  { id: 'uuid' },
  `UPDATE booking b SET reminder_sent_at = $1
     FROM (SELECT id FROM booking
            WHERE status = 'booked' AND reminder_sent_at IS NULL AND lower(period) > $1
              AND lower(period) <= $1::timestamptz + make_interval(mins => $2)
            ORDER BY lower(period) LIMIT 1000 FOR UPDATE SKIP LOCKED) d
    WHERE b.id = d.id RETURNING b.id`,
).takes<[now: Date, leadMinutes: number]>();
const FOLLOW = command<[id: string, slotId: string, capacity: number, at: Date]>(
  'UPDATE booking SET slot_id = $2, capacity = $3, updated_at = $4 WHERE id = $1',
);
const TAKE_SEAT_OF_FOLLOWER = command<[slotId: string]>(
  'UPDATE slot SET booked_count = booked_count + 1 WHERE id = $1',
);
const RECORD_OUTCOME = command<[id: string, outcome: 'fulfilled' | 'no_show', at: Date]>(
  `UPDATE booking SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'booked'`,
);
const RELEASE_SEAT = command<[slotId: string]>(
  'UPDATE slot SET booked_count = greatest(booked_count - 1, 0) WHERE id = $1',
);

/** The data of a booking event: ids and times only, never patient data. */
export function bookingEventData(b: BookingView): Record<string, unknown> {
  return {
    bookingId: b.id,
    consultationRequestId: b.consultationRequestId,
    slotId: b.slotId,
    shiftId: b.shiftId,
    start: b.start.toISOString(),
    localStart: b.localStart,
    timeZone: b.timeZone,
    status: b.status,
  };
}

/**
 * The booking table and the seats bookings hold. Every booking write passes here: one clock
 * (the scheduling clock, for `cancelled_at`, `updated_at`, `reminder_sent_at`), one reason
 * field, and one event: every booking that ends as `cancelled`, whatever ended it (its
 * requester, a rotation change, its consultation declined, cancelled or expired), is
 * announced as `booking.cancelled` once its transaction commits. Writes run in the caller's
 * transaction `m`; the caller keeps policy checks and audit.
 */
@Injectable()
export class BookingStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    private readonly events: EventsService,
    private readonly hooks: CommitHooks,
  ) {}

  async get(id: string, m: Db = this.db): Promise<BookingView> {
    const b = await BOOKING_BY_ID.first(m, [id]);
    if (!b)
      throw new DomainError(
        'booking_not_found',
        HttpStatus.NOT_FOUND,
        `booking ${id} does not exist`,
      );
    return b;
  }

  /** The booking an idempotency key made, if any. */
  byKey(bookedBy: string, key: string) {
    return BY_KEY.first(this.db, [bookedBy, key]);
  }

  /** The request's booked appointment, if any. */
  activeOfRequest(requestId: string) {
    return ACTIVE_OF_REQUEST.first(this.db, [requestId]);
  }

  /** Bookings a specialist serves or an organization made, overlapping [from, to), still holding a seat. */
  calendar(specialistId: string, organizationId: string, from: Date, to: Date) {
    return CALENDAR.all(this.db, [specialistId, organizationId, from, to, HOLDING_STATUSES]);
  }

  /** Booked appointments on these occurrences, locked until `m` ends. */
  heldOn(m: EntityManager, occurrenceIds: string[]): Promise<HeldBooking[]> {
    return occurrenceIds.length ? HELD_ON_OCCURRENCES.all(m, [occurrenceIds]) : Promise.resolve([]);
  }

  /**
   * Takes one seat of a slot, or returns null when it is full or cancelled. Concurrent bookers
   * of the same slot queue on its row lock and the losers see it full; the seat number then
   * feeds the exclusion constraint, the guarantee of last resort.
   */
  async claimSeat(m: EntityManager, slotId: string): Promise<ClaimedSeat | null> {
    const slot = await TAKE_SEAT.first(m, [slotId]);
    if (!slot) return null;
    const free = await FREE_SEAT.first(m, [slotId, slot.capacity, HOLDING_STATUSES]);
    return {
      slotId,
      shiftId: slot.shift_id,
      specialistId: slot.specialist_id,
      specialty: slot.specialty,
      start: slot.s,
      end: slot.e,
      capacity: slot.capacity,
      seat: free?.seat ?? slot.capacity + 1,
    };
  }

  /** Writes a booking on a claimed seat; the caller announces it (created, rescheduled or moved). */
  async insert(m: EntityManager, seat: ClaimedSeat, b: NewBooking): Promise<BookingView> {
    const [row] = await INSERT.all(m, [
      seat.slotId,
      seat.shiftId,
      seat.specialistId,
      seat.start,
      seat.end,
      seat.seat,
      seat.capacity,
      b.consultationRequestId,
      b.organizationId,
      seat.specialty,
      b.bookedBy,
      b.idempotencyKey,
      b.rescheduledFrom ?? null,
      b.reason ?? null,
      this.clock.now(),
    ]);
    return this.get(row.id, m);
  }

  /** Cancels a booked appointment (null when it is no longer booked) and announces it. */
  async cancel(m: EntityManager, id: string, why: BookingEnd): Promise<BookingView | null> {
    return (await this.end(m, [id], 'cancelled', why))[0] ?? null;
  }

  /** Cancels whatever is still booked for a consultation request, each announced. */
  async cancelForRequest(
    m: EntityManager,
    requestId: string,
    why: BookingEnd,
  ): Promise<BookingView[]> {
    const held = await ACTIVE_IDS_OF_REQUEST.all(m, [requestId]);
    return this.end(
      m,
      held.map((b) => b.id),
      'cancelled',
      why,
    );
  }

  /** Marks a booked appointment as moved elsewhere (false when it is no longer booked); the caller writes and announces the new one. */
  async markRescheduled(m: EntityManager, id: string, why: BookingEnd): Promise<boolean> {
    return (await this.end(m, [id], 'rescheduled', why)).length > 0;
  }

  /** A booking whose exact time survived a shift change follows it to the identical new slot, quietly. */
  async follow(
    m: EntityManager,
    id: string,
    slot: { id: string; capacity: number },
  ): Promise<void> {
    await FOLLOW.run(m, [id, slot.id, slot.capacity, this.clock.now()]);
    await TAKE_SEAT_OF_FOLLOWER.run(m, [slot.id]);
  }

  /** After the slot started: fulfilled or no-show (false when it is no longer booked). */
  async recordOutcome(
    m: EntityManager,
    id: string,
    outcome: 'fulfilled' | 'no_show',
  ): Promise<boolean> {
    const changed = await RECORD_OUTCOME.run(m, [id, outcome, this.clock.now()]);
    return changed > 0;
  }

  /** Claims the bookings whose reminder is due at `now` (once each; SKIP LOCKED across nodes). */
  async claimDueReminders(now: Date, leadMinutes: number): Promise<BookingView[]> {
    return this.db.transaction(async (m) => {
      const due = await DUE_REMINDERS.all(m, [now, leadMinutes]);
      return due.length ? BOOKINGS_BY_IDS.all(m, [due.map((r) => r.id)]) : [];
    });
  }

  /** Tells the specialist and the requesting organization about `b`, once `m` commits. */
  announce(
    m: EntityManager,
    b: BookingView,
    event: { type: BookingEventType; data: Record<string, unknown> },
  ): void {
    this.hooks.defer(m, () => {
      this.events.toUsers([b.specialistId], event);
      this.events.toOrganizations([b.requestingOrganizationId], event);
    });
  }

  private async end(
    m: EntityManager,
    ids: string[],
    status: 'cancelled' | 'rescheduled',
    why: BookingEnd,
  ): Promise<BookingView[]> {
    if (!ids.length) return [];
    const ended = await END.all(m, [ids, status, why.reason, why.actorId, this.clock.now()]);
    const views: BookingView[] = [];
    for (const row of ended) {
      await releaseSeat(m, row.slot_id);
      const b = await this.get(row.id, m);
      if (status === 'cancelled') {
        this.announce(m, b, {
          type: 'booking.cancelled',
          data: { ...bookingEventData(b), reason: why.reason, by: why.by, ...why.extra },
        });
      }
      views.push(b);
    }
    return views;
  }
}

async function releaseSeat(m: EntityManager, slotId: string): Promise<void> {
  await RELEASE_SEAT.run(m, [slotId]);
}
