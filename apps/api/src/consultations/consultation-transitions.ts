import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessPolicyService, type ResourceRef, consultationRef } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { TRANSITION_EVENTS } from '@huizhen/contract';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import {
  TRANSITIONS,
  checkTransition,
  type Transition,
  type TransitionRule,
} from './consultation-lifecycle';
import {
  consultationClaimSeconds,
  consultationTransitions,
  consultationTurnaroundSeconds,
} from './consultation-metrics';
import { ConsultationRouting } from './consultation-routing';
import {
  ConsultationStore,
  accessFacts,
  type Consultation,
  type ConsultationChange,
  type Participant,
} from './consultation-store';
import type { Urgency } from './consultation-terms';

/** What a transition's own step changes besides the status, inside the transaction. */
export type TransitionStep = (
  c: Consultation,
  m: EntityManager,
  now: Date,
) => Promise<{ patch?: ConsultationChange; details?: Record<string, unknown> } | void>;

/** A consultation changed state; called inside that change's transaction (use only `m`). */
export type TransitionListener = (
  change: {
    consultationId: string;
    transition: Transition;
    from: string;
    to: string;
    actor: Actor | null;
    reason: string | null;
  },
  m: EntityManager,
) => Promise<void>;

export interface SweepResult {
  escalated: string[];
  expired: string[];
}

/** What a transition writes besides its name and actor: the time, the step's change, a reason, the audit details. */
export interface TransitionWrite {
  now: Date;
  patch?: ConsultationChange;
  reason?: string | null;
  details?: Record<string, unknown>;
  /** When it happened, if earlier than `now` (the history row's time). */
  happened?: Date;
}

/** A transition made in a transaction, to be announced once it has committed. */
export interface MadeTransition {
  t: Transition;
  before: Consultation;
  after: Consultation;
}

/**
 * The transition engine: the only writer of a consultation's status. Every change is one of
 * consultation-lifecycle.ts's transitions, checked against that table, written with its history
 * row and audit event in one transaction, handed to the listeners in it, and announced after the
 * commit (counters, /events).
 */
@Injectable()
export class ConsultationTransitions {
  private readonly logger = new Logger('Consultations');
  private readonly listeners: TransitionListener[] = [];

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly store: ConsultationStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** A reason a person typed (declining, cancelling) may describe the patient: the trail keeps its keyed hash. */
    private readonly terms: AuditTerms,
    private readonly routing: ConsultationRouting,
    private readonly events: EventsService,
  ) {}

  /** Lets another feature act inside the transaction of every state change (see ConsultationsService.onTransition). */
  onTransition(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  /** The policy's view of a request. A queue confers access only while the request waits in it, except to claim (a late claimer gets 409, not 403). */
  ref(c: Consultation, people: Participant[], purpose?: Transition): ResourceRef {
    return consultationRef(
      accessFacts(c),
      people.map((p) => p.practitionerId),
      purpose,
    );
  }

  /** When a request submitted or escalated now must be claimed by. */
  deadline(from: Date, urgency: Urgency): Date {
    return new Date(from.getTime() + this.config.consultations.deadlineMinutes[urgency] * 60_000);
  }

  /**
   * A person's transition. The access check runs first on an unlocked read (so a refused caller
   * never waits on, or learns the state of, someone else's request). If the facts it rested on
   * changed before the row lock was taken, the transaction is abandoned and the whole check runs
   * again: nothing but `m` is used while the lock is held (the embedded database has a single
   * connection). `opts.at`: when it happened, if earlier than now (a report that arrives late);
   * the history row carries it.
   */
  async run(
    actor: Actor,
    id: string,
    t: Transition,
    step?: TransitionStep,
    opts: { reason?: string; at?: Date } = {},
  ): Promise<Consultation> {
    const rule = TRANSITIONS[t];
    for (let attempt = 1; ; attempt++) {
      const seen = await this.store.get(id);
      const seenPeople = await this.store.participants(id);
      await this.checkActor(actor, rule, t, seen, seenPeople);
      const done = await this.store.transaction(async (m) => {
        const c = await this.store.lock(m, id);
        const people = await this.store.participants(id, m);
        if (
          JSON.stringify(this.ref(c, people, t)) !==
            JSON.stringify(this.ref(seen, seenPeople, t)) ||
          c.assignedSpecialistId !== seen.assignedSpecialistId
        ) {
          return null; // changed under us: check again
        }
        checkTransition(t, c.status, c.mode);
        const now = this.clock.now();
        const change = (await step?.(c, m, now)) ?? {};
        // Never before the request's last change (a media node's clock a little behind ours).
        const happened =
          opts.at && opts.at.getTime() < now.getTime()
            ? new Date(Math.max(opts.at.getTime(), new Date(c.updatedAt).getTime()))
            : now;
        const after = await this.apply(m, c, t, actor, {
          now,
          patch: change.patch,
          reason: opts.reason,
          details: change.details,
          happened,
        });
        return { t, before: c, after };
      });
      if (!done) {
        if (attempt < 5) continue;
        throw new DomainError(
          'busy',
          HttpStatus.CONFLICT,
          'this consultation keeps changing; try again',
        );
      }
      await this.announce(done);
      return done.after;
    }
  }

  private async checkActor(
    actor: Actor,
    rule: TransitionRule,
    t: Transition,
    c: Consultation,
    people: Participant[],
  ): Promise<void> {
    if (!rule.action)
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        `${t} is made by the platform, not by a person`,
      );
    const ref = this.ref(c, people, t);
    if (rule.assignedOnly)
      ref.participantIds = c.assignedSpecialistId ? [c.assignedSpecialistId] : [];
    await this.policy.assert(actor, rule.action, ref);
    if (rule.assignedOnly && actor.id !== c.assignedSpecialistId) {
      await this.deny(actor, t, c.id, 'not the assigned specialist');
    }
    if (rule.requesterSide && actor.organizationId !== c.requestingOrganizationId) {
      await this.deny(actor, t, c.id, 'not a clinician of the requesting organization');
    }
  }

  private async deny(actor: Actor, action: string, id: string, reason: string): Promise<never> {
    await this.audit.record({
      action: `consultation.${action}`,
      actor,
      resourceType: 'consultation',
      resourceId: id,
      outcome: 'denied',
      details: { reason },
    });
    throw new DomainError(
      'access_denied',
      HttpStatus.FORBIDDEN,
      `not allowed to ${action.replace('_', ' ')} this consultation: ${reason}`,
    );
  }

  /**
   * Writes the new state, the history row and the audit event in the caller's transaction, and
   * tells the listeners. For the platform's own moves (bookings, the deadline sweep) the caller
   * has checked the transition; `announce` the result after the commit.
   */
  async apply(
    m: EntityManager,
    c: Consultation,
    t: Transition,
    actor: Actor | null,
    w: TransitionWrite,
  ): Promise<Consultation> {
    const { now, reason = null, details = {} } = w;
    const to = TRANSITIONS[t].to;
    const after = await this.store.changeStatus(m, c, {
      transition: t,
      to,
      change: w.patch ?? {},
      at: now,
      actorId: actor?.id ?? null,
      reason,
      details,
      happened: w.happened ?? now,
    });
    // The platform's own reasons (a deadline passed) are plain; a person's are kept as a digest (the status history, read under the policy, has the text).
    const why = actor && reason ? { reasonDigest: this.terms.digest(reason) } : { reason };
    await this.audit.record(
      {
        action: `consultation.${t}`,
        actor,
        resourceType: 'consultation',
        resourceId: c.id,
        details: { from: c.status, to, ...why, ...details },
      },
      m,
    );
    for (const listener of this.listeners)
      await listener({ consultationId: c.id, transition: t, from: c.status, to, actor, reason }, m);
    return after;
  }

  /** After commit: counters, and the events to the people concerned (ids only, no PHI). */
  async announce({ t, before, after }: MadeTransition): Promise<void> {
    consultationTransitions.inc({
      transition: t,
      urgency: after.urgency,
      specialty: after.specialty,
    });
    if (t === 'claim' && after.submittedAt && after.claimedAt) {
      consultationClaimSeconds.observe(
        { urgency: after.urgency },
        (after.claimedAt.getTime() - after.submittedAt.getTime()) / 1000,
      );
    }
    if (t === 'sign_report' && after.submittedAt && after.reportedAt) {
      consultationTurnaroundSeconds.observe(
        { urgency: after.urgency },
        (after.reportedAt.getTime() - after.submittedAt.getTime()) / 1000,
      );
    }
    try {
      const data = {
        consultationId: after.id,
        status: after.status,
        transition: t,
        urgency: after.urgency,
        specialty: after.specialty,
        level: after.routedLevel,
      };
      const queueBefore = before.status === 'submitted' ? before.routedOrganizationIds : [];
      const queueAfter = after.status === 'submitted' ? after.routedOrganizationIds : [];
      const queueOrgs = [...new Set([...queueBefore, ...queueAfter])];
      if (queueOrgs.length) {
        this.events.toUsers(await this.routing.queueMembers(queueOrgs, after.specialty), {
          type: 'queue.changed',
          data,
        });
      }
      const people = (await this.store.participants(after.id)).map((p) => p.practitionerId);
      if (before.assignedSpecialistId) people.push(before.assignedSpecialistId);
      if (t === 'escalate')
        people.push(...(await this.routing.hubCoordinators(after.requestingOrganizationId)));
      this.events.toUsers(people, { type: TRANSITION_EVENTS[t], data });
      this.events.toOrganizations([after.requestingOrganizationId], {
        type: TRANSITION_EVENTS[t],
        data,
      });
    } catch (e) {
      // The change is committed; a lost notification must not turn it into an error.
      this.logger.warn(`notifying ${t} of ${after.id} failed: ${(e as Error).message}`);
    }
  }

  /**
   * Escalates every request left unclaimed past its deadline to the next level's queue (and
   * tells the hub's coordinators), or expires it when no level is left. Rows another node is
   * working on are skipped (SKIP LOCKED), so every api node can run the sweep.
   */
  async sweepDeadlines(now: Date, batchSize: number): Promise<SweepResult> {
    const result: SweepResult = { escalated: [], expired: [] };
    for (;;) {
      const done = await this.store.transaction(async (m) => {
        const due = await this.store.dueForDeadline(m, now, batchSize);
        const moved: MadeTransition[] = [];
        for (const c of due) {
          const next = await this.routing.nextQueue(
            c.requestingOrganizationId,
            c.specialty,
            c.routedLevel,
            m,
          );
          if (next) {
            const deadline = this.deadline(now, c.urgency);
            const change: ConsultationChange = {
              // Nearer queues keep the request too: whoever reaches it first takes it.
              routedOrganizationIds: [
                ...new Set([...c.routedOrganizationIds, ...next.organizationIds]),
              ],
              routedLevel: next.level,
              deadlineAt: deadline,
              escalationCount: c.escalationCount + 1,
            };
            const details = {
              fromLevel: c.routedLevel,
              toLevel: next.level,
              deadlineAt: deadline.toISOString(),
            };
            const after = await this.apply(m, c, 'escalate', null, {
              now,
              patch: change,
              reason: 'not claimed before the deadline',
              details,
            });
            moved.push({ t: 'escalate', before: c, after });
          } else {
            const reason = 'not claimed at any level before the deadline';
            const after = await this.apply(m, c, 'expire', null, {
              now,
              patch: { closedAt: now },
              reason,
              details: { lastLevel: c.routedLevel },
            });
            moved.push({ t: 'expire', before: c, after });
          }
        }
        return { moved, full: due.length === batchSize };
      });
      for (const x of done.moved) {
        (x.t === 'escalate' ? result.escalated : result.expired).push(x.after.id);
        await this.announce(x);
      }
      if (!done.full) return result;
    }
  }
}
