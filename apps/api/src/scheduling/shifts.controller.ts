import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { AvailabilityService } from './availability.service';
import { RotationShiftsService } from './rotation-shifts.service';
import { CancelShiftDto, CreateShiftDto, RangeQuery, ShiftQuery, UnavailabilityDto, UpdateShiftDto, WorkingHoursDto } from './scheduling.dto';

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling/shifts')
export class ShiftsController {
  constructor(private readonly shifts: RotationShiftsService) {}

  @Post()
  create(@CurrentActor() actor: Actor, @Body() dto: CreateShiftDto) {
    return this.shifts.create(actor, dto);
  }

  @Get()
  list(@CurrentActor() actor: Actor, @Query() q: ShiftQuery) {
    return this.shifts.list(actor, q);
  }

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.shifts.get(actor, id);
  }

  /** 409 `bookings_affected` (with the list) when booked occurrences would go and `onBookings` is missing. */
  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdateShiftDto) {
    return this.shifts.update(actor, id, dto);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: CancelShiftDto) {
    return this.shifts.cancel(actor, id, dto);
  }
}

@ApiTags('scheduling')
@ApiBearerAuth()
@Controller('api/scheduling/specialists/:specialistId')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Put('working-hours')
  setWorkingHours(@CurrentActor() actor: Actor, @Param('specialistId', ParseUUIDPipe) id: string, @Body() dto: WorkingHoursDto) {
    return this.availability.setWorkingHours(actor, id, dto);
  }

  @Post('unavailability')
  addUnavailability(@CurrentActor() actor: Actor, @Param('specialistId', ParseUUIDPipe) id: string, @Body() dto: UnavailabilityDto) {
    return this.availability.addUnavailability(actor, id, dto);
  }

  @Delete('unavailability/:id')
  @HttpCode(204)
  async removeUnavailability(@CurrentActor() actor: Actor, @Param('specialistId', ParseUUIDPipe) specialistId: string, @Param('id', ParseUUIDPipe) id: string) {
    await this.availability.removeUnavailability(actor, specialistId, id);
  }

  @Get('availability')
  get(@CurrentActor() actor: Actor, @Param('specialistId', ParseUUIDPipe) id: string, @Query() q: RangeQuery) {
    return this.availability.availability(actor, id, q);
  }
}
