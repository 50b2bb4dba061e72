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

/** A rotation shift is active until cancelled; each of its occurrences likewise. */
export const SHIFT_STATUSES = ['active', 'cancelled'] as const;
export type ShiftStatus = (typeof SHIFT_STATUSES)[number];

export const OCCURRENCE_STATUSES = ['scheduled', 'cancelled'] as const;
export type OccurrenceStatus = (typeof OCCURRENCE_STATUSES)[number];

/** What a rotation plan became: proposed by the planner, then accepted (its shifts made) or discarded. */
export const PLAN_STATUSES = ['proposed', 'accepted', 'discarded'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

/** Why a specialist is away: leave, or another commitment. */
export const UNAVAILABILITY_KINDS = ['leave', 'commitment'] as const;
export type UnavailabilityKind = (typeof UNAVAILABILITY_KINDS)[number];

/** What happens to bookings when their shift changes or is cancelled: the coordinator must say. */
export const BOOKING_DISPOSITIONS = ['move', 'cancel_with_notice'] as const;
export type BookingDisposition = (typeof BOOKING_DISPOSITIONS)[number];
