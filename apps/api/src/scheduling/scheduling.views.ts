import { ApiProperty } from '@nestjs/swagger';
import {
  BOOKING_STATUSES,
  SHIFT_MODES,
  type BookingStatus,
  type ShiftMode,
} from '@huizhen/contract';
import type { BookingView } from './booking-store';
import type { SlotView } from './slot-store';

/** A booking as the booking routes answer it (BookingView). */
export class BookingResponse implements BookingView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) slotId: string;
  @ApiProperty({ format: 'uuid' }) shiftId: string;
  @ApiProperty({ format: 'uuid' }) specialistId: string;
  @ApiProperty() specialistName: string;
  @ApiProperty({ format: 'uuid' }) consultationRequestId: string;
  @ApiProperty({ format: 'uuid' }) requestingOrganizationId: string;
  @ApiProperty() requestingOrganizationName: string;
  @ApiProperty({ format: 'uuid' }) bookedBy: string;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @ApiProperty({ type: String, format: 'date-time' }) start: Date;
  @ApiProperty({ type: String, format: 'date-time' }) end: Date;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'the start in the shift’s zone' })
  localStart: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: BookingStatus;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) rescheduledFrom: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: Date;
}

/** A slot as the slot search lists it (SlotView): its time, its specialist and the seats left. */
export class SlotResponse implements SlotView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) shiftId: string;
  @ApiProperty({ format: 'uuid' }) specialistId: string;
  @ApiProperty() specialistName: string;
  @ApiProperty({ format: 'uuid' }) specialistOrganizationId: string;
  @ApiProperty({ type: String, nullable: true }) specialty: string | null;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @ApiProperty({ type: [String], format: 'uuid' }) hostOrganizationIds: string[];
  @ApiProperty({ type: String, format: 'date-time' }) start: Date;
  @ApiProperty({ type: String, format: 'date-time' }) end: Date;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'the start in the shift’s zone' })
  localStart: string;
  @ApiProperty() capacity: number;
  @ApiProperty() remaining: number;
}
