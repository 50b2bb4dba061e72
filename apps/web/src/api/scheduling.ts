/** Scheduling API (apps/api/src/scheduling): rotation shifts, free slots, bookings, hub views, planner. */
import { api } from './client';
import type { Booking, ShiftMode, Slot } from '@huizhen/contract';
import type { Page } from './types';

export { BOOKING_STATUSES, SHIFT_MODES } from '@huizhen/contract';
export type { BookingStatus, ShiftMode } from '@huizhen/contract';
/** The answers' shapes are the contract's: a change to the server's answer breaks this compile. */
export type { Booking, Slot } from '@huizhen/contract';

export interface Occurrence {
  id: string;
  start: string;
  end: string;
  /** Local wall-clock time in the shift's zone, YYYY-MM-DDTHH:mm. */
  localStart: string;
  localEnd: string;
  status: string;
  seats: number;
  booked: number;
}

export interface ShiftInput {
  specialistId: string;
  hostOrganizationIds: string[];
  mode: ShiftMode;
  timeZone?: string;
  /** Local wall-clock YYYY-MM-DDTHH:mm. */
  start: string;
  end: string;
  rrule?: string | null;
  exdates?: string[];
  slotMinutes: number;
  slotCapacity?: number;
  bufferBeforeMinutes?: number;
  bufferAfterMinutes?: number;
  note?: string;
}

export interface Shift extends Required<Omit<ShiftInput, 'note' | 'rrule' | 'exdates'>> {
  id: string;
  specialistName: string;
  specialty: string | null;
  rrule: string | null;
  exdates: string[];
  note: string | null;
  durationMinutes: number;
  status: string;
  version: number;
  planId: string | null;
  occurrences: Occurrence[];
}

export interface CoverageRow {
  organizationId: string;
  organizationName: string;
  specialty: string;
  slotsOffered: number;
  seatsOffered: number;
  seatsBooked: number;
  seatsFree: number;
  requestsWaiting: number;
  shortfall: number;
}

export interface UtilizationRow {
  specialistId: string;
  specialistName: string;
  organizationId: string;
  specialty: string | null;
  slots: number;
  seats: number;
  booked: number;
  fulfilled: number;
  noShows: number;
  cancelled: number;
  utilization: number;
}

export interface NoShowRow {
  organizationId: string;
  organizationName: string;
  specialistId: string;
  specialistName: string;
  noShows: number;
  rate: number;
}

export interface UnfilledRow {
  occurrenceId: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  mode: ShiftMode;
  start: string;
  end: string;
  timeZone: string;
  localStart: string;
  hostOrganizationIds: string[];
  seats: number;
}

export interface LedgerSpecialist {
  specialistId: string;
  name: string;
  title: string | null;
  specialty: string | null;
  servedDays: number;
  plannedDays: number;
  requiredDays: number;
  remainingDays: number;
  met: boolean;
  byYear: { year: number; servedDays: number; plannedDays: number }[];
  year?: { year: number; servedDays: number; plannedDays: number };
}

export interface Ledger {
  organizationId: string;
  organizationName: string;
  requiredDays: number;
  asOf: string;
  specialists: LedgerSpecialist[];
}

export interface ProposedVisit {
  specialistId: string;
  specialistName: string;
  organizationId: string;
  specialty: string;
  date: string;
  start: string;
  end: string;
  capacity: number;
}

export interface RotationPlan {
  id: string;
  status: 'proposed' | 'accepted' | 'discarded';
  hubOrganizationId: string;
  horizon: { from: string; to: string; timeZone: string };
  input: Record<string, unknown>;
  visits: ProposedVisit[];
  coverage: { organizationId: string; demand: number; covered: number; ratio: number }[];
  metrics: {
    status?: string;
    totalDemand?: number;
    reachableDemand?: number;
    covered?: number;
    minCoverage?: number;
    gapToLpBound?: number;
    solveMs?: number;
    specialistsConsidered?: number;
    townships?: number;
  };
  createdAt: string;
  decidedAt: string | null;
  shiftIds?: string[];
}

export interface ProposePlanInput {
  from: string;
  weeks: number;
  demand?: { organizationId: string; specialty: string; count: number; week?: number }[];
  slotMinutes?: number;
  fairnessWeight?: number;
  maxOnSiteDaysPerMonth?: number;
}

export interface InstitutionFigures {
  organizationId: string;
  name: string;
  level: string;
  requestsSent: number;
  requestsReceived: number;
  reportsSigned: number;
  claimSeconds: { average: number | null; median: number | null };
  reportTurnaroundSeconds: { average: number | null; p90: number | null };
  escalations: number;
  expired: number;
  referralsSent: number;
  referralsReceived: number;
  referralsAccepted: number;
  /** Video calls that started in the period on this institution's consultations, and their length. */
  videoCalls: number;
  videoMinutes: number;
}

export interface Range {
  from?: string;
  to?: string;
}

const id = (s: string) => encodeURIComponent(s);

/** What a shift change did to the bookings it touched. */
export interface ShiftChange {
  shift: Shift;
  bookings: { moved: unknown[]; cancelled: unknown[]; kept: number };
}

export const schedulingApi = {
  listShifts: (
    q: Range & { specialistId?: string; organizationId?: string; limit?: number; offset?: number },
  ) => api.get<Page<Shift>>('/api/scheduling/shifts', { limit: 200, ...q }),
  createShift: (input: ShiftInput) => api.post<Shift>('/api/scheduling/shifts', input),
  /** Cancels a whole shift; booked seats are moved or cancelled with notice (required when there are any). */
  cancelShift: (
    shiftId: string,
    input: { reason: string; onBookings?: 'move' | 'cancel_with_notice' },
  ) => api.post<ShiftChange>(`/api/scheduling/shifts/${id(shiftId)}/cancel`, input),
  updateShift: (
    shiftId: string,
    input: Partial<ShiftInput> & { onBookings?: 'move' | 'cancel_with_notice'; reason?: string },
  ) => api.patch<ShiftChange>(`/api/scheduling/shifts/${id(shiftId)}`, input),
  searchSlots: (
    q: Range & {
      specialty?: string;
      specialistId?: string;
      mode?: ShiftMode;
      limit?: number;
      offset?: number;
    },
  ) => api.get<Page<Slot>>('/api/scheduling/slots', { limit: 100, ...q }),
  /** The key makes a retried click return the first booking instead of booking twice. */
  book: (slotId: string, consultationRequestId: string, idempotencyKey: string) =>
    api.post<Booking>('/api/scheduling/bookings', {
      slotId,
      consultationRequestId,
      idempotencyKey,
    }),
  /** Moves a booked appointment to another free slot: the old one becomes 'rescheduled', the new one is returned. */
  reschedule: (bookingId: string, slotId: string, reason: string) =>
    api.post<Booking>(`/api/scheduling/bookings/${bookingId}/reschedule`, { slotId, reason }),
  /** Cancels a booked appointment and frees its seat. */
  cancelBooking: (bookingId: string, reason: string) =>
    api.post<Booking>(`/api/scheduling/bookings/${bookingId}/cancel`, { reason }),
  calendar: (q: Range = {}) =>
    api.get<{ from: string; to: string; timeZone: string; shifts: unknown[]; bookings: Booking[] }>(
      '/api/scheduling/calendar',
      { ...q },
    ),
  coverage: (q: Range = {}) =>
    api.get<{ from: string; to: string; townships: number; items: CoverageRow[] }>(
      '/api/scheduling/hub/coverage',
      { ...q },
    ),
  utilization: (q: Range = {}) =>
    api.get<{ from: string; to: string; items: UtilizationRow[] }>(
      '/api/scheduling/hub/utilization',
      { ...q },
    ),
  noShows: (q: Range = {}) =>
    api.get<{ from: string; to: string; total: number; items: NoShowRow[] }>(
      '/api/scheduling/hub/no-shows',
      { ...q },
    ),
  unfilled: (q: Range = {}) =>
    api.get<{ from: string; to: string; items: UnfilledRow[] }>(
      '/api/scheduling/hub/unfilled-shifts',
      { ...q },
    ),
  ledger: (organizationId: string, year?: number) =>
    api.get<Ledger>('/api/scheduling/grassroots-ledger', { organizationId, year }),
  propose: (input: ProposePlanInput) => api.post<RotationPlan>('/api/scheduling/plans', input),
  plan: (planId: string) => api.get<RotationPlan>(`/api/scheduling/plans/${id(planId)}`),
  accept: (planId: string) => api.post<RotationPlan>(`/api/scheduling/plans/${id(planId)}/accept`),
  discard: (planId: string) => api.post<unknown>(`/api/scheduling/plans/${id(planId)}/discard`),
  institutionFigures: (q: Range = {}) =>
    api.get<{ from: string; to: string; institutions: InstitutionFigures[] }>(
      '/api/consultations/metrics',
      { ...q },
    ),
};

/** The township doctor's consultation requests (worklist box "sent"), as the booking page picks one. */
export interface SentRequest {
  id: string;
  status: string;
  urgency: string;
  mode: string;
  specialty: string;
  patient: { id: string; name: string };
  createdAt: string;
}

export const sentRequestsApi = {
  list: () =>
    api.get<{ items: SentRequest[] }>('/api/consultations/worklist', { box: 'sent', limit: 100 }),
};
