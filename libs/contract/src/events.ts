import type { Transition } from './consultation';

/**
 * The realtime catalogue of socket.io namespace /events. The server emits three messages
 * (SOCKET_MESSAGES); every change of a resource arrives as `event` with one of EVENT_NAMES as
 * its `type` and ids only in `data` (never more PHI than the receiver may read).
 */

/** The messages of the /events socket itself. */
export const SOCKET_MESSAGES = {
  ready: 'the socket joined its user and organization rooms: { userId, organizationId }',
  event: 'something changed: a PlatformEvent { type, data, at }',
  session_ended:
    'the session behind the socket ended (logout, deactivation); the socket is closed: { reason }',
} as const;
export type SocketMessage = keyof typeof SOCKET_MESSAGES;

/** A consultation's transition, as its event name (`consultation.<past tense>`). */
export const TRANSITION_EVENTS = {
  submit: 'consultation.submitted',
  claim: 'consultation.claimed',
  decline: 'consultation.declined',
  schedule: 'consultation.scheduled',
  unschedule: 'consultation.unscheduled',
  start_session: 'consultation.session_started',
  sign_report: 'consultation.reported',
  close: 'consultation.closed',
  cancel: 'consultation.cancelled',
  escalate: 'consultation.escalated',
  expire: 'consultation.expired',
} as const satisfies Record<Transition, EventName>;

/** Every `type` of an /events `event`, with what it tells and what `data` carries. */
export const EVENT_NAMES = {
  'queue.changed':
    'a queue the receiver works from changed (a request entered or left it): { consultationId, status, transition, urgency, specialty, level }',
  'consultation.submitted':
    'a request entered a queue: { consultationId, status, transition, urgency, specialty, level }',
  'consultation.claimed': 'a specialist claimed a request (same data as every transition event)',
  'consultation.declined': 'the assigned specialist gave a request back to its queue',
  'consultation.scheduled': 'a live request got (or changed) its session time',
  'consultation.unscheduled': 'a scheduled request lost its booked slot and is claimed again',
  'consultation.session_started': 'the video session of a request started',
  'consultation.reported': 'the report of a request was signed',
  'consultation.closed': 'the requester closed a reported request',
  'consultation.cancelled': 'the requester cancelled a request',
  'consultation.escalated': 'an unclaimed request passed its deadline and moved up a level',
  'consultation.expired': 'an unclaimed request ran out of levels and expired',
  'consultation.message': 'a new thread message: { consultationId, messageId, authorId }',
  'consultation.read':
    'someone read a thread up to a message: { consultationId, practitionerId, lastReadMessageId, readAt }',
  'consultation.invited': 'the receiver was added to a consultation: { consultationId, role }',
  'consultation.call':
    'the video record of a consultation changed (a call began, ended or failed): { consultationId }',
  'consultation.report_amended': 'a signed report got an addendum: { consultationId, reportId }',
  'booking.created':
    'a slot was booked: { bookingId, consultationRequestId, slotId, shiftId, start, localStart, timeZone, status }',
  'booking.rescheduled':
    'a booking moved to another slot (… previousBookingId, previousStart, reason)',
  'booking.cancelled':
    'a booking was cancelled by its requester, a rotation change or its consultation (declined, cancelled, expired): BookingCancelledData',
  'booking.moved':
    'a rotation change moved a booking: { bookingId, newBookingId, consultationRequestId, shiftId, previousStart, newStart, reason }',
  'booking.reminder':
    'a booked session starts soon: { bookingId, consultationRequestId, start, localStart, timeZone, mode, minutesBefore }',
  'referral.requested':
    'a referral was sent: { referralId, consultationId, direction, status, greenChannel }',
  'referral.accepted': 'the receiving organization accepted a referral',
  'referral.declined': 'the receiving organization declined a referral',
  'referral.cancelled': 'the sender withdrew a referral',
} as const;
export type EventName = keyof typeof EVENT_NAMES;
export const EVENT_NAME_LIST = Object.keys(EVENT_NAMES) as EventName[];

/** Who cancelled a booking, as `booking.cancelled` says. */
export const BOOKING_CANCELLED_BY = ['requester', 'rotation_change', 'consultation'] as const;
export type BookingCancelledBy = (typeof BOOKING_CANCELLED_BY)[number];

/**
 * `booking.cancelled`'s data: the booking's ids and time, the reason given, who cancelled it, and
 * by a rotation change the shift, by its consultation the transition that ended the appointment.
 */
export interface BookingCancelledData {
  bookingId: string;
  consultationRequestId: string;
  slotId: string;
  shiftId: string;
  start: string;
  localStart: string;
  timeZone: string;
  status: 'cancelled';
  reason: string | null;
  by: BookingCancelledBy;
  transition?: Transition;
}

/** An event as clients receive it on /events (`data` carries ids; most name their consultation). */
export interface PlatformEvent<D = { consultationId?: string; [key: string]: unknown }> {
  type: EventName;
  data: D;
  at?: string;
}
