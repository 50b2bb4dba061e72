import { ApiProperty } from '@nestjs/swagger';
import {
  BOOKING_STATUSES,
  SHIFT_MODES,
  type Booking,
  type BookingStatus,
  type ShiftMode,
  type Slot,
} from '@huizhen/contract';

/** A booking as the booking routes answer it (the contract's Booking). */
export class BookingResponse implements Booking {
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
  @ApiProperty({ type: String, format: 'date-time' }) start: string;
  @ApiProperty({ type: String, format: 'date-time' }) end: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'the start in the shift’s zone' })
  localStart: string;
  @ApiProperty({ enum: BOOKING_STATUSES }) status: BookingStatus;
  @ApiProperty({ type: String, nullable: true }) reason: string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) rescheduledFrom: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

/** A slot as the slot search lists it (the contract's Slot): its time, its specialist and the seats left. */
export class SlotResponse implements Slot {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) shiftId: string;
  @ApiProperty({ format: 'uuid' }) specialistId: string;
  @ApiProperty() specialistName: string;
  @ApiProperty({ format: 'uuid' }) specialistOrganizationId: string;
  @ApiProperty({ type: String, nullable: true }) specialty: string | null;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @ApiProperty({ type: [String], format: 'uuid' }) hostOrganizationIds: string[];
  @ApiProperty({ type: String, format: 'date-time' }) start: string;
  @ApiProperty({ type: String, format: 'date-time' }) end: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'the start in the shift’s zone' })
  localStart: string;
  @ApiProperty() capacity: number;
  @ApiProperty() remaining: number;
}
