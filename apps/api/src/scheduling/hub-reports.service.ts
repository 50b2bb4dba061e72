import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { WAITING_DEMAND, type WaitingDemandSource } from './consultation-links';
import { HubReadModel } from './hub-read-model';
import { assertOrganizationExists, townshipsIn } from './known-ids';
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
    private readonly reads: HubReadModel,
  ) {}

  async coverage(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const offered = await this.reads.offered({ scope, from, to });
    const towns = await townshipsIn(this.db, scope);
    const waiting = await this.demand.waiting(towns.map((t) => t.id));
    const townName = new Map(towns.map((t) => [t.id, t.name]));
    const rows = new Map<
      string,
      {
        organizationId: string;
        organizationName: string;
        specialty: string;
        slotsOffered: number;
        seatsOffered: number;
        seatsBooked: number;
        seatsFree: number;
        requestsWaiting: number;
        shortfall: number;
      }
    >();
    const row = (orgId: string, specialty: string) => {
      const k = `${orgId}|${specialty}`;
      if (!rows.has(k))
        rows.set(k, {
          organizationId: orgId,
          organizationName: townName.get(orgId) ?? '',
          specialty,
          slotsOffered: 0,
          seatsOffered: 0,
          seatsBooked: 0,
          seatsFree: 0,
          requestsWaiting: 0,
          shortfall: 0,
        });
      return rows.get(k)!;
    };
    for (const o of offered)
      Object.assign(row(o.organizationId, o.specialty), {
        slotsOffered: o.slots,
        seatsOffered: o.seats,
        seatsBooked: o.booked,
        seatsFree: o.seats - o.booked,
      });
    for (const w of waiting)
      if (townName.has(w.organizationId))
        row(w.organizationId, w.specialty).requestsWaiting += w.count;
    const items = [...rows.values()].map((r) => ({
      ...r,
      shortfall: Math.max(0, r.requestsWaiting - r.seatsFree),
    }));
    items.sort(
      (a, b) =>
        b.shortfall - a.shortfall ||
        a.organizationName.localeCompare(b.organizationName) ||
        a.specialty.localeCompare(b.specialty),
    );
    return {
      from,
      to,
      townships: towns.length,
      items,
      waitingSource: this.demand.constructor.name,
    };
  }

  async utilization(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const rows = await this.reads.utilization({ scope, from, to });
    return {
      from,
      to,
      items: rows.map((r) => ({
        ...r,
        utilization: r.seats ? Math.round((r.booked / r.seats) * 1000) / 1000 : 0,
      })),
    };
  }

  async noShows(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    const rows = await this.reads.noShows({ scope, from, to });
    return {
      from,
      to,
      total: rows.reduce((n, r) => n + r.noShows, 0),
      items: rows.map(({ attended_or_not, ...r }) => ({
        ...r,
        rate: attended_or_not ? Math.round((r.noShows / attended_or_not) * 1000) / 1000 : 0,
      })),
    };
  }

  /** Occurrences in the range with no booking at all. */
  async unfilledShifts(actor: Actor, q: RangeQuery) {
    const { scope, from, to } = await this.hubScope(actor, q);
    return { from, to, items: await this.reads.unfilled({ scope, from, to }) };
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
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'not allowed to read this hospital’s service ledger: it is not under your organization',
      );
    }
    const now = this.clock.now();
    const rows = await this.reads.ledger(q.organizationId, now);
    const required = this.config.scheduling.grassrootsRequiredDays;
    const people = new Map<
      string,
      {
        specialistId: string;
        name: string;
        title: string | null;
        specialty: string | null;
        byYear: { year: number; servedDays: number; plannedDays: number }[];
      }
    >();
    for (const r of rows) {
      if (!people.has(r.id))
        people.set(r.id, {
          specialistId: r.id,
          name: r.name,
          title: r.title,
          specialty: r.specialty,
          byYear: [],
        });
      if (r.year !== null)
        people
          .get(r.id)!
          .byYear.push({ year: r.year, servedDays: r.served, plannedDays: r.planned });
    }
    const specialists = [...people.values()].map((p) => {
      const served = p.byYear.reduce((n, y) => n + y.servedDays, 0);
      const planned = p.byYear.reduce((n, y) => n + y.plannedDays, 0);
      const inYear = q.year
        ? (p.byYear.find((y) => y.year === q.year) ?? {
            year: q.year,
            servedDays: 0,
            plannedDays: 0,
          })
        : null;
      return {
        ...p,
        servedDays: served,
        plannedDays: planned,
        requiredDays: required,
        remainingDays: Math.max(0, required - served),
        met: served >= required,
        ...(inYear ? { year: inYear } : {}),
      };
    });
    return {
      organizationId: q.organizationId,
      organizationName: org.name,
      requiredDays: required,
      asOf: now,
      specialists,
    };
  }

  private async hubScope(
    actor: Actor,
    q: RangeQuery,
  ): Promise<{ scope: string[]; from: Date; to: Date }> {
    if (!hasRole(actor, 'hub_coordinator'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'hub views are for hub coordinators',
      );
    const scope = await this.policy.organizationScope(actor);
    const from = q.from ? new Date(q.from) : new Date(this.clock.now().getTime() - 28 * DAY);
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 56 * DAY);
    if (!(to > from) || to.getTime() - from.getTime() > 400 * DAY)
      throw new DomainError(
        'invalid_range',
        HttpStatus.BAD_REQUEST,
        'the range should be positive and at most 400 days',
      );
    return { scope: scope.organizationIds, from, to };
  }
}
