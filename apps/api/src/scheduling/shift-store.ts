import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/platform-http';
import { HOLDING_STATUSES } from './booking-store';
import { instantToLocal, type ShiftOccurrenceTime } from './recurrence';
import { SCHEDULING_CLOCK, type SchedulingClock, type ShiftMode } from './scheduling-terms';
import { SlotStore } from './slot-store';
import { Params, command, sql, typed, type Db } from '@huizhen/database';
import type { OccurrenceStatus } from '@huizhen/contract';
import { rangeText } from './pg-range';

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

/** A stored shift: its spec (local start and end in its zone) and its bookkeeping. */
export interface StoredShift {
  id: string;
  spec: ShiftSpec;
  specialistName: string;
  specialty: string | null;
  durationMinutes: number;
  status: 'active' | 'cancelled';
  version: number;
  planId: string | null;
}

export interface OccurrenceView {
  id: string;
  start: Date;
  end: Date;
  localStart: string;
  localEnd: string;
  status: OccurrenceStatus;
  seats: number;
  booked: number;
}

/** A scheduled occurrence's times, as a shift change compares them. */
export interface OccurrenceTimes {
  id: string;
  start: Date;
  end: Date;
  blockedStart: Date;
  blockedEnd: Date;
}

/** An occurrence on a specialist's own calendar. */
export interface SpecialistOccurrence {
  occurrenceId: string;
  shiftId: string;
  mode: ShiftMode;
  start: Date;
  end: Date;
  timeZone: string;
  hostOrganizationIds: string[];
  hostNames: string[];
  booked: number;
  localStart: string;
}

/** A scheduled occurrence of another shift in the way of new ones. */
export interface OverlappingOccurrence {
  id: string;
  shiftId: string;
  start: Date;
  end: Date;
  mode: ShiftMode;
  timeZone: string;
  hosts: string[];
  specialistName: string;
}

export const minutesBetweenLocal = (a: string, b: string) =>
  (Date.parse(`${b}:00Z`) - Date.parse(`${a}:00Z`)) / 60_000;
/** A spec's columns from host_organization_ids to note, in table order. */
/** A spec's stored columns, in the order the INSERT and UPDATE take them. */
type SpecValues = [
  hostOrganizationIds: string[],
  mode: ShiftMode,
  timeZone: string,
  startLocal: string,
  durationMinutes: number,
  rrule: string | null,
  exdates: string[],
  slotMinutes: number,
  slotCapacity: number,
  bufferBeforeMinutes: number,
  bufferAfterMinutes: number,
  note: string | null,
];
const specValues = (spec: ShiftSpec): SpecValues => [
  spec.hostOrganizationIds,
  spec.mode,
  spec.timeZone,
  spec.start,
  minutesBetweenLocal(spec.start, spec.end),
  spec.rrule,
  spec.exdates,
  spec.slotMinutes,
  spec.slotCapacity,
  spec.bufferBeforeMinutes,
  spec.bufferAfterMinutes,
  spec.note,
];
const addLocalMinutes = (a: string, min: number) =>
  new Date(Date.parse(`${a}:00Z`) + min * 60_000).toISOString().slice(0, 16);

const SHIFT = sql(
  {
    id: 'uuid',
    specialist_id: 'uuid',
    specialist_name: 'text?',
    specialty: 'text?',
    host_organization_ids: 'uuid[]',
    mode: 'text',
    time_zone: 'text',
    start_text: 'text',
    duration_minutes: 'int',
    rrule: 'text?',
    exdates: 'text[]',
    slot_minutes: 'int',
    slot_capacity: 'int',
    buffer_before_minutes: 'int',
    buffer_after_minutes: 'int',
    status: 'text',
    note: 'text?',
    plan_id: 'uuid?',
    version: 'int',
  },
  `SELECT sh.id, sh.specialist_id, (SELECT display_name FROM practitioner p WHERE p.id = sh.specialist_id) AS specialist_name,
          sh.specialty, sh.host_organization_ids, sh.mode, sh.time_zone,
          to_char(sh.start_local, 'YYYY-MM-DD"T"HH24:MI') AS start_text, sh.duration_minutes, sh.rrule, sh.exdates,
          sh.slot_minutes, sh.slot_capacity, sh.buffer_before_minutes, sh.buffer_after_minutes, sh.status, sh.note, sh.plan_id, sh.version
     FROM rotation_shift sh`,
).map((r): StoredShift => ({
  id: r.id,
  spec: {
    specialistId: r.specialist_id,
    hostOrganizationIds: r.host_organization_ids,
    mode: r.mode as ShiftMode,
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
  },
  specialistName: r.specialist_name ?? '',
  specialty: r.specialty,
  durationMinutes: r.duration_minutes,
  status: r.status as StoredShift['status'],
  planId: r.plan_id,
  version: r.version,
}));
const SHIFT_BY_ID = SHIFT.append('WHERE sh.id = $1').takes<[id: string]>();
const SHIFT_BY_ID_LOCKED = SHIFT.append('WHERE sh.id = $1 FOR UPDATE OF sh').takes<[id: string]>();

const OCCURRENCES_OF_SHIFT = sql(
  {
    id: 'uuid',
    s: 'timestamptz',
    e: 'timestamptz',
    status: typed<OccurrenceStatus>('text'),
    seats: 'int8?',
    booked: 'int8?',
  },
  `SELECT o.id, lower(o.period) AS s, upper(o.period) AS e, o.status,
          (SELECT sum(capacity) FROM slot WHERE occurrence_id = o.id AND status = 'open') AS seats,
          (SELECT count(*) FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($2)) AS booked
     FROM shift_occurrence o WHERE o.shift_id = $1 ORDER BY lower(o.period), o.status DESC`,
).takes<[shiftId: string, holdingStatuses: string[]]>();

const FUTURE_OCCURRENCES = sql(
  { id: 'uuid', s: 'timestamptz', e: 'timestamptz', bs: 'timestamptz', be: 'timestamptz' },
  `SELECT id, lower(period) AS s, upper(period) AS e, lower(blocked) AS bs, upper(blocked) AS be
     FROM shift_occurrence WHERE shift_id = $1 AND status = 'scheduled' AND lower(period) > $2`,
)
  .takes<[shiftId: string, after: Date]>()
  .map((r): OccurrenceTimes => ({
    id: r.id,
    start: r.s,
    end: r.e,
    blockedStart: r.bs,
    blockedEnd: r.be,
  }));

const SPECIALIST_OCCURRENCES = sql(
  {
    occurrenceId: 'uuid',
    shiftId: 'uuid',
    mode: 'text',
    start: 'timestamptz',
    end: 'timestamptz',
    timeZone: 'text',
    hostOrganizationIds: 'uuid[]',
    hostNames: 'text[]',
    booked: 'int',
  },
  `SELECT o.id AS "occurrenceId", o.shift_id AS "shiftId", o.mode, lower(o.period) AS start, upper(o.period) AS end,
          sh.time_zone AS "timeZone", sh.host_organization_ids AS "hostOrganizationIds",
          ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS "hostNames",
          (SELECT count(*)::int FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($4)) AS booked
     FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id
    WHERE o.specialist_id = $1 AND o.status = 'scheduled' AND o.period && tstzrange($2, $3) ORDER BY lower(o.period)`,
)
  .takes<[specialistId: string, from: Date, to: Date, holdingStatuses: string[]]>()
  .map((r): SpecialistOccurrence => ({
    ...r,
    mode: r.mode as ShiftMode,
    localStart: instantToLocal(r.start, r.timeZone),
  }));

const OVERLAPPING = sql(
  {
    id: 'uuid',
    shift_id: 'uuid',
    s: 'timestamptz',
    e: 'timestamptz',
    mode: 'text',
    time_zone: 'text',
    name: 'text',
    hosts: 'text[]',
  },
  `SELECT o.id, o.shift_id, lower(o.period) AS s, upper(o.period) AS e, o.mode, sh.time_zone, p.display_name AS name,
          ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS hosts
     FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id JOIN practitioner p ON p.id = o.specialist_id
    WHERE o.specialist_id = $1 AND o.status = 'scheduled' AND ($3::uuid IS NULL OR o.shift_id <> $3) AND o.blocked && ANY($2::tstzrange[])
    ORDER BY lower(o.period) LIMIT 20`,
)
  .takes<[specialistId: string, blockedRanges: string[], exceptShiftId: string | null]>()
  .map((r): OverlappingOccurrence => ({
    id: r.id,
    shiftId: r.shift_id,
    start: r.s,
    end: r.e,
    mode: r.mode as ShiftMode,
    timeZone: r.time_zone,
    hosts: r.hosts,
    specialistName: r.name,
  }));

const SCHEDULED_IN = sql(
  { shift_id: 'uuid', s: 'timestamptz', e: 'timestamptz' },
  `SELECT shift_id, lower(period) AS s, upper(period) AS e FROM shift_occurrence
    WHERE specialist_id = $1 AND status = 'scheduled' AND period && $2::tstzrange ORDER BY lower(period) LIMIT 20`,
)
  .takes<[specialistId: string, range: string]>()
  .map((r) => ({ shiftId: r.shift_id, start: r.s, end: r.e }));

const BLOCKED_IN = sql(
  {
    shift_id: 'uuid',
    mode: typed<ShiftMode>('text'),
    s: 'timestamptz',
    e: 'timestamptz',
    bs: 'timestamptz',
    be: 'timestamptz',
  },
  `SELECT shift_id, mode, lower(period) AS s, upper(period) AS e, lower(blocked) AS bs, upper(blocked) AS be FROM shift_occurrence
    WHERE specialist_id = $1 AND status = 'scheduled' AND blocked && tstzrange($2, $3) ORDER BY lower(period)`,
)
  .takes<[specialistId: string, from: Date, to: Date]>()
  .map((r) => ({
    shiftId: r.shift_id,
    mode: r.mode,
    start: r.s,
    end: r.e,
    blockedStart: r.bs,
    blockedEnd: r.be,
  }));

const BLOCKS_OF = sql(
  { specialist_id: 'uuid', s: 'timestamptz', e: 'timestamptz' },
  `SELECT specialist_id, lower(blocked) AS s, upper(blocked) AS e FROM shift_occurrence
    WHERE specialist_id = ANY($1::uuid[]) AND status = 'scheduled' AND blocked && $2::tstzrange`,
)
  .takes<[specialistIds: string[], horizon: string]>()
  .map((r) => ({ specialistId: r.specialist_id, start: r.s, end: r.e }));

const ON_SITE_DAYS = sql(
  { specialist_id: 'uuid', month: 'text', days: 'int' },
  `SELECT specialist_id, to_char(local_date, 'YYYY-MM') AS month, count(DISTINCT local_date)::int AS days FROM shift_occurrence
    WHERE specialist_id = ANY($1::uuid[]) AND mode = 'on_site_visit' AND status = 'scheduled' AND local_date BETWEEN $2::date AND $3::date
    GROUP BY 1, 2`,
)
  .takes<[specialistIds: string[], fromDate: string, toDate: string]>()
  .map((r) => ({ specialistId: r.specialist_id, month: r.month, days: r.days }));

const INSERT_SHIFT = sql(
  { id: 'uuid' },
  `INSERT INTO rotation_shift (specialist_id, specialty, host_organization_ids, mode, time_zone, start_local, duration_minutes, rrule, exdates,
                               slot_minutes, slot_capacity, buffer_before_minutes, buffer_after_minutes, note, plan_id, created_by)
   VALUES ($1, $2, $3::uuid[], $4, $5, $6, $7, $8, $9::text[], $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
)
  .takes<
    [
      specialistId: string,
      specialty: string | null,
      ...spec: SpecValues,
      planId: string | null,
      createdBy: string,
    ]
  >()
  .map((r) => r.id);

const UPDATE_SHIFT = command<[id: string, ...spec: SpecValues, at: Date]>(
  `UPDATE rotation_shift SET host_organization_ids = $2::uuid[], mode = $3, time_zone = $4, start_local = $5, duration_minutes = $6, rrule = $7,
          exdates = $8::text[], slot_minutes = $9, slot_capacity = $10, buffer_before_minutes = $11, buffer_after_minutes = $12, note = $13,
          version = version + 1, updated_at = $14
    WHERE id = $1`,
);

const CANCEL_SHIFT = command<[id: string, at: Date, reason: string]>(
  `UPDATE rotation_shift SET status = 'cancelled', cancelled_at = $2, cancel_reason = $3, version = version + 1, updated_at = $2 WHERE id = $1`,
);

const INSERT_OCCURRENCES = sql(
  { id: 'uuid' },
  `INSERT INTO shift_occurrence (shift_id, specialist_id, mode, period, blocked, local_date)
   SELECT $1, $2, $3, tstzrange(s, e, '[)'), tstzrange(bs, be, '[)'), d
     FROM unnest($4::timestamptz[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[], $8::date[]) AS u(s, e, bs, be, d)
   RETURNING id`,
)
  .takes<
    [
      shiftId: string,
      specialistId: string,
      mode: ShiftMode,
      starts: Date[],
      ends: Date[],
      blockedStarts: Date[],
      blockedEnds: Date[],
      localDates: string[],
    ]
  >()
  .map((r) => r.id);

const CANCEL_OCCURRENCES = command<[ids: string[]]>(
  `UPDATE shift_occurrence SET status = 'cancelled' WHERE id = ANY($1::uuid[])`,
);

/**
 * Rotation shifts, their stored occurrences and (through SlotStore) their slots. Writes run in
 * the caller's transaction; overlaps surface as 23P01 from the exclusion constraint.
 */
@Injectable()
export class ShiftStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    private readonly slots: SlotStore,
  ) {}

  async get(id: string, m: Db = this.db, forUpdate = false): Promise<StoredShift> {
    const shift = await (forUpdate ? SHIFT_BY_ID_LOCKED : SHIFT_BY_ID).first(m, [id]);
    if (!shift)
      throw new DomainError(
        'shift_not_found',
        HttpStatus.NOT_FOUND,
        `rotation shift ${id} does not exist`,
      );
    return shift;
  }

  /** Shifts newest first, filtered by specialist, host and a range their occurrences touch. */
  async list(
    q: { specialistId?: string; organizationId?: string; from?: Date; to?: Date },
    limit: number,
    offset: number,
  ): Promise<{ total: number; shifts: StoredShift[] }> {
    const p = new Params();
    const where: string[] = [];
    if (q.specialistId) where.push(`sh.specialist_id = ${p.add(q.specialistId)}`);
    if (q.organizationId)
      where.push(`sh.host_organization_ids @> ARRAY[${p.add(q.organizationId)}]::uuid[]`);
    if (q.from || q.to) {
      const range = `tstzrange(${p.add(q.from ?? new Date(0))}, ${p.add(q.to ?? new Date('9999-01-01'))})`;
      where.push(
        `EXISTS (SELECT 1 FROM shift_occurrence o WHERE o.shift_id = sh.id AND o.period && ${range})`,
      );
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const count = await sql(
      { total: 'int' },
      `SELECT count(*)::int AS total FROM rotation_shift sh ${clause}`,
    ).first(this.db, p.values);
    const shifts = await SHIFT.append(
      `${clause} ORDER BY sh.created_at DESC LIMIT ${Number(limit)} OFFSET ${Number(offset)}`,
    ).all(this.db, p.values);
    return { total: count?.total ?? 0, shifts };
  }

  async insert(
    m: EntityManager,
    shift: { spec: ShiftSpec; specialty: string | null; planId: string | null },
    createdBy: string,
  ): Promise<string> {
    const { spec, specialty, planId } = shift;
    const [id] = await INSERT_SHIFT.all(m, [
      spec.specialistId,
      specialty,
      ...specValues(spec),
      planId,
      createdBy,
    ]);
    return id;
  }

  /** Writes the changed spec and counts a version. */
  async update(m: EntityManager, id: string, spec: ShiftSpec): Promise<void> {
    await UPDATE_SHIFT.run(m, [id, ...specValues(spec), this.clock.now()]);
  }

  async markCancelled(m: EntityManager, id: string, reason: string): Promise<void> {
    await CANCEL_SHIFT.run(m, [id, this.clock.now(), reason]);
  }

  /** Writes occurrences of a shift and their slots. */
  async insertOccurrences(
    m: EntityManager,
    shiftId: string,
    shift: { spec: ShiftSpec; specialty: string | null },
    occ: ShiftOccurrenceTime[],
  ): Promise<void> {
    const { spec, specialty } = shift;
    if (!occ.length) return;
    const ids = await INSERT_OCCURRENCES.all(m, [
      shiftId,
      spec.specialistId,
      spec.mode,
      occ.map((o) => o.start),
      occ.map((o) => o.end),
      occ.map((o) => o.blockedStart),
      occ.map((o) => o.blockedEnd),
      occ.map((o) => o.localDate),
    ]);
    await this.slots.insertFor(m, ids, {
      specialty,
      hostOrganizationIds: spec.hostOrganizationIds,
      slotMinutes: spec.slotMinutes,
      slotCapacity: spec.slotCapacity,
    });
  }

  /** Scheduled occurrences of a shift starting after `after`. */
  futureOccurrences(m: EntityManager, shiftId: string, after: Date): Promise<OccurrenceTimes[]> {
    return FUTURE_OCCURRENCES.all(m, [shiftId, after]);
  }

  /** Cancels occurrences and withdraws their slots. */
  async cancelOccurrences(m: EntityManager, ids: string[]): Promise<void> {
    if (!ids.length) return;
    await CANCEL_OCCURRENCES.run(m, [ids]);
    await this.slots.cancelFor(m, ids);
  }

  /** Every occurrence of a shift with its open seats and the bookings holding them. */
  async occurrences(
    shift: { id: string; timeZone: string },
    m: Db = this.db,
  ): Promise<OccurrenceView[]> {
    const rows = await OCCURRENCES_OF_SHIFT.all(m, [shift.id, HOLDING_STATUSES]);
    return rows.map((o) => ({
      id: o.id,
      start: o.s,
      end: o.e,
      localStart: instantToLocal(o.s, shift.timeZone),
      localEnd: instantToLocal(o.e, shift.timeZone),
      status: o.status,
      seats: Number(o.seats ?? 0),
      booked: Number(o.booked ?? 0),
    }));
  }

  /** A specialist's scheduled occurrences overlapping [from, to), with their hosts and bookings. */
  occurrencesOfSpecialist(
    specialistId: string,
    from: Date,
    to: Date,
  ): Promise<SpecialistOccurrence[]> {
    return SPECIALIST_OCCURRENCES.all(this.db, [specialistId, from, to, HOLDING_STATUSES]);
  }

  /** Other shifts' scheduled occurrences whose blocked time meets these (at most 20). */
  overlapping(
    specialistId: string,
    occ: ShiftOccurrenceTime[],
    selfId: string | null,
  ): Promise<OverlappingOccurrence[]> {
    return OVERLAPPING.all(this.db, [
      specialistId,
      occ.map((o) => rangeText(o.blockedStart, o.blockedEnd)),
      selfId,
    ]);
  }

  /** A specialist's scheduled occurrences within [start, end) (at most 20). */
  scheduledIn(specialistId: string, start: Date, end: Date) {
    return SCHEDULED_IN.all(this.db, [specialistId, rangeText(start, end)]);
  }

  /** A specialist's scheduled occurrences whose blocked time meets [from, to). */
  blockedIn(specialistId: string, from: Date, to: Date) {
    return BLOCKED_IN.all(this.db, [specialistId, from, to]);
  }

  /** Blocked time of several specialists' scheduled occurrences within a horizon (range text). */
  blocksOf(specialistIds: string[], horizon: string) {
    return BLOCKS_OF.all(this.db, [specialistIds, horizon]);
  }

  /** On-site visit days per specialist and month between two local dates. */
  onSiteDays(specialistIds: string[], fromDate: string, toDate: string) {
    return ON_SITE_DAYS.all(this.db, [specialistIds, fromDate, toDate]);
  }
}
