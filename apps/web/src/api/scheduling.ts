/** Scheduling API (apps/api/src/scheduling): rotation shifts, free slots, bookings, hub views, planner. */
import { api } from './client';
import type {
  AcceptedPlan,
  Booking,
  BookingInput,
  LedgerFilter,
  PlanProposalInput,
  ReasonInput,
  RescheduleInput,
  ShiftCancellation,
  ShiftChanges,
  ShiftFilter,
  ShiftInput,
  SlotFilter,
  TimeRange,
  Calendar,
  ConsultationMetrics,
  CoverageReport,
  Ledger,
  NoShowReport,
  Page,
  RotationPlan,
  Shift,
  ShiftChange,
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

export type {
  PlanProposalInput as ProposePlanInput,
  ShiftInput,
  TimeRange as Range,
} from '@huizhen/contract';

const id = (s: string) => encodeURIComponent(s);

export const schedulingApi = {
  listShifts: (q: ShiftFilter) =>
    api.get<Page<Shift>>('/api/scheduling/shifts', { limit: 200, ...q }),
  createShift: (input: ShiftInput) => api.post<Shift>('/api/scheduling/shifts', input),
  /** Cancels a whole shift; booked seats are moved or cancelled with notice (required when there are any). */
  cancelShift: (shiftId: string, input: ShiftCancellation) =>
    api.post<ShiftChange>(`/api/scheduling/shifts/${id(shiftId)}/cancel`, input),
  updateShift: (shiftId: string, input: ShiftChanges) =>
    api.patch<ShiftChange>(`/api/scheduling/shifts/${id(shiftId)}`, input),
  searchSlots: (q: SlotFilter) =>
    api.get<Page<Slot>>('/api/scheduling/slots', { limit: 100, ...q }),
  /** The key makes a retried click return the first booking instead of booking twice. */
  book: (slotId: string, consultationRequestId: string, idempotencyKey: string) =>
    api.post<Booking>('/api/scheduling/bookings', {
      slotId,
      consultationRequestId,
      idempotencyKey,
    } satisfies BookingInput),
  /** Moves a booked appointment to another free slot: the old one becomes 'rescheduled', the new one is returned. */
  reschedule: (bookingId: string, slotId: string, reason: string) =>
    api.post<Booking>(`/api/scheduling/bookings/${id(bookingId)}/reschedule`, {
      slotId,
      reason,
    } satisfies RescheduleInput),
  /** Cancels a booked appointment and frees its seat. */
  cancelBooking: (bookingId: string, reason: string) =>
    api.post<Booking>(`/api/scheduling/bookings/${id(bookingId)}/cancel`, {
      reason,
    } satisfies ReasonInput),
  calendar: (q: TimeRange = {}) => api.get<Calendar>('/api/scheduling/calendar', { ...q }),
  coverage: (q: TimeRange = {}) =>
    api.get<CoverageReport>('/api/scheduling/hub/coverage', { ...q }),
  utilization: (q: TimeRange = {}) =>
    api.get<UtilizationReport>('/api/scheduling/hub/utilization', { ...q }),
  noShows: (q: TimeRange = {}) => api.get<NoShowReport>('/api/scheduling/hub/no-shows', { ...q }),
  unfilled: (q: TimeRange = {}) =>
    api.get<UnfilledReport>('/api/scheduling/hub/unfilled-shifts', { ...q }),
  ledger: (organizationId: string, year?: number) =>
    api.get<Ledger>('/api/scheduling/grassroots-ledger', {
      organizationId,
      year,
    } satisfies LedgerFilter),
  propose: (input: PlanProposalInput) => api.post<RotationPlan>('/api/scheduling/plans', input),
  plan: (planId: string) => api.get<RotationPlan>(`/api/scheduling/plans/${id(planId)}`),
  accept: (planId: string) => api.post<AcceptedPlan>(`/api/scheduling/plans/${id(planId)}/accept`),
  discard: (planId: string) =>
    api.post<RotationPlan>(`/api/scheduling/plans/${id(planId)}/discard`),
  institutionFigures: (q: TimeRange = {}) =>
    api.get<ConsultationMetrics>('/api/consultations/metrics', { ...q }),
};

/** The township doctor's consultation requests (worklist box "sent"), as the booking page picks one. */
export type SentRequest = WorklistItem;

export const sentRequestsApi = {
  list: () => api.get<WorklistPage>('/api/consultations/worklist', { box: 'sent', limit: 100 }),
};
