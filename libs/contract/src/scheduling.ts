/** Scheduling: how a rotation shift is served and what became of a booking. */

export const SHIFT_MODES = ['remote_block', 'on_site_visit'] as const;
export type ShiftMode = (typeof SHIFT_MODES)[number];

export const BOOKING_STATUSES = [
  'booked',
  'rescheduled',
  'cancelled',
  'fulfilled',
  'no_show',
] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
