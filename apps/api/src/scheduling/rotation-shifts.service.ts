import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { Page } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { AvailabilityStore } from './availability-store';
import { BookingStore, type ClaimedSeat, type HeldBooking } from './booking-store';
import {
  CONSULTATION_REQUESTS,
  type AfterCommit,
  type ConsultationRequestSource,
} from './consultation-links';
import { activeOrganizationIds, assertFilterIds, practitionerFacts } from './known-ids';
import { EXCLUSION_VIOLATION, pgCode, pgConstraint } from './pg-errors';
import { instantToLocal, type ShiftOccurrenceTime } from './recurrence';
import type { CancelShiftDto, CreateShiftDto, ShiftQuery, UpdateShiftDto } from './scheduling.dto';
import {
  SCHEDULING_CLOCK,
  SHIFT_MODE_ZH,
  type BookingDisposition,
  type SchedulingClock,
} from './scheduling-terms';
import { expandSpec, fitsWindow, specOfDto } from './shift-spec';
import { ShiftStore, type OccurrenceView, type ShiftSpec, type StoredShift } from './shift-store';
import { SlotStore } from './slot-store';
import type { Db } from '@huizhen/database';

export type { OccurrenceView, ShiftSpec } from './shift-store';

export interface ShiftView extends ShiftSpec {
  id: string;
  specialistName: string;
  specialty: string | null;
  durationMinutes: number;
  status: StoredShift['status'];
  version: number;
  planId: string | null;
  occurrences: OccurrenceView[];
}

/** A booking a shift change touches, as the coordinator sees it before deciding. */
export interface AffectedBooking {
  bookingId: string;
  consultationRequestId: string;
  requestingOrganizationId: string;
  bookedBy: string;
  start: Date;
  localStart: string;
}

export interface ShiftChangeOutcome {
  shift: ShiftView;
  bookings: {
    moved: (AffectedBooking & { newBookingId: string; newStart: Date })[];
    cancelled: AffectedBooking[];
    kept: number;
  };
}

/** A shift about to be written: its spec, the specialist's specialty, its occurrences, the plan it comes from. */
export interface NewShift {
  spec: ShiftSpec;
  specialty: string | null;
  occurrences: ShiftOccurrenceTime[];
  planId: string | null;
}

type BookingsOutcome = ShiftChangeOutcome['bookings'];

/** What a shift change decides about the bookings on the occurrences it removes. */
interface Settlement {
  actor: Actor;
  shift: StoredShift;
  disposition: BookingDisposition | undefined;
  reason: string;
  now: Date;
  /** What the consultations feature sends about the requests it moved, after commit. */
  afterCommit: AfterCommit[];
}

/**
 * Rotation shifts (FHIR Schedule, one per specialist x hosts x mode x time pattern). Each
 * occurrence is stored as a row, and each occurrence's slots too, so that PostgreSQL's
 * exclusion constraints can hold the two promises: no specialist in two shifts at once, no
 * specialist booked twice for the same time. Rows are ShiftStore's and BookingStore's.
 */
@Injectable()
export class RotationShiftsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** A cancellation's reason is free text (it may speak of a person's health): the trail keeps its keyed hash, the shift row the text. */
    private readonly terms: AuditTerms,
    @Inject(CONSULTATION_REQUESTS) private readonly requests: ConsultationRequestSource,
    private readonly shifts: ShiftStore,
    private readonly slots: SlotStore,
    private readonly bookings: BookingStore,
    private readonly availability: AvailabilityStore,
  ) {}

  async create(actor: Actor, dto: CreateShiftDto): Promise<ShiftView> {
    const spec = this.specFromDto(dto);
    const specialist = await this.checkSpec(spec);
    // A coordinator commits a specialist only of a hospital under their hub, to hosts under it.
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      organizationId: specialist.organizationId,
      organizationIds: spec.hostOrganizationIds,
    });
    const occurrences = this.expand(spec);
    await this.checkAvailability(spec.specialistId, occurrences);
    const id = await this.inTransaction(spec.specialistId, occurrences, null, (m) =>
      this.insertShift(m, actor, {
        spec,
        specialty: specialist.specialty,
        occurrences,
        planId: null,
      }),
    );
    return this.get(actor, id);
  }

  /**
   * Writes a shift with its occurrences and slots inside the caller's transaction (the planner
   * accepts a whole plan in one). Overlaps surface as 23P01 from PostgreSQL.
   */
  async insertShift(m: EntityManager, actor: Actor, shift: NewShift): Promise<string> {
    const { spec, specialty, occurrences, planId } = shift;
    const id = await this.shifts.insert(m, { spec, specialty, planId }, actor.id);
    await this.shifts.insertOccurrences(m, id, { spec, specialty }, occurrences);
    await this.audit.record(
      {
        action: 'rotation_shift.create',
        actor,
        resourceType: 'rotation_shift',
        resourceId: id,
        details: {
          specialistId: spec.specialistId,
          hosts: spec.hostOrganizationIds,
          mode: spec.mode,
          occurrences: occurrences.length,
          planId,
        },
      },
      m,
    );
    return id;
  }

  async get(actor: Actor, id: string): Promise<ShiftView> {
    const shift = await this.shifts.get(id);
    await this.policy.assert(actor, 'read', {
      type: 'rotation_shift',
      id,
      organizationIds: shift.spec.hostOrganizationIds,
    });
    return this.view(shift);
  }

  async list(actor: Actor, q: ShiftQuery): Promise<Page<ShiftView>> {
    await this.policy.assert(actor, 'read', { type: 'rotation_shift' });
    await assertFilterIds(this.db, {
      specialistId: q.specialistId,
      organizationIds: [q.organizationId],
    });
    const range =
      q.from || q.to
        ? { from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined }
        : {};
    const { total, shifts } = await this.shifts.list(
      { specialistId: q.specialistId, organizationId: q.organizationId, ...range },
      q.limit,
      q.offset,
    );
    const items: ShiftView[] = [];
    for (const s of shifts) items.push(await this.view(s));
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /**
   * Changes a shift. Occurrences that already started stay as they were; future ones are
   * recomputed. Bookings whose exact time still exists in the new pattern follow it; the others
   * need the coordinator's word (`onBookings`), or the change is refused with the list.
   */
  async update(actor: Actor, id: string, dto: UpdateShiftDto): Promise<ShiftChangeOutcome> {
    const current = await this.shifts.get(id);
    if (current.status === 'cancelled')
      throw new DomainError(
        'shift_cancelled',
        HttpStatus.CONFLICT,
        'this shift is cancelled; create a new one',
      );
    const before = current.spec;
    const { onBookings, reason, ...patch } = dto;
    const spec = this.specFromDto({
      ...before,
      ...patch,
      specialistId: current.spec.specialistId,
    } as CreateShiftDto);
    const specialist = await this.checkSpec(spec);
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      id,
      organizationId: specialist.organizationId,
      organizationIds: [...new Set([...before.hostOrganizationIds, ...spec.hostOrganizationIds])],
    });
    const occurrences = this.expand(spec);
    const now = this.clock.now();
    const future = occurrences.filter((o) => o.start > now);
    await this.checkAvailability(spec.specialistId, future);
    const afterCommit: AfterCommit[] = [];
    const outcome = await this.inTransaction(spec.specialistId, future, id, async (m) => {
      const locked = await this.shifts.get(id, m, true);
      if (locked.version !== current.version)
        throw new DomainError(
          'shift_changed',
          HttpStatus.CONFLICT,
          'the shift changed while you were editing it; reload and try again',
        );
      const sameSlots =
        before.mode === spec.mode &&
        before.slotMinutes === spec.slotMinutes &&
        before.slotCapacity === spec.slotCapacity &&
        sameSet(before.hostOrganizationIds, spec.hostOrganizationIds);
      await this.shifts.update(m, id, spec);
      const result = await this.reconcile(
        m,
        { spec, next: future, sameSlots },
        {
          actor,
          shift: locked,
          disposition: onBookings,
          reason: reason ?? 'the rotation shift changed',
          now,
          afterCommit,
        },
      );
      await this.audit.record(
        {
          action: 'rotation_shift.update',
          actor,
          resourceType: 'rotation_shift',
          resourceId: id,
          details: {
            changed: Object.keys(patch),
            onBookings: onBookings ?? null,
            moved: result.moved.length,
            cancelled: result.cancelled.length,
          },
        },
        m,
      );
      return result;
    });
    for (const after of afterCommit) await after();
    return { shift: await this.get(actor, id), bookings: outcome };
  }

  /** Cancels every future occurrence; bookings on them move or are cancelled, as the coordinator says. */
  async cancel(actor: Actor, id: string, dto: CancelShiftDto): Promise<ShiftChangeOutcome> {
    const current = await this.shifts.get(id);
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      id,
      organizationIds: current.spec.hostOrganizationIds,
    });
    if (current.status === 'cancelled')
      throw new DomainError(
        'shift_cancelled',
        HttpStatus.CONFLICT,
        'this shift is already cancelled',
      );
    const now = this.clock.now();
    const afterCommit: AfterCommit[] = [];
    const outcome = await this.inTransaction(current.spec.specialistId, [], id, async (m) => {
      const locked = await this.shifts.get(id, m, true);
      await this.shifts.markCancelled(m, id, dto.reason);
      const result = await this.reconcile(
        m,
        { spec: null, next: [], sameSlots: false },
        { actor, shift: locked, disposition: dto.onBookings, reason: dto.reason, now, afterCommit },
      );
      await this.audit.record(
        {
          action: 'rotation_shift.cancel',
          actor,
          resourceType: 'rotation_shift',
          resourceId: id,
          details: {
            reasonDigest: this.terms.digest(dto.reason),
            onBookings: dto.onBookings ?? null,
            moved: result.moved.length,
            cancelled: result.cancelled.length,
          },
        },
        m,
      );
      return result;
    });
    for (const after of afterCommit) await after();
    return { shift: await this.get(actor, id), bookings: outcome };
  }

  /** Expands a spec, mapping rule problems to 400. */
  expand(spec: ShiftSpec): ShiftOccurrenceTime[] {
    return expandSpec(spec, this.config.scheduling.maxOccurrencesPerShift);
  }

  /** A coordinator's shift as a spec (default zone, de-duplicated hosts, a bare RRULE), checked. */
  specFromDto(dto: CreateShiftDto): ShiftSpec {
    return specOfDto(dto, this.config.scheduling.defaultTimeZone);
  }

  /** The specialist is an active specialist; hosts exist; an on-site visit stays within the specialist's consortia. */
  async checkSpec(
    spec: ShiftSpec,
    m: Db = this.db,
  ): Promise<{ specialty: string | null; displayName: string; organizationId: string }> {
    const p = await practitionerFacts(m, spec.specialistId);
    if (!p)
      throw new DomainError(
        'specialist_not_found',
        HttpStatus.NOT_FOUND,
        `practitioner ${spec.specialistId} does not exist`,
      );
    if (!p.active || !p.roles.includes('specialist'))
      throw new DomainError(
        'not_a_specialist',
        HttpStatus.BAD_REQUEST,
        `${p.display_name} is not an active specialist`,
      );
    const hosts = await activeOrganizationIds(m, spec.hostOrganizationIds);
    const missing = spec.hostOrganizationIds.filter((h) => !hosts.includes(h));
    if (missing.length)
      throw new DomainError(
        'host_not_found',
        HttpStatus.BAD_REQUEST,
        `host organization(s) ${missing.join(', ')} do not exist`,
      );
    if (spec.mode === 'on_site_visit') {
      const peers = await this.policy.consortiumPeers(p.organization_id);
      const far = spec.hostOrganizationIds.filter((h) => !peers.includes(h));
      if (far.length) {
        throw new DomainError(
          'outside_consortium',
          HttpStatus.BAD_REQUEST,
          `on-site visits stay within the specialist’s consortia: ${far.join(', ')} shares no consortium with ${p.display_name}’s hospital`,
        );
      }
    }
    return {
      specialty: p.specialty,
      displayName: p.display_name,
      organizationId: p.organization_id,
    };
  }

  /** Leave and other commitments are not shifts, so no constraint covers them: checked here. */
  async checkAvailability(
    specialistId: string,
    occ: ShiftOccurrenceTime[],
    m: Db = this.db,
  ): Promise<void> {
    if (!occ.length) return;
    const away = await this.availability.unavailableDuring(specialistId, occ, m);
    if (away.length) {
      const a = away[0];
      throw new DomainError(
        'specialist_unavailable',
        HttpStatus.CONFLICT,
        `the specialist is on ${a.kind} from ${instantToLocal(a.start, a.timeZone)} to ${instantToLocal(a.end, a.timeZone)} (${a.timeZone})${a.reason ? `: ${a.reason}` : ''}`,
        { unavailable: away.map((x) => ({ kind: x.kind, start: x.start, end: x.end })) },
      );
    }
    const hours = await this.availability.windows(specialistId, m);
    if (!hours.length) return; // no working hours recorded: any time may be rostered
    const outside = occ.filter((o) => !hours.some((h) => fitsWindow(o, h)));
    if (outside.length) {
      const tz = hours[0].timeZone;
      throw new DomainError(
        'outside_working_hours',
        HttpStatus.CONFLICT,
        `${outside.length} occurrence(s) fall outside the specialist’s working hours (${tz}), first at ${instantToLocal(outside[0].start, tz)}`,
        { outside: outside.slice(0, 20).map((o) => ({ start: o.start, end: o.end })) },
      );
    }
  }

  /**
   * Runs a write that inserts occurrences for a specialist; a 23P01 from the overlap constraint
   * becomes a 409 naming the shift(s) already in that time.
   */
  async inTransaction<T>(
    specialistId: string,
    occ: ShiftOccurrenceTime[],
    selfId: string | null,
    work: (m: EntityManager) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (e) {
      if (pgCode(e) === EXCLUSION_VIOLATION && pgConstraint(e) === 'shift_occurrence_no_overlap')
        throw await this.overlapError(specialistId, occ, selfId);
      if (pgCode(e) === EXCLUSION_VIOLATION)
        throw new DomainError(
          'double_booking',
          HttpStatus.CONFLICT,
          'moving the bookings would book the specialist twice at one time; choose cancel_with_notice or another time',
        );
      throw e;
    }
  }

  async overlapError(
    specialistId: string,
    occ: ShiftOccurrenceTime[],
    selfId: string | null,
  ): Promise<DomainError> {
    const rows = await this.shifts.overlapping(specialistId, occ, selfId);
    if (!rows.length)
      return new DomainError(
        'shift_overlap',
        HttpStatus.CONFLICT,
        'the specialist is already rostered at that time (a shift was just added); reload and try again',
      );
    const c = rows[0];
    const mine = occ.find((o) => o.blockedStart < c.end && o.blockedEnd > c.start);
    return new DomainError(
      'shift_overlap',
      HttpStatus.CONFLICT,
      `${c.specialistName} is already rostered ${instantToLocal(c.start, c.timeZone).replace('T', ' ')}–${instantToLocal(c.end, c.timeZone).slice(11)} (${c.timeZone}) in shift ${c.shiftId} ` +
        `(${SHIFT_MODE_ZH[c.mode]} ${c.mode} at ${c.hosts.join('、')})${mine ? `, overlapping this shift’s occurrence at ${mine.localStart}` : ''}: a specialist cannot be in two shifts at once`,
      {
        conflicts: rows.map((r) => ({
          shiftId: r.shiftId,
          occurrenceId: r.id,
          start: r.start,
          end: r.end,
          mode: r.mode,
          hosts: r.hosts,
        })),
      },
    );
  }

  /**
   * Replaces a shift's future occurrences with `next` (none when cancelling) and settles the
   * bookings on the ones that go away: those whose exact time survives follow it, the rest
   * move or are cancelled as the coordinator decided (refused when nobody decided).
   */
  private async reconcile(
    m: EntityManager,
    change: { spec: ShiftSpec | null; next: ShiftOccurrenceTime[]; sameSlots: boolean },
    s: Settlement,
  ): Promise<BookingsOutcome> {
    const { drop, toInsert } = await this.occurrenceChanges(m, s.shift, change, s.now);
    const held = await this.bookings.heldOn(m, drop);
    await this.shifts.cancelOccurrences(m, drop);
    if (change.spec)
      await this.shifts.insertOccurrences(
        m,
        s.shift.id,
        { spec: change.spec, specialty: s.shift.specialty },
        toInsert,
      );
    const { kept, affected } = await this.followIdentical(
      m,
      s.shift.id,
      change.spec !== null,
      held,
    );
    if (affected.length && !s.disposition) {
      throw new DomainError(
        'bookings_affected',
        HttpStatus.CONFLICT,
        `${affected.length} booking(s) sit on occurrences this change removes; say what happens to them: onBookings "move" (to the nearest free slot of this specialist) or "cancel_with_notice"`,
        { bookings: affected.map((b) => affectedBooking(b, s.shift.spec.timeZone)) },
      );
    }
    const outcome: BookingsOutcome = { moved: [], cancelled: [], kept };
    for (const b of affected) await this.settle(m, b, s, outcome);
    return outcome;
  }

  /** Which future occurrences go (all, unless the slots stay the same and the time is identical) and which are new. */
  private async occurrenceChanges(
    m: EntityManager,
    shift: StoredShift,
    change: { next: ShiftOccurrenceTime[]; sameSlots: boolean },
    now: Date,
  ) {
    const { next, sameSlots } = change;
    const old = await this.shifts.futureOccurrences(m, shift.id, now);
    const key = (s: Date, e: Date, bs: Date, be: Date) =>
      [s, e, bs, be].map((d) => d.getTime()).join('|');
    const oldByKey = new Map(
      old.map((o) => [key(o.start, o.end, o.blockedStart, o.blockedEnd), o.id]),
    );
    const keep = new Set<string>();
    const toInsert = next.filter((o) => {
      const id = sameSlots
        ? oldByKey.get(key(o.start, o.end, o.blockedStart, o.blockedEnd))
        : undefined;
      if (id) keep.add(id);
      return !id;
    });
    return { drop: old.filter((o) => !keep.has(o.id)).map((o) => o.id), toInsert };
  }

  /** A booking whose exact time (and seat) still exists in the new pattern follows it quietly. */
  private async followIdentical(
    m: EntityManager,
    shiftId: string,
    shiftGoesOn: boolean,
    held: HeldBooking[],
  ) {
    const affected: HeldBooking[] = [];
    let kept = 0;
    for (const b of held) {
      const slot = shiftGoesOn ? await this.slots.identicalOpen(m, shiftId, b) : undefined;
      if (slot && b.seat <= slot.capacity) {
        await this.bookings.follow(m, b.id, slot);
        kept++;
      } else affected.push(b);
    }
    return { kept, affected };
  }

  /** Moves one booking to the nearest free slot of the specialist, or cancels it with notice. */
  private async settle(
    m: EntityManager,
    b: HeldBooking,
    s: Settlement,
    outcome: BookingsOutcome,
  ): Promise<void> {
    const target =
      s.disposition === 'move'
        ? await this.slots.nearestFree(m, {
            specialistId: s.shift.spec.specialistId,
            after: s.now,
            mode: b.mode,
            organizationId: b.requestingOrganizationId,
            shiftId: s.shift.id,
            near: b.start,
          })
        : undefined;
    const seat = target ? await this.bookings.claimSeat(m, target) : null;
    if (seat) outcome.moved.push(await this.moveBooking(m, b, seat, s));
    else outcome.cancelled.push(await this.cancelWithNotice(m, b, s));
  }

  /** The booking ends as `rescheduled`, a new one takes the seat, and its consultation follows it. */
  private async moveBooking(m: EntityManager, b: HeldBooking, seat: ClaimedSeat, s: Settlement) {
    const { actor, shift, reason } = s;
    await this.bookings.markRescheduled(m, b.id, {
      reason,
      actorId: actor.id,
      by: 'rotation_change',
    });
    const next = await this.bookings.insert(m, seat, {
      consultationRequestId: b.consultationRequestId,
      organizationId: b.requestingOrganizationId,
      bookedBy: b.bookedBy,
      idempotencyKey: null,
      rescheduledFrom: b.id,
      reason,
    });
    // The consultation scheduled by the old booking follows it to the new time.
    const slot = {
      bookingId: next.id,
      slotId: seat.slotId,
      specialistId: seat.specialistId,
      start: seat.start,
    };
    s.afterCommit.push(
      await this.requests.appointmentBooked(m, actor, b.consultationRequestId, slot, {
        follow: true,
      }),
    );
    this.bookings.announce(m, next, {
      type: 'booking.moved',
      data: {
        bookingId: b.id,
        newBookingId: next.id,
        consultationRequestId: b.consultationRequestId,
        shiftId: shift.id,
        previousStart: b.start.toISOString(),
        newStart: seat.start.toISOString(),
        reason,
      },
    });
    return {
      ...affectedBooking(b, shift.spec.timeZone),
      newBookingId: next.id,
      newStart: seat.start,
    };
  }

  /** No free slot (or the coordinator said so): the booking is cancelled, announced, and its consultation waits for a time again. */
  private async cancelWithNotice(m: EntityManager, b: HeldBooking, s: Settlement) {
    const { actor, shift, reason } = s;
    await this.bookings.cancel(m, b.id, {
      reason,
      actorId: actor.id,
      by: 'rotation_change',
      extra: { shiftId: shift.id },
    });
    const slot = {
      bookingId: b.id,
      slotId: b.slotId,
      specialistId: shift.spec.specialistId,
      start: b.start,
    };
    s.afterCommit.push(
      await this.requests.appointmentCancelled(m, actor, b.consultationRequestId, slot, reason),
    );
    return affectedBooking(b, shift.spec.timeZone);
  }

  private async view(shift: StoredShift): Promise<ShiftView> {
    const { specialistName, specialty, durationMinutes, status, version, planId, id } = shift;
    return {
      id,
      ...shift.spec,
      specialistName,
      specialty,
      durationMinutes,
      status,
      version,
      planId,
      occurrences: await this.shifts.occurrences({ id, timeZone: shift.spec.timeZone }),
    };
  }
}

function affectedBooking(b: HeldBooking, timeZone: string): AffectedBooking {
  return {
    bookingId: b.id,
    consultationRequestId: b.consultationRequestId,
    requestingOrganizationId: b.requestingOrganizationId,
    bookedBy: b.bookedBy,
    start: b.start,
    localStart: instantToLocal(b.start, timeZone),
  };
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
