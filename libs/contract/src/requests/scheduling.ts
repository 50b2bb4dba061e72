import type { BookingDisposition, ShiftMode, UnavailabilityKind } from '../scheduling';
import type { WorkingWindow } from '../views/scheduling';
import type { PageFilter, TimeRange } from './page';

/** POST /api/scheduling/shifts: local wall-clock times (YYYY-MM-DDTHH:mm) in `timeZone`. */
export interface ShiftInput {
  specialistId: string;
  /** The organizations the shift serves (townships that may book its slots). */
  hostOrganizationIds: string[];
  mode: ShiftMode;
  /** IANA zone; default SCHEDULING_DEFAULT_TIME_ZONE. */
  timeZone?: string;
  start: string;
  end: string;
  /** RFC 5545 RRULE value, expanded in timeZone. */
  rrule?: string | null;
  exdates?: string[];
  slotMinutes: number;
  slotCapacity?: number;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  note?: string;
}

/** PATCH /api/scheduling/shifts/{id}: `onBookings` is required when booked slots change. */
export interface ShiftChanges extends Partial<Omit<ShiftInput, 'specialistId'>> {
  onBookings?: BookingDisposition;
  /** Told to the township doctors whose bookings move or are cancelled. */
  reason?: string;
}

/** POST /api/scheduling/shifts/{id}/cancel. */
export interface ShiftCancellation {
  onBookings?: BookingDisposition;
  reason: string;
}

/** GET /api/scheduling/shifts. */
export interface ShiftFilter extends PageFilter, TimeRange {
  specialistId?: string;
  /** A host organization. */
  organizationId?: string;
}

/** PUT …/working-hours. */
export interface WorkingHoursInput {
  timeZone?: string;
  windows: WorkingWindow[];
}

/** POST …/unavailability: leave or another commitment, local times. */
export interface UnavailabilityInput {
  kind: UnavailabilityKind;
  start: string;
  end: string;
  timeZone?: string;
  reason?: string;
}

/** GET /api/scheduling/slots: free slots a township may book. */
export interface SlotFilter extends PageFilter, TimeRange {
  specialty?: string;
  specialistId?: string;
  /** A host organization; township doctors default to their own. */
  organizationId?: string;
  /** The specialist's hospital. */
  specialistOrganizationId?: string;
  mode?: ShiftMode;
}

/** POST /api/scheduling/bookings (a retry with the same key returns the first booking). */
export interface BookingInput {
  slotId: string;
  consultationRequestId: string;
  idempotencyKey?: string;
}

/** POST /api/scheduling/bookings/{id}/reschedule. */
export interface RescheduleInput {
  slotId: string;
  reason: string;
}

/** POST /api/scheduling/bookings/{id}/outcome. */
export interface BookingOutcomeInput {
  outcome: 'fulfilled' | 'no_show';
}

/** GET /api/scheduling/hub/ledger. */
export interface LedgerFilter {
  organizationId: string;
  year?: number;
}

/** One township's demand for a specialty in a week of the horizon (omitted: any week). */
export interface Demand {
  organizationId: string;
  specialty: string;
  count: number;
  week?: number;
}

/** POST /api/scheduling/plans: a proposed rotation plan for `weeks` weeks from `from`. */
export interface PlanProposalInput {
  /** The first day (local date YYYY-MM-DD). */
  from: string;
  weeks: number;
  timeZone?: string;
  /** Omitted: the waiting requests. */
  demand?: Demand[];
  slotMinutes?: number;
  /** Weight of the worst-served township's coverage, as a share of total demand. */
  fairnessWeight?: number;
  maxOnSiteDaysPerMonth?: number;
}
