import { HttpStatus, Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { Page } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { EXCLUSION_VIOLATION, HOLDING_STATUSES, UNIQUE_VIOLATION, claimSeat, insertBooking, pgCode, pgConstraint, releaseSeat, returning } from './booking-store';
import { CONSULTATION_REQUESTS, type AfterCommit, type ConsultationRequestSource } from './consultation-links';
import { assertFilterIds } from './known-ids';
import { instantToLocal } from './recurrence';
import type { BookSlotDto, CancelBookingDto, RangeQuery, RescheduleBookingDto, SlotQuery } from './scheduling.dto';
import { SCHEDULING_CLOCK, type BookingStatus, type SchedulingClock, type ShiftMode } from './scheduling-terms';

export interface SlotView {
  id: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  specialistOrganizationId: string;
  specialty: string | null;
  mode: ShiftMode;
  hostOrganizationIds: string[];
  start: Date;
  end: Date;
  timeZone: string;
  localStart: string;
  capacity: number;
  remaining: number;
}

export interface BookingView {
  id: string;
  slotId: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  consultationRequestId: string;
  requestingOrganizationId: string;
  requestingOrganizationName: string;
  bookedBy: string;
  mode: ShiftMode;
  start: Date;
  end: Date;
  timeZone: string;
  localStart: string;
  status: BookingStatus;
  reason: string | null;
  rescheduledFrom: string | null;
  createdAt: Date;
}

interface BookingRow {
  id: string;
  slot_id: string;
  shift_id: string;
  specialist_id: string;
  specialist_name: string;
  consultation_request_id: string;
  requesting_organization_id: string;
  requesting_organization_name: string;
  booked_by: string;
  idempotency_key: string | null;
  mode: ShiftMode;
  s: Date;
  e: Date;
  time_zone: string;
  status: BookingStatus;
  reason: string | null;
  rescheduled_from: string | null;
  created_at: Date;
}

const BOOKING_SELECT = `
  SELECT b.id, b.slot_id, b.shift_id, b.specialist_id, p.display_name AS specialist_name, b.consultation_request_id,
         b.requesting_organization_id, o.name AS requesting_organization_name, b.booked_by, b.idempotency_key, sh.mode,
         lower(b.period) AS s, upper(b.period) AS e, sh.time_zone, b.status, b.reason, b.rescheduled_from, b.created_at
    FROM booking b
    JOIN rotation_shift sh ON sh.id = b.shift_id
    JOIN practitioner p ON p.id = b.specialist_id
    JOIN organization o ON o.id = b.requesting_organization_id`;

const DAY = 86_400_000;

/**
 * Slots and bookings (FHIR Slot / Appointment): free-slot search, booking for a consultation
 * request (idempotent), rescheduling, cancelling, calendars and reminders.
 */
@Injectable()
export class BookingsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Bookings');
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    @Inject(CONSULTATION_REQUESTS) private readonly requests: ConsultationRequestSource,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** Reasons are free text about a patient's appointment: the trail keeps their keyed hash; the booking row keeps the text. */
    private readonly terms: AuditTerms,
    private readonly events: EventsService,
  ) {}

  onModuleInit() {
    const every = this.config.scheduling.reminderSweepSeconds;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.sweepReminders().catch((e) => this.logger.error(`reminder sweep failed: ${(e as Error).message}`));
      }, every * 1000);
      this.timer.unref();
    }
  }

  onModuleDestroy() {
    if (this.timer) clearInterval(this.timer);
  }

  /** Free slots, soonest first. Township doctors see the slots offered to their organization unless they name another. */
  async searchSlots(actor: Actor, q: SlotQuery): Promise<Page<SlotView>> {
    const { from, to } = this.range(q, 14, 92);
    await assertFilterIds(this.db, { specialistId: q.specialistId, organizationIds: [q.organizationId, q.specialistOrganizationId] });
    const where = [`sl.status = 'open'`, 'sl.booked_count < sl.capacity', 'sl.start_at >= $1', 'sl.start_at < $2'];
    const params: unknown[] = [from, to];
    const organizationId = q.organizationId ?? (hasRole(actor, 'township_doctor') ? actor.organizationId : undefined);
    if (q.specialty) where.push(`sl.specialty = $${params.push(q.specialty)}`);
    if (q.specialistId) where.push(`sl.specialist_id = $${params.push(q.specialistId)}`);
    if (q.mode) where.push(`sl.mode = $${params.push(q.mode)}`);
    if (organizationId) where.push(`sl.host_organization_ids @> ARRAY[$${params.push(organizationId)}::uuid]`);
    if (q.specialistOrganizationId) where.push(`p.organization_id = $${params.push(q.specialistOrganizationId)}`);
    const clause = where.join(' AND ');
    const rows: any[] = await this.db.query(
      `SELECT sl.id, sl.shift_id, sl.specialist_id, p.display_name, p.organization_id, sl.specialty, sl.mode, sl.host_organization_ids,
              lower(sl.period) AS s, upper(sl.period) AS e, sh.time_zone, sl.capacity, sl.capacity - sl.booked_count AS remaining, count(*) OVER () AS total
         FROM slot sl JOIN practitioner p ON p.id = sl.specialist_id JOIN rotation_shift sh ON sh.id = sl.shift_id
        WHERE ${clause}
        ORDER BY sl.start_at, sl.id LIMIT ${q.limit} OFFSET ${q.offset}`,
      params,
    );
    let total = rows.length ? Number(rows[0].total) : 0;
    if (!rows.length && q.offset > 0) {
      const [c] = await this.db.query(`SELECT count(*)::int AS n FROM slot sl JOIN practitioner p ON p.id = sl.specialist_id WHERE ${clause}`, params);
      total = c.n;
    }
    return {
      items: rows.map((r) => ({
        id: r.id,
        shiftId: r.shift_id,
        specialistId: r.specialist_id,
        specialistName: r.display_name,
        specialistOrganizationId: r.organization_id,
        specialty: r.specialty,
        mode: r.mode,
        hostOrganizationIds: r.host_organization_ids,
        start: r.s,
        end: r.e,
        timeZone: r.time_zone,
        localStart: instantToLocal(r.s, r.time_zone),
        capacity: r.capacity,
        remaining: r.remaining,
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  /**
   * Books a slot for a consultation request. Idempotent per (booker, key): a retry with the key
   * of an earlier booking returns that booking (`replayed: true`) instead of booking again.
   */
  async book(actor: Actor, dto: BookSlotDto, headerKey?: string): Promise<{ booking: BookingView; replayed: boolean }> {
    if (headerKey !== undefined && (headerKey.length < 1 || headerKey.length > 200)) throw new DomainError('invalid_idempotency_key', HttpStatus.BAD_REQUEST, 'Idempotency-Key should be 1 to 200 characters');
    if (headerKey && dto.idempotencyKey && headerKey !== dto.idempotencyKey) {
      throw new DomainError('idempotency_key_mismatch', HttpStatus.BAD_REQUEST, 'the Idempotency-Key header and body idempotencyKey differ');
    }
    const key = headerKey ?? dto.idempotencyKey ?? null;
    if (key) {
      const replay = await this.replay(actor, key, dto);
      if (replay) return { booking: replay, replayed: true };
    }
    const request = await this.requests.describe(dto.consultationRequestId, actor);
    if (!request) {
      throw new DomainError('consultation_request_not_found', HttpStatus.NOT_FOUND, `consultation request ${dto.consultationRequestId} does not exist; a slot is booked for a submitted live consultation request of your organization`);
    }
    await this.policy.assert(actor, 'book', { type: 'booking', organizationId: request.organizationId });
    let id: string;
    let afterCommit: AfterCommit;
    try {
      await this.checkSlot(dto.slotId, request.organizationId, request.specialty);
      ({ id, afterCommit } = await this.db.transaction(async (m) => {
        const seat = await claimSeat(m, dto.slotId);
        if (!seat) throw await this.slotTaken(dto.slotId, m);
        const bookingId = await insertBooking(m, seat, { consultationRequestId: request.id, organizationId: request.organizationId, bookedBy: actor.id, idempotencyKey: key });
        await this.audit.record({ action: 'booking.create', actor, resourceType: 'booking', resourceId: bookingId, details: { slotId: dto.slotId, consultationRequestId: request.id, start: seat.start.toISOString() } }, m);
        // The request takes the slot in the same transaction: scheduled at its start, or nothing is booked.
        const after = await this.requests.appointmentBooked(m, actor, request.id, { bookingId, slotId: seat.slotId, specialistId: seat.specialistId, start: seat.start });
        return { id: bookingId, afterCommit: after };
      }));
    } catch (e) {
      // A concurrent retry with the same key may have won the slot (or the request) first.
      const replay = key ? await this.replay(actor, key, dto) : null;
      if (replay) return { booking: replay, replayed: true };
      const settled = await this.translate(e, actor, key, dto, request.id);
      if (settled instanceof ReplayedBooking) return { booking: settled.booking, replayed: true };
      throw settled;
    }
    await afterCommit();
    const booking = await this.view(id);
    this.announce('booking.created', booking);
    return { booking, replayed: false };
  }

  /** Moves a booking to another slot in one transaction: the old seat is freed only if the new one is taken. */
  async reschedule(actor: Actor, id: string, dto: RescheduleBookingDto): Promise<BookingView> {
    const old = await this.view(id);
    await this.policy.assert(actor, 'update', { type: 'booking', id, organizationId: old.requestingOrganizationId });
    if (old.status !== 'booked') throw new DomainError('booking_not_active', HttpStatus.CONFLICT, `this booking is ${old.status}; only a booked appointment can be moved`);
    if (dto.slotId === old.slotId) throw new DomainError('same_slot', HttpStatus.BAD_REQUEST, 'the booking is already in this slot');
    await this.checkSlot(dto.slotId, old.requestingOrganizationId, null);
    let newId: string;
    let afterCommit: AfterCommit;
    try {
      ({ newId, afterCommit } = await this.db.transaction(async (m) => {
        const changed = await returning(m, `UPDATE booking SET status = 'rescheduled', reason = $2, cancelled_by = $3, cancelled_at = $4, updated_at = now() WHERE id = $1 AND status = 'booked' RETURNING id`, [id, dto.reason, actor.id, this.clock.now()]);
        if (!changed.length) throw new DomainError('booking_not_active', HttpStatus.CONFLICT, 'this booking changed meanwhile; reload it');
        await releaseSeat(m, old.slotId);
        const seat = await claimSeat(m, dto.slotId);
        if (!seat) throw await this.slotTaken(dto.slotId, m);
        const bookingId = await insertBooking(m, seat, { consultationRequestId: old.consultationRequestId, organizationId: old.requestingOrganizationId, bookedBy: actor.id, idempotencyKey: null, rescheduledFrom: id, reason: dto.reason });
        await this.audit.record({ action: 'booking.reschedule', actor, resourceType: 'booking', resourceId: id, details: { newBookingId: bookingId, from: old.start.toISOString(), to: seat.start.toISOString(), reasonDigest: this.terms.digest(dto.reason) } }, m);
        // The consultation's time moves with it (only to a slot of its assigned specialist).
        const after = await this.requests.appointmentBooked(m, actor, old.consultationRequestId, { bookingId, slotId: seat.slotId, specialistId: seat.specialistId, start: seat.start });
        return { newId: bookingId, afterCommit: after };
      }));
    } catch (e) {
      throw await this.translate(e, actor, null, null, old.consultationRequestId);
    }
    await afterCommit();
    const booking = await this.view(newId);
    this.announce('booking.rescheduled', booking, { previousBookingId: id, previousStart: old.start.toISOString(), reason: dto.reason });
    return booking;
  }

  async cancel(actor: Actor, id: string, dto: CancelBookingDto): Promise<BookingView> {
    const b = await this.view(id);
    await this.policy.assert(actor, 'delete', { type: 'booking', id, organizationId: b.requestingOrganizationId });
    const afterCommit = await this.db.transaction(async (m) => {
      const rows = await returning(m, `UPDATE booking SET status = 'cancelled', reason = $2, cancelled_by = $3, cancelled_at = $4, updated_at = now() WHERE id = $1 AND status = 'booked' RETURNING id`, [id, dto.reason, actor.id, this.clock.now()]);
      if (!rows.length) throw new DomainError('booking_not_active', HttpStatus.CONFLICT, `this booking is ${b.status}; only a booked appointment can be cancelled`);
      await releaseSeat(m, b.slotId);
      await this.audit.record({ action: 'booking.cancel', actor, resourceType: 'booking', resourceId: id, details: { reasonDigest: this.terms.digest(dto.reason) } }, m);
      // The consultation it scheduled goes back to claimed (same specialist, no time).
      return this.requests.appointmentCancelled(m, actor, b.consultationRequestId, { bookingId: id, slotId: b.slotId, specialistId: b.specialistId, start: b.start }, dto.reason);
    });
    await afterCommit();
    const booking = await this.view(id);
    this.announce('booking.cancelled', booking, { reason: dto.reason, by: 'requester' });
    return booking;
  }

  /** After the slot started: the specialist (or the requesting organization) records whether the patient came. */
  async recordOutcome(actor: Actor, id: string, outcome: 'fulfilled' | 'no_show'): Promise<BookingView> {
    const b = await this.view(id);
    const requester = await this.policy.decide(actor, 'update', { type: 'booking', id, organizationId: b.requestingOrganizationId });
    if (actor.id !== b.specialistId && !requester.allowed) {
      await this.policy.assert(actor, 'update', { type: 'booking', id, organizationId: b.requestingOrganizationId, participantIds: [b.specialistId] });
    }
    if (b.start > this.clock.now()) throw new DomainError('booking_not_started', HttpStatus.CONFLICT, 'the outcome is recorded once the slot has started');
    await this.db.transaction(async (m) => {
      const rows = await returning(m, `UPDATE booking SET status = $2, updated_at = now() WHERE id = $1 AND status = 'booked' RETURNING id`, [id, outcome]);
      if (!rows.length) throw new DomainError('booking_not_active', HttpStatus.CONFLICT, `this booking is ${b.status}`);
      await this.audit.record({ action: `booking.${outcome}`, actor, resourceType: 'booking', resourceId: id }, m);
    });
    return this.view(id);
  }

  async get(actor: Actor, id: string): Promise<BookingView> {
    const b = await this.view(id);
    await this.policy.assert(actor, 'read', { type: 'booking', id, organizationId: b.requestingOrganizationId, participantIds: [b.specialistId, b.bookedBy] });
    return b;
  }

  /**
   * The actor's calendar: a specialist sees their shift occurrences and the bookings in them;
   * everybody sees the bookings made by their organization.
   */
  async calendar(actor: Actor, q: RangeQuery): Promise<{ from: Date; to: Date; timeZone: string; shifts: any[]; bookings: BookingView[] }> {
    const { from, to } = this.range(q, 28, 366);
    const shifts: any[] = hasRole(actor, 'specialist')
      ? await this.db.query(
          `SELECT o.id AS "occurrenceId", o.shift_id AS "shiftId", o.mode, lower(o.period) AS start, upper(o.period) AS end, sh.time_zone AS "timeZone", sh.host_organization_ids AS "hostOrganizationIds",
                  ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS "hostNames",
                  (SELECT count(*)::int FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($4)) AS booked
             FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id
            WHERE o.specialist_id = $1 AND o.status = 'scheduled' AND o.period && tstzrange($2, $3) ORDER BY lower(o.period)`,
          [actor.id, from, to, HOLDING_STATUSES],
        )
      : [];
    for (const s of shifts) s.localStart = instantToLocal(s.start, s.timeZone);
    const rows: BookingRow[] = await this.db.query(
      `${BOOKING_SELECT} WHERE (b.specialist_id = $1 OR b.requesting_organization_id = $2) AND b.status = ANY($5) AND b.period && tstzrange($3, $4) ORDER BY lower(b.period)`,
      [actor.id, actor.organizationId, from, to, HOLDING_STATUSES],
    );
    return { from, to, timeZone: this.config.scheduling.defaultTimeZone, shifts, bookings: rows.map(toView) };
  }

  /**
   * Sends the reminder for every booking starting within the lead time (once per booking).
   * Safe on several nodes at once: rows are claimed with SKIP LOCKED.
   */
  async sweepReminders(now: Date = this.clock.now()): Promise<number> {
    const lead = this.config.scheduling.reminderLeadMinutes;
    const due: BookingRow[] = await this.db.transaction(async (m) => {
      const ids = await returning<{ id: string }>(
        m,
        `UPDATE booking b SET reminder_sent_at = $1
           FROM (SELECT id FROM booking WHERE status = 'booked' AND reminder_sent_at IS NULL AND lower(period) > $1 AND lower(period) <= $1::timestamptz + make_interval(mins => $2)
                  ORDER BY lower(period) LIMIT 1000 FOR UPDATE SKIP LOCKED) d
          WHERE b.id = d.id RETURNING b.id`,
        [now, lead],
      );
      return ids.length ? m.query(`${BOOKING_SELECT} WHERE b.id = ANY($1::uuid[])`, [ids.map((r) => r.id)]) : [];
    });
    for (const r of due) {
      const b = toView(r);
      const data = { bookingId: b.id, consultationRequestId: b.consultationRequestId, start: b.start.toISOString(), localStart: b.localStart, timeZone: b.timeZone, mode: b.mode, minutesBefore: Math.round((b.start.getTime() - now.getTime()) / 60_000) };
      this.events.toUsers([b.bookedBy, b.specialistId], { type: 'booking.reminder', data });
    }
    return due.length;
  }

  async view(id: string, m: EntityManager = this.db.manager): Promise<BookingView> {
    const rows: BookingRow[] = await m.query(`${BOOKING_SELECT} WHERE b.id = $1`, [id]);
    if (!rows.length) throw new DomainError('booking_not_found', HttpStatus.NOT_FOUND, `booking ${id} does not exist`);
    return toView(rows[0]);
  }

  private announce(type: string, b: BookingView, extra: Record<string, unknown> = {}) {
    const data = { bookingId: b.id, consultationRequestId: b.consultationRequestId, slotId: b.slotId, shiftId: b.shiftId, start: b.start.toISOString(), localStart: b.localStart, timeZone: b.timeZone, status: b.status, ...extra };
    this.events.toUsers([b.specialistId], { type, data });
    this.events.toOrganizations([b.requestingOrganizationId], { type, data });
  }

  private async checkSlot(slotId: string, organizationId: string, specialty: string | null): Promise<void> {
    const [slot]: { status: string; start_at: Date; host_organization_ids: string[]; specialty: string | null; full: boolean }[] = await this.db.query(
      'SELECT status, start_at, host_organization_ids, specialty, booked_count >= capacity AS full FROM slot WHERE id = $1',
      [slotId],
    );
    if (!slot) throw new DomainError('slot_not_found', HttpStatus.NOT_FOUND, `slot ${slotId} does not exist`);
    if (slot.status !== 'open') throw new DomainError('slot_cancelled', HttpStatus.CONFLICT, 'this slot was withdrawn with its shift; search again');
    if (slot.start_at <= this.clock.now()) throw new DomainError('slot_started', HttpStatus.CONFLICT, 'this slot has already started');
    if (!slot.host_organization_ids.includes(organizationId)) {
      throw new DomainError('slot_not_offered', HttpStatus.FORBIDDEN, 'this slot is not offered to the requesting organization (it is not a host of the shift)');
    }
    if (specialty && slot.specialty && specialty !== slot.specialty) {
      throw new DomainError('specialty_mismatch', HttpStatus.CONFLICT, `the request asks for ${specialty}; this slot is ${slot.specialty}`);
    }
    // Already full: answer at once instead of queueing on the slot's row lock (the transaction still decides races).
    if (slot.full) throw await this.slotTaken(slotId, this.db.manager);
  }

  private async slotTaken(slotId: string, m: EntityManager): Promise<DomainError> {
    const [s]: { s: Date; time_zone: string; name: string; status: string }[] = await m.query(
      `SELECT lower(sl.period) AS s, sh.time_zone, p.display_name AS name, sl.status FROM slot sl JOIN rotation_shift sh ON sh.id = sl.shift_id JOIN practitioner p ON p.id = sl.specialist_id WHERE sl.id = $1`,
      [slotId],
    );
    if (s?.status === 'cancelled') return new DomainError('slot_cancelled', HttpStatus.CONFLICT, 'this slot was withdrawn with its shift; search again');
    return new DomainError('slot_taken', HttpStatus.CONFLICT, `the slot at ${s ? instantToLocal(s.s, s.time_zone) : ''} (${s?.time_zone ?? ''}) with ${s?.name ?? 'the specialist'} is already booked; search again for a free slot`, { slotId });
  }

  private async replay(actor: Actor, key: string, dto: BookSlotDto): Promise<BookingView | null> {
    const [row]: { id: string; slot_id: string; consultation_request_id: string; rescheduled: boolean }[] = await this.db.query(
      `SELECT id, slot_id, consultation_request_id FROM booking WHERE booked_by = $1 AND idempotency_key = $2`,
      [actor.id, key],
    );
    if (!row) return null;
    if (row.consultation_request_id !== dto.consultationRequestId || row.slot_id !== dto.slotId) {
      throw new DomainError('idempotency_key_reused', HttpStatus.UNPROCESSABLE_ENTITY, 'this Idempotency-Key was already used for a different booking', { bookingId: row.id });
    }
    return this.view(row.id);
  }

  private async translate(e: unknown, actor: Actor, key: string | null, dto: BookSlotDto | null, requestId: string): Promise<unknown> {
    if (e instanceof DomainError) return e;
    const code = pgCode(e);
    const constraint = pgConstraint(e) ?? '';
    if (code === UNIQUE_VIOLATION && constraint === 'booking_idempotency_uq' && key && dto) {
      const replay = await this.replay(actor, key, dto);
      if (replay) return new ReplayedBooking(replay);
    }
    if (code === UNIQUE_VIOLATION && constraint === 'booking_one_per_request_uq') {
      const [b]: { id: string; s: Date }[] = await this.db.query(`SELECT id, lower(period) AS s FROM booking WHERE consultation_request_id = $1 AND status = 'booked'`, [requestId]);
      return new DomainError('request_already_booked', HttpStatus.CONFLICT, `consultation request ${requestId} already has a booking${b ? ` at ${b.s.toISOString()}` : ''}; reschedule it instead`, { bookingId: b?.id });
    }
    if (code === EXCLUSION_VIOLATION) {
      return new DomainError('double_booking', HttpStatus.CONFLICT, 'the specialist is already booked at that time; search again for a free slot');
    }
    return e;
  }

  private range(q: { from?: string; to?: string }, defaultDays: number, maxDays: number): { from: Date; to: Date } {
    const from = q.from ? new Date(q.from) : this.clock.now();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + defaultDays * DAY);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from) throw new DomainError('invalid_range', HttpStatus.BAD_REQUEST, 'to should be after from');
    if (to.getTime() - from.getTime() > maxDays * DAY) throw new DomainError('range_too_long', HttpStatus.BAD_REQUEST, `a range covers at most ${maxDays} days`);
    return { from, to };
  }
}

/** Thrown through `book` when a concurrent retry with the same key won: the controller answers with that booking. */
export class ReplayedBooking {
  constructor(readonly booking: BookingView) {}
}

function toView(r: BookingRow): BookingView {
  return {
    id: r.id,
    slotId: r.slot_id,
    shiftId: r.shift_id,
    specialistId: r.specialist_id,
    specialistName: r.specialist_name,
    consultationRequestId: r.consultation_request_id,
    requestingOrganizationId: r.requesting_organization_id,
    requestingOrganizationName: r.requesting_organization_name,
    bookedBy: r.booked_by,
    mode: r.mode,
    start: r.s,
    end: r.e,
    timeZone: r.time_zone,
    localStart: instantToLocal(r.s, r.time_zone),
    status: r.status,
    reason: r.reason,
    rescheduledFrom: r.rescheduled_from,
    createdAt: r.created_at,
  };
}
