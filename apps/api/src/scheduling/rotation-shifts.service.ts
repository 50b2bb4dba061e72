import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { Page } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService, type PlatformEvent } from '../events/events.service';
import { EXCLUSION_VIOLATION, HOLDING_STATUSES, claimSeat, insertBooking, pgCode, pgConstraint, rangeText } from './booking-store';
import { CONSULTATION_REQUESTS, type AfterCommit, type ConsultationRequestSource } from './consultation-links';
import { assertFilterIds } from './known-ids';
import { RecurrenceError, expandShift, instantToLocal, isValidTimeZone, type ShiftOccurrenceTime } from './recurrence';
import type { CancelShiftDto, CreateShiftDto, ShiftQuery, UpdateShiftDto } from './scheduling.dto';
import { SCHEDULING_CLOCK, SHIFT_MODE_ZH, type BookingDisposition, type SchedulingClock, type ShiftMode } from './scheduling-terms';

/** A shift as stored: the coordinator's statement of when and where a specialist serves. */
export interface ShiftSpec {
  specialistId: string;
  hostOrganizationIds: string[];
  mode: ShiftMode;
  timeZone: string;
  start: string;
  end: string;
  rrule: string | null;
  exdates: string[];
  slotMinutes: number;
  slotCapacity: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  note: string | null;
}

interface ShiftRow {
  id: string;
  specialist_id: string;
  specialty: string | null;
  host_organization_ids: string[];
  mode: ShiftMode;
  time_zone: string;
  /** start_local as `YYYY-MM-DDTHH:mm` (SHIFT_COLUMNS). */
  start_text: string;
  duration_minutes: number;
  rrule: string | null;
  exdates: string[];
  slot_minutes: number;
  slot_capacity: number;
  buffer_before_minutes: number;
  buffer_after_minutes: number;
  status: 'active' | 'cancelled';
  note: string | null;
  plan_id: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export interface OccurrenceView {
  id: string;
  start: Date;
  end: Date;
  localStart: string;
  localEnd: string;
  status: string;
  seats: number;
  booked: number;
}

export interface ShiftView extends ShiftSpec {
  id: string;
  specialistName: string;
  specialty: string | null;
  durationMinutes: number;
  status: string;
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
  bookings: { moved: (AffectedBooking & { newBookingId: string; newStart: Date })[]; cancelled: AffectedBooking[]; kept: number };
}

/** Told after commit: an event, and/or what the consultations feature sends about the requests it moved. */
type Notice = { users?: string[]; organizations?: string[]; event?: PlatformEvent; afterCommit?: AfterCommit };

const SHIFT_COLUMNS = `*, to_char(start_local, 'YYYY-MM-DD"T"HH24:MI') AS start_text`;
const minutesBetweenLocal = (a: string, b: string) => (Date.parse(`${b}:00Z`) - Date.parse(`${a}:00Z`)) / 60_000;
const addLocalMinutes = (a: string, min: number) => new Date(Date.parse(`${a}:00Z`) + min * 60_000).toISOString().slice(0, 16);

/**
 * Rotation shifts (FHIR Schedule, one per specialist x hosts x mode x time pattern). Each
 * occurrence is stored as a row, and each occurrence's slots too, so that PostgreSQL's
 * exclusion constraints can hold the two promises: no specialist in two shifts at once, no
 * specialist booked twice for the same time.
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
    private readonly events: EventsService,
    @Inject(CONSULTATION_REQUESTS) private readonly requests: ConsultationRequestSource,
  ) {}

  async create(actor: Actor, dto: CreateShiftDto): Promise<ShiftView> {
    const spec = this.specFromDto(dto);
    const specialist = await this.checkSpec(spec);
    // A coordinator commits a specialist only of a hospital under their hub, to hosts under it.
    await this.policy.assert(actor, 'manage', { type: 'rotation_shift', organizationId: specialist.organizationId, organizationIds: spec.hostOrganizationIds });
    const occurrences = this.expand(spec);
    await this.checkAvailability(spec.specialistId, occurrences);
    const id = await this.inTransaction(spec.specialistId, occurrences, null, (m) => this.insertShift(m, actor, spec, specialist.specialty, occurrences, null));
    return this.get(actor, id);
  }

  /**
   * Writes a shift with its occurrences and slots inside the caller's transaction (the planner
   * accepts a whole plan in one). Overlaps surface as 23P01 from PostgreSQL.
   */
  async insertShift(m: EntityManager, actor: Actor, spec: ShiftSpec, specialty: string | null, occurrences: ShiftOccurrenceTime[], planId: string | null): Promise<string> {
    const [row]: { id: string }[] = await m.query(
      `INSERT INTO rotation_shift (specialist_id, specialty, host_organization_ids, mode, time_zone, start_local, duration_minutes, rrule, exdates,
                                   slot_minutes, slot_capacity, buffer_before_minutes, buffer_after_minutes, note, plan_id, created_by)
       VALUES ($1, $2, $3::uuid[], $4, $5, $6, $7, $8, $9::text[], $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
      [spec.specialistId, specialty, spec.hostOrganizationIds, spec.mode, spec.timeZone, spec.start, minutesBetweenLocal(spec.start, spec.end), spec.rrule, spec.exdates,
        spec.slotMinutes, spec.slotCapacity, spec.bufferBeforeMinutes, spec.bufferAfterMinutes, spec.note, planId, actor.id],
    );
    await this.insertOccurrences(m, row.id, spec, specialty, occurrences);
    await this.audit.record({ action: 'rotation_shift.create', actor, resourceType: 'rotation_shift', resourceId: row.id, details: { specialistId: spec.specialistId, hosts: spec.hostOrganizationIds, mode: spec.mode, occurrences: occurrences.length, planId } }, m);
    return row.id;
  }

  async get(actor: Actor, id: string, m: EntityManager = this.db.manager): Promise<ShiftView> {
    const shift = await this.load(id, m);
    await this.policy.assert(actor, 'read', { type: 'rotation_shift', id, organizationIds: shift.host_organization_ids });
    return this.view(shift, m);
  }

  async list(actor: Actor, q: ShiftQuery): Promise<Page<ShiftView>> {
    await this.policy.assert(actor, 'read', { type: 'rotation_shift' });
    await assertFilterIds(this.db, { specialistId: q.specialistId, organizationIds: [q.organizationId] });
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.specialistId) where.push(`specialist_id = $${params.push(q.specialistId)}`);
    if (q.organizationId) where.push(`host_organization_ids @> ARRAY[$${params.push(q.organizationId)}]::uuid[]`);
    if (q.from || q.to) {
      const from = q.from ? new Date(q.from) : new Date(0);
      const to = q.to ? new Date(q.to) : new Date('9999-01-01');
      where.push(`EXISTS (SELECT 1 FROM shift_occurrence o WHERE o.shift_id = rotation_shift.id AND o.period && tstzrange($${params.push(from)}, $${params.push(to)}))`);
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ total }] = await this.db.query(`SELECT count(*)::int AS total FROM rotation_shift ${clause}`, params);
    const rows: ShiftRow[] = await this.db.query(`SELECT ${SHIFT_COLUMNS} FROM rotation_shift ${clause} ORDER BY created_at DESC LIMIT ${q.limit} OFFSET ${q.offset}`, params);
    const items: ShiftView[] = [];
    for (const r of rows) items.push(await this.view(r, this.db.manager));
    return { items, total, limit: q.limit, offset: q.offset };
  }

  /**
   * Changes a shift. Occurrences that already started stay as they were; future ones are
   * recomputed. Bookings whose exact time still exists in the new pattern follow it; the others
   * need the coordinator's word (`onBookings`), or the change is refused with the list.
   */
  async update(actor: Actor, id: string, dto: UpdateShiftDto): Promise<ShiftChangeOutcome> {
    const current = await this.load(id);
    if (current.status === 'cancelled') throw new DomainError('shift_cancelled', HttpStatus.CONFLICT, 'this shift is cancelled; create a new one');
    const before = this.specFromRow(current);
    const { onBookings, reason, ...patch } = dto;
    const spec = this.specFromDto({ ...before, ...patch, specialistId: current.specialist_id } as CreateShiftDto);
    const specialist = await this.checkSpec(spec);
    await this.policy.assert(actor, 'manage', { type: 'rotation_shift', id, organizationId: specialist.organizationId, organizationIds: [...new Set([...before.hostOrganizationIds, ...spec.hostOrganizationIds])] });
    const occurrences = this.expand(spec);
    const now = this.clock.now();
    const future = occurrences.filter((o) => o.start > now);
    await this.checkAvailability(spec.specialistId, future);
    const notices: Notice[] = [];
    const outcome = await this.inTransaction(spec.specialistId, future, id, async (m) => {
      const locked = await this.load(id, m, true);
      if (locked.version !== current.version) throw new DomainError('shift_changed', HttpStatus.CONFLICT, 'the shift changed while you were editing it; reload and try again');
      const sameSlots = before.mode === spec.mode && before.slotMinutes === spec.slotMinutes && before.slotCapacity === spec.slotCapacity && sameSet(before.hostOrganizationIds, spec.hostOrganizationIds);
      await m.query(
        `UPDATE rotation_shift SET host_organization_ids = $2::uuid[], mode = $3, time_zone = $4, start_local = $5, duration_minutes = $6, rrule = $7, exdates = $8::text[],
                slot_minutes = $9, slot_capacity = $10, buffer_before_minutes = $11, buffer_after_minutes = $12, note = $13, version = version + 1, updated_at = now()
          WHERE id = $1`,
        [id, spec.hostOrganizationIds, spec.mode, spec.timeZone, spec.start, minutesBetweenLocal(spec.start, spec.end), spec.rrule, spec.exdates,
          spec.slotMinutes, spec.slotCapacity, spec.bufferBeforeMinutes, spec.bufferAfterMinutes, spec.note],
      );
      const result = await this.reconcile(m, actor, locked, spec, future, sameSlots, onBookings, reason ?? 'the rotation shift changed', now, notices);
      await this.audit.record({ action: 'rotation_shift.update', actor, resourceType: 'rotation_shift', resourceId: id, details: { changed: Object.keys(patch), onBookings: onBookings ?? null, moved: result.moved.length, cancelled: result.cancelled.length } }, m);
      return result;
    });
    await this.notify(notices);
    return { shift: await this.get(actor, id), bookings: outcome };
  }

  /** Cancels every future occurrence; bookings on them move or are cancelled, as the coordinator says. */
  async cancel(actor: Actor, id: string, dto: CancelShiftDto): Promise<ShiftChangeOutcome> {
    const current = await this.load(id);
    await this.policy.assert(actor, 'manage', { type: 'rotation_shift', id, organizationIds: current.host_organization_ids });
    if (current.status === 'cancelled') throw new DomainError('shift_cancelled', HttpStatus.CONFLICT, 'this shift is already cancelled');
    const now = this.clock.now();
    const notices: Notice[] = [];
    const outcome = await this.inTransaction(current.specialist_id, [], id, async (m) => {
      const locked = await this.load(id, m, true);
      await m.query(`UPDATE rotation_shift SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3, version = version + 1, updated_at = now() WHERE id = $1`, [id, now, dto.reason]);
      const result = await this.reconcile(m, actor, locked, null, [], false, dto.onBookings, dto.reason, now, notices);
      await this.audit.record({ action: 'rotation_shift.cancel', actor, resourceType: 'rotation_shift', resourceId: id, details: { reasonDigest: this.terms.digest(dto.reason), onBookings: dto.onBookings ?? null, moved: result.moved.length, cancelled: result.cancelled.length } }, m);
      return result;
    });
    await this.notify(notices);
    return { shift: await this.get(actor, id), bookings: outcome };
  }

  /** Expands a spec, mapping rule problems to 400. */
  expand(spec: ShiftSpec): ShiftOccurrenceTime[] {
    let occ: ShiftOccurrenceTime[];
    try {
      occ = expandShift(
        { timeZone: spec.timeZone, startLocal: spec.start, durationMinutes: minutesBetweenLocal(spec.start, spec.end), rrule: spec.rrule, exdates: spec.exdates, bufferBeforeMinutes: spec.bufferBeforeMinutes, bufferAfterMinutes: spec.bufferAfterMinutes },
        this.config.scheduling.maxOccurrencesPerShift,
      );
    } catch (e) {
      // invalid_rrule names what is wrong with the rule; exdates, times and zones have their own codes.
      if (e instanceof RecurrenceError) throw new DomainError(e.code, HttpStatus.BAD_REQUEST, e.message);
      throw e;
    }
    if (!occ.length) throw new DomainError('no_occurrences', HttpStatus.BAD_REQUEST, 'the shift has no occurrence left after its exceptions');
    for (let i = 1; i < occ.length; i++) {
      if (occ[i].blockedStart < occ[i - 1].blockedEnd) {
        throw new DomainError('shift_self_overlap', HttpStatus.BAD_REQUEST, `occurrences ${occ[i - 1].localStart} and ${occ[i].localStart} of this shift overlap (with buffers)`);
      }
    }
    return occ;
  }

  specFromDto(dto: CreateShiftDto): ShiftSpec {
    const timeZone = dto.timeZone ?? this.config.scheduling.defaultTimeZone;
    if (!isValidTimeZone(timeZone)) throw new DomainError('invalid_time_zone', HttpStatus.BAD_REQUEST, `"${timeZone}" is not an IANA time zone (e.g. Asia/Shanghai)`);
    const duration = minutesBetweenLocal(dto.start, dto.end);
    if (!(duration > 0 && duration <= 24 * 60)) throw new DomainError('invalid_shift_times', HttpStatus.BAD_REQUEST, 'end should be after start, at most 24 hours later');
    const slotMinutes = dto.slotMinutes;
    if (slotMinutes > duration) throw new DomainError('invalid_slot_length', HttpStatus.BAD_REQUEST, `a ${slotMinutes}-minute slot does not fit in a ${duration}-minute shift`);
    return {
      specialistId: dto.specialistId,
      hostOrganizationIds: [...new Set(dto.hostOrganizationIds)],
      mode: dto.mode,
      timeZone,
      start: dto.start,
      end: dto.end,
      rrule: dto.rrule ? dto.rrule.trim().replace(/^RRULE:/i, '') : null,
      exdates: dto.exdates ?? [],
      slotMinutes,
      slotCapacity: dto.slotCapacity ?? 1,
      bufferBeforeMinutes: dto.bufferBeforeMinutes ?? 0,
      bufferAfterMinutes: dto.bufferAfterMinutes ?? 0,
      note: dto.note ?? null,
    };
  }

  /** The specialist is an active specialist; hosts exist; an on-site visit stays within the specialist's consortia. */
  async checkSpec(spec: ShiftSpec, m: EntityManager = this.db.manager): Promise<{ specialty: string | null; displayName: string; organizationId: string }> {
    const [p]: { roles: string[]; active: boolean; specialty: string | null; display_name: string; organization_id: string }[] = await m.query(
      'SELECT roles, active, specialty, display_name, organization_id FROM practitioner WHERE id = $1',
      [spec.specialistId],
    );
    if (!p) throw new DomainError('specialist_not_found', HttpStatus.NOT_FOUND, `practitioner ${spec.specialistId} does not exist`);
    if (!p.active || !p.roles.includes('specialist')) throw new DomainError('not_a_specialist', HttpStatus.BAD_REQUEST, `${p.display_name} is not an active specialist`);
    const hosts: { id: string }[] = await m.query('SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND active', [spec.hostOrganizationIds]);
    const missing = spec.hostOrganizationIds.filter((h) => !hosts.some((r) => r.id === h));
    if (missing.length) throw new DomainError('host_not_found', HttpStatus.BAD_REQUEST, `host organization(s) ${missing.join(', ')} do not exist`);
    if (spec.mode === 'on_site_visit') {
      const peers = await this.policy.consortiumPeers(p.organization_id);
      const far = spec.hostOrganizationIds.filter((h) => !peers.includes(h));
      if (far.length) {
        throw new DomainError('outside_consortium', HttpStatus.BAD_REQUEST, `on-site visits stay within the specialist’s consortia: ${far.join(', ')} shares no consortium with ${p.display_name}’s hospital`);
      }
    }
    return { specialty: p.specialty, displayName: p.display_name, organizationId: p.organization_id };
  }

  /** Leave and other commitments are not shifts, so no constraint covers them: checked here. */
  async checkAvailability(specialistId: string, occ: ShiftOccurrenceTime[], m: EntityManager = this.db.manager): Promise<void> {
    if (!occ.length) return;
    const ranges = occ.map((o) => rangeText(o.start, o.end));
    const away: { kind: string; s: Date; e: Date; time_zone: string; reason: string | null }[] = await m.query(
      `SELECT kind, lower(period) AS s, upper(period) AS e, time_zone, reason FROM specialist_unavailability
        WHERE specialist_id = $1 AND period && ANY($2::tstzrange[]) ORDER BY lower(period) LIMIT 5`,
      [specialistId, ranges],
    );
    if (away.length) {
      const a = away[0];
      throw new DomainError(
        'specialist_unavailable',
        HttpStatus.CONFLICT,
        `the specialist is on ${a.kind} from ${instantToLocal(a.s, a.time_zone)} to ${instantToLocal(a.e, a.time_zone)} (${a.time_zone})${a.reason ? `: ${a.reason}` : ''}`,
        { unavailable: away.map((x) => ({ kind: x.kind, start: x.s, end: x.e })) },
      );
    }
    const hours: { weekday: number; start_local: string; end_local: string; time_zone: string }[] = await m.query(
      'SELECT weekday, start_local, end_local, time_zone FROM specialist_working_hours WHERE specialist_id = $1',
      [specialistId],
    );
    if (!hours.length) return; // no working hours recorded: any time may be rostered
    const outside = occ.filter((o) => !hours.some((h) => fitsWindow(o, h)));
    if (outside.length) {
      const tz = hours[0].time_zone;
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
  async inTransaction<T>(specialistId: string, occ: ShiftOccurrenceTime[], selfId: string | null, work: (m: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction(work);
    } catch (e) {
      if (pgCode(e) === EXCLUSION_VIOLATION && pgConstraint(e) === 'shift_occurrence_no_overlap') throw await this.overlapError(specialistId, occ, selfId);
      if (pgCode(e) === EXCLUSION_VIOLATION) throw new DomainError('double_booking', HttpStatus.CONFLICT, 'moving the bookings would book the specialist twice at one time; choose cancel_with_notice or another time');
      throw e;
    }
  }

  async overlapError(specialistId: string, occ: ShiftOccurrenceTime[], selfId: string | null): Promise<DomainError> {
    const rows: { id: string; shift_id: string; s: Date; e: Date; mode: ShiftMode; time_zone: string; hosts: string[]; name: string }[] = await this.db.query(
      `SELECT o.id, o.shift_id, lower(o.period) AS s, upper(o.period) AS e, o.mode, sh.time_zone, p.display_name AS name,
              ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS hosts
         FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id JOIN practitioner p ON p.id = o.specialist_id
        WHERE o.specialist_id = $1 AND o.status = 'scheduled' AND ($3::uuid IS NULL OR o.shift_id <> $3) AND o.blocked && ANY($2::tstzrange[])
        ORDER BY lower(o.period) LIMIT 20`,
      [specialistId, occ.map((o) => rangeText(o.blockedStart, o.blockedEnd)), selfId],
    );
    if (!rows.length) return new DomainError('shift_overlap', HttpStatus.CONFLICT, 'the specialist is already rostered at that time (a shift was just added); reload and try again');
    const c = rows[0];
    const mine = occ.find((o) => o.blockedStart < c.e && o.blockedEnd > c.s);
    return new DomainError(
      'shift_overlap',
      HttpStatus.CONFLICT,
      `${c.name} is already rostered ${instantToLocal(c.s, c.time_zone).replace('T', ' ')}–${instantToLocal(c.e, c.time_zone).slice(11)} (${c.time_zone}) in shift ${c.shift_id} ` +
        `(${SHIFT_MODE_ZH[c.mode]} ${c.mode} at ${c.hosts.join('、')})${mine ? `, overlapping this shift’s occurrence at ${mine.localStart}` : ''}: a specialist cannot be in two shifts at once`,
      { conflicts: rows.map((r) => ({ shiftId: r.shift_id, occurrenceId: r.id, start: r.s, end: r.e, mode: r.mode, hosts: r.hosts })) },
    );
  }

  private async insertOccurrences(m: EntityManager, shiftId: string, spec: ShiftSpec, specialty: string | null, occ: ShiftOccurrenceTime[]): Promise<void> {
    if (!occ.length) return;
    const ids: { id: string }[] = await m.query(
      `INSERT INTO shift_occurrence (shift_id, specialist_id, mode, period, blocked, local_date)
       SELECT $1, $2, $3, tstzrange(s, e, '[)'), tstzrange(bs, be, '[)'), d
         FROM unnest($4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::date[]) AS u(s, e, bs, be, d)
       RETURNING id`,
      [shiftId, spec.specialistId, spec.mode, occ.map((o) => o.start), occ.map((o) => o.end), occ.map((o) => o.blockedStart), occ.map((o) => o.blockedEnd), occ.map((o) => o.localDate)],
    );
    await m.query(
      `INSERT INTO slot (occurrence_id, shift_id, specialist_id, specialty, mode, host_organization_ids, period, start_at, capacity)
       SELECT o.id, o.shift_id, o.specialist_id, $2, o.mode, $3::uuid[], tstzrange(g, g + make_interval(mins => $4), '[)'), g, $5
         FROM shift_occurrence o
        CROSS JOIN LATERAL generate_series(lower(o.period), upper(o.period) - make_interval(mins => $4), make_interval(mins => $4)) AS g
        WHERE o.id = ANY($1::uuid[])`,
      [ids.map((r) => r.id), specialty, spec.hostOrganizationIds, spec.slotMinutes, spec.slotCapacity],
    );
  }

  /**
   * Replaces a shift's future occurrences with `next` (none when cancelling) and settles the
   * bookings on the ones that go away.
   */
  private async reconcile(
    m: EntityManager,
    actor: Actor,
    shift: ShiftRow,
    spec: ShiftSpec | null,
    next: ShiftOccurrenceTime[],
    sameSlots: boolean,
    disposition: BookingDisposition | undefined,
    reason: string,
    now: Date,
    notices: Notice[],
  ): Promise<ShiftChangeOutcome['bookings']> {
    const old: { id: string; s: Date; e: Date; bs: Date; be: Date }[] = await m.query(
      `SELECT id, lower(period) AS s, upper(period) AS e, lower(blocked) AS bs, upper(blocked) AS be
         FROM shift_occurrence WHERE shift_id = $1 AND status = 'scheduled' AND lower(period) > $2`,
      [shift.id, now],
    );
    const key = (s: Date, e: Date, bs: Date, be: Date) => [s, e, bs, be].map((d) => d.getTime()).join('|');
    const oldByKey = new Map(old.map((o) => [key(o.s, o.e, o.bs, o.be), o.id]));
    const keep = new Set<string>();
    const toInsert = next.filter((o) => {
      const id = sameSlots ? oldByKey.get(key(o.start, o.end, o.blockedStart, o.blockedEnd)) : undefined;
      if (id) keep.add(id);
      return !id;
    });
    const drop = old.filter((o) => !keep.has(o.id)).map((o) => o.id);
    const onDropped: { id: string; slot_id: string; consultation_request_id: string; requesting_organization_id: string; booked_by: string; seat: number; s: Date; e: Date; mode: ShiftMode }[] = drop.length
      ? await m.query(
          `SELECT b.id, b.slot_id, b.consultation_request_id, b.requesting_organization_id, b.booked_by, b.seat, lower(b.period) AS s, upper(b.period) AS e, sl.mode
             FROM booking b JOIN slot sl ON sl.id = b.slot_id
            WHERE sl.occurrence_id = ANY($1::uuid[]) AND b.status = 'booked' ORDER BY lower(b.period) FOR UPDATE OF b`,
          [drop],
        )
      : [];
    if (drop.length) {
      await m.query(`UPDATE shift_occurrence SET status = 'cancelled' WHERE id = ANY($1::uuid[])`, [drop]);
      await m.query(`UPDATE slot SET status = 'cancelled' WHERE occurrence_id = ANY($1::uuid[])`, [drop]);
    }
    if (spec) await this.insertOccurrences(m, shift.id, spec, shift.specialty, toInsert);

    // A booking whose exact time (and seat) still exists in the new pattern follows it quietly.
    const affected: typeof onDropped = [];
    let kept = 0;
    for (const b of onDropped) {
      const [slot]: { id: string; capacity: number }[] = spec
        ? await m.query(
            `SELECT id, capacity FROM slot WHERE shift_id = $1 AND status = 'open' AND period = tstzrange($2, $3, '[)') AND $4 = ANY(host_organization_ids) AND booked_count < capacity FOR UPDATE`,
            [shift.id, b.s, b.e, b.requesting_organization_id],
          )
        : [];
      if (slot && b.seat <= slot.capacity) {
        await m.query('UPDATE booking SET slot_id = $2, capacity = $3, updated_at = now() WHERE id = $1', [b.id, slot.id, slot.capacity]);
        await m.query('UPDATE slot SET booked_count = booked_count + 1 WHERE id = $1', [slot.id]);
        kept++;
      } else affected.push(b);
    }
    const tz = shift.time_zone;
    const describe = (b: (typeof onDropped)[number]): AffectedBooking => ({
      bookingId: b.id,
      consultationRequestId: b.consultation_request_id,
      requestingOrganizationId: b.requesting_organization_id,
      bookedBy: b.booked_by,
      start: b.s,
      localStart: instantToLocal(b.s, tz),
    });
    if (affected.length && !disposition) {
      throw new DomainError(
        'bookings_affected',
        HttpStatus.CONFLICT,
        `${affected.length} booking(s) sit on occurrences this change removes; say what happens to them: onBookings "move" (to the nearest free slot of this specialist) or "cancel_with_notice"`,
        { bookings: affected.map(describe) },
      );
    }
    const moved: ShiftChangeOutcome['bookings']['moved'] = [];
    const cancelled: AffectedBooking[] = [];
    for (const b of affected) {
      let target: { id: string } | undefined;
      if (disposition === 'move') {
        [target] = await m.query(
          `SELECT id FROM slot
            WHERE specialist_id = $1 AND status = 'open' AND booked_count < capacity AND start_at > $2 AND mode = $3 AND $4 = ANY(host_organization_ids)
            ORDER BY (shift_id = $5) DESC, abs(extract(epoch FROM start_at - $6::timestamptz)), start_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [shift.specialist_id, now, b.mode, b.requesting_organization_id, shift.id, b.s],
        );
      }
      await m.query(`UPDATE booking SET status = $2, reason = $3, cancelled_by = $4, cancelled_at = $5, updated_at = now() WHERE id = $1`, [b.id, target ? 'rescheduled' : 'cancelled', reason, actor.id, now]);
      const seat = target ? await claimSeat(m, target.id) : null;
      if (seat) {
        const newId = await insertBooking(m, seat, { consultationRequestId: b.consultation_request_id, organizationId: b.requesting_organization_id, bookedBy: b.booked_by, idempotencyKey: null, rescheduledFrom: b.id, reason });
        // The consultation scheduled by the old booking follows it to the new time.
        const afterCommit = await this.requests.appointmentBooked(m, actor, b.consultation_request_id, { bookingId: newId, slotId: seat.slotId, specialistId: seat.specialistId, start: seat.start }, { follow: true });
        notices.push({ afterCommit });
        moved.push({ ...describe(b), newBookingId: newId, newStart: seat.start });
        notices.push({
          organizations: [b.requesting_organization_id],
          users: [shift.specialist_id],
          event: { type: 'booking.moved', data: { bookingId: b.id, newBookingId: newId, consultationRequestId: b.consultation_request_id, shiftId: shift.id, previousStart: b.s.toISOString(), newStart: seat.start.toISOString(), reason } },
        });
      } else {
        if (target) await m.query(`UPDATE booking SET status = 'cancelled' WHERE id = $1`, [b.id]);
        const afterCommit = await this.requests.appointmentCancelled(m, actor, b.consultation_request_id, { bookingId: b.id, slotId: b.slot_id, specialistId: shift.specialist_id, start: b.s }, reason);
        notices.push({ afterCommit });
        cancelled.push(describe(b));
        notices.push({
          organizations: [b.requesting_organization_id],
          users: [shift.specialist_id],
          event: { type: 'booking.cancelled', data: { bookingId: b.id, consultationRequestId: b.consultation_request_id, shiftId: shift.id, start: b.s.toISOString(), reason, by: 'rotation_change' } },
        });
      }
    }
    return { moved, cancelled, kept };
  }

  private async notify(notices: Notice[]) {
    for (const n of notices) {
      if (n.afterCommit) await n.afterCommit();
      if (!n.event) continue;
      if (n.organizations?.length) this.events.toOrganizations(n.organizations, n.event);
      if (n.users?.length) this.events.toUsers(n.users, n.event);
    }
  }

  async load(id: string, m: EntityManager = this.db.manager, forUpdate = false): Promise<ShiftRow> {
    const rows: ShiftRow[] = await m.query(
      `SELECT ${SHIFT_COLUMNS} FROM rotation_shift WHERE id = $1 ${forUpdate ? 'FOR UPDATE' : ''}`,
      [id],
    );
    if (!rows.length) throw new DomainError('shift_not_found', HttpStatus.NOT_FOUND, `rotation shift ${id} does not exist`);
    return rows[0];
  }

  private specFromRow(r: ShiftRow): ShiftSpec {
    return {
      specialistId: r.specialist_id,
      hostOrganizationIds: r.host_organization_ids,
      mode: r.mode,
      timeZone: r.time_zone,
      start: r.start_text,
      end: addLocalMinutes(r.start_text, r.duration_minutes),
      rrule: r.rrule,
      exdates: r.exdates,
      slotMinutes: r.slot_minutes,
      slotCapacity: r.slot_capacity,
      bufferBeforeMinutes: r.buffer_before_minutes,
      bufferAfterMinutes: r.buffer_after_minutes,
      note: r.note,
    };
  }

  private async view(row: ShiftRow, m: EntityManager): Promise<ShiftView> {
    const occ: { id: string; s: Date; e: Date; status: string; seats: string | null; booked: string | null }[] = await m.query(
      `SELECT o.id, lower(o.period) AS s, upper(o.period) AS e, o.status,
              (SELECT sum(capacity) FROM slot WHERE occurrence_id = o.id AND status = 'open') AS seats,
              (SELECT count(*) FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($2)) AS booked
         FROM shift_occurrence o WHERE o.shift_id = $1 ORDER BY lower(o.period), o.status DESC`,
      [row.id, HOLDING_STATUSES],
    );
    const [p]: { display_name: string }[] = await m.query('SELECT display_name FROM practitioner WHERE id = $1', [row.specialist_id]);
    return {
      id: row.id,
      ...this.specFromRow(row),
      specialistName: p?.display_name ?? '',
      specialty: row.specialty,
      durationMinutes: row.duration_minutes,
      status: row.status,
      version: row.version,
      planId: row.plan_id,
      occurrences: occ.map((o) => ({
        id: o.id,
        start: o.s,
        end: o.e,
        localStart: instantToLocal(o.s, row.time_zone),
        localEnd: instantToLocal(o.e, row.time_zone),
        status: o.status,
        seats: Number(o.seats ?? 0),
        booked: Number(o.booked ?? 0),
      })),
    };
  }
}

function sameSet(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/** Does an occurrence lie inside one working-hours window (its weekday, its zone)? */
function fitsWindow(o: ShiftOccurrenceTime, h: { weekday: number; start_local: string; end_local: string; time_zone: string }): boolean {
  const start = instantToLocal(o.start, h.time_zone);
  const end = instantToLocal(o.end, h.time_zone);
  if (start.slice(0, 10) !== end.slice(0, 10) && end.slice(11) !== '00:00') return false;
  const weekday = ((new Date(`${start.slice(0, 10)}T00:00:00Z`).getUTCDay() + 6) % 7) + 1;
  const endClock = end.slice(0, 10) === start.slice(0, 10) ? end.slice(11) : '24:00';
  return weekday === h.weekday && start.slice(11) >= h.start_local.slice(0, 5) && endClock <= h.end_local.slice(0, 5);
}
