/** Scheduling API (apps/api/src/scheduling): rotation shifts, free slots, bookings, hub views, planner. */
import { api } from './client';
import type {
  AcceptedPlan,
  Booking,
  Calendar,
  ConsultationMetrics,
  CoverageReport,
  Ledger,
  NoShowReport,
  Page,
  RotationPlan,
  Shift,
  ShiftChange,
  ShiftMode,
  Slot,
  UnfilledReport,
  UtilizationReport,
  WorklistItem,
  WorklistPage,
} from '@huizhen/contract';

export { BOOKING_STATUSES, SHIFT_MODES } from '@huizhen/contract';
export type { BookingStatus, ShiftMode } from '@huizhen/contract';
/** The answers' shapes are the contract's: a change to the server's answer breaks this compile. */
export type {
  AcceptedPlan,
  AffectedBooking,
  Booking,
  Calendar,
  CalendarOccurrence,
  ConsultationMetrics,
  CoverageReport,
  CoverageRow,
  InstitutionFigures,
  Ledger,
  LedgerSpecialist,
  LedgerYear,
  MovedBooking,
  NoShowReport,
  NoShowRow,
  Occurrence,
  PlanCoverage,
  PlanMetrics,
  ProposedVisit,
  RotationPlan,
  Shift,
  ShiftChange,
  Slot,
  UnfilledReport,
  UnfilledRow,
  UtilizationReport,
  UtilizationRow,
} from '@huizhen/contract';

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

export interface ProposePlanInput {
  from: string;
  weeks: number;
  demand?: { organizationId: string; specialty: string; count: number; week?: number }[];
  slotMinutes?: number;
  fairnessWeight?: number;
  maxOnSiteDaysPerMonth?: number;
}

export interface Range {
  from?: string;
  to?: string;
}

const id = (s: string) => encodeURIComponent(s);

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
  calendar: (q: Range = {}) => api.get<Calendar>('/api/scheduling/calendar', { ...q }),
  coverage: (q: Range = {}) => api.get<CoverageReport>('/api/scheduling/hub/coverage', { ...q }),
  utilization: (q: Range = {}) =>
    api.get<UtilizationReport>('/api/scheduling/hub/utilization', { ...q }),
  noShows: (q: Range = {}) => api.get<NoShowReport>('/api/scheduling/hub/no-shows', { ...q }),
  unfilled: (q: Range = {}) =>
    api.get<UnfilledReport>('/api/scheduling/hub/unfilled-shifts', { ...q }),
  ledger: (organizationId: string, year?: number) =>
    api.get<Ledger>('/api/scheduling/grassroots-ledger', { organizationId, year }),
  propose: (input: ProposePlanInput) => api.post<RotationPlan>('/api/scheduling/plans', input),
  plan: (planId: string) => api.get<RotationPlan>(`/api/scheduling/plans/${id(planId)}`),
  accept: (planId: string) => api.post<AcceptedPlan>(`/api/scheduling/plans/${id(planId)}/accept`),
  discard: (planId: string) =>
    api.post<RotationPlan>(`/api/scheduling/plans/${id(planId)}/discard`),
  institutionFigures: (q: Range = {}) =>
    api.get<ConsultationMetrics>('/api/consultations/metrics', { ...q }),
};

/** The township doctor's consultation requests (worklist box "sent"), as the booking page picks one. */
export type SentRequest = WorklistItem;

export const sentRequestsApi = {
  list: () => api.get<WorklistPage>('/api/consultations/worklist', { box: 'sent', limit: 100 }),
};
