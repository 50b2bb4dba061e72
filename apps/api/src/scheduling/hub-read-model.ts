import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { instantToLocal } from './recurrence';
import { sql, typed } from '@huizhen/database';
import type { ShiftMode } from '@huizhen/contract';

/** A hub view's question: the organizations under the hub, and a half-open range. */
export interface HubRange {
  scope: string[];
  from: Date;
  to: Date;
}

const OFFERED = sql(
  {
    organization_id: 'uuid',
    name: 'text',
    specialty: 'text',
    slots: 'int',
    seats: 'int',
    booked: 'int',
  },
  // Each slot counts once for each township it is offered to (unnest its hosts), and only the
  // slots of the range are read: joining townships to slots by array containment compared every
  // slot with every township (20 s for two weeks of a 1,500-township province).
  `SELECT t.id AS organization_id, t.name, o.specialty, o.slots, o.seats, o.booked
     FROM (SELECT h.id, sl.specialty, count(*)::int AS slots, sum(sl.capacity)::int AS seats,
                  sum(sl.booked_count)::int AS booked
             FROM slot sl CROSS JOIN LATERAL unnest(sl.host_organization_ids) AS h(id)
            WHERE sl.status = 'open' AND sl.start_at >= $2 AND sl.start_at < $3
              AND sl.specialty IS NOT NULL AND h.id = ANY($1::uuid[])
            GROUP BY h.id, sl.specialty) o
     JOIN organization t ON t.id = o.id AND t.level = 'township_health_centre'`,
)
  .takes<[scope: string[], from: Date, to: Date]>()
  .map((r) => ({
    organizationId: r.organization_id,
    specialty: r.specialty,
    slots: r.slots,
    seats: r.seats,
    booked: r.booked,
  }));

// The scope is a hub's whole subtree (1,500 townships at province scale): `= ANY` of it is
// hashed by PostgreSQL, where `hosts && scope` compares every host with every organization of
// the scope on every slot (2 s for 12 weeks of a 1,500-township province).
const UTILIZATION = sql(
  {
    specialistId: 'uuid',
    specialistName: 'text',
    organizationId: 'uuid',
    specialty: 'text?',
    slots: 'int',
    seats: 'int',
    booked: 'int',
    fulfilled: 'int',
    noShows: 'int',
    cancelled: 'int',
  },
  `WITH s AS (
     SELECT sl.specialist_id, count(*)::int AS slots, sum(sl.capacity)::int AS seats, sum(sl.booked_count)::int AS booked
       FROM slot sl WHERE sl.status = 'open' AND sl.start_at >= $2 AND sl.start_at < $3 AND EXISTS (SELECT 1 FROM unnest(sl.host_organization_ids) h WHERE h = ANY($1::uuid[]))
      GROUP BY sl.specialist_id),
   b AS (
     SELECT b.specialist_id, count(*) FILTER (WHERE b.status = 'fulfilled')::int AS fulfilled,
            count(*) FILTER (WHERE b.status = 'no_show')::int AS no_shows, count(*) FILTER (WHERE b.status = 'cancelled')::int AS cancelled
       FROM booking b JOIN slot sl ON sl.id = b.slot_id
      WHERE lower(b.period) >= $2 AND lower(b.period) < $3 AND EXISTS (SELECT 1 FROM unnest(sl.host_organization_ids) h WHERE h = ANY($1::uuid[]))
      GROUP BY b.specialist_id)
   SELECT p.id AS "specialistId", p.display_name AS "specialistName", p.organization_id AS "organizationId", p.specialty,
          s.slots, s.seats, s.booked, coalesce(b.fulfilled, 0) AS fulfilled, coalesce(b.no_shows, 0) AS "noShows",
          coalesce(b.cancelled, 0) AS cancelled
     FROM s JOIN practitioner p ON p.id = s.specialist_id LEFT JOIN b ON b.specialist_id = s.specialist_id
    ORDER BY p.display_name`,
).takes<[scope: string[], from: Date, to: Date]>();

const NO_SHOWS = sql(
  {
    organizationId: 'uuid',
    organizationName: 'text',
    specialistId: 'uuid',
    specialistName: 'text',
    noShows: 'int',
    attended_or_not: 'int',
  },
  `SELECT b.requesting_organization_id AS "organizationId", o.name AS "organizationName", b.specialist_id AS "specialistId",
          p.display_name AS "specialistName", count(*) FILTER (WHERE b.status = 'no_show')::int AS "noShows",
          count(*) FILTER (WHERE b.status IN ('fulfilled','no_show'))::int AS attended_or_not
     FROM booking b JOIN organization o ON o.id = b.requesting_organization_id JOIN practitioner p ON p.id = b.specialist_id
    WHERE b.requesting_organization_id = ANY($1::uuid[]) AND lower(b.period) >= $2 AND lower(b.period) < $3
      AND b.status IN ('fulfilled','no_show')
    GROUP BY 1, 2, 3, 4 HAVING count(*) FILTER (WHERE b.status = 'no_show') > 0 ORDER BY 5 DESC`,
).takes<[scope: string[], from: Date, to: Date]>();

const UNFILLED = sql(
  {
    occurrenceId: 'uuid',
    shiftId: 'uuid',
    specialistId: 'uuid',
    specialistName: 'text',
    mode: typed<ShiftMode>('text'),
    start: 'timestamptz',
    end: 'timestamptz',
    timeZone: 'text',
    hostOrganizationIds: 'uuid[]',
    seats: 'int',
  },
  // Walks the scheduled occurrences in start order (shift_occurrence_start_idx) and reads each
  // one's slots by index, so it stops at the 500th unfilled one: grouping every slot of the range
  // first took 1.3 s for 12 weeks of a 1,500-township province.
  `SELECT o.id AS "occurrenceId", o.shift_id AS "shiftId", o.specialist_id AS "specialistId", p.display_name AS "specialistName",
          o.mode, lower(o.period) AS start, upper(o.period) AS "end", sh.time_zone AS "timeZone",
          sh.host_organization_ids AS "hostOrganizationIds", s.seats
     FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id JOIN practitioner p ON p.id = o.specialist_id
     CROSS JOIN LATERAL (
       SELECT sum(sl.capacity)::int AS seats, sum(sl.booked_count) AS booked
         FROM slot sl WHERE sl.occurrence_id = o.id AND sl.status = 'open') s
    WHERE o.status = 'scheduled' AND lower(o.period) >= $2 AND lower(o.period) < $3
      AND EXISTS (SELECT 1 FROM unnest(sh.host_organization_ids) h WHERE h = ANY($1::uuid[]))
      AND s.seats IS NOT NULL AND s.booked = 0
    ORDER BY lower(o.period) LIMIT 500`,
)
  .takes<[scope: string[], from: Date, to: Date]>()
  .map((r) => ({ ...r, localStart: instantToLocal(r.start, r.timeZone) }));

const LEDGER = sql(
  {
    id: 'uuid',
    name: 'text',
    title: 'text?',
    specialty: 'text?',
    year: 'int?',
    served: 'int',
    planned: 'int',
  },
  `SELECT p.id, p.display_name AS name, p.title, p.specialty, d.year, count(*) FILTER (WHERE d.served)::int AS served,
          count(*) FILTER (WHERE NOT d.served)::int AS planned
     FROM practitioner p
     LEFT JOIN LATERAL (
       SELECT o.local_date, extract(year FROM o.local_date)::int AS year, bool_or(upper(o.period) <= $2) AS served
         FROM shift_occurrence o WHERE o.specialist_id = p.id AND o.mode = 'on_site_visit' AND o.status = 'scheduled'
        GROUP BY o.local_date) d ON true
    WHERE p.organization_id = $1 AND 'specialist' = ANY(p.roles) AND p.active
    GROUP BY p.id, p.display_name, p.title, p.specialty, d.year
    ORDER BY p.display_name, d.year`,
).takes<[organizationId: string, now: Date]>();

/**
 * What hub coordinators watch, read across slots, bookings, occurrences and the directory's
 * names in one statement each (a read model: it writes nothing). Figures only, no patient data.
 */
@Injectable()
export class HubReadModel {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Open slots with a specialty per township and specialty. */
  offered(q: HubRange) {
    return OFFERED.all(this.db, [q.scope, q.from, q.to]);
  }

  /** Per specialist: slots, seats and bookings offered to the scope, and what became of the bookings. */
  utilization(q: HubRange) {
    return UTILIZATION.all(this.db, [q.scope, q.from, q.to]);
  }

  /** Per requesting organization and specialist: no-shows and attended-or-not bookings. */
  noShows(q: HubRange) {
    return NO_SHOWS.all(this.db, [q.scope, q.from, q.to]);
  }

  /** Scheduled occurrences with open slots and no booking at all (at most 500). */
  unfilled(q: HubRange) {
    return UNFILLED.all(this.db, [q.scope, q.from, q.to]);
  }

  /** On-site visit days per specialist of a hospital and year: served (ended by `now`) or planned. */
  ledger(organizationId: string, now: Date) {
    return LEDGER.all(this.db, [organizationId, now]);
  }
}
