import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { ProposedVisit } from '@huizhen/contract';
import { DomainError } from '@huizhen/platform-http';
import { DEFAULT_WEEK, windowsOnDay, type WorkingWindow } from '../availability.service';
import { AvailabilityStore, type StoredWorkingWindow } from '../availability-store';
import { activeTownships, hospitalsOf, specialistsReaching } from '../known-ids';
import { EXCLUSION_VIOLATION, pgCode } from '../pg-errors';
import { rangeText } from '../pg-range';
import { WAITING_DEMAND, type WaitingDemandSource } from '../consultation-links';
import { instantToLocal, isValidTimeZone } from '../recurrence';
import { RotationShiftsService, type ShiftSpec } from '../rotation-shifts.service';
import type { ProposePlanDto } from '../scheduling.dto';
import { ShiftStore } from '../shift-store';
import { RotationPlanStore, type PlanStatus, type StoredPlan } from './rotation-plan-store';
import { solvePlan, type PlannerDemand, type PlannerSpecialist } from './rotation-planner';

/** Where and when a plan looks for specialists: the townships and hospitals in scope, the days, the visit shape. */
interface PlanningHorizon {
  townships: string[];
  hospitals: string[];
  days: string[];
  zone: string;
  slotMinutes: number;
  maxDays: number;
}

/**
 * Rotation plans: the planner proposes on-site visits for the waiting demand; a coordinator
 * reviews and accepts (all shifts created in one transaction) or discards.
 */
@Injectable()
export class RotationPlansService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(WAITING_DEMAND) private readonly waiting: WaitingDemandSource,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly shifts: RotationShiftsService,
    private readonly plans: RotationPlanStore,
    private readonly availability: AvailabilityStore,
    private readonly shiftStore: ShiftStore,
  ) {}

  async propose(actor: Actor, dto: ProposePlanDto) {
    if (!hasRole(actor, 'hub_coordinator'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'only hub coordinators plan rotations',
      );
    const { zone, days, slotMinutes, maxDays } = this.horizonOf(dto);
    const scope = await this.policy.organizationScope(actor);
    const townIds = new Set(await activeTownships(this.db, scope.organizationIds));
    const demand = await this.demandOf(dto, townIds);
    const specialties = [...new Set(demand.filter((d) => d.count > 0).map((d) => d.specialty))];
    // Only specialists of hospitals under the coordinator's hub: the same rule as a shift made by hand.
    const specialists = await this.candidates(specialties, {
      townships: [...townIds],
      hospitals: scope.organizationIds,
      days,
      zone,
      slotMinutes,
      maxDays,
    });
    const solution = await solvePlan({
      days,
      specialists: specialists.map((s) => s.planner),
      demand,
      fairnessWeight: dto.fairnessWeight ?? 0.25,
      timeLimitSeconds: this.config.scheduling.plannerTimeLimitSeconds,
      mipGap: this.config.scheduling.plannerMipGapPercent / 100,
    });
    const visits = visitsOf(solution.visits, specialists);
    const { visits: _v, coverage, ...metrics } = solution;
    const input = {
      from: dto.from,
      weeks: dto.weeks,
      timeZone: zone,
      slotMinutes,
      maxOnSiteDaysPerMonth: maxDays,
      fairnessWeight: dto.fairnessWeight ?? 0.25,
      demand,
      demandSource: dto.demand ? 'request' : this.waiting.constructor.name,
    };
    const planId = await this.db.transaction(async (m) => {
      const created = await this.plans.insert(
        m,
        {
          hubOrganizationId: actor.organizationId,
          from: days[0],
          to: days[days.length - 1],
          timeZone: zone,
          input,
          proposal: { visits, coverage },
          metrics: {
            ...metrics,
            specialistsConsidered: specialists.length,
            townships: townIds.size,
          },
        },
        actor.id,
      );
      await this.audit.record(
        {
          action: 'rotation_plan.propose',
          actor,
          resourceType: 'rotation_plan',
          resourceId: created,
          details: {
            visits: visits.length,
            covered: solution.covered,
            demand: solution.totalDemand,
          },
        },
        m,
      );
      return created;
    });
    return this.get(actor, planId);
  }

  /** The plan's days (local dates in its zone) and the visit shape it asks for. */
  private horizonOf(dto: ProposePlanDto) {
    const zone = dto.timeZone ?? this.config.scheduling.defaultTimeZone;
    if (!isValidTimeZone(zone))
      throw new DomainError(
        'invalid_time_zone',
        HttpStatus.BAD_REQUEST,
        `"${zone}" is not an IANA time zone`,
      );
    const first = DateTime.fromISO(dto.from, { zone });
    if (!first.isValid)
      throw new DomainError(
        'invalid_date',
        HttpStatus.BAD_REQUEST,
        `from "${dto.from}" is not a date`,
      );
    const days = [...Array(dto.weeks * 7).keys()].map((i) => first.plus({ days: i }).toISODate()!);
    const slotMinutes = dto.slotMinutes ?? 30;
    const maxDays = dto.maxOnSiteDaysPerMonth ?? this.config.scheduling.maxOnSiteDaysPerMonth;
    return { zone, days, slotMinutes, maxDays };
  }

  /** The demand the coordinator states (townships under the hub, weeks within the horizon), or what waits now. */
  private async demandOf(dto: ProposePlanDto, townIds: Set<string>): Promise<PlannerDemand[]> {
    if (!dto.demand)
      return (await this.waiting.waiting([...townIds])).map((d) => ({ ...d, week: null }));
    const outside = dto.demand
      .filter((d) => !townIds.has(d.organizationId))
      .map((d) => d.organizationId);
    if (outside.length)
      throw new DomainError(
        'demand_outside_scope',
        HttpStatus.BAD_REQUEST,
        `demand names organizations that are not townships under your hub: ${[...new Set(outside)].slice(0, 5).join(', ')}`,
      );
    const late = dto.demand.filter((d) => d.week !== undefined && d.week >= dto.weeks);
    if (late.length)
      throw new DomainError(
        'demand_outside_horizon',
        HttpStatus.BAD_REQUEST,
        `demand for week ${late[0].week} lies beyond the ${dto.weeks}-week horizon`,
      );
    return dto.demand.map((d) => ({
      organizationId: d.organizationId,
      specialty: d.specialty,
      count: d.count,
      week: d.week ?? null,
    }));
  }

  async get(actor: Actor, id: string) {
    const plan = await this.plans.get(id);
    await this.assertHub(actor, plan.hubOrganizationId);
    return {
      id: plan.id,
      status: plan.status,
      hubOrganizationId: plan.hubOrganizationId,
      horizon: { from: plan.from, to: plan.to, timeZone: plan.timeZone },
      input: plan.input,
      visits: plan.proposal.visits,
      coverage: plan.proposal.coverage,
      metrics: plan.metrics,
      createdAt: plan.createdAt,
      decidedAt: plan.decidedAt,
    };
  }

  /** Creates every proposed visit as a one-off on-site shift, all or nothing. */
  async accept(actor: Actor, id: string) {
    const plan = await this.undecided(actor, id);
    const visits = plan.proposal.visits;
    const hospitals = await hospitalsOf(this.db, [...new Set(visits.map((v) => v.specialistId))]);
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      organizationIds: [...new Set([...visits.map((v) => v.organizationId), ...hospitals])],
    });
    const slotMinutes = Number(plan.input.slotMinutes ?? 30);
    const prepared: {
      spec: ShiftSpec;
      specialty: string;
      occ: ReturnType<RotationShiftsService['expand']>;
    }[] = [];
    for (const v of visits) {
      const spec = this.shifts.specFromDto({
        specialistId: v.specialistId,
        hostOrganizationIds: [v.organizationId],
        mode: 'on_site_visit',
        timeZone: plan.timeZone,
        start: v.start,
        end: v.end,
        slotMinutes,
        slotCapacity: 1,
        note: `rotation plan ${id}`,
      });
      const occ = this.shifts.expand(spec);
      await this.shifts.checkAvailability(v.specialistId, occ);
      prepared.push({ spec, specialty: v.specialty, occ });
    }
    let shiftIds: string[];
    try {
      shiftIds = await this.db.transaction(async (m) => {
        assertUndecided(await this.plans.lockStatus(m, id));
        const ids: string[] = [];
        for (const p of prepared)
          ids.push(
            await this.shifts.insertShift(m, actor, {
              spec: p.spec,
              specialty: p.specialty,
              occurrences: p.occ,
              planId: id,
            }),
          );
        await this.plans.decide(m, id, 'accepted', actor.id);
        await this.audit.record(
          {
            action: 'rotation_plan.accept',
            actor,
            resourceType: 'rotation_plan',
            resourceId: id,
            details: { shifts: ids.length },
          },
          m,
        );
        return ids;
      });
    } catch (e) {
      if (pgCode(e) === EXCLUSION_VIOLATION) {
        for (const p of prepared) {
          const err = await this.shifts.overlapError(p.spec.specialistId, p.occ, null);
          if ((err.details?.conflicts as unknown[] | undefined)?.length) {
            throw new DomainError(
              'plan_conflict',
              HttpStatus.CONFLICT,
              `the plan no longer fits the roster (nothing was created): ${err.message}`,
              err.details,
            );
          }
        }
      }
      throw e;
    }
    return { ...(await this.get(actor, id)), shiftIds };
  }

  async discard(actor: Actor, id: string) {
    await this.undecided(actor, id);
    await this.db.transaction(async (m) => {
      await this.plans.decide(m, id, 'discarded', actor.id);
      await this.audit.record(
        { action: 'rotation_plan.discard', actor, resourceType: 'rotation_plan', resourceId: id },
        m,
      );
    });
    return this.get(actor, id);
  }

  /** Specialists of the demanded specialties who share a consortium with a township in scope, with their free days. */
  private async candidates(specialties: string[], horizon: PlanningHorizon) {
    const { townships, hospitals, days, zone, maxDays } = horizon;
    if (!specialties.length || !townships.length) return [];
    const people = await specialistsReaching(this.db, { specialties, townships, hospitals });
    if (!people.length) return [];
    const ids = people.map((p) => p.id);
    const start = DateTime.fromISO(days[0], { zone }).startOf('month');
    const end = DateTime.fromISO(days[days.length - 1], { zone }).endOf('month');
    const monthSpan = rangeText(start.toJSDate(), end.toJSDate());
    const hours = await this.availability.windowsOf(ids);
    const busy = [
      ...(await this.availability.unavailableOf(ids, monthSpan)),
      ...(await this.shiftStore.blocksOf(ids, monthSpan)),
    ];
    const onSite = await this.shiftStore.onSiteDays(ids, start.toISODate()!, end.toISODate()!);
    const months = [...new Set(days.map((d) => d.slice(0, 7)))];
    return people.map((p) => {
      const { window, freeDays } = freeDaysOf(
        hours.filter((h) => h.specialistId === p.id),
        busy.filter((b) => b.specialistId === p.id),
        horizon,
      );
      const onSiteIn = (month: string) =>
        onSite.find((o) => o.specialistId === p.id && o.month === month)?.days ?? 0;
      const monthAllowance = Object.fromEntries(
        months.map((m) => [m, Math.max(0, maxDays - onSiteIn(m))]),
      );
      const planner: PlannerSpecialist = {
        id: p.id,
        specialty: p.specialty,
        reachable: p.reach.filter((t) => townships.includes(t)),
        freeDays,
        monthAllowance,
      };
      return { planner, name: p.name, window };
    });
  }

  /** A plan of the actor's hub that is still only proposed. */
  private async undecided(actor: Actor, id: string): Promise<StoredPlan> {
    const plan = await this.plans.get(id);
    await this.assertHub(actor, plan.hubOrganizationId);
    assertUndecided(plan.status);
    return plan;
  }

  private async assertHub(actor: Actor, hubOrganizationId: string) {
    if (!hasRole(actor, 'hub_coordinator'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'only hub coordinators plan rotations',
      );
    const scope = await this.policy.organizationScope(actor);
    if (!scope.organizationIds.includes(hubOrganizationId))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'this plan belongs to another hub',
      );
  }
}

function assertUndecided(status: PlanStatus): void {
  if (status !== 'proposed')
    throw new DomainError('plan_decided', HttpStatus.CONFLICT, `this plan is already ${status}`);
}

/**
 * A specialist's free days in the horizon: on each day the longest working window (their own
 * hours in their zone, or the default week) that nothing blocks, as visit times in the plan's
 * zone and as seats of `slotMinutes`.
 */
function freeDaysOf(
  own: StoredWorkingWindow[],
  busy: { start: Date; end: Date }[],
  horizon: PlanningHorizon,
) {
  const { days, zone, slotMinutes } = horizon;
  const hz = own[0]?.timeZone ?? zone;
  const week: WorkingWindow[] = own.length
    ? own.map((h) => ({ weekday: h.weekday, start: h.start, end: h.end }))
    : DEFAULT_WEEK;
  const window = new Map<string, { start: string; end: string }>();
  const freeDays: { date: string; capacity: number }[] = [];
  for (const date of days) {
    const windows = windowsOnDay(date, week, hz);
    if (!windows.length) continue;
    const longest = windows.reduce((a, b) =>
      b.end.getTime() - b.start.getTime() > a.end.getTime() - a.start.getTime() ? b : a,
    );
    if (busy.some((b) => b.start < longest.end && b.end > longest.start)) continue;
    const capacity = Math.floor(
      (longest.end.getTime() - longest.start.getTime()) / 60_000 / slotMinutes,
    );
    if (capacity <= 0) continue;
    // The visit is stated in the plan's zone, as the shift will be.
    window.set(date, {
      start: instantToLocal(longest.start, zone).slice(11),
      end: instantToLocal(longest.end, zone).slice(11),
    });
    freeDays.push({ date, capacity });
  }
  return { window, freeDays };
}

/** The solver's visits as the coordinator reviews them: who, where, which day, from when to when. */
function visitsOf(
  solved: {
    specialistId: string;
    organizationId: string;
    specialty: string;
    date: string;
    capacity: number;
  }[],
  specialists: {
    planner: PlannerSpecialist;
    name: string;
    window: Map<string, { start: string; end: string }>;
  }[],
): ProposedVisit[] {
  const byId = new Map(specialists.map((s) => [s.planner.id, s]));
  return solved.map((v) => {
    const s = byId.get(v.specialistId)!;
    const w = s.window.get(v.date)!;
    return {
      specialistId: v.specialistId,
      specialistName: s.name,
      organizationId: v.organizationId,
      specialty: v.specialty,
      date: v.date,
      start: `${v.date}T${w.start}`,
      end: `${v.date}T${w.end}`,
      capacity: v.capacity,
    };
  });
}
