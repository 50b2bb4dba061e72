import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import {
  AnswerDto,
  CreateReferralDto,
  DeclineReferralDto,
  DownReferralDto,
  ReferralQuery,
} from './referral.dto';
import { ReferralsService } from './referrals.service';

@ApiTags('referrals')
@ApiBearerAuth()
@Controller('api/referrals')
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateReferralDto) {
    return this.referrals.create(actor, dto);
  }

  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ReferralQuery) {
    return this.referrals.list(actor, q);
  }

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.referrals.get(actor, id);
  }

  @Post(':id/accept')
  @HttpCode(200)
  accept(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: AnswerDto,
  ) {
    return this.referrals.accept(actor, id, dto.note);
  }

  @Post(':id/decline')
  @HttpCode(200)
  decline(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: DeclineReferralDto,
  ) {
    return this.referrals.decline(actor, id, dto.reason);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.referrals.cancel(actor, id);
  }

  /** Back down to the township with a follow-up plan, after this up-referral was accepted. */
  @Post(':id/down-referral')
  down(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: DownReferralDto,
  ) {
    return this.referrals.createDown(actor, id, dto);
  }
}
