/** Scheduling answers as the web reads them (dates as ISO strings). */
import type {
  BookingStatus,
  OccurrenceStatus,
  PlanStatus,
  ShiftMode,
  ShiftStatus,
  UnavailabilityKind,
} from '../scheduling';

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

/** One occurrence of a shift (its RRULE expanded), with its seats. */
export interface Occurrence {
  id: string;
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  /** Local wall-clock time in the shift's zone, YYYY-MM-DDTHH:mm. */
  localStart: string;
  localEnd: string;
  status: OccurrenceStatus;
  /** Seats of its open slots. */
  seats: number;
  booked: number;
}

/** A rotation shift: when and where a specialist serves, as the coordinator stated it, and its occurrences. */
export interface Shift {
  id: string;
  specialistId: string;
  specialistName: string;
  specialty: string | null;
  hostOrganizationIds: string[];
  mode: ShiftMode;
  timeZone: string;
  /** The first occurrence's local start and end in the shift's zone, YYYY-MM-DDTHH:mm. */
  start: string;
  end: string;
  rrule: string | null;
  /** Local starts (YYYY-MM-DDTHH:mm) the rule skips. */
  exdates: string[];
  slotMinutes: number;
  slotCapacity: number;
  bufferBeforeMinutes: number;
  bufferAfterMinutes: number;
  note: string | null;
  durationMinutes: number;
  status: ShiftStatus;
  /** Goes up on every change (a change names the version it read). */
  version: number;
  /** The rotation plan it was made from, if any. */
  planId: string | null;
  occurrences: Occurrence[];
}

/** A booking a shift change touches. */
export interface AffectedBooking {
  bookingId: string;
  consultationRequestId: string;
  requestingOrganizationId: string;
  bookedBy: string;
  /** ISO date-time. */
  start: string;
  localStart: string;
}

/** A booking a shift change moved to another slot. */
export interface MovedBooking extends AffectedBooking {
  newBookingId: string;
  /** ISO date-time. */
  newStart: string;
}

/** What changing or cancelling a shift did: the shift now, and the bookings it moved, cancelled or kept. */
export interface ShiftChange {
  shift: Shift;
  bookings: { moved: MovedBooking[]; cancelled: AffectedBooking[]; kept: number };
}

/** A weekly working-hours window (local times, HH:mm; weekday 1 = Monday … 7 = Sunday). */
export interface WorkingWindow {
  weekday: number;
  start: string;
  end: string;
}

/** A specialist's weekly working hours, as setting them answers. */
export interface WorkingHours {
  timeZone: string;
  windows: WorkingWindow[];
  /** false: the specialist had none recorded, and these are the default week. */
  recorded: boolean;
}

/** A leave or commitment of a specialist. */
export interface Unavailability {
  id: string;
  specialistId: string;
  kind: UnavailabilityKind;
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  timeZone: string;
  reason: string | null;
}

/** A specialist's working hours, leave, rostered time and free time in a range. */
export interface Availability {
  specialistId: string;
  timeZone: string;
  workingHours: WorkingWindow[];
  unavailability: Pick<Unavailability, 'id' | 'kind' | 'start' | 'end' | 'reason'>[];
  /** Rostered occurrences (ISO date-times). */
  shifts: { shiftId: string; mode: ShiftMode; start: string; end: string }[];
  /** Free stretches inside the working hours, local (YYYY-MM-DDTHH:mm) and as ISO date-times. */
  free: { localStart: string; localEnd: string; start: string; end: string }[];
}

/** An occurrence on a specialist's own calendar. */
export interface CalendarOccurrence {
  occurrenceId: string;
  shiftId: string;
  mode: ShiftMode;
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  timeZone: string;
  hostOrganizationIds: string[];
  hostNames: string[];
  booked: number;
  localStart: string;
}

/** The caller's calendar in a range: their shift occurrences (specialists) and bookings. */
export interface Calendar {
  /** ISO date-time. */
  from: string;
  /** ISO date-time. */
  to: string;
  timeZone: string;
  shifts: CalendarOccurrence[];
  bookings: Booking[];
}

/** The caller's secret calendar-feed address (for calendar apps, which send no Bearer token). */
export interface CalendarFeed {
  token: string;
  /** The feed's path on this server. */
  path: string;
}

/** A hub report's period. */
export interface HubPeriod {
  /** ISO date-time. */
  from: string;
  /** ISO date-time. */
  to: string;
}

/** Specialist coverage of one township and specialty in the period. */
export interface CoverageRow {
  organizationId: string;
  organizationName: string;
  specialty: string;
  slotsOffered: number;
  seatsOffered: number;
  seatsBooked: number;
  seatsFree: number;
  requestsWaiting: number;
  /** Requests waiting beyond the free seats. */
  shortfall: number;
}

export interface CoverageReport extends HubPeriod {
  /** Townships under the hub. */
  townships: number;
  items: CoverageRow[];
  /** Where the waiting requests were counted from. */
  waitingSource: string;
}

/** Slot utilization of one specialist in the period. */
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
  /** booked / seats, three decimals. */
  utilization: number;
}

export interface UtilizationReport extends HubPeriod {
  items: UtilizationRow[];
}

/** No-shows of one township with one specialist in the period. */
export interface NoShowRow {
  organizationId: string;
  organizationName: string;
  specialistId: string;
  specialistName: string;
  noShows: number;
  /** No-shows over attended-or-not, three decimals. */
  rate: number;
}

export interface NoShowReport extends HubPeriod {
  total: number;
  items: NoShowRow[];
}

/** An occurrence in the period with no booking at all. */
export interface UnfilledRow {
  occurrenceId: string;
  shiftId: string;
  specialistId: string;
  specialistName: string;
  mode: ShiftMode;
  /** ISO date-time. */
  start: string;
  /** ISO date-time. */
  end: string;
  timeZone: string;
  localStart: string;
  hostOrganizationIds: string[];
  seats: number;
}

export interface UnfilledReport extends HubPeriod {
  items: UnfilledRow[];
}

/** On-site visit days of one year: served (ended) and planned. */
export interface LedgerYear {
  year: number;
  servedDays: number;
  plannedDays: number;
}

/** One specialist's grassroots service against the days owed before promotion. */
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
  byYear: LedgerYear[];
  /** The asked year's figures (when a year was asked). */
  year?: LedgerYear;
}

/** The grassroots service ledger of one hospital. */
export interface Ledger {
  organizationId: string;
  organizationName: string;
  requiredDays: number;
  /** ISO date-time. */
  asOf: string;
  specialists: LedgerSpecialist[];
}

/** An on-site visit the planner proposes. */
export interface ProposedVisit {
  specialistId: string;
  specialistName: string;
  organizationId: string;
  specialty: string;
  /** Local date, YYYY-MM-DD. */
  date: string;
  /** Local wall-clock, YYYY-MM-DDTHH:mm. */
  start: string;
  end: string;
  capacity: number;
}

/** How much of one township's demand a plan covers. */
export interface PlanCoverage {
  organizationId: string;
  demand: number;
  covered: number;
  ratio: number;
}

/** How good a plan is and what it took (the planner's figures). */
export interface PlanMetrics {
  /** The solver's status (Optimal, Time limit reached, …). */
  status: string;
  totalDemand: number;
  reachableDemand: number;
  covered: number;
  minCoverage: number;
  objective: number;
  /** LP relaxation optimum: no plan can score higher. */
  lpBound: number;
  gapToLpBound: number;
  solveMs: number;
  lpMs: number;
  variables: number;
  constraints: number;
  specialistsConsidered: number;
  townships: number;
}

/** A rotation plan: on-site visits proposed for the waiting demand, then accepted or discarded. */
export interface RotationPlan {
  id: string;
  status: PlanStatus;
  hubOrganizationId: string;
  /** First and last local date (YYYY-MM-DD) in the zone. */
  horizon: { from: string; to: string; timeZone: string };
  /** What it was computed from (the asked range, demand and weights). */
  input: Record<string, unknown>;
  visits: ProposedVisit[];
  coverage: PlanCoverage[];
  metrics: PlanMetrics;
  /** ISO date-time. */
  createdAt: string;
  /** ISO date-time. */
  decidedAt: string | null;
}

/** What accepting a plan answers: the plan and the shifts made from it. */
export interface AcceptedPlan extends RotationPlan {
  shiftIds: string[];
}
