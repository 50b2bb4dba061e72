/** Scheduling answers as the web reads them (dates as ISO strings). */
import type { BookingStatus, ShiftMode } from '../scheduling';

/** A booking as the booking routes answer it. */
export interface Booking {
  id: string;
  slotId: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  consultationRequestId: string;
  requestingOrganizationId: string;
  requestingOrganizationName: string;
  bookedBy: string;
  mode: ShiftMode;
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  timeZone: string;
  /** The start in the shift's zone, YYYY-MM-DDTHH:mm. */
  localStart: string;
  status: BookingStatus;
  reason: string | null;
  rescheduledFrom: string | null;
  /** ISO date-time. */
  createdAt: string;
}

/** A free slot as the slot search lists it: its time, its specialist and the seats left. */
export interface Slot {
  id: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  specialistOrganizationId: string;
  specialty: string | null;
  mode: ShiftMode;
  hostOrganizationIds: string[];
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  timeZone: string;
  /** The start in the shift's zone, YYYY-MM-DDTHH:mm. */
  localStart: string;
  capacity: number;
  remaining: number;
}
