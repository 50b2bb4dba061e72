import type { EntityManager } from 'typeorm';
import type { Actor } from '@huizhen/auth';

/**
 * Scheduling needs facts and one state change that belong to the consultations feature; it
 * asks through these interfaces, bound in SchedulingModule to ConsultationsModule's
 * ConsultationSlotBookings (`useExisting`).
 */
export const CONSULTATION_REQUESTS = Symbol('CONSULTATION_REQUESTS');
export const WAITING_DEMAND = Symbol('WAITING_DEMAND');

export interface ConsultationRequestFacts {
  id: string;
  /** The requesting organization: the only one whose clinicians may book for it. */
  organizationId: string;
  /** The specialty asked for, when known: a slot of another specialty is refused. */
  specialty: string | null;
}

/** A booked slot, told to the consultation it is for. */
export interface SlotAppointment {
  bookingId: string;
  slotId: string;
  specialistId: string;
  start: Date;
}

/** Runs after the transaction that changed the consultation committed (its events). */
export type AfterCommit = () => Promise<void>;

export interface ConsultationRequestSource {
  /** Facts about a request, or null when no such request exists. */
  describe(id: string, asker: Actor): Promise<ConsultationRequestFacts | null>;
  /**
   * In the booking's transaction `m`: the request takes the slot (assigned to the slot's
   * specialist if it still waited in a queue, then scheduled at the slot's start). Throws a
   * 409 DomainError when the request cannot take this slot, unless `follow` (a rotation change
   * moved the booking: a request that no longer fits is left alone).
   */
  appointmentBooked(
    m: EntityManager,
    actor: Actor,
    requestId: string,
    slot: SlotAppointment,
    opts?: { follow?: boolean },
  ): Promise<AfterCommit>;
  /** In the transaction `m` that cancels the booking: a request scheduled by it goes back to claimed. */
  appointmentCancelled(
    m: EntityManager,
    actor: Actor,
    requestId: string,
    slot: SlotAppointment,
    reason: string | null,
  ): Promise<AfterCommit>;
}

export interface WaitingDemand {
  organizationId: string;
  specialty: string;
  count: number;
}

export interface WaitingDemandSource {
  /** Requests waiting for a slot, per requesting organization and specialty. */
  waiting(organizationIds: string[]): Promise<WaitingDemand[]>;
}
