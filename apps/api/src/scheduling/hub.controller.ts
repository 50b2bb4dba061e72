import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { HubReportsService } from './hub-reports.service';
import { RotationPlansService } from './planner/rotation-plans.service';
import { LedgerQuery, ProposePlanDto, RangeQuery } from './scheduling.dto';

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling')
export class HubController {
  constructor(
    private readonly reports: HubReportsService,
    private readonly plans: RotationPlansService,
  ) {}

  @Get('hub/coverage')
  coverage(@CurrentActor() actor: Actor, @Query() q: RangeQuery) {
    return this.reports.coverage(actor, q);
  }

  @Get('hub/utilization')
  utilization(@CurrentActor() actor: Actor, @Query() q: RangeQuery) {
    return this.reports.utilization(actor, q);
  }

  @Get('hub/no-shows')
  noShows(@CurrentActor() actor: Actor, @Query() q: RangeQuery) {
    return this.reports.noShows(actor, q);
  }

  @Get('hub/unfilled-shifts')
  unfilled(@CurrentActor() actor: Actor, @Query() q: RangeQuery) {
    return this.reports.unfilledShifts(actor, q);
  }

  @Get('grassroots-ledger')
  ledger(@CurrentActor() actor: Actor, @Query() q: LedgerQuery) {
    return this.reports.grassrootsLedger(actor, q);
  }

  @Post('plans')
  propose(@CurrentActor() actor: Actor, @Body() dto: ProposePlanDto) {
    return this.plans.propose(actor, dto);
  }

  @Get('plans/:id')
  plan(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.plans.get(actor, id);
  }

  @Post('plans/:id/accept')
  @HttpCode(200)
  accept(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.plans.accept(actor, id);
  }

  @Post('plans/:id/discard')
  @HttpCode(200)
  discard(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.plans.discard(actor, id);
  }
}
