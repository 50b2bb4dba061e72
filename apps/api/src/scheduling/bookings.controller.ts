import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentActor, type Actor } from '@huizhen/auth';
import type { ErrorCode } from '@huizhen/contract';
import { ApiPage, Documented } from '@huizhen/platform-http';
import { BookingsService } from './bookings.service';
import {
  BookSlotDto,
  BookingOutcomeDto,
  CancelBookingDto,
  RangeQuery,
  RescheduleBookingDto,
  SlotQuery,
} from './scheduling.dto';
import {
  BookingResponse,
  CalendarResponse,
  SlotResponse,
  type CalendarAnswer,
} from './scheduling.views';

/**
 * What taking a slot can be refused for, booking or rescheduling: the slot itself (checkSlot,
 * slotTaken), the specialist's time (the exclusion constraint), and the request it is for
 * (ConsultationSlotBookings.appointmentBooked).
 */
const SLOT_ERRORS = [
  'slot_not_found',
  'slot_cancelled',
  'slot_started',
  'slot_taken',
  'slot_not_offered',
  'specialty_mismatch',
  'double_booking',
  'specialist_mismatch',
  'specialist_declined',
  'consultation_not_bookable',
] as const satisfies readonly ErrorCode[];

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling')
export class BookingsController {
  constructor(private readonly bookings: BookingsService) {}

  @Documented(
    'Search free slots (specialty, specialist, mode, range)',
    'access_denied',
    'invalid_range',
    'range_too_long',
    'specialist_not_found',
    'organization_not_found',
  )
  @ApiPage(SlotResponse)
  @Get('slots')
  slots(@CurrentActor() actor: Actor, @Query() q: SlotQuery) {
    return this.bookings.searchSlots(actor, q);
  }

  /** 201 with the booking; 200 with the same booking when the Idempotency-Key was seen before. */
  @Documented(
    'Book a slot for a consultation request (idempotent by Idempotency-Key)',
    'consultation_request_not_found',
    'access_denied',
    ...SLOT_ERRORS,
    'request_already_booked',
    'consultation_not_live',
    'invalid_idempotency_key',
    'idempotency_key_mismatch',
    'idempotency_key_reused',
  )
  @ApiCreatedResponse({ type: BookingResponse, description: 'a new booking' })
  @ApiOkResponse({
    type: BookingResponse,
    description:
      'the same booking again: the Idempotency-Key was seen before (Idempotent-Replayed: true)',
  })
  @Post('bookings')
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async book(
    @CurrentActor() actor: Actor,
    @Body() dto: BookSlotDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ) {
    const { booking, replayed } = await this.bookings.book(actor, dto, key);
    if (replayed) {
      res.status(200);
      res.setHeader('Idempotent-Replayed', 'true');
    }
    return booking;
  }

  @Documented('Read a booking', 'booking_not_found', 'access_denied')
  @ApiOkResponse({ type: BookingResponse })
  @Get('bookings/:id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.bookings.get(actor, id);
  }

  @Documented(
    'Move a booking to another slot',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
    'same_slot',
    ...SLOT_ERRORS,
  )
  @ApiCreatedResponse({ type: BookingResponse, description: 'the new booking' })
  @Post('bookings/:id/reschedule')
  reschedule(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: RescheduleBookingDto,
  ) {
    return this.bookings.reschedule(actor, id, dto);
  }

  @Documented(
    'Cancel a booking (its request goes back to claimed)',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
  )
  @ApiOkResponse({ type: BookingResponse })
  @Post('bookings/:id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CancelBookingDto,
  ) {
    return this.bookings.cancel(actor, id, dto);
  }

  @Documented(
    'Record a booking’s outcome: fulfilled or no-show',
    'booking_not_found',
    'access_denied',
    'booking_not_active',
    'booking_not_started',
  )
  @ApiOkResponse({ type: BookingResponse })
  @Post('bookings/:id/outcome')
  @HttpCode(200)
  outcome(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: BookingOutcomeDto,
  ) {
    return this.bookings.recordOutcome(actor, id, dto.outcome);
  }

  /** My calendar: my shifts (specialists) and the bookings I am party to. */
  @Documented('The caller’s bookings and shifts in a range', 'invalid_range', 'range_too_long')
  @ApiOkResponse({ type: CalendarResponse })
  @Get('calendar')
  calendar(@CurrentActor() actor: Actor, @Query() q: RangeQuery): Promise<CalendarAnswer> {
    return this.bookings.calendar(actor, q);
  }
}
