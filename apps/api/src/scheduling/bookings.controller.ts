import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { BookingsService } from './bookings.service';
import { BookSlotDto, BookingOutcomeDto, CancelBookingDto, RangeQuery, RescheduleBookingDto, SlotQuery } from './scheduling.dto';

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling')
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Get('slots')
  slots(@CurrentActor() actor: Actor, @Query() q: SlotQuery) {
    return this.bookings.searchSlots(actor, q);
  }

  /** 201 with the booking; 200 with the same booking when the Idempotency-Key was seen before. */
  @Post('bookings')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async book(@CurrentActor() actor: Actor, @Body() dto: BookSlotDto, @Headers('idempotency-key') key: string | undefined, @Res({ passthrough: true }) res: Response) {
    const { booking, replayed } = await this.bookings.book(actor, dto, key);
    if (replayed) {
      res.status(200);
      res.setHeader('Idempotent-Replayed', 'true');
    }
    return booking;
  }

  @Get('bookings/:id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.bookings.get(actor, id);
  }

  @Post('bookings/:id/reschedule')
  reschedule(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: RescheduleBookingDto) {
    return this.bookings.reschedule(actor, id, dto);
  }

  @Post('bookings/:id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: CancelBookingDto) {
    return this.bookings.cancel(actor, id, dto);
  }

  @Post('bookings/:id/outcome')
  @HttpCode(200)
  outcome(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: BookingOutcomeDto) {
    return this.bookings.recordOutcome(actor, id, dto.outcome);
  }

  /** My calendar: my shifts (specialists) and the bookings I am party to. */
  @Get('calendar')
  calendar(@CurrentActor() actor: Actor, @Query() q: RangeQuery) {
    return this.bookings.calendar(actor, q);
  }
}
