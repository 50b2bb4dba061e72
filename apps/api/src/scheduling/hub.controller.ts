import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { Documented, allowLargeJsonBody } from '@huizhen/platform-http';
import { HubReportsService } from './hub-reports.service';
import { RotationPlansService } from './planner/rotation-plans.service';
import { LedgerQuery, ProposePlanDto, RangeQuery } from './scheduling.dto';
import {
  AcceptedPlanResponse,
  CoverageReportResponse,
  LedgerResponse,
  NoShowReportResponse,
  RotationPlanResponse,
  UnfilledReportResponse,
  UtilizationReportResponse,
  type AcceptedPlanAnswer,
  type CoverageAnswer,
  type LedgerAnswer,
  type NoShowAnswer,
  type PlanAnswer,
  type UnfilledAnswer,
  type UtilizationAnswer,
} from './scheduling.views';

// A province's demand is up to 20,000 rows (ProposePlanDto): about 2 MB of JSON, past the default
// 100 KB body limit that refused lists over about 980 rows.
allowLargeJsonBody({ method: 'POST', path: '/api/scheduling/plans', limit: '4mb' });

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling')
export class HubController {
  constructor(
    private readonly reports: HubReportsService,
    private readonly plans: RotationPlansService,
  ) {}

  @Documented(
    'Hub: specialist coverage of the townships under the hub',
    'access_denied',
    'invalid_range',
  )
  @ApiOkResponse({ type: CoverageReportResponse })
  @Get('hub/coverage')
  coverage(@CurrentActor() actor: Actor, @Query() q: RangeQuery): Promise<CoverageAnswer> {
    return this.reports.coverage(actor, q);
  }

  @Documented('Hub: slot utilization per specialist and hospital', 'access_denied', 'invalid_range')
  @ApiOkResponse({ type: UtilizationReportResponse })
  @Get('hub/utilization')
  utilization(@CurrentActor() actor: Actor, @Query() q: RangeQuery): Promise<UtilizationAnswer> {
    return this.reports.utilization(actor, q);
  }

  @Documented('Hub: no-shows per township', 'access_denied', 'invalid_range')
  @ApiOkResponse({ type: NoShowReportResponse })
  @Get('hub/no-shows')
  noShows(@CurrentActor() actor: Actor, @Query() q: RangeQuery): Promise<NoShowAnswer> {
    return this.reports.noShows(actor, q);
  }

  @Documented('Hub: shifts with unbooked slots', 'access_denied', 'invalid_range')
  @ApiOkResponse({ type: UnfilledReportResponse })
  @Get('hub/unfilled-shifts')
  unfilled(@CurrentActor() actor: Actor, @Query() q: RangeQuery): Promise<UnfilledAnswer> {
    return this.reports.unfilledShifts(actor, q);
  }

  @Documented(
    'The grassroots service ledger of a hospital (visits, sessions, consultations)',
    'access_denied',
    'invalid_range',
    'organization_not_found',
  )
  @ApiOkResponse({ type: LedgerResponse })
  @Get('grassroots-ledger')
  ledger(@CurrentActor() actor: Actor, @Query() q: LedgerQuery): Promise<LedgerAnswer> {
    return this.reports.grassrootsLedger(actor, q);
  }

  @Documented(
    'Compute a rotation plan for the hub’s townships (HiGHS; one solve per process)',
    'access_denied',
    'invalid_date',
    'invalid_time_zone',
    'demand_outside_horizon',
    'demand_outside_scope',
    'planner_busy',
    'planner_timeout',
  )
  @ApiCreatedResponse({ type: RotationPlanResponse })
  @Post('plans')
  propose(@CurrentActor() actor: Actor, @Body() dto: ProposePlanDto): Promise<PlanAnswer> {
    return this.plans.propose(actor, dto);
  }

  @Documented('Read a rotation plan', 'plan_not_found', 'access_denied')
  @ApiOkResponse({ type: RotationPlanResponse })
  @Get('plans/:id')
  plan(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<PlanAnswer> {
    return this.plans.get(actor, id);
  }

  @Documented(
    'Accept a rotation plan: its shifts are created',
    'plan_not_found',
    'access_denied',
    'plan_decided',
    'plan_conflict',
  )
  @ApiOkResponse({ type: AcceptedPlanResponse })
  @Post('plans/:id/accept')
  @HttpCode(200)
  accept(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<AcceptedPlanAnswer> {
    return this.plans.accept(actor, id);
  }

  @Documented('Discard a rotation plan', 'plan_not_found', 'access_denied', 'plan_decided')
  @ApiOkResponse({ type: RotationPlanResponse })
  @Post('plans/:id/discard')
  @HttpCode(200)
  discard(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PlanAnswer> {
    return this.plans.discard(actor, id);
  }
}
