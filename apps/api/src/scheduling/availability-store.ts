import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { command, sql, typed, type Db } from '@huizhen/database';
import type { UnavailabilityKind } from '@huizhen/contract';
import { rangeText } from './pg-range';

/** A weekly working window in the specialist's zone (`HH:mm`, weekday 1 = Monday). */
export interface StoredWorkingWindow {
  specialistId: string;
  weekday: number;
  start: string;
  end: string;
  timeZone: string;
}

/** Leave or another commitment, stored as instants with the zone it was stated in. */
export interface Unavailability {
  id: string;
  specialistId: string;
  kind: UnavailabilityKind;
  start: Date;
  end: Date;
  timeZone: string;
  reason: string | null;
}

const WINDOW = sql(
  { specialist_id: 'uuid', weekday: 'int', s: 'text', e: 'text', time_zone: 'text' },
  `SELECT specialist_id, weekday, to_char(start_local, 'HH24:MI') AS s, to_char(end_local, 'HH24:MI') AS e, time_zone
     FROM specialist_working_hours`,
).map((r): StoredWorkingWindow => ({
  specialistId: r.specialist_id,
  weekday: r.weekday,
  start: r.s,
  end: r.e,
  timeZone: r.time_zone,
}));
const WINDOWS_OF = WINDOW.append('WHERE specialist_id = $1 ORDER BY weekday, start_local').takes<
  [specialistId: string]
>();
const WINDOWS_OF_MANY = WINDOW.append('WHERE specialist_id = ANY($1::uuid[])').takes<
  [specialistIds: string[]]
>();

const UNAVAILABLE = sql(
  {
    id: 'uuid',
    specialist_id: 'uuid',
    kind: typed<UnavailabilityKind>('text'),
    s: 'timestamptz',
    e: 'timestamptz',
    time_zone: 'text',
    reason: 'text?',
  },
  `SELECT id, specialist_id, kind, lower(period) AS s, upper(period) AS e, time_zone, reason FROM specialist_unavailability`,
).map((r): Unavailability => ({
  id: r.id,
  specialistId: r.specialist_id,
  kind: r.kind,
  start: r.s,
  end: r.e,
  timeZone: r.time_zone,
  reason: r.reason,
}));
const UNAVAILABLE_IN = UNAVAILABLE.append(
  'WHERE specialist_id = $1 AND period && tstzrange($2, $3) ORDER BY lower(period)',
).takes<[specialistId: string, from: Date, to: Date]>();
const UNAVAILABLE_MEETING = UNAVAILABLE.append(
  'WHERE specialist_id = $1 AND period && ANY($2::tstzrange[]) ORDER BY lower(period) LIMIT 5',
).takes<[specialistId: string, ranges: string[]]>();
const UNAVAILABLE_OF_MANY = UNAVAILABLE.append(
  'WHERE specialist_id = ANY($1::uuid[]) AND period && $2::tstzrange',
).takes<[specialistIds: string[], horizon: string]>();

const DROP_WINDOWS = command<[specialistId: string]>(
  'DELETE FROM specialist_working_hours WHERE specialist_id = $1',
);
const ADD_WINDOW = command<
  [specialistId: string, weekday: number, start: string, end: string, timeZone: string]
>(
  'INSERT INTO specialist_working_hours (specialist_id, weekday, start_local, end_local, time_zone) VALUES ($1, $2, $3, $4, $5)',
);
const ADD_UNAVAILABILITY = sql(
  { id: 'uuid' },
  `INSERT INTO specialist_unavailability (specialist_id, kind, period, time_zone, reason, created_by)
   VALUES ($1, $2, tstzrange($3, $4, '[)'), $5, $6, $7) RETURNING id`,
)
  .takes<
    [
      specialistId: string,
      kind: string,
      start: Date,
      end: Date,
      timeZone: string,
      reason: string | null,
      createdBy: string,
    ]
  >()
  .map((r) => r.id);
const REMOVE_UNAVAILABILITY = command<[id: string, specialistId: string]>(
  'DELETE FROM specialist_unavailability WHERE id = $1 AND specialist_id = $2',
);

/** Specialists' weekly working hours and their leave and other commitments. */
@Injectable()
export class AvailabilityStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** A specialist's recorded windows, by weekday and start. */
  windows(specialistId: string, m: Db = this.db): Promise<StoredWorkingWindow[]> {
    return WINDOWS_OF.all(m, [specialistId]);
  }

  windowsOf(specialistIds: string[]): Promise<StoredWorkingWindow[]> {
    return WINDOWS_OF_MANY.all(this.db, [specialistIds]);
  }

  /** Replaces a specialist's week. */
  async replaceWindows(
    m: EntityManager,
    specialistId: string,
    windows: { weekday: number; start: string; end: string }[],
    timeZone: string,
  ): Promise<void> {
    await DROP_WINDOWS.run(m, [specialistId]);
    for (const w of windows) {
      await ADD_WINDOW.run(m, [specialistId, w.weekday, w.start, w.end, timeZone]);
    }
  }

  async addUnavailability(
    m: EntityManager,
    u: Omit<Unavailability, 'id'> & { createdBy: string },
  ): Promise<string> {
    const [id] = await ADD_UNAVAILABILITY.all(m, [
      u.specialistId,
      u.kind,
      u.start,
      u.end,
      u.timeZone,
      u.reason,
      u.createdBy,
    ]);
    return id;
  }

  /** Removes one of a specialist's entries; false when there is no such entry. */
  async removeUnavailability(m: EntityManager, specialistId: string, id: string): Promise<boolean> {
    const removed = await REMOVE_UNAVAILABILITY.run(m, [id, specialistId]);
    return removed > 0;
  }

  /** A specialist's entries overlapping [from, to). */
  unavailableIn(specialistId: string, from: Date, to: Date): Promise<Unavailability[]> {
    return UNAVAILABLE_IN.all(this.db, [specialistId, from, to]);
  }

  /** The first (at most 5) entries meeting any of these intervals. */
  unavailableDuring(
    specialistId: string,
    intervals: { start: Date; end: Date }[],
    m: Db = this.db,
  ) {
    return UNAVAILABLE_MEETING.all(m, [
      specialistId,
      intervals.map((i) => rangeText(i.start, i.end)),
    ]);
  }

  /** Several specialists' entries within a horizon (range text). */
  unavailableOf(specialistIds: string[], horizon: string): Promise<Unavailability[]> {
    return UNAVAILABLE_OF_MANY.all(this.db, [specialistIds, horizon]);
  }
}
