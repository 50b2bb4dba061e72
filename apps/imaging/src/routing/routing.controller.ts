import {
  Body,
  Controller,
  Delete,
  Get,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { Documented } from '@huizhen/platform-http';
import {
  CreateRoutingRuleDto,
  ForwardJobListResponse,
  ForwardJobQuery,
  ForwardJobResponse,
  RoutingQuery,
  RoutingRuleListResponse,
  RoutingRuleResponse,
  UpdateRoutingRuleDto,
} from './routing.dto';
import { RoutingService } from './routing.service';

const DESTINATION_ERRORS = [
  'routing_destination',
  'dimse_peer_not_found',
  'dicomweb_peer_not_found',
] as const;

/** Routing studies on arrival: the rules, and the forward queue with its dead letters. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('api/admin')
export class RoutingController {
  constructor(private readonly routing: RoutingService) {}

  @Documented('List routing rules', 'organization_not_found', 'access_denied')
  @ApiOkResponse({ type: RoutingRuleListResponse })
  @Get('routing-rules')
  async listRules(@CurrentActor() actor: Actor, @Query() q: RoutingQuery) {
    return { items: await this.routing.listRules(actor, q.organizationId) };
  }

  @Documented(
    'Make a routing rule (forward matching studies on arrival to a peer)',
    'organization_not_found',
    'access_denied',
    'routing_rule_exists',
    ...DESTINATION_ERRORS,
  )
  @ApiCreatedResponse({ type: RoutingRuleResponse })
  @Post('routing-rules')
  createRule(@CurrentActor() actor: Actor, @Body() dto: CreateRoutingRuleDto) {
    return this.routing.createRule(actor, dto);
  }

  @Documented(
    'Change or disable a routing rule',
    'routing_rule_not_found',
    'access_denied',
    'routing_rule_exists',
    ...DESTINATION_ERRORS,
  )
  @ApiOkResponse({ type: RoutingRuleResponse })
  @Patch('routing-rules/:id')
  updateRule(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateRoutingRuleDto,
  ) {
    return this.routing.updateRule(actor, id, dto);
  }

  @Documented(
    'Remove a routing rule and its forward jobs',
    'routing_rule_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: RoutingRuleResponse, description: 'the rule removed' })
  @Delete('routing-rules/:id')
  deleteRule(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.routing.deleteRule(actor, id);
  }

  @Documented(
    'List forward jobs (the queue, progress per study, dead letters)',
    'organization_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: ForwardJobListResponse })
  @Get('forward-jobs')
  async listJobs(@CurrentActor() actor: Actor, @Query() q: ForwardJobQuery) {
    return { items: await this.routing.listJobs(actor, q) };
  }

  @Documented(
    'Send a dead letter again',
    'forward_job_not_found',
    'access_denied',
    'forward_job_not_dead',
  )
  @ApiCreatedResponse({ type: ForwardJobResponse })
  @Post('forward-jobs/:id/retry')
  retryJob(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.routing.retryJob(actor, id);
  }

  @Documented(
    'Discard a dead letter',
    'forward_job_not_found',
    'access_denied',
    'forward_job_not_dead',
  )
  @ApiOkResponse({ type: ForwardJobResponse, description: 'the job discarded, as it was' })
  @Delete('forward-jobs/:id')
  discardJob(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.routing.discardJob(actor, id);
  }
}
