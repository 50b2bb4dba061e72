import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { WAITING_DEMAND, type WaitingDemandSource } from './consultation-links';
import { assertOrganizationExists } from './known-ids';
import { instantToLocal } from './recurrence';
import type { LedgerQuery, RangeQuery } from './scheduling.dto';
import { SCHEDULING_CLOCK, type SchedulingClock } from './scheduling-terms';

const DAY = 86_400_000;

/**
 * What a hub coordinator watches: coverage (slots offered vs requests waiting, per township and
 * specialty), utilization per specialist, no-shows, unfilled shifts; and the grassroots service
 * ledger per hospital. Every figure is limited to the organizations under the coordinator's hub.
 */
@Injectable()
export class HubReportsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
    @Inject(WAITING_DEMAND) private readonly demand: WaitingDemandSource,
    private readonly policy: AccessPolicyService,
  ) {}

  async coverage(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const offered: { organization_id: string; name: string; specialty: string; slots: number; seats: number; booked: number }[] = await this.db.query(
      `SELECT t.id AS organization_id, t.name, sl.specialty, count(*)::int AS slots, sum(sl.capacity)::int AS seats, sum(sl.booked_count)::int AS booked
         FROM organization t JOIN slot sl ON sl.host_organization_ids @> ARRAY[t.id]
        WHERE t.id = ANY($1::uuid[]) AND t.level = 'township_health_centre' AND sl.status = 'open' AND sl.start_at >= $2 AND sl.start_at < $3 AND sl.specialty IS NOT NULL
        GROUP BY t.id, t.name, sl.specialty`,
      [scope, from, to],
    );
    const towns: { id: string; name: string }[] = await this.db.query(`SELECT id, name FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre' ORDER BY region_code, name`, [scope]);
    const waiting = await this.demand.waiting(towns.map((t) => t.id));
    const rows = new Map<string, { organizationId: string; organizationName: string; specialty: string; slotsOffered: number; seatsOffered: number; seatsBooked: number; seatsFree: number; requestsWaiting: number; shortfall: number }>();
    const row = (orgId: string, specialty: string) => {
      const k = `${orgId}|${specialty}`;
      if (!rows.has(k)) rows.set(k, { organizationId: orgId, organizationName: towns.find((t) => t.id === orgId)?.name ?? '', specialty, slotsOffered: 0, seatsOffered: 0, seatsBooked: 0, seatsFree: 0, requestsWaiting: 0, shortfall: 0 });
      return rows.get(k)!;
    };
    for (const o of offered) Object.assign(row(o.organization_id, o.specialty), { slotsOffered: o.slots, seatsOffered: o.seats, seatsBooked: o.booked, seatsFree: o.seats - o.booked });
    for (const w of waiting) if (towns.some((t) => t.id === w.organizationId)) row(w.organizationId, w.specialty).requestsWaiting += w.count;
    const items = [...rows.values()].map((r) => ({ ...r, shortfall: Math.max(0, r.requestsWaiting - r.seatsFree) }));
    items.sort((a, b) => b.shortfall - a.shortfall || a.organizationName.localeCompare(b.organizationName) || a.specialty.localeCompare(b.specialty));
    return { from, to, townships: towns.length, items, waitingSource: this.demand.constructor.name };
  }

  async utilization(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const rows: any[] = await this.db.query(
      `WITH s AS (
         SELECT sl.specialist_id, count(*)::int AS slots, sum(sl.capacity)::int AS seats, sum(sl.booked_count)::int AS booked
           FROM slot sl WHERE sl.status = 'open' AND sl.start_at >= $2 AND sl.start_at < $3 AND sl.host_organization_ids && $1::uuid[]
          GROUP BY sl.specialist_id),
       b AS (
         SELECT b.specialist_id, count(*) FILTER (WHERE b.status = 'fulfilled')::int AS fulfilled, count(*) FILTER (WHERE b.status = 'no_show')::int AS no_shows,
                count(*) FILTER (WHERE b.status = 'cancelled')::int AS cancelled
           FROM booking b JOIN slot sl ON sl.id = b.slot_id
          WHERE lower(b.period) >= $2 AND lower(b.period) < $3 AND sl.host_organization_ids && $1::uuid[]
          GROUP BY b.specialist_id)
       SELECT p.id AS "specialistId", p.display_name AS "specialistName", p.organization_id AS "organizationId", p.specialty,
              s.slots, s.seats, s.booked, coalesce(b.fulfilled, 0) AS fulfilled, coalesce(b.no_shows, 0) AS "noShows", coalesce(b.cancelled, 0) AS cancelled
         FROM s JOIN practitioner p ON p.id = s.specialist_id LEFT JOIN b ON b.specialist_id = s.specialist_id
        ORDER BY p.display_name`,
      [scope, from, to],
    );
    return { from, to, items: rows.map((r) => ({ ...r, utilization: r.seats ? Math.round((r.booked / r.seats) * 1000) / 1000 : 0 })) };
  }

  async noShows(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const rows: any[] = await this.db.query(
      `SELECT b.requesting_organization_id AS "organizationId", o.name AS "organizationName", b.specialist_id AS "specialistId", p.display_name AS "specialistName",
              count(*) FILTER (WHERE b.status = 'no_show')::int AS "noShows", count(*) FILTER (WHERE b.status IN ('fulfilled','no_show'))::int AS attended_or_not
         FROM booking b JOIN organization o ON o.id = b.requesting_organization_id JOIN practitioner p ON p.id = b.specialist_id
        WHERE b.requesting_organization_id = ANY($1::uuid[]) AND lower(b.period) >= $2 AND lower(b.period) < $3 AND b.status IN ('fulfilled','no_show')
        GROUP BY 1, 2, 3, 4 HAVING count(*) FILTER (WHERE b.status = 'no_show') > 0 ORDER BY 5 DESC`,
      [scope, from, to],
    );
    return {
      from,
      to,
      total: rows.reduce((n, r) => n + r.noShows, 0),
      items: rows.map(({ attended_or_not, ...r }) => ({ ...r, rate: attended_or_not ? Math.round((r.noShows / attended_or_not) * 1000) / 1000 : 0 })),
    };
  }

  /** Occurrences in the range with no booking at all. */
  async unfilledShifts(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const rows: any[] = await this.db.query(
      `SELECT o.id AS "occurrenceId", o.shift_id AS "shiftId", o.specialist_id AS "specialistId", p.display_name AS "specialistName", o.mode,
              lower(o.period) AS start, upper(o.period) AS "end", sh.time_zone AS "timeZone", sh.host_organization_ids AS "hostOrganizationIds", sum(sl.capacity)::int AS seats
         FROM shift_occurrence o JOIN rotation_shift sh ON sh.id = o.shift_id JOIN practitioner p ON p.id = o.specialist_id
         JOIN slot sl ON sl.occurrence_id = o.id AND sl.status = 'open'
        WHERE o.status = 'scheduled' AND lower(o.period) >= $2 AND lower(o.period) < $3 AND sh.host_organization_ids && $1::uuid[]
        GROUP BY o.id, p.display_name, sh.time_zone, sh.host_organization_ids
       HAVING sum(sl.booked_count) = 0
        ORDER BY lower(o.period) LIMIT 500`,
      [scope, from, to],
    );
    return { from, to, items: rows.map((r) => ({ ...r, localStart: instantToLocal(r.start, r.timeZone) })) };
  }

  /**
   * Grassroots service ledger of one hospital: on-site visit days per specialist per year (local
   * dates in the shift's zone; a day counts once however many visits it has), served (ended)
   * vs planned, against GRASSROOTS_REQUIRED_DAYS owed before promotion to associate chief.
   */
  async grassrootsLedger(actor: Actor, q: LedgerQuery) {
    // An unknown hospital is 404 for everyone, before the scope says whose it would be.
    const org = await assertOrganizationExists(this.db, q.organizationId);
    const scope = await this.policy.organizationScope(actor);
    if (!scope.organizationIds.includes(q.organizationId)) {
      throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'not allowed to read this hospital’s service ledger: it is not under your organization');
    }
    const now = this.clock.now();
    const rows: { id: string; name: string; title: string | null; specialty: string | null; year: number | null; served: number; planned: number }[] = await this.db.query(
      `SELECT p.id, p.display_name AS name, p.title, p.specialty, d.year, count(*) FILTER (WHERE d.served)::int AS served, count(*) FILTER (WHERE NOT d.served)::int AS planned
         FROM practitioner p
         LEFT JOIN LATERAL (
           SELECT o.local_date, extract(year FROM o.local_date)::int AS year, bool_or(upper(o.period) <= $2) AS served
             FROM shift_occurrence o WHERE o.specialist_id = p.id AND o.mode = 'on_site_visit' AND o.status = 'scheduled'
            GROUP BY o.local_date) d ON true
        WHERE p.organization_id = $1 AND 'specialist' = ANY(p.roles) AND p.active
        GROUP BY p.id, p.display_name, p.title, p.specialty, d.year
        ORDER BY p.display_name, d.year`,
      [q.organizationId, now],
    );
    const required = this.config.scheduling.grassrootsRequiredDays;
    const people = new Map<string, { specialistId: string; name: string; title: string | null; specialty: string | null; byYear: { year: number; servedDays: number; plannedDays: number }[] }>();
    for (const r of rows) {
      if (!people.has(r.id)) people.set(r.id, { specialistId: r.id, name: r.name, title: r.title, specialty: r.specialty, byYear: [] });
      if (r.year !== null) people.get(r.id)!.byYear.push({ year: r.year, servedDays: r.served, plannedDays: r.planned });
    }
    const specialists = [...people.values()].map((p) => {
      const served = p.byYear.reduce((n, y) => n + y.servedDays, 0);
      const planned = p.byYear.reduce((n, y) => n + y.plannedDays, 0);
      const inYear = q.year ? p.byYear.find((y) => y.year === q.year) ?? { year: q.year, servedDays: 0, plannedDays: 0 } : null;
      return { ...p, servedDays: served, plannedDays: planned, requiredDays: required, remainingDays: Math.max(0, required - served), met: served >= required, ...(inYear ? { year: inYear } : {}) };
    });
    return { organizationId: q.organizationId, organizationName: org.name, requiredDays: required, asOf: now, specialists };
  }

  private async hubScope(actor: Actor, q: RangeQuery): Promise<{ scope: string[]; from: Date; to: Date }> {
    if (!hasRole(actor, 'hub_coordinator')) throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'hub views are for hub coordinators');
    const scope = await this.policy.organizationScope(actor);
    const from = q.from ? new Date(q.from) : new Date(this.clock.now().getTime() - 28 * DAY);
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 56 * DAY);
    if (!(to > from) || to.getTime() - from.getTime() > 400 * DAY) throw new DomainError('invalid_range', HttpStatus.BAD_REQUEST, 'the range should be positive and at most 400 days');
    return { scope: scope.organizationIds, from, to };
  }
}
