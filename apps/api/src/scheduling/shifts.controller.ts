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
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import type { ErrorCode } from '@huizhen/contract';
import { ApiPage, Documented } from '@huizhen/platform-http';
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
import {
  AvailabilityResponse,
  ShiftChangeResponse,
  ShiftResponse,
  UnavailabilityResponse,
  WorkingHoursResponse,
  type AvailabilityAnswer,
  type ShiftAnswer,
  type ShiftChangeAnswer,
  type ShiftPageAnswer,
  type UnavailabilityAnswer,
} from './scheduling.views';
import type { WorkingHours } from '@huizhen/contract';

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
  @ApiCreatedResponse({ type: ShiftResponse })
  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateShiftDto): Promise<ShiftAnswer> {
    return this.shifts.create(actor, dto);
  }

  @Documented(
    'List rotation shifts (by specialist, host, range)',
    'access_denied',
    'specialist_not_found',
    'organization_not_found',
    'invalid_range',
  )
  @ApiPage(ShiftResponse)
  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ShiftQuery): Promise<ShiftPageAnswer> {
    return this.shifts.list(actor, q);
  }

  @Documented('Read a shift with its occurrences', 'shift_not_found', 'access_denied')
  @ApiOkResponse({ type: ShiftResponse })
  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string): Promise<ShiftAnswer> {
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
  @ApiOkResponse({ type: ShiftChangeResponse })
  @Patch(':id')
  update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdateShiftDto,
  ): Promise<ShiftChangeAnswer> {
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
  @ApiOkResponse({ type: ShiftChangeResponse })
  @Post(':id/cancel')
  @HttpCode(200)
  cancel(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: CancelShiftDto,
  ): Promise<ShiftChangeAnswer> {
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
  @ApiOkResponse({ type: WorkingHoursResponse })
  @Put('working-hours')
  setWorkingHours(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Body() dto: WorkingHoursDto,
  ): Promise<WorkingHours> {
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
  @ApiCreatedResponse({ type: UnavailabilityResponse })
  @Post('unavailability')
  addUnavailability(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Body() dto: UnavailabilityDto,
  ): Promise<UnavailabilityAnswer> {
    return this.availability.addUnavailability(actor, id, dto);
  }

  @Documented(
    'Remove a leave or commitment',
    'specialist_not_found',
    'unavailability_not_found',
    'access_denied',
  )
  @ApiNoContentResponse({ description: 'removed' })
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
  @ApiOkResponse({ type: AvailabilityResponse })
  @Get('availability')
  get(
    @CurrentActor() actor: Actor,
    @Param('specialistId', ParseUUIDPipe) id: string,
    @Query() q: RangeQuery,
  ): Promise<AvailabilityAnswer> {
    return this.availability.availability(actor, id, q);
  }
}
