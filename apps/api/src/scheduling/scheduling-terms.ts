import { Injectable } from '@nestjs/common';
import type { ShiftMode } from '@huizhen/contract';

/** How a shift is served and what became of a booking: the contract's words (libs/contract). */
export {
  BOOKING_DISPOSITIONS,
  BOOKING_STATUSES,
  SHIFT_MODES,
  type BookingDisposition,
  type BookingStatus,
  type ShiftMode,
} from '@huizhen/contract';

export const SHIFT_MODE_ZH: Record<ShiftMode, string> = {
  remote_block: '远程门诊',
  on_site_visit: '下沉坐诊',
};

/** The time source of scheduling; tests replace `now` to move through a week in milliseconds. */
export const SCHEDULING_CLOCK = Symbol('SCHEDULING_CLOCK');
export interface SchedulingClock {
  now(): Date;
}
@Injectable()
export class SystemClock implements SchedulingClock {
  now(): Date {
    return new Date();
  }
}
