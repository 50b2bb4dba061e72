import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '@huizhen/auth';
import { DirectoryService } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { checkTransition } from './consultation-lifecycle';
import { ConsultationStore } from './consultation-store';
import { ConsultationTransitions, type MadeTransition } from './consultation-transitions';

/** A booked slot, as scheduling tells it. */
export interface SlotAppointment {
  bookingId: string;
  slotId: string;
  specialistId: string;
  start: Date;
}

/** What to do once the caller's transaction has committed (the events of the transitions made in it). */
export type AfterCommit = () => Promise<void>;

const NOTHING: AfterCommit = async () => {};

/**
 * What scheduling asks of consultations (its CONSULTATION_REQUESTS and WAITING_DEMAND
 * providers are bound to this service): facts about a request before booking for it, the
 * demand still waiting for a slot, and the request's side of a booking, made in the
 * booking's own transaction so a slot and the consultation's time never disagree.
 */
@Injectable()
export class ConsultationSlotBookings {
  constructor(
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly store: ConsultationStore,
    private readonly transitions: ConsultationTransitions,
    private readonly directory: DirectoryService,
  ) {}

  /** The requesting organization and specialty of a request, or null when there is no such request (the booking answers 404). */
  async describe(id: string, _asker: Actor) {
    return this.store.bookingFacts(id);
  }

  /**
   * Live (video or both) requests that still need a time: submitted or claimed, per requesting
   * organization and specialty. A booked request is `scheduled`, so it no longer counts.
   */
  async waiting(
    organizationIds: string[],
  ): Promise<{ organizationId: string; specialty: string; count: number }[]> {
    if (!organizationIds.length) return [];
    return this.store.waitingForSlot(organizationIds);
  }

  /**
   * A slot of a specialist's rotation was booked for this request: the request takes the
   * slot's time. Run in the booking's transaction (m), after scheduling checked that the
   * actor may book for the requesting organization; nothing here uses another connection.
   *
   * - submitted (still in a queue): the township chose that specialist's clinic, which the hub
   *   rostered for it, so the slot's specialist is assigned (a `claim` made through the
   *   booking, audited as such) and the request is scheduled at the slot's start;
   * - claimed or scheduled: only a slot of the assigned specialist fits (409 otherwise); the
   *   `schedule` transition carries the slot's start (a second booking replaces the time);
   * - anything else, or an imaging-read request, cannot take a slot (409).
   *
   * `follow`: the booking was moved by a rotation change, not chosen by a person; a request no
   * longer waiting for that specialist is left as it is instead of refusing the coordinator's change.
   */
  async appointmentBooked(
    m: EntityManager,
    actor: Actor,
    id: string,
    slot: SlotAppointment,
    opts: { follow?: boolean } = {},
  ): Promise<AfterCommit> {
    const c = await this.store.lock(m, id);
    const refuse = (code: string, message: string): AfterCommit => {
      if (opts.follow) return NOTHING;
      throw new DomainError(code, HttpStatus.CONFLICT, message, {
        consultationId: id,
        status: c.status,
        mode: c.mode,
      });
    };
    if (c.mode === 'imaging_read')
      return refuse(
        'consultation_not_live',
        'an imaging-read consultation is answered by report; only live (video or both) consultations take a slot',
      );
    if (!['submitted', 'claimed', 'scheduled'].includes(c.status)) {
      return refuse(
        'consultation_not_bookable',
        c.status === 'draft'
          ? 'submit the consultation request before booking a slot for it'
          : `a consultation that is ${c.status} cannot take a slot`,
      );
    }
    const now = this.clock.now();
    const done: MadeTransition[] = [];
    let current = c;
    if (c.status === 'submitted') {
      if (opts.follow) return NOTHING;
      if (c.declinedBy.includes(slot.specialistId))
        return refuse(
          'specialist_declined',
          'this specialist declined the request before; book a slot of another specialist',
        );
      const who = await this.directory.practitioner(slot.specialistId, m);
      checkTransition('claim', c.status, c.mode);
      await this.store.assignSpecialist(m, c.id, slot.specialistId);
      const patch = {
        assignedSpecialistId: slot.specialistId,
        assignedOrganizationId: who.organizationId,
        claimedAt: now,
      };
      const details = {
        via: 'booking',
        bookingId: slot.bookingId,
        specialistId: slot.specialistId,
      };
      const after = await this.transitions.apply(m, c, 'claim', actor, { now, patch, details });
      done.push({ t: 'claim', before: c, after });
      current = after;
    } else if (c.assignedSpecialistId !== slot.specialistId) {
      return refuse(
        'specialist_mismatch',
        'this consultation is assigned to another specialist; book a slot of the assigned specialist',
      );
    }
    checkTransition('schedule', current.status, current.mode);
    const details = {
      start: slot.start.toISOString(),
      via: 'booking',
      bookingId: slot.bookingId,
      slotId: slot.slotId,
    };
    const after = await this.transitions.apply(m, current, 'schedule', actor, {
      now,
      patch: { scheduledStart: slot.start },
      details,
    });
    done.push({ t: 'schedule', before: current, after });
    return async () => {
      for (const d of done) await this.transitions.announce(d);
    };
  }

  /**
   * The booking that scheduled this request was cancelled (by the township, or by a rotation
   * change): a request still scheduled at that slot's time goes back to claimed, with its
   * specialist, waiting for a new time. In the caller's transaction (m).
   */
  async appointmentCancelled(
    m: EntityManager,
    actor: Actor,
    id: string,
    slot: SlotAppointment,
    reason: string | null,
  ): Promise<AfterCommit> {
    const c = await this.store.lock(m, id);
    if (
      c.status !== 'scheduled' ||
      c.scheduledStart?.getTime() !== slot.start.getTime() ||
      c.assignedSpecialistId !== slot.specialistId
    )
      return NOTHING;
    const details = { via: 'booking', bookingId: slot.bookingId };
    const after = await this.transitions.apply(m, c, 'unschedule', actor, {
      now: this.clock.now(),
      patch: { scheduledStart: null },
      reason,
      details,
    });
    return () => this.transitions.announce({ t: 'unschedule', before: c, after });
  }
}
