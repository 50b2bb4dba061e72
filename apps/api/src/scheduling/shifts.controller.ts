import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import type { ErrorCode } from '@huizhen/contract';
import { Documented } from '@huizhen/platform-http';
import { AvailabilityService } from './availability.service';
import { RotationShiftsService } from './rotation-shifts.service';
import {
  CancelShiftDto,
  CreateShiftDto,
  RangeQuery,
  ShiftQuery,
  UnavailabilityDto,
  UpdateShiftDto,
  WorkingHoursDto,
} from './scheduling.dto';

/**
 * What a shift's spec can be refused for, on creating or changing it: its specialist and hosts
 * (checkSpec), its times and rule (shift-spec.ts), the roster and the specialist's hours and leave.
 */
const SHIFT_SPEC_ERRORS = [
  'specialist_not_found',
  'not_a_specialist',
  'host_not_found',
  'outside_consortium',
  'invalid_time_zone',
  'invalid_time',
  'invalid_rrule',
  'invalid_exdate',
  'invalid_shift_times',
  'invalid_slot_length',
  'no_occurrences',
  'shift_self_overlap',
  'shift_overlap',
  'outside_working_hours',
  'specialist_unavailable',
] as const satisfies readonly ErrorCode[];

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling/shifts')
export class ShiftsController {
  constructor(private readonly shifts: RotationShiftsService) {}

  @Documented(
    'Roster a rotation shift (its RRULE expanded into stored occurrences and slots)',
    'access_denied',
    ...SHIFT_SPEC_ERRORS,
  )
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateShiftDto) {
    return this.shifts.create(actor, dto);
  }

  @Documented(
    'List rotation shifts (by specialist, host, range)',
    'access_denied',
    'specialist_not_found',
    'organization_not_found',
    'invalid_range',
  )
  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ShiftQuery) {
    return this.shifts.list(actor, q);
  }

  @Documented('Read a shift with its occurrences', 'shift_not_found', 'access_denied')
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.shifts.get(actor, id);
  }

  /** 409 `bookings_affected` (with the list) when booked occurrences would go and `onBookings` is missing. */
  @Documented(
    'Change a shift; its bookings are moved or cancelled as told',
    'shift_not_found',
    'access_denied',
    'shift_cancelled',
    'shift_changed',
    ...SHIFT_SPEC_ERRORS,
    'bookings_affected',
    'double_booking',
  )
  @Patch(':id')
  update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateShiftDto,
  ) {
    return this.shifts.update(actor, id, dto);
  }

  @Documented(
    'Cancel a shift and say what happens to its bookings',
    'shift_not_found',
    'access_denied',
    'shift_cancelled',
    'bookings_affected',
    'double_booking',
  )
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CancelShiftDto,
  ) {
    return this.shifts.cancel(actor, id, dto);
  }
}

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling/specialists/:specialistId')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Documented(
    'Set a specialist’s weekly working hours',
    'specialist_not_found',
    'access_denied',
    'invalid_time_zone',
    'invalid_window',
  )
  @Put('working-hours')
  setWorkingHours(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Body() dto: WorkingHoursDto,
  ) {
    return this.availability.setWorkingHours(actor, id, dto);
  }

  @Documented(
    'Record a leave or commitment of a specialist',
    'specialist_not_found',
    'access_denied',
    'invalid_range',
    'invalid_time',
    'invalid_time_zone',
    'unavailability_clashes_shifts',
  )
  @Post('unavailability')
  addUnavailability(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Body() dto: UnavailabilityDto,
  ) {
    return this.availability.addUnavailability(actor, id, dto);
  }

  @Documented(
    'Remove a leave or commitment',
    'specialist_not_found',
    'unavailability_not_found',
    'access_denied',
  )
  @Delete('unavailability/:id')
  @HttpCode(204)
  async removeUnavailability(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) specialistId: string,
    @Param('id', ParseUUIDPipe) id: string,
  ) {
    await this.availability.removeUnavailability(actor, specialistId, id);
  }

  @Documented(
    'A specialist’s working hours, leave and rostered time in a range',
    'specialist_not_found',
    'access_denied',
    'invalid_range',
  )
  @Get('availability')
  get(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Query() q: RangeQuery,
  ) {
    return this.availability.availability(actor, id, q);
  }
}
