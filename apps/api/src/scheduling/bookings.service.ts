import {
  HttpStatus,
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { Page } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { BookingStore, bookingEventData, type BookingEnd, type BookingView } from './booking-store';
import {
  CONSULTATION_REQUESTS,
  type AfterCommit,
  type ConsultationRequestFacts,
  type ConsultationRequestSource,
} from './consultation-links';
import { assertFilterIds } from './known-ids';
import { EXCLUSION_VIOLATION, UNIQUE_VIOLATION, pgCode, pgConstraint } from './pg-errors';
import { instantToLocal } from './recurrence';
import type {
  BookSlotDto,
  CancelBookingDto,
  RangeQuery,
  RescheduleBookingDto,
  SlotQuery,
} from './scheduling.dto';
import { SCHEDULING_CLOCK, type SchedulingClock } from './scheduling-terms';
import { ShiftStore, type SpecialistOccurrence } from './shift-store';
import { SlotStore, type SlotView } from './slot-store';

export type { BookingView } from './booking-store';
export type { SlotView } from './slot-store';

const DAY = 86_400_000;

/**
 * Slots and bookings (FHIR Slot / Appointment): free-slot search, booking for a consultation
 * request (idempotent), rescheduling, cancelling, calendars and reminders. Policy, audit and
 * the consultation's side of each booking are decided here; the rows are BookingStore's.
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
    private readonly bookings: BookingStore,
    private readonly slots: SlotStore,
    private readonly shifts: ShiftStore,
  ) {}

  onModuleInit() {
    const every = this.config.scheduling.reminderSweepSeconds;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.sweepReminders().catch((e) =>
          this.logger.error(`reminder sweep failed: ${(e as Error).message}`),
        );
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
    await assertFilterIds(this.db, {
      specialistId: q.specialistId,
      organizationIds: [q.organizationId, q.specialistOrganizationId],
    });
    const organizationId =
      q.organizationId ?? (hasRole(actor, 'township_doctor') ? actor.organizationId : undefined);
    const { items, total } = await this.slots.search(
      {
        from,
        to,
        specialty: q.specialty,
        specialistId: q.specialistId,
        mode: q.mode,
        organizationId,
        specialistOrganizationId: q.specialistOrganizationId,
      },
      q.limit,
      q.offset,
    );
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /**
   * Books a slot for a consultation request. Idempotent per (booker, key): a retry with the key
   * of an earlier booking returns that booking (`replayed: true`) instead of booking again.
   */
  async book(
    actor: Actor,
    dto: BookSlotDto,
    headerKey?: string,
  ): Promise<{ booking: BookingView; replayed: boolean }> {
    const key = idempotencyKey(headerKey, dto);
    if (key) {
      const replay = await this.replay(actor, key, dto);
      if (replay) return { booking: replay, replayed: true };
    }
    const request = await this.requests.describe(dto.consultationRequestId, actor);
    if (!request) {
      throw new DomainError(
        'consultation_request_not_found',
        HttpStatus.NOT_FOUND,
        `consultation request ${dto.consultationRequestId} does not exist; a slot is booked for a submitted live consultation request of your organization`,
      );
    }
    await this.policy.assert(actor, 'book', {
      type: 'booking',
      organizationId: request.organizationId,
    });
    let id: string;
    let afterCommit: AfterCommit;
    try {
      await this.checkSlot(dto.slotId, request.organizationId, request.specialty);
      ({ id, afterCommit } = await this.db.transaction((m) =>
        this.takeSlot(m, actor, { slotId: dto.slotId, request, key }),
      ));
    } catch (e) {
      // A concurrent retry with the same key may have won the slot (or the request) first.
      const replay = key ? await this.replay(actor, key, dto) : null;
      if (replay) return { booking: replay, replayed: true };
      const settled = await this.translate(e, actor, { key, dto, requestId: request.id });
      if (settled instanceof ReplayedBooking) return { booking: settled.booking, replayed: true };
      throw settled;
    }
    await afterCommit();
    return { booking: await this.bookings.get(id), replayed: false };
  }

  /** In the booking's transaction: a seat, the booking, its audit event, and the request scheduled at the slot. */
  private async takeSlot(
    m: EntityManager,
    actor: Actor,
    b: { slotId: string; request: ConsultationRequestFacts; key: string | null },
  ): Promise<{ id: string; afterCommit: AfterCommit }> {
    const { request } = b;
    const seat = await this.bookings.claimSeat(m, b.slotId);
    if (!seat) throw await this.slotTaken(b.slotId, m);
    const booking = await this.bookings.insert(m, seat, {
      consultationRequestId: request.id,
      organizationId: request.organizationId,
      bookedBy: actor.id,
      idempotencyKey: b.key,
    });
    await this.audit.record(
      {
        action: 'booking.create',
        actor,
        resourceType: 'booking',
        resourceId: booking.id,
        details: {
          slotId: b.slotId,
          consultationRequestId: request.id,
          start: seat.start.toISOString(),
        },
      },
      m,
    );
    // The request takes the slot in the same transaction: scheduled at its start, or nothing is booked.
    const afterCommit = await this.requests.appointmentBooked(m, actor, request.id, {
      bookingId: booking.id,
      slotId: seat.slotId,
      specialistId: seat.specialistId,
      start: seat.start,
    });
    this.bookings.announce(m, booking, {
      type: 'booking.created',
      data: bookingEventData(booking),
    });
    return { id: booking.id, afterCommit };
  }

  /** Moves a booking to another slot in one transaction: the old seat is freed only if the new one is taken. */
  async reschedule(actor: Actor, id: string, dto: RescheduleBookingDto): Promise<BookingView> {
    const old = await this.bookings.get(id);
    await this.policy.assert(actor, 'update', {
      type: 'booking',
      id,
      organizationId: old.requestingOrganizationId,
    });
    if (old.status !== 'booked')
      throw notActive(`this booking is ${old.status}; only a booked appointment can be moved`);
    if (dto.slotId === old.slotId)
      throw new DomainError(
        'same_slot',
        HttpStatus.BAD_REQUEST,
        'the booking is already in this slot',
      );
    await this.checkSlot(dto.slotId, old.requestingOrganizationId, null);
    let newId: string;
    let afterCommit: AfterCommit;
    try {
      ({ newId, afterCommit } = await this.db.transaction(async (m) => {
        const moved = await this.bookings.markRescheduled(m, id, byRequester(actor, dto.reason));
        if (!moved) throw notActive('this booking changed meanwhile; reload it');
        const seat = await this.bookings.claimSeat(m, dto.slotId);
        if (!seat) throw await this.slotTaken(dto.slotId, m);
        const b = await this.bookings.insert(m, seat, {
          consultationRequestId: old.consultationRequestId,
          organizationId: old.requestingOrganizationId,
          bookedBy: actor.id,
          idempotencyKey: null,
          rescheduledFrom: id,
          reason: dto.reason,
        });
        await this.audit.record(
          {
            action: 'booking.reschedule',
            actor,
            resourceType: 'booking',
            resourceId: id,
            details: {
              newBookingId: b.id,
              from: old.start.toISOString(),
              to: seat.start.toISOString(),
              reasonDigest: this.terms.digest(dto.reason),
            },
          },
          m,
        );
        // The consultation's time moves with it (only to a slot of its assigned specialist).
        const after = await this.requests.appointmentBooked(m, actor, old.consultationRequestId, {
          bookingId: b.id,
          slotId: seat.slotId,
          specialistId: seat.specialistId,
          start: seat.start,
        });
        this.bookings.announce(m, b, {
          type: 'booking.rescheduled',
          data: {
            ...bookingEventData(b),
            previousBookingId: id,
            previousStart: old.start.toISOString(),
            reason: dto.reason,
          },
        });
        return { newId: b.id, afterCommit: after };
      }));
    } catch (e) {
      throw await this.translate(e, actor, {
        key: null,
        dto: null,
        requestId: old.consultationRequestId,
      });
    }
    await afterCommit();
    return this.bookings.get(newId);
  }

  async cancel(actor: Actor, id: string, dto: CancelBookingDto): Promise<BookingView> {
    const b = await this.bookings.get(id);
    await this.policy.assert(actor, 'delete', {
      type: 'booking',
      id,
      organizationId: b.requestingOrganizationId,
    });
    const afterCommit = await this.db.transaction(async (m) => {
      const cancelled = await this.bookings.cancel(m, id, byRequester(actor, dto.reason));
      if (!cancelled)
        throw notActive(`this booking is ${b.status}; only a booked appointment can be cancelled`);
      await this.audit.record(
        {
          action: 'booking.cancel',
          actor,
          resourceType: 'booking',
          resourceId: id,
          details: { reasonDigest: this.terms.digest(dto.reason) },
        },
        m,
      );
      // The consultation it scheduled goes back to claimed (same specialist, no time).
      return this.requests.appointmentCancelled(
        m,
        actor,
        b.consultationRequestId,
        { bookingId: id, slotId: b.slotId, specialistId: b.specialistId, start: b.start },
        dto.reason,
      );
    });
    await afterCommit();
    return this.bookings.get(id);
  }

  /** After the slot started: the specialist (or the requesting organization) records whether the patient came. */
  async recordOutcome(
    actor: Actor,
    id: string,
    outcome: 'fulfilled' | 'no_show',
  ): Promise<BookingView> {
    const b = await this.bookings.get(id);
    const requester = await this.policy.decide(actor, 'update', {
      type: 'booking',
      id,
      organizationId: b.requestingOrganizationId,
    });
    if (actor.id !== b.specialistId && !requester.allowed) {
      await this.policy.assert(actor, 'update', {
        type: 'booking',
        id,
        organizationId: b.requestingOrganizationId,
        participantIds: [b.specialistId],
      });
    }
    if (b.start > this.clock.now())
      throw new DomainError(
        'booking_not_started',
        HttpStatus.CONFLICT,
        'the outcome is recorded once the slot has started',
      );
    await this.db.transaction(async (m) => {
      if (!(await this.bookings.recordOutcome(m, id, outcome)))
        throw notActive(`this booking is ${b.status}`);
      await this.audit.record(
        { action: `booking.${outcome}`, actor, resourceType: 'booking', resourceId: id },
        m,
      );
    });
    return this.bookings.get(id);
  }

  async get(actor: Actor, id: string): Promise<BookingView> {
    const b = await this.bookings.get(id);
    await this.policy.assert(actor, 'read', {
      type: 'booking',
      id,
      organizationId: b.requestingOrganizationId,
      participantIds: [b.specialistId, b.bookedBy],
    });
    return b;
  }

  /**
   * The actor's calendar: a specialist sees their shift occurrences and the bookings in them;
   * everybody sees the bookings made by their organization.
   */
  async calendar(
    actor: Actor,
    q: RangeQuery,
  ): Promise<{
    from: Date;
    to: Date;
    timeZone: string;
    shifts: SpecialistOccurrence[];
    bookings: BookingView[];
  }> {
    const { from, to } = this.range(q, 28, 366);
    const shifts = hasRole(actor, 'specialist')
      ? await this.shifts.occurrencesOfSpecialist(actor.id, from, to)
      : [];
    const bookings = await this.bookings.calendar(actor.id, actor.organizationId, from, to);
    return { from, to, timeZone: this.config.scheduling.defaultTimeZone, shifts, bookings };
  }

  /**
   * Sends the reminder for every booking starting within the lead time (once per booking).
   * Safe on several nodes at once: rows are claimed with SKIP LOCKED.
   */
  async sweepReminders(now: Date = this.clock.now()): Promise<number> {
    const due = await this.bookings.claimDueReminders(
      now,
      this.config.scheduling.reminderLeadMinutes,
    );
    for (const b of due) {
      const data = {
        bookingId: b.id,
        consultationRequestId: b.consultationRequestId,
        start: b.start.toISOString(),
        localStart: b.localStart,
        timeZone: b.timeZone,
        mode: b.mode,
        minutesBefore: Math.round((b.start.getTime() - now.getTime()) / 60_000),
      };
      this.events.toUsers([b.bookedBy, b.specialistId], { type: 'booking.reminder', data });
    }
    return due.length;
  }

  private async checkSlot(
    slotId: string,
    organizationId: string,
    specialty: string | null,
  ): Promise<void> {
    const slot = await this.slots.facts(slotId);
    if (!slot)
      throw new DomainError(
        'slot_not_found',
        HttpStatus.NOT_FOUND,
        `slot ${slotId} does not exist`,
      );
    if (slot.status !== 'open')
      throw new DomainError(
        'slot_cancelled',
        HttpStatus.CONFLICT,
        'this slot was withdrawn with its shift; search again',
      );
    if (slot.startAt <= this.clock.now())
      throw new DomainError('slot_started', HttpStatus.CONFLICT, 'this slot has already started');
    if (!slot.hostOrganizationIds.includes(organizationId)) {
      throw new DomainError(
        'slot_not_offered',
        HttpStatus.FORBIDDEN,
        'this slot is not offered to the requesting organization (it is not a host of the shift)',
      );
    }
    if (specialty && slot.specialty && specialty !== slot.specialty) {
      throw new DomainError(
        'specialty_mismatch',
        HttpStatus.CONFLICT,
        `the request asks for ${specialty}; this slot is ${slot.specialty}`,
      );
    }
    // Already full: answer at once instead of queueing on the slot's row lock (the transaction still decides races).
    if (slot.full) throw await this.slotTaken(slotId, this.db.manager);
  }

  private async slotTaken(slotId: string, m: EntityManager): Promise<DomainError> {
    const s = await this.slots.describe(m, slotId);
    if (s?.status === 'cancelled')
      return new DomainError(
        'slot_cancelled',
        HttpStatus.CONFLICT,
        'this slot was withdrawn with its shift; search again',
      );
    return new DomainError(
      'slot_taken',
      HttpStatus.CONFLICT,
      `the slot at ${s ? instantToLocal(s.start, s.timeZone) : ''} (${s?.timeZone ?? ''}) with ${s?.specialistName ?? 'the specialist'} is already booked; search again for a free slot`,
      { slotId },
    );
  }

  /** The booking an earlier request with this key made, as it is now (rescheduled or cancelled since, it says so). */
  private async replay(actor: Actor, key: string, dto: BookSlotDto): Promise<BookingView | null> {
    const made = await this.bookings.byKey(actor.id, key);
    if (!made) return null;
    if (made.consultationRequestId !== dto.consultationRequestId || made.slotId !== dto.slotId) {
      throw new DomainError(
        'idempotency_key_reused',
        HttpStatus.UNPROCESSABLE_ENTITY,
        'this Idempotency-Key was already used for a different booking',
        { bookingId: made.id },
      );
    }
    return this.bookings.get(made.id);
  }

  /** A failed booking write as the caller should hear it (`at`: what was being booked, with which key). */
  private async translate(
    e: unknown,
    actor: Actor,
    at: { key: string | null; dto: BookSlotDto | null; requestId: string },
  ): Promise<unknown> {
    const { key, dto, requestId } = at;
    if (e instanceof DomainError) return e;
    const code = pgCode(e);
    const constraint = pgConstraint(e) ?? '';
    if (code === UNIQUE_VIOLATION && constraint === 'booking_idempotency_uq' && key && dto) {
      const replay = await this.replay(actor, key, dto);
      if (replay) return new ReplayedBooking(replay);
    }
    if (code === UNIQUE_VIOLATION && constraint === 'booking_one_per_request_uq') {
      const b = await this.bookings.activeOfRequest(requestId);
      return new DomainError(
        'request_already_booked',
        HttpStatus.CONFLICT,
        `consultation request ${requestId} already has a booking${b ? ` at ${b.start.toISOString()}` : ''}; reschedule it instead`,
        { bookingId: b?.id },
      );
    }
    if (code === EXCLUSION_VIOLATION) {
      return new DomainError(
        'double_booking',
        HttpStatus.CONFLICT,
        'the specialist is already booked at that time; search again for a free slot',
      );
    }
    return e;
  }

  private range(
    q: { from?: string; to?: string },
    defaultDays: number,
    maxDays: number,
  ): { from: Date; to: Date } {
    const from = q.from ? new Date(q.from) : this.clock.now();
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + defaultDays * DAY);
    if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || to <= from)
      throw new DomainError('invalid_range', HttpStatus.BAD_REQUEST, 'to should be after from');
    if (to.getTime() - from.getTime() > maxDays * DAY)
      throw new DomainError(
        'range_too_long',
        HttpStatus.BAD_REQUEST,
        `a range covers at most ${maxDays} days`,
      );
    return { from, to };
  }
}

/** The key of an idempotent booking: the Idempotency-Key header or the body's, which must agree. */
function idempotencyKey(headerKey: string | undefined, dto: BookSlotDto): string | null {
  if (headerKey !== undefined && (headerKey.length < 1 || headerKey.length > 200))
    throw new DomainError(
      'invalid_idempotency_key',
      HttpStatus.BAD_REQUEST,
      'Idempotency-Key should be 1 to 200 characters',
    );
  if (headerKey && dto.idempotencyKey && headerKey !== dto.idempotencyKey) {
    throw new DomainError(
      'idempotency_key_mismatch',
      HttpStatus.BAD_REQUEST,
      'the Idempotency-Key header and body idempotencyKey differ',
    );
  }
  return headerKey ?? dto.idempotencyKey ?? null;
}

const byRequester = (actor: Actor, reason: string): BookingEnd => ({
  reason,
  actorId: actor.id,
  by: 'requester',
});
const notActive = (message: string) =>
  new DomainError('booking_not_active', HttpStatus.CONFLICT, message);

/** Thrown through `book` when a concurrent retry with the same key won: the controller answers with that booking. */
export class ReplayedBooking {
  constructor(readonly booking: BookingView) {}
}
