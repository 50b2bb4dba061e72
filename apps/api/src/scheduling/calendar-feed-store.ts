import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { HOLDING_STATUSES } from './booking-store';
import type { ShiftMode } from './scheduling-terms';
import { command, sql } from '@huizhen/database';

/** An occurrence on a specialist's published roster, cancelled ones included (the feed tells calendars so). */
export interface RosterOccurrence {
  id: string;
  shiftId: string;
  mode: ShiftMode;
  start: Date;
  end: Date;
  status: string;
  /** The shift's version and last change: the iCalendar SEQUENCE and LAST-MODIFIED. */
  version: number;
  updatedAt: Date;
  note: string | null;
  hosts: string[];
  booked: number;
  seats: number;
}

/** A booking on the roster: when, for which organization, and whether it still stands. */
export interface RosterBooking {
  id: string;
  start: Date;
  end: Date;
  organizationName: string;
  status: string;
  updatedAt: Date;
}

const OCCURRENCES = sql(
  {
    id: 'uuid',
    shift_id: 'uuid',
    mode: 'text',
    s: 'timestamptz',
    e: 'timestamptz',
    status: 'text',
    version: 'int',
    updated_at: 'timestamptz',
    note: 'text?',
    hosts: 'text[]',
    booked: 'int',
    seats: 'int',
  },
  `SELECT o.id, o.shift_id, o.mode, lower(o.period) AS s, upper(o.period) AS e, o.status, sh.version, sh.updated_at, sh.note,
          ARRAY(SELECT org.name FROM organization org WHERE org.id = ANY(sh.host_organization_ids) ORDER BY org.name) AS hosts,
          (SELECT count(*)::int FROM booking b JOIN slot sl ON sl.id = b.slot_id WHERE sl.occurrence_id = o.id AND b.status = ANY($4)) AS booked,
          (SELECT coalesce(sum(capacity), 0)::int FROM slot sl WHERE sl.occurrence_id = o.id AND sl.status = 'open') AS seats
     FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id
    WHERE o.specialist_id = $1 AND o.period && tstzrange($2, $3) ORDER BY lower(o.period)`,
)
  .takes<[specialistId: string, from: Date, to: Date, holdingStatuses: string[]]>()
  .map((r): RosterOccurrence => ({
    id: r.id,
    shiftId: r.shift_id,
    mode: r.mode as ShiftMode,
    start: r.s,
    end: r.e,
    status: r.status,
    version: r.version,
    updatedAt: r.updated_at,
    note: r.note,
    hosts: r.hosts,
    booked: r.booked,
    seats: r.seats,
  }));

const BOOKINGS = sql(
  {
    id: 'uuid',
    s: 'timestamptz',
    e: 'timestamptz',
    org: 'text',
    status: 'text',
    updated_at: 'timestamptz',
  },
  `SELECT b.id, lower(b.period) AS s, upper(b.period) AS e, o.name AS org, b.status, b.updated_at
     FROM booking b JOIN organization o ON o.id = b.requesting_organization_id
    WHERE b.specialist_id = $1 AND b.period && tstzrange($2, $3)
      AND b.status IN ('booked','cancelled','rescheduled','fulfilled','no_show') ORDER BY lower(b.period)`,
)
  .takes<[specialistId: string, from: Date, to: Date]>()
  .map((r): RosterBooking => ({
    id: r.id,
    start: r.s,
    end: r.e,
    organizationName: r.org,
    status: r.status,
    updatedAt: r.updated_at,
  }));

const FEED_OWNER = sql(
  { specialist_id: 'uuid' },
  'SELECT specialist_id FROM calendar_feed_token WHERE token_hash = $1',
).takes<[tokenHash: Buffer]>();

const REPLACE_TOKEN = command<[specialistId: string, tokenHash: Buffer]>(
  `INSERT INTO calendar_feed_token (specialist_id, token_hash) VALUES ($1, $2)
   ON CONFLICT (specialist_id) DO UPDATE SET token_hash = EXCLUDED.token_hash, created_at = now()`,
);
const REMOVE_TOKEN = command<[specialistId: string]>(
  'DELETE FROM calendar_feed_token WHERE specialist_id = $1',
);

/**
 * Secret calendar feed addresses (only their SHA-256 is stored, one per specialist) and the
 * roster they publish: a read model of occurrences and bookings, times and places only.
 */
@Injectable()
export class CalendarFeedStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Stores the specialist's feed hash, replacing the one before. */
  async replaceToken(m: EntityManager, specialistId: string, tokenHash: Buffer): Promise<void> {
    await REPLACE_TOKEN.run(m, [specialistId, tokenHash]);
  }

  async removeToken(m: EntityManager, specialistId: string): Promise<void> {
    await REMOVE_TOKEN.run(m, [specialistId]);
  }

  /** Whose feed this hash opens, if anyone's. */
  async ownerOf(tokenHash: Buffer): Promise<string | undefined> {
    return (await FEED_OWNER.first(this.db, [tokenHash]))?.specialist_id;
  }

  occurrences(specialistId: string, from: Date, to: Date): Promise<RosterOccurrence[]> {
    return OCCURRENCES.all(this.db, [specialistId, from, to, HOLDING_STATUSES]);
  }

  bookings(specialistId: string, from: Date, to: Date): Promise<RosterBooking[]> {
    return BOOKINGS.all(this.db, [specialistId, from, to]);
  }
}
