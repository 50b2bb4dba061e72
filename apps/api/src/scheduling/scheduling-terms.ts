import { Injectable } from '@nestjs/common';

export const SHIFT_MODES = ['remote_block', 'on_site_visit'] as const;
export type ShiftMode = (typeof SHIFT_MODES)[number];
export const SHIFT_MODE_ZH: Record<ShiftMode, string> = { remote_block: '远程门诊', on_site_visit: '下沉坐诊' };

/** What happens to bookings when their shift changes or is cancelled: the coordinator must say. */
export const BOOKING_DISPOSITIONS = ['move', 'cancel_with_notice'] as const;
export type BookingDisposition = (typeof BOOKING_DISPOSITIONS)[number];

export const BOOKING_STATUSES = ['booked', 'rescheduled', 'cancelled', 'fulfilled', 'no_show'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];

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
