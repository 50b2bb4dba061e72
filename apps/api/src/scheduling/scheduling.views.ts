import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BOOKING_STATUSES,
  OCCURRENCE_STATUSES,
  PLAN_STATUSES,
  SHIFT_MODES,
  SHIFT_STATUSES,
  UNAVAILABILITY_KINDS,
  type AcceptedPlan,
  type AffectedBooking,
  type Availability,
  type Booking,
  type BookingStatus,
  type Calendar,
  type CalendarFeed,
  type CalendarOccurrence,
  type CoverageReport,
  type CoverageRow,
  type Ledger,
  type LedgerSpecialist,
  type LedgerYear,
  type MovedBooking,
  type NoShowReport,
  type NoShowRow,
  type Occurrence,
  type OccurrenceStatus,
  type Page,
  type PlanCoverage,
  type PlanMetrics,
  type PlanStatus,
  type ProposedVisit,
  type RotationPlan,
  type Shift,
  type ShiftChange,
  type ShiftMode,
  type ShiftStatus,
  type Slot,
  type Unavailability,
  type UnavailabilityKind,
  type UnfilledReport,
  type UnfilledRow,
  type UtilizationReport,
  type UtilizationRow,
  type WithDates,
  type WorkingHours,
  type WorkingWindow,
} from '@huizhen/contract';
import {
  AnyObject,
  DateTime,
  DateTimeOrNull,
  Id,
  IdOrNull,
  Ids,
  TextOrNull,
} from '@huizhen/platform-http';
import type { BookingView } from './booking-store';

/*
 * The scheduling routes' answers: each class implements the contract's view (libs/contract
 * views/scheduling.ts) for the OpenAPI document; each `…Answer` type is what the route's service
 * hands over before JSON (the contract's view with its times as Dates), which the controller's
 * return type holds it to. A change on either side breaks this compile.
 */

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

export class OccurrenceView implements Occurrence {
  @Id() id: string;
  @DateTime() start: string;
  @DateTime() end: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'in the shift’s zone' })
  localStart: string;
  @ApiProperty({ example: '2027-03-08T12:00' }) localEnd: string;
  @ApiProperty({ enum: OCCURRENCE_STATUSES }) status: OccurrenceStatus;
  @ApiProperty({ description: 'seats of its open slots' }) seats: number;
  @ApiProperty() booked: number;
}

/** A rotation shift with its occurrences (the contract's Shift). */
export class ShiftResponse implements Shift {
  @Id() id: string;
  @Id() specialistId: string;
  @ApiProperty() specialistName: string;
  @TextOrNull() specialty: string | null;
  @Ids() hostOrganizationIds: string[];
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00', description: 'local, in the shift’s zone' })
  start: string;
  @ApiProperty({ example: '2027-03-08T12:00' }) end: string;
  @TextOrNull({ example: 'FREQ=WEEKLY;BYDAY=MO;COUNT=8' }) rrule: string | null;
  @ApiProperty({ type: [String], description: 'local starts the rule skips' }) exdates: string[];
  @ApiProperty() slotMinutes: number;
  @ApiProperty() slotCapacity: number;
  @ApiProperty() bufferBeforeMinutes: number;
  @ApiProperty() bufferAfterMinutes: number;
  @TextOrNull() note: string | null;
  @ApiProperty() durationMinutes: number;
  @ApiProperty({ enum: SHIFT_STATUSES }) status: ShiftStatus;
  @ApiProperty({ description: 'goes up on every change' }) version: number;
  @IdOrNull({ description: 'the rotation plan it was made from' }) planId: string | null;
  @ApiProperty({ type: [OccurrenceView] }) occurrences: OccurrenceView[];
}

export class AffectedBookingView implements AffectedBooking {
  @Id() bookingId: string;
  @Id() consultationRequestId: string;
  @Id() requestingOrganizationId: string;
  @Id() bookedBy: string;
  @DateTime() start: string;
  @ApiProperty() localStart: string;
}

export class MovedBookingView extends AffectedBookingView implements MovedBooking {
  @Id() newBookingId: string;
  @DateTime() newStart: string;
}

class ShiftBookingsOutcomeView {
  @ApiProperty({ type: [MovedBookingView] }) moved: MovedBookingView[];
  @ApiProperty({ type: [AffectedBookingView] }) cancelled: AffectedBookingView[];
  @ApiProperty({ description: 'bookings left where they were' }) kept: number;
}

/** What changing or cancelling a shift did. */
export class ShiftChangeResponse implements ShiftChange {
  @ApiProperty({ type: ShiftResponse }) shift: ShiftResponse;
  @ApiProperty({ type: ShiftBookingsOutcomeView }) bookings: ShiftBookingsOutcomeView;
}

export class WorkingWindowView implements WorkingWindow {
  @ApiProperty({ minimum: 1, maximum: 7, description: '1 = Monday' }) weekday: number;
  @ApiProperty({ example: '08:00' }) start: string;
  @ApiProperty({ example: '17:00' }) end: string;
}

export class WorkingHoursResponse implements WorkingHours {
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ type: [WorkingWindowView] }) windows: WorkingWindowView[];
  @ApiProperty({ description: 'false: none recorded, these are the default week' })
  recorded: boolean;
}

export class UnavailabilityResponse implements Unavailability {
  @Id() id: string;
  @Id() specialistId: string;
  @ApiProperty({ enum: UNAVAILABILITY_KINDS }) kind: UnavailabilityKind;
  @DateTime() start: string;
  @DateTime() end: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @TextOrNull() reason: string | null;
}

class AwayView {
  @Id() id: string;
  @ApiProperty({ enum: UNAVAILABILITY_KINDS }) kind: UnavailabilityKind;
  @DateTime() start: string;
  @DateTime() end: string;
  @TextOrNull() reason: string | null;
}

class RosteredView {
  @Id() shiftId: string;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @DateTime() start: string;
  @DateTime() end: string;
}

class FreeView {
  @ApiProperty({ example: '2027-03-08T08:00' }) localStart: string;
  @ApiProperty({ example: '2027-03-08T12:00' }) localEnd: string;
  @DateTime() start: string;
  @DateTime() end: string;
}

export class AvailabilityResponse implements Availability {
  @Id() specialistId: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ type: [WorkingWindowView] }) workingHours: WorkingWindowView[];
  @ApiProperty({ type: [AwayView] }) unavailability: AwayView[];
  @ApiProperty({ type: [RosteredView] }) shifts: RosteredView[];
  @ApiProperty({ type: [FreeView] }) free: FreeView[];
}

export class CalendarOccurrenceView implements CalendarOccurrence {
  @Id() occurrenceId: string;
  @Id() shiftId: string;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @DateTime() start: string;
  @DateTime() end: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @Ids() hostOrganizationIds: string[];
  @ApiProperty({ type: [String] }) hostNames: string[];
  @ApiProperty() booked: number;
  @ApiProperty({ example: '2027-03-08T09:00' }) localStart: string;
}

export class CalendarResponse implements Calendar {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ type: [CalendarOccurrenceView] }) shifts: CalendarOccurrenceView[];
  @ApiProperty({ type: [BookingResponse] }) bookings: BookingResponse[];
}

export class CalendarFeedResponse implements CalendarFeed {
  @ApiProperty({ description: 'the secret in the address' }) token: string;
  @ApiProperty({ example: '/api/scheduling/calendar-feeds/…/calendar.ics' }) path: string;
}

export class CoverageRowView implements CoverageRow {
  @Id() organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty() specialty: string;
  @ApiProperty() slotsOffered: number;
  @ApiProperty() seatsOffered: number;
  @ApiProperty() seatsBooked: number;
  @ApiProperty() seatsFree: number;
  @ApiProperty() requestsWaiting: number;
  @ApiProperty({ description: 'requests waiting beyond the free seats' }) shortfall: number;
}

export class CoverageReportResponse implements CoverageReport {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty({ description: 'townships under the hub' }) townships: number;
  @ApiProperty({ type: [CoverageRowView] }) items: CoverageRowView[];
  @ApiProperty({ description: 'where the waiting requests were counted from' })
  waitingSource: string;
}

export class UtilizationRowView implements UtilizationRow {
  @Id() specialistId: string;
  @ApiProperty() specialistName: string;
  @Id() organizationId: string;
  @TextOrNull() specialty: string | null;
  @ApiProperty() slots: number;
  @ApiProperty() seats: number;
  @ApiProperty() booked: number;
  @ApiProperty() fulfilled: number;
  @ApiProperty() noShows: number;
  @ApiProperty() cancelled: number;
  @ApiProperty({ description: 'booked / seats' }) utilization: number;
}

export class UtilizationReportResponse implements UtilizationReport {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty({ type: [UtilizationRowView] }) items: UtilizationRowView[];
}

export class NoShowRowView implements NoShowRow {
  @Id() organizationId: string;
  @ApiProperty() organizationName: string;
  @Id() specialistId: string;
  @ApiProperty() specialistName: string;
  @ApiProperty() noShows: number;
  @ApiProperty({ description: 'no-shows over attended-or-not' }) rate: number;
}

export class NoShowReportResponse implements NoShowReport {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty() total: number;
  @ApiProperty({ type: [NoShowRowView] }) items: NoShowRowView[];
}

export class UnfilledRowView implements UnfilledRow {
  @Id() occurrenceId: string;
  @Id() shiftId: string;
  @Id() specialistId: string;
  @ApiProperty() specialistName: string;
  @ApiProperty({ enum: SHIFT_MODES }) mode: ShiftMode;
  @DateTime() start: string;
  @DateTime() end: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
  @ApiProperty({ example: '2027-03-08T09:00' }) localStart: string;
  @Ids() hostOrganizationIds: string[];
  @ApiProperty() seats: number;
}

export class UnfilledReportResponse implements UnfilledReport {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty({ type: [UnfilledRowView] }) items: UnfilledRowView[];
}

export class LedgerYearView implements LedgerYear {
  @ApiProperty() year: number;
  @ApiProperty() servedDays: number;
  @ApiProperty() plannedDays: number;
}

export class LedgerSpecialistView implements LedgerSpecialist {
  @Id() specialistId: string;
  @ApiProperty() name: string;
  @TextOrNull() title: string | null;
  @TextOrNull() specialty: string | null;
  @ApiProperty() servedDays: number;
  @ApiProperty() plannedDays: number;
  @ApiProperty() requiredDays: number;
  @ApiProperty() remainingDays: number;
  @ApiProperty() met: boolean;
  @ApiProperty({ type: [LedgerYearView] }) byYear: LedgerYearView[];
  @ApiPropertyOptional({ type: LedgerYearView, description: 'the asked year (when one was)' })
  year?: LedgerYearView;
}

export class LedgerResponse implements Ledger {
  @Id() organizationId: string;
  @ApiProperty() organizationName: string;
  @ApiProperty({ description: 'visit days owed before promotion' }) requiredDays: number;
  @DateTime() asOf: string;
  @ApiProperty({ type: [LedgerSpecialistView] }) specialists: LedgerSpecialistView[];
}

export class ProposedVisitView implements ProposedVisit {
  @Id() specialistId: string;
  @ApiProperty() specialistName: string;
  @Id() organizationId: string;
  @ApiProperty() specialty: string;
  @ApiProperty({ example: '2027-03-08' }) date: string;
  @ApiProperty({ example: '2027-03-08T09:00' }) start: string;
  @ApiProperty({ example: '2027-03-08T12:00' }) end: string;
  @ApiProperty() capacity: number;
}

export class PlanCoverageView implements PlanCoverage {
  @Id() organizationId: string;
  @ApiProperty() demand: number;
  @ApiProperty() covered: number;
  @ApiProperty() ratio: number;
}

export class PlanMetricsView implements PlanMetrics {
  @ApiProperty({ example: 'Optimal' }) status: string;
  @ApiProperty() totalDemand: number;
  @ApiProperty() reachableDemand: number;
  @ApiProperty() covered: number;
  @ApiProperty() minCoverage: number;
  @ApiProperty() objective: number;
  @ApiProperty({ description: 'LP relaxation optimum' }) lpBound: number;
  @ApiProperty() gapToLpBound: number;
  @ApiProperty() solveMs: number;
  @ApiProperty() lpMs: number;
  @ApiProperty() variables: number;
  @ApiProperty() constraints: number;
  @ApiProperty() specialistsConsidered: number;
  @ApiProperty() townships: number;
}

class PlanHorizonView {
  @ApiProperty({ example: '2027-03-08' }) from: string;
  @ApiProperty({ example: '2027-04-04' }) to: string;
  @ApiProperty({ example: 'Asia/Shanghai' }) timeZone: string;
}

export class RotationPlanResponse implements RotationPlan {
  @Id() id: string;
  @ApiProperty({ enum: PLAN_STATUSES }) status: PlanStatus;
  @Id() hubOrganizationId: string;
  @ApiProperty({ type: PlanHorizonView }) horizon: PlanHorizonView;
  @AnyObject({ description: 'what it was computed from' }) input: Record<string, unknown>;
  @ApiProperty({ type: [ProposedVisitView] }) visits: ProposedVisitView[];
  @ApiProperty({ type: [PlanCoverageView] }) coverage: PlanCoverageView[];
  @ApiProperty({ type: PlanMetricsView }) metrics: PlanMetricsView;
  @DateTime() createdAt: string;
  @DateTimeOrNull() decidedAt: string | null;
}

export class AcceptedPlanResponse extends RotationPlanResponse implements AcceptedPlan {
  @Ids({ description: 'the shifts made from it' }) shiftIds: string[];
}

// ---- the server's side: the contract's views with their times as Dates ----------------------

type Period<T extends { from: string; to: string }> = WithDates<T, 'from' | 'to'>;

export type OccurrenceAnswer = WithDates<Occurrence, 'start' | 'end'>;
export type ShiftAnswer = Omit<Shift, 'occurrences'> & { occurrences: OccurrenceAnswer[] };
export type ShiftPageAnswer = Page<ShiftAnswer>;
type AffectedAnswer = WithDates<AffectedBooking, 'start'>;
export type ShiftChangeAnswer = {
  shift: ShiftAnswer;
  bookings: {
    moved: (AffectedAnswer & { newBookingId: string; newStart: Date })[];
    cancelled: AffectedAnswer[];
    kept: number;
  };
};
export type UnavailabilityAnswer = WithDates<Unavailability, 'start' | 'end'>;
export type AvailabilityAnswer = Omit<Availability, 'unavailability' | 'shifts' | 'free'> & {
  unavailability: WithDates<Availability['unavailability'][number], 'start' | 'end'>[];
  shifts: WithDates<Availability['shifts'][number], 'start' | 'end'>[];
  free: WithDates<Availability['free'][number], 'start' | 'end'>[];
};
export type CalendarAnswer = Omit<Period<Calendar>, 'shifts' | 'bookings'> & {
  shifts: WithDates<CalendarOccurrence, 'start' | 'end'>[];
  bookings: BookingView[];
};
export type CoverageAnswer = Period<CoverageReport>;
export type UtilizationAnswer = Period<UtilizationReport>;
export type NoShowAnswer = Period<NoShowReport>;
export type UnfilledAnswer = Omit<Period<UnfilledReport>, 'items'> & {
  items: WithDates<UnfilledRow, 'start' | 'end'>[];
};
export type LedgerAnswer = WithDates<Ledger, 'asOf'>;
export type PlanAnswer = WithDates<RotationPlan, 'createdAt' | 'decidedAt'>;
export type AcceptedPlanAnswer = WithDates<AcceptedPlan, 'createdAt' | 'decidedAt'>;
