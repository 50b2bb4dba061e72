import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/platform-http';
import { SCHEDULING_CLOCK, type SchedulingClock } from '../scheduling-terms';
import { command, sql } from '@huizhen/database';
import type { PlanCoverage, PlanMetrics, PlanStatus, ProposedVisit } from '@huizhen/contract';

export type { PlanStatus };

/** A plan as proposed: what it was computed from, what it proposes, how good it is. */
export interface PlanContent {
  hubOrganizationId: string;
  /** First and last local date, `YYYY-MM-DD`, in `timeZone`. */
  from: string;
  to: string;
  timeZone: string;
  input: Record<string, unknown>;
  /** As the planner wrote them (JSON columns). */
  proposal: { visits: ProposedVisit[]; coverage: PlanCoverage[] };
  metrics: PlanMetrics;
}

export interface StoredPlan extends PlanContent {
  id: string;
  status: PlanStatus;
  createdAt: Date;
  decidedAt: Date | null;
}

const PLAN = sql(
  {
    id: 'uuid',
    status: 'text',
    hub_organization_id: 'uuid',
    horizon_start: 'text',
    horizon_end: 'text',
    time_zone: 'text',
    input: 'json',
    proposal: 'json',
    metrics: 'json',
    created_at: 'timestamptz',
    decided_at: 'timestamptz?',
  },
  `SELECT id, status, hub_organization_id, to_char(horizon_start, 'YYYY-MM-DD') AS horizon_start,
          to_char(horizon_end, 'YYYY-MM-DD') AS horizon_end, time_zone, input, proposal, metrics, created_at, decided_at
     FROM rotation_plan WHERE id = $1`,
)
  .takes<[id: string]>()
  .map((r): StoredPlan => ({
    id: r.id,
    status: r.status as PlanStatus,
    hubOrganizationId: r.hub_organization_id,
    from: r.horizon_start,
    to: r.horizon_end,
    timeZone: r.time_zone,
    input: r.input as Record<string, unknown>,
    proposal: r.proposal as StoredPlan['proposal'],
    metrics: r.metrics as PlanMetrics,
    createdAt: r.created_at,
    decidedAt: r.decided_at,
  }));

const LOCKED_STATUS = sql(
  { status: 'text' },
  'SELECT status FROM rotation_plan WHERE id = $1 FOR UPDATE',
).takes<[id: string]>();

const INSERT_PLAN = sql(
  { id: 'uuid' },
  `INSERT INTO rotation_plan (created_by, hub_organization_id, horizon_start, horizon_end, time_zone, input, proposal, metrics)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
)
  .takes<
    [
      createdBy: string,
      hubOrganizationId: string,
      from: string,
      to: string,
      timeZone: string,
      input: string,
      proposal: string,
      metrics: string,
    ]
  >()
  .map((r) => r.id);

const DECIDE = command<
  [id: string, status: 'accepted' | 'discarded', decidedAt: Date, decidedBy: string]
>('UPDATE rotation_plan SET status = $2, decided_at = $3, decided_by = $4 WHERE id = $1');

/** Rotation plans: proposed by the planner, then accepted (its shifts written) or discarded. */
@Injectable()
export class RotationPlanStore {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(SCHEDULING_CLOCK) private readonly clock: SchedulingClock,
  ) {}

  async get(id: string): Promise<StoredPlan> {
    const plan = await PLAN.first(this.db, [id]);
    if (!plan)
      throw new DomainError(
        'plan_not_found',
        HttpStatus.NOT_FOUND,
        `rotation plan ${id} does not exist`,
      );
    return plan;
  }

  async insert(m: EntityManager, plan: PlanContent, createdBy: string): Promise<string> {
    const [id] = await INSERT_PLAN.all(m, [
      createdBy,
      plan.hubOrganizationId,
      plan.from,
      plan.to,
      plan.timeZone,
      JSON.stringify(plan.input),
      JSON.stringify(plan.proposal),
      JSON.stringify(plan.metrics),
    ]);
    return id;
  }

  /** The plan's status, its row locked until `m` ends (one decision at a time). */
  async lockStatus(m: EntityManager, id: string): Promise<PlanStatus> {
    const row = await LOCKED_STATUS.first(m, [id]);
    if (!row)
      throw new DomainError(
        'plan_not_found',
        HttpStatus.NOT_FOUND,
        `rotation plan ${id} does not exist`,
      );
    return row.status as PlanStatus;
  }

  /** Records the coordinator's decision, on the scheduling clock. */
  async decide(
    m: EntityManager,
    id: string,
    status: 'accepted' | 'discarded',
    by: string,
  ): Promise<void> {
    await DECIDE.run(m, [id, status, this.clock.now(), by]);
  }
}
