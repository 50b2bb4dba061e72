import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { PageQuery } from '@huizhen/platform-http';
import {
  BOOKING_DISPOSITIONS,
  SHIFT_MODES,
  type BookingDisposition,
  type ShiftMode,
} from './scheduling-terms';
import type {
  BookingInput,
  BookingOutcomeInput,
  Demand,
  LedgerFilter,
  PlanProposalInput,
  ReasonInput,
  RescheduleInput,
  ShiftCancellation,
  ShiftChanges,
  ShiftFilter,
  ShiftInput,
  SlotFilter,
  TimeRange,
  UnavailabilityInput,
  WorkingHoursInput,
  WorkingWindow,
} from '@huizhen/contract';

const LOCAL_MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/;
const LOCAL_MINUTE_MSG = 'should be a local time YYYY-MM-DDTHH:mm (in timeZone)';
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/;

export class CreateShiftDto implements ShiftInput {
  @ApiProperty() @IsUUID() specialistId: string;
  @ApiProperty({
    type: [String],
    description: 'organizations the shift serves (townships that may book its slots)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @IsUUID('all', { each: true })
  hostOrganizationIds: string[];
  @ApiProperty({ enum: SHIFT_MODES }) @IsIn(SHIFT_MODES) mode: ShiftMode;
  @ApiPropertyOptional({
    example: 'Asia/Shanghai',
    description: 'IANA zone; default SCHEDULING_DEFAULT_TIME_ZONE',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
  @ApiProperty({
    example: '2027-03-15T09:00',
    description: 'first occurrence start, local wall-clock time',
  })
  @Matches(LOCAL_MINUTE, { message: `start ${LOCAL_MINUTE_MSG}` })
  start: string;
  @ApiProperty({
    example: '2027-03-15T12:00',
    description: 'first occurrence end, local wall-clock time',
  })
  @Matches(LOCAL_MINUTE, { message: `end ${LOCAL_MINUTE_MSG}` })
  end: string;
  @ApiPropertyOptional({
    example: 'FREQ=WEEKLY;BYDAY=MO;COUNT=12',
    description: 'RFC 5545 RRULE value, expanded in timeZone; UNTIL is local time',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  rrule?: string | null;
  @ApiPropertyOptional({
    type: [String],
    example: ['2027-04-05'],
    description: 'EXDATE: local dates or local starts YYYY-MM-DDTHH:mm',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsString({ each: true })
  exdates?: string[];
  @ApiProperty({ example: 30 }) @IsInt() @Min(5) @Max(480) slotMinutes: number;
  @ApiPropertyOptional({ example: 1, description: 'bookings one slot takes' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50)
  slotCapacity?: number;
  @ApiPropertyOptional({ example: 60, description: 'travel/preparation before each occurrence' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(720)
  bufferBeforeMinutes?: number;
  @ApiPropertyOptional({ example: 60 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(720)
  bufferAfterMinutes?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) note?: string;
}

export class UpdateShiftDto
  extends PartialType(OmitType(CreateShiftDto, ['specialistId'] as const))
  implements ShiftChanges
{
  @ApiPropertyOptional({
    enum: BOOKING_DISPOSITIONS,
    description: 'required when the change touches booked slots',
  })
  @IsOptional()
  @IsIn(BOOKING_DISPOSITIONS)
  onBookings?: BookingDisposition;
  @ApiPropertyOptional({
    description: 'told to the township doctors whose bookings move or are cancelled',
  })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  reason?: string;
}

export class CancelShiftDto implements ShiftCancellation {
  @ApiPropertyOptional({ enum: BOOKING_DISPOSITIONS })
  @IsOptional()
  @IsIn(BOOKING_DISPOSITIONS)
  onBookings?: BookingDisposition;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) reason: string;
}

export class ShiftQuery extends PageQuery implements ShiftFilter {
  @ApiPropertyOptional() @IsOptional() @IsUUID() specialistId?: string;
  @ApiPropertyOptional({ description: 'host organization' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() from?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() to?: string;
}

export class WorkingWindowDto implements WorkingWindow {
  @ApiProperty({ minimum: 1, maximum: 7, description: 'ISO weekday, 1 = Monday' })
  @IsInt()
  @Min(1)
  @Max(7)
  weekday: number;
  @ApiProperty({ example: '08:00' })
  @Matches(CLOCK, { message: 'start should be HH:mm' })
  start: string;
  @ApiProperty({ example: '17:00' })
  @Matches(CLOCK, { message: 'end should be HH:mm' })
  end: string;
}

export class WorkingHoursDto implements WorkingHoursInput {
  @ApiPropertyOptional({ example: 'Asia/Shanghai' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timeZone?: string;
  @ApiProperty({ type: [WorkingWindowDto] })
  @IsArray()
  @ArrayMaxSize(28)
  @ValidateNested({ each: true })
  @Type(() => WorkingWindowDto)
  windows: WorkingWindowDto[];
}

export class UnavailabilityDto implements UnavailabilityInput {
  @ApiProperty({ enum: ['leave', 'commitment'] }) @IsIn(['leave', 'commitment']) kind:
    'leave' | 'commitment';
  @ApiProperty({ example: '2027-05-01T00:00' })
  @Matches(LOCAL_MINUTE, { message: `start ${LOCAL_MINUTE_MSG}` })
  start: string;
  @ApiProperty({ example: '2027-05-06T00:00' })
  @Matches(LOCAL_MINUTE, { message: `end ${LOCAL_MINUTE_MSG}` })
  end: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) timeZone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class RangeQuery implements TimeRange {
  @ApiPropertyOptional({ description: 'ISO 8601 instant or date; default now' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ description: 'ISO 8601 instant or date; default from + 14 days' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}

export class SlotQuery extends PageQuery implements SlotFilter {
  @ApiPropertyOptional({ example: 'radiology' })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  specialty?: string;
  @ApiPropertyOptional() @IsOptional() @IsUUID() specialistId?: string;
  @ApiPropertyOptional({
    description: 'a host organization; township doctors default to their own',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
  @ApiPropertyOptional({ description: "the specialist's hospital" })
  @IsOptional()
  @IsUUID()
  specialistOrganizationId?: string;
  @ApiPropertyOptional({ enum: SHIFT_MODES }) @IsOptional() @IsIn(SHIFT_MODES) mode?: ShiftMode;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() from?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601() to?: string;
}

export class BookSlotDto implements BookingInput {
  @ApiProperty() @IsUUID() slotId: string;
  @ApiProperty() @IsUUID() consultationRequestId: string;
  @ApiPropertyOptional({
    description:
      'same as the Idempotency-Key header: a retry with the same key returns the first booking',
  })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  idempotencyKey?: string;
}

export class RescheduleBookingDto implements RescheduleInput {
  @ApiProperty() @IsUUID() slotId: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) reason: string;
}

export class CancelBookingDto implements ReasonInput {
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) reason: string;
}

export class BookingOutcomeDto implements BookingOutcomeInput {
  @ApiProperty({ enum: ['fulfilled', 'no_show'] }) @IsIn(['fulfilled', 'no_show']) outcome:
    'fulfilled' | 'no_show';
}

export class LedgerQuery implements LedgerFilter {
  @ApiProperty({ description: 'the hospital' }) @IsUUID() organizationId: string;
  @ApiPropertyOptional({ example: 2027 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(2200)
  year?: number;
}

export class DemandDto implements Demand {
  @ApiProperty({ description: 'township' }) @IsUUID() organizationId: string;
  @ApiProperty({ example: 'cardiology' }) @IsString() @MaxLength(40) specialty: string;
  @ApiProperty() @IsInt() @Min(0) @Max(100000) count: number;
  @ApiPropertyOptional({ description: 'week of the horizon (0 = first); omitted: any week' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(51)
  week?: number;
}

export class ProposePlanDto implements PlanProposalInput {
  @ApiProperty({ example: '2027-03-01', description: 'first day of the horizon (local date)' })
  @Matches(DATE, { message: 'from should be a date YYYY-MM-DD' })
  from: string;
  @ApiProperty({ minimum: 1, maximum: 12 }) @IsInt() @Min(1) @Max(12) weeks: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) timeZone?: string;
  @ApiPropertyOptional({
    type: [DemandDto],
    description: 'omitted: the waiting requests (WAITING_DEMAND provider)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20000)
  @ValidateNested({ each: true })
  @Type(() => DemandDto)
  demand?: DemandDto[];
  @ApiPropertyOptional({ example: 30 })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(240)
  slotMinutes?: number;
  @ApiPropertyOptional({
    description: 'weight of the worst-served township’s coverage, as a share of total demand',
    example: 0.25,
  })
  @IsOptional()
  @IsNumber()
  @Min(0)
  @Max(5)
  fairnessWeight?: number;
  @ApiPropertyOptional({ description: 'default SCHEDULING_MAX_ONSITE_DAYS_PER_MONTH' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(31)
  maxOnSiteDaysPerMonth?: number;
}
