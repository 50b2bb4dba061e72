import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { ApiPage, Documented } from '@huizhen/platform-http';
import {
  AnswerDto,
  CreateReferralDto,
  DeclineReferralDto,
  DownReferralDto,
  ReferralQuery,
} from './referral.dto';
import { ReferralsService } from './referrals.service';
import {
  ListedReferralView,
  ReferralDetailView,
  ReferralView,
  type ReferralAnswer,
  type ReferralDetailAnswer,
  type ReferralPageAnswer,
} from './referral.views';

@ApiTags('referrals')
@ApiBearerAuth()
@Controller('api/referrals')
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Documented(
    'Refer the patient as the signed report recommends (up, to a named hospital, or back down with a follow-up plan)',
    'consultation_not_found',
    'access_denied',
    'report_missing',
    'follow_up_plan_required',
    'no_referral_recommended',
    'referral_exists',
    'referral_to_self',
  )
  @ApiCreatedResponse({ type: ReferralView })
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateReferralDto): Promise<ReferralAnswer> {
    return this.referrals.create(actor, dto);
  }

  @Documented(
    'List referrals: incoming, outgoing or the hub’s (green channel first)',
    'access_denied',
  )
  @ApiPage(ListedReferralView)
  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ReferralQuery): Promise<ReferralPageAnswer> {
    return this.referrals.list(actor, q);
  }

  @Documented('Read a referral', 'referral_not_found', 'access_denied')
  @ApiOkResponse({ type: ReferralDetailView })
  @Get(':id')
  get(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ReferralDetailAnswer> {
    return this.referrals.get(actor, id);
  }

  @Documented(
    'Accept a referral (the receiving side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  )
  @ApiOkResponse({ type: ReferralView })
  @Post(':id/accept')
  @HttpCode(200)
  accept(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: AnswerDto,
  ): Promise<ReferralAnswer> {
    return this.referrals.accept(actor, id, dto.note);
  }

  @Documented(
    'Decline a referral (the receiving side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  )
  @ApiOkResponse({ type: ReferralView })
  @Post(':id/decline')
  @HttpCode(200)
  decline(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: DeclineReferralDto,
  ): Promise<ReferralAnswer> {
    return this.referrals.decline(actor, id, dto.reason);
  }

  @Documented(
    'Withdraw an unanswered referral (the sending side)',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
  )
  @ApiOkResponse({ type: ReferralView })
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<ReferralAnswer> {
    return this.referrals.cancel(actor, id);
  }

  /** Back down to the township with a follow-up plan, after this up-referral was accepted. */
  @Documented(
    'Refer back down to the township with a follow-up plan',
    'referral_not_found',
    'access_denied',
    'illegal_transition',
    'referral_exists',
  )
  @ApiCreatedResponse({ type: ReferralView })
  @Post(':id/down-referral')
  down(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: DownReferralDto,
  ): Promise<ReferralAnswer> {
    return this.referrals.createDown(actor, id, dto);
  }
}
