import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { instantToLocal } from './recurrence';
import type { ShiftMode } from './scheduling-terms';
import { Params, command, sql, type Db } from '@huizhen/database';
import type { Slot, WithDates } from '@huizhen/contract';

/** A slot as the store lists it: the contract's Slot with its times as Dates. */
export type SlotView = WithDates<Slot, 'start' | 'end'>;

export interface SlotFilter {
  from: Date;
  to: Date;
  specialty?: string;
  specialistId?: string;
  mode?: ShiftMode;
  /** Offered to this organization (a host of the shift). */
  organizationId?: string;
  specialistOrganizationId?: string;
}

/** What booking checks of a slot before it queues on the slot's row lock. */
export interface SlotFacts {
  status: string;
  startAt: Date;
  hostOrganizationIds: string[];
  specialty: string | null;
  full: boolean;
}

const FREE_SLOT_COLUMNS = {
  id: 'uuid',
  shift_id: 'uuid',
  specialist_id: 'uuid',
  display_name: 'text',
  organization_id: 'uuid',
  specialty: 'text?',
  mode: 'text',
  host_organization_ids: 'uuid[]',
  s: 'timestamptz',
  e: 'timestamptz',
  time_zone: 'text',
  capacity: 'int',
  remaining: 'int',
  total: 'int8',
} as const;

const FACTS = sql(
  {
    status: 'text',
    start_at: 'timestamptz',
    host_organization_ids: 'uuid[]',
    specialty: 'text?',
    full: 'bool',
  },
  'SELECT status, start_at, host_organization_ids, specialty, booked_count >= capacity AS full FROM slot WHERE id = $1',
)
  .takes<[slotId: string]>()
  .map((r): SlotFacts => ({
    status: r.status,
    startAt: r.start_at,
    hostOrganizationIds: r.host_organization_ids,
    specialty: r.specialty,
    full: r.full,
  }));

const DESCRIBE = sql(
  { s: 'timestamptz', time_zone: 'text', name: 'text', status: 'text' },
  `SELECT lower(sl.period) AS s, sh.time_zone, p.display_name AS name, sl.status
     FROM slot sl JOIN rotation_shift sh ON sh.id = sl.shift_id JOIN practitioner p ON p.id = sl.specialist_id
    WHERE sl.id = $1`,
)
  .takes<[slotId: string]>()
  .map((r) => ({ start: r.s, timeZone: r.time_zone, specialistName: r.name, status: r.status }));

const IDENTICAL_OPEN = sql(
  { id: 'uuid', capacity: 'int' },
  `SELECT id, capacity FROM slot
    WHERE shift_id = $1 AND status = 'open' AND period = tstzrange($2, $3, '[)') AND $4 = ANY(host_organization_ids)
      AND booked_count < capacity
      FOR UPDATE`,
).takes<[shiftId: string, start: Date, end: Date, organizationId: string]>();

const NEAREST_FREE = sql(
  { id: 'uuid' },
  `SELECT id FROM slot
    WHERE specialist_id = $1 AND status = 'open' AND booked_count < capacity AND start_at > $2 AND mode = $3
      AND $4 = ANY(host_organization_ids)
    ORDER BY (shift_id = $5) DESC, abs(extract(epoch FROM start_at - $6::timestamptz)), start_at
    LIMIT 1 FOR UPDATE SKIP LOCKED`,
).takes<
  [
    specialistId: string,
    after: Date,
    mode: ShiftMode,
    organizationId: string,
    shiftId: string,
    near: Date,
  ]
>();

const INSERT_FOR_OCCURRENCES = command<
  [
    occurrenceIds: string[],
    specialty: string | null,
    hostOrganizationIds: string[],
    slotMinutes: number,
    slotCapacity: number,
  ]
>(
  `INSERT INTO slot (occurrence_id, shift_id, specialist_id, specialty, mode, host_organization_ids, period, start_at, capacity)
   SELECT o.id, o.shift_id, o.specialist_id, $2, o.mode, $3::uuid[], tstzrange(g, g + make_interval(mins => $4), '[)'), g, $5
     FROM shift_occurrence o
    CROSS JOIN LATERAL generate_series(lower(o.period), upper(o.period) - make_interval(mins => $4), make_interval(mins => $4)) AS g
    WHERE o.id = ANY($1::uuid[])`,
);

const CANCEL_FOR_OCCURRENCES = command<[occurrenceIds: string[]]>(
  `UPDATE slot SET status = 'cancelled' WHERE occurrence_id = ANY($1::uuid[])`,
);

/**
 * Slots: the bookable pieces of a shift's occurrences (written by ShiftStore with them; the
 * seats they hold are counted by BookingStore). Searches and the facts booking checks.
 */
@Injectable()
export class SlotStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Free slots, soonest first, one page; `total` counts them all. */
  async search(
    f: SlotFilter,
    limit: number,
    offset: number,
  ): Promise<{ items: SlotView[]; total: number }> {
    const p = new Params();
    const where = [
      `sl.status = 'open'`,
      'sl.booked_count < sl.capacity',
      `sl.start_at >= ${p.add(f.from)}`,
      `sl.start_at < ${p.add(f.to)}`,
    ];
    if (f.specialty) where.push(`sl.specialty = ${p.add(f.specialty)}`);
    if (f.specialistId) where.push(`sl.specialist_id = ${p.add(f.specialistId)}`);
    if (f.mode) where.push(`sl.mode = ${p.add(f.mode)}`);
    if (f.organizationId)
      where.push(`sl.host_organization_ids @> ARRAY[${p.add(f.organizationId)}::uuid]`);
    if (f.specialistOrganizationId)
      where.push(`p.organization_id = ${p.add(f.specialistOrganizationId)}`);
    const clause = where.join(' AND ');
    const rows = await sql(
      FREE_SLOT_COLUMNS,
      `SELECT sl.id, sl.shift_id, sl.specialist_id, p.display_name, p.organization_id, sl.specialty, sl.mode, sl.host_organization_ids,
              lower(sl.period) AS s, upper(sl.period) AS e, sh.time_zone, sl.capacity, sl.capacity - sl.booked_count AS remaining,
              count(*) OVER () AS total
         FROM slot sl JOIN practitioner p ON p.id = sl.specialist_id JOIN rotation_shift sh ON sh.id = sl.shift_id
        WHERE ${clause}
        ORDER BY sl.start_at, sl.id LIMIT ${Number(limit)} OFFSET ${Number(offset)}`,
    ).all(this.db, p.values);
    let total = rows.length ? Number(rows[0].total) : 0;
    if (!rows.length && offset > 0) {
      const count = sql(
        { n: 'int' },
        `SELECT count(*)::int AS n FROM slot sl JOIN practitioner p ON p.id = sl.specialist_id WHERE ${clause}`,
      );
      total = (await count.first(this.db, p.values))?.n ?? 0;
    }
    const items = rows.map((r): SlotView => ({
      id: r.id,
      shiftId: r.shift_id,
      specialistId: r.specialist_id,
      specialistName: r.display_name,
      specialistOrganizationId: r.organization_id,
      specialty: r.specialty,
      mode: r.mode as ShiftMode,
      hostOrganizationIds: r.host_organization_ids,
      start: r.s,
      end: r.e,
      timeZone: r.time_zone,
      localStart: instantToLocal(r.s, r.time_zone),
      capacity: r.capacity,
      remaining: r.remaining,
    }));
    return { items, total };
  }

  facts(slotId: string): Promise<SlotFacts | null> {
    return FACTS.first(this.db, [slotId]);
  }

  /** When and with whom a slot is, and whether it was withdrawn (for the 409 a taken slot gets). */
  describe(m: Db, slotId: string) {
    return DESCRIBE.first(m, [slotId]);
  }

  /** The open slot of a shift at exactly this time, offered to the organization and with a free seat (locked). */
  identicalOpen(
    m: EntityManager,
    shiftId: string,
    b: { start: Date; end: Date; requestingOrganizationId: string },
  ) {
    return IDENTICAL_OPEN.first(m, [shiftId, b.start, b.end, b.requestingOrganizationId]);
  }

  /**
   * The free slot of this specialist nearest to `near` (its own shift first), after `after`,
   * of the same mode and offered to the organization; locked, skipping slots others hold.
   */
  async nearestFree(
    m: EntityManager,
    q: {
      specialistId: string;
      after: Date;
      mode: ShiftMode;
      organizationId: string;
      shiftId: string;
      near: Date;
    },
  ): Promise<string | undefined> {
    const row = await NEAREST_FREE.first(m, [
      q.specialistId,
      q.after,
      q.mode,
      q.organizationId,
      q.shiftId,
      q.near,
    ]);
    return row?.id;
  }

  /** Writes the slots of freshly inserted occurrences, cut every `slotMinutes`. */
  async insertFor(
    m: EntityManager,
    occurrenceIds: string[],
    s: {
      specialty: string | null;
      hostOrganizationIds: string[];
      slotMinutes: number;
      slotCapacity: number;
    },
  ): Promise<void> {
    await INSERT_FOR_OCCURRENCES.run(m, [
      occurrenceIds,
      s.specialty,
      s.hostOrganizationIds,
      s.slotMinutes,
      s.slotCapacity,
    ]);
  }

  /** Withdraws every slot of these occurrences. */
  async cancelFor(m: EntityManager, occurrenceIds: string[]): Promise<void> {
    await CANCEL_FOR_OCCURRENCES.run(m, [occurrenceIds]);
  }
}
