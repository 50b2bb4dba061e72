import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DateTime } from 'luxon';
import { DataSource } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { DEFAULT_WEEK, windowsOnDay, type WorkingWindow } from '../availability.service';
import { EXCLUSION_VIOLATION, pgCode } from '../pg-errors';
import { rangeText } from '../sql';
import { WAITING_DEMAND, type WaitingDemandSource } from '../consultation-links';
import { instantToLocal, isValidTimeZone } from '../recurrence';
import { RotationShiftsService, type ShiftSpec } from '../rotation-shifts.service';
import type { ProposePlanDto } from '../scheduling.dto';
import { solvePlan, type PlannerDemand, type PlannerSpecialist } from './rotation-planner';

export interface ProposedVisit {
  specialistId: string;
  specialistName: string;
  organizationId: string;
  specialty: string;
  date: string;
  start: string;
  end: string;
  capacity: number;
}

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
  ) {}

  async propose(actor: Actor, dto: ProposePlanDto) {
    if (!hasRole(actor, 'hub_coordinator'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'only hub coordinators plan rotations',
      );
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
    const scope = await this.policy.organizationScope(actor);
    const towns: { id: string }[] = await this.db.query(
      `SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre' AND active`,
      [scope.organizationIds],
    );
    const townIds = new Set(towns.map((t) => t.id));

    let demand: PlannerDemand[];
    if (dto.demand) {
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
      demand = dto.demand.map((d) => ({
        organizationId: d.organizationId,
        specialty: d.specialty,
        count: d.count,
        week: d.week ?? null,
      }));
    } else {
      demand = (await this.waiting.waiting([...townIds])).map((d) => ({ ...d, week: null }));
    }
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
    const byId = new Map(specialists.map((s) => [s.planner.id, s]));
    const visits: ProposedVisit[] = solution.visits.map((v) => {
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
    const [row]: { id: string; created_at: Date }[] = await this.db.transaction(async (m) => {
      const r = await m.query(
        `INSERT INTO rotation_plan (created_by, hub_organization_id, horizon_start, horizon_end, time_zone, input, proposal, metrics) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
        [
          actor.id,
          actor.organizationId,
          days[0],
          days[days.length - 1],
          zone,
          JSON.stringify(input),
          JSON.stringify({ visits, coverage }),
          JSON.stringify({
            ...metrics,
            specialistsConsidered: specialists.length,
            townships: townIds.size,
          }),
        ],
      );
      await this.audit.record(
        {
          action: 'rotation_plan.propose',
          actor,
          resourceType: 'rotation_plan',
          resourceId: r[0].id,
          details: {
            visits: visits.length,
            covered: solution.covered,
            demand: solution.totalDemand,
          },
        },
        m,
      );
      return r;
    });
    return this.get(actor, row.id);
  }

  async get(actor: Actor, id: string) {
    const plan = await this.load(id);
    await this.assertHub(actor, plan.hub_organization_id);
    return {
      id: plan.id,
      status: plan.status,
      hubOrganizationId: plan.hub_organization_id,
      horizon: { from: plan.horizon_start, to: plan.horizon_end, timeZone: plan.time_zone },
      input: plan.input,
      visits: plan.proposal.visits as ProposedVisit[],
      coverage: plan.proposal.coverage,
      metrics: plan.metrics,
      createdAt: plan.created_at,
      decidedAt: plan.decided_at,
    };
  }

  /** Creates every proposed visit as a one-off on-site shift, all or nothing. */
  async accept(actor: Actor, id: string) {
    const plan = await this.load(id);
    await this.assertHub(actor, plan.hub_organization_id);
    if (plan.status !== 'proposed')
      throw new DomainError(
        'plan_decided',
        HttpStatus.CONFLICT,
        `this plan is already ${plan.status}`,
      );
    const visits = plan.proposal.visits as ProposedVisit[];
    const hospitals: { organization_id: string }[] = await this.db.query(
      `SELECT DISTINCT organization_id FROM practitioner WHERE id = ANY($1::uuid[])`,
      [[...new Set(visits.map((v) => v.specialistId))]],
    );
    await this.policy.assert(actor, 'manage', {
      type: 'rotation_shift',
      organizationIds: [
        ...new Set([
          ...visits.map((v) => v.organizationId),
          ...hospitals.map((h) => h.organization_id),
        ]),
      ],
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
        timeZone: plan.time_zone,
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
        const locked = await m.query(`SELECT status FROM rotation_plan WHERE id = $1 FOR UPDATE`, [
          id,
        ]);
        if (locked[0].status !== 'proposed')
          throw new DomainError(
            'plan_decided',
            HttpStatus.CONFLICT,
            `this plan is already ${locked[0].status}`,
          );
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
        await m.query(
          `UPDATE rotation_plan SET status = 'accepted', decided_at = now(), decided_by = $2 WHERE id = $1`,
          [id, actor.id],
        );
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
    const plan = await this.load(id);
    await this.assertHub(actor, plan.hub_organization_id);
    if (plan.status !== 'proposed')
      throw new DomainError(
        'plan_decided',
        HttpStatus.CONFLICT,
        `this plan is already ${plan.status}`,
      );
    await this.db.transaction(async (m) => {
      await m.query(
        `UPDATE rotation_plan SET status = 'discarded', decided_at = now(), decided_by = $2 WHERE id = $1`,
        [id, actor.id],
      );
      await this.audit.record(
        { action: 'rotation_plan.discard', actor, resourceType: 'rotation_plan', resourceId: id },
        m,
      );
    });
    return this.get(actor, id);
  }

  /** Specialists of the demanded specialties who share a consortium with a township in scope, with their free days. */
  private async candidates(specialties: string[], horizon: PlanningHorizon) {
    const { townships, hospitals, days, zone, slotMinutes, maxDays } = horizon;
    if (!specialties.length || !townships.length) return [];
    const people: { id: string; name: string; specialty: string; reach: string[] }[] =
      await this.db.query(
        `SELECT p.id, p.display_name AS name, p.specialty, array_agg(DISTINCT m2.organization_id) AS reach
         FROM practitioner p
         JOIN consortium_member m1 ON m1.organization_id = p.organization_id
         JOIN consortium_member m2 ON m2.consortium_id = m1.consortium_id
        WHERE p.active AND 'specialist' = ANY(p.roles) AND p.specialty = ANY($1::text[]) AND m2.organization_id = ANY($2::uuid[]) AND p.organization_id = ANY($3::uuid[])
        GROUP BY p.id, p.display_name, p.specialty ORDER BY p.id`,
        [specialties, townships, hospitals],
      );
    if (!people.length) return [];
    const ids = people.map((p) => p.id);
    const start = DateTime.fromISO(days[0], { zone }).startOf('month');
    const end = DateTime.fromISO(days[days.length - 1], { zone }).endOf('month');
    const monthSpan = rangeText(start.toJSDate(), end.toJSDate());
    const hours: {
      specialist_id: string;
      weekday: number;
      s: string;
      e: string;
      time_zone: string;
    }[] = await this.db.query(
      `SELECT specialist_id, weekday, to_char(start_local, 'HH24:MI') AS s, to_char(end_local, 'HH24:MI') AS e, time_zone FROM specialist_working_hours WHERE specialist_id = ANY($1::uuid[])`,
      [ids],
    );
    const busy: { specialist_id: string; s: Date; e: Date }[] = await this.db.query(
      `SELECT specialist_id, lower(period) AS s, upper(period) AS e FROM specialist_unavailability WHERE specialist_id = ANY($1::uuid[]) AND period && $2::tstzrange
       UNION ALL
       SELECT specialist_id, lower(blocked), upper(blocked) FROM shift_occurrence WHERE specialist_id = ANY($1::uuid[]) AND status = 'scheduled' AND blocked && $2::tstzrange`,
      [ids, monthSpan],
    );
    const onSite: { specialist_id: string; month: string; days: number }[] = await this.db.query(
      `SELECT specialist_id, to_char(local_date, 'YYYY-MM') AS month, count(DISTINCT local_date)::int AS days FROM shift_occurrence
        WHERE specialist_id = ANY($1::uuid[]) AND mode = 'on_site_visit' AND status = 'scheduled' AND local_date BETWEEN $2::date AND $3::date GROUP BY 1, 2`,
      [ids, start.toISODate(), end.toISODate()],
    );
    const months = [...new Set(days.map((d) => d.slice(0, 7)))];
    return people.map((p) => {
      const own = hours.filter((h) => h.specialist_id === p.id);
      const hz = own[0]?.time_zone ?? zone;
      const week: WorkingWindow[] = own.length
        ? own.map((h) => ({ weekday: h.weekday, start: h.s, end: h.e }))
        : DEFAULT_WEEK;
      const mine = busy.filter((b) => b.specialist_id === p.id);
      const window = new Map<string, { start: string; end: string }>();
      const freeDays: { date: string; capacity: number }[] = [];
      for (const date of days) {
        const windows = windowsOnDay(date, week, hz);
        if (!windows.length) continue;
        const longest = windows.reduce((a, b) =>
          b.end.getTime() - b.start.getTime() > a.end.getTime() - a.start.getTime() ? b : a,
        );
        if (mine.some((b) => b.s < longest.end && b.e > longest.start)) continue;
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
      const monthAllowance = Object.fromEntries(
        months.map((m) => [
          m,
          Math.max(
            0,
            maxDays - (onSite.find((o) => o.specialist_id === p.id && o.month === m)?.days ?? 0),
          ),
        ]),
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

  private async load(id: string) {
    const [plan] = await this.db.query(
      `SELECT *, to_char(horizon_start, 'YYYY-MM-DD') AS horizon_start, to_char(horizon_end, 'YYYY-MM-DD') AS horizon_end FROM rotation_plan WHERE id = $1`,
      [id],
    );
    if (!plan)
      throw new DomainError(
        'plan_not_found',
        HttpStatus.NOT_FOUND,
        `rotation plan ${id} does not exist`,
      );
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
