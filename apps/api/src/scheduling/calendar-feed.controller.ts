import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiNoContentResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentActor, type Actor } from '@huizhen/auth';
import type { CalendarFeed } from '@huizhen/contract';
import { ApiContent, Documented, Public } from '@huizhen/platform-http';
import { CalendarFeedService } from './calendar-feed.service';
import { CalendarFeedResponse } from './scheduling.views';

const ICS = 'text/calendar; charset=utf-8';

@ApiTags('scheduling')
@Controller('api/scheduling')
export class CalendarFeedController {
  constructor(private readonly feeds: CalendarFeedService) {}

  @Documented('A specialist’s calendar as iCalendar', 'specialist_not_found', 'access_denied')
  @ApiContent(200, 'iCalendar (RFC 5545)', { 'text/calendar': { type: 'string' } })
  @Get('specialists/:specialistId/calendar.ics')
  @ApiBearerAuth()
  async ics(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Res({ passthrough: true }) res: Response,
  ) {
    const text = await this.feeds.forActor(actor, id);
    res.type(ICS);
    return text;
  }

  /** A secret feed address for calendar apps (which cannot send a Bearer token); minting again replaces it. */
  @Documented('Mint (or replace) the caller’s secret calendar-feed address', 'access_denied')
  @ApiCreatedResponse({ type: CalendarFeedResponse })
  @Post('me/calendar-feed')
  @ApiBearerAuth()
  mint(@CurrentActor() actor: Actor): Promise<CalendarFeed> {
    return this.feeds.mintToken(actor);
  }

  @Documented('Revoke the caller’s calendar feed')
  @ApiNoContentResponse({ description: 'revoked (or there was none)' })
  @Delete('me/calendar-feed')
  @ApiBearerAuth()
  @HttpCode(204)
  async revoke(@CurrentActor() actor: Actor) {
    await this.feeds.revokeToken(actor);
  }

  @Public()
  @Documented('A calendar feed by its secret address (no login: calendar apps)', 'feed_not_found')
  @ApiContent(200, 'iCalendar (RFC 5545)', { 'text/calendar': { type: 'string' } })
  @Get('calendar-feeds/:token/calendar.ics')
  async feed(@Param('token') token: string, @Res({ passthrough: true }) res: Response) {
    const text = await this.feeds.forToken(token);
    res.type(ICS);
    res.setHeader('Cache-Control', 'private, max-age=300');
    return text;
  }
}
