import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService, type PolicyAction, type ResourceRef, consultationRef, consultationRefsOfStudy, studyRef } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { actorOf, hasRole, type Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { PatientsService } from '../patients/patients.service';
import type { CallEvent } from '@huizhen/call-events';
import { DirectoryService } from '@huizhen/directory';
import { ConsultationCalls } from './consultation-calls';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { TRANSITIONS, checkTransition, legalTransitions, type Transition, type TransitionRule } from './consultation-lifecycle';
import { consultationClaimSeconds, consultationTransitions, consultationTurnaroundSeconds } from './consultation-metrics';
import { ConsultationRouting } from './consultation-routing';
import type { ConsultationMode, ConsultationStatus, ParticipantRole, QueueLevel, Urgency } from './consultation-terms';
import type { CreateConsultationDto, InviteParticipantDto, MetricsQuery, WorklistBox, WorklistQuery } from './consultation.dto';

/** A consultation_request row as PostgreSQL gives it. */
export interface ConsultationRow {
  id: string;
  requesting_organization_id: string;
  requester_id: string;
  patient_id: string;
  specialty: string;
  urgency: Urgency;
  mode: ConsultationMode;
  clinical_question: string;
  history: string | null;
  preferred_practitioner_id: string | null;
  preferred_organization_id: string | null;
  status: ConsultationStatus;
  routed_organization_ids: string[];
  routed_level: QueueLevel | null;
  deadline_at: Date | null;
  escalation_count: number;
  decline_count: number;
  declined_by: string[];
  assigned_specialist_id: string | null;
  assigned_organization_id: string | null;
  scheduled_start: Date | null;
  submitted_at: Date | null;
  claimed_at: Date | null;
  reported_at: Date | null;
  closed_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface Participant {
  practitionerId: string;
  role: ParticipantRole;
}

export interface ConsultationSummary {
  id: string;
  status: ConsultationStatus;
  urgency: Urgency;
  mode: ConsultationMode;
  specialty: string;
  patientId: string;
  requestingOrganizationId: string;
  requesterId: string;
  assignedSpecialistId: string | null;
  assignedOrganizationId: string | null;
  queue: { organizationIds: string[]; level: QueueLevel | null; deadlineAt: Date | null } | null;
  escalations: number;
  declines: number;
  scheduledStart: Date | null;
  submittedAt: Date | null;
  claimedAt: Date | null;
  reportedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
}

/** A booked slot, as scheduling tells it. */
export interface SlotAppointment {
  bookingId: string;
  slotId: string;
  specialistId: string;
  start: Date;
}

/** What to do once the caller's transaction has committed (the events of the transitions made in it). */
export type AfterCommit = () => Promise<void>;

/** What a transition's own step changes besides the status, inside the transaction. */
export type TransitionStep = (c: ConsultationRow, m: EntityManager, now: Date) => Promise<{ patch?: Record<string, unknown>; details?: Record<string, unknown> } | void>;

export interface SweepResult {
  escalated: string[];
  expired: string[];
}

const EVENT_NAME: Record<Transition, string> = {
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
};
const TERMINAL: readonly ConsultationStatus[] = ['closed', 'cancelled', 'expired'];
const ROOM_ROLE: Record<ParticipantRole, 'host' | 'township_doctor' | 'guest_specialist' | 'observer'> = {
  assigned_specialist: 'host',
  requester: 'township_doctor',
  guest_specialist: 'guest_specialist',
  observer: 'observer',
};

/**
 * Consultation requests from draft to closed: one method per transition, each in one
 * transaction that locks the request row, asks the access policy, checks the state machine,
 * writes the status history and the audit event, then tells the people concerned on /events.
 */
/** A consultation changed state; called inside that change's transaction (use only `m`). */
export type TransitionListener = (
  change: { consultationId: string; transition: Transition; from: string; to: string; actor: Actor | null; reason: string | null },
  m: EntityManager,
) => Promise<void>;

@Injectable()
export class ConsultationsService {
  private readonly logger = new Logger('Consultations');

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** A reason a person typed (declining, cancelling) may describe the patient: the trail keeps its keyed hash. */
    private readonly terms: AuditTerms,
    private readonly patients: PatientsService,
    private readonly routing: ConsultationRouting,
    private readonly events: EventsService,
    private readonly calls: ConsultationCalls,
    private readonly directory: DirectoryService,
  ) {
    // The assigned specialist entering the live room starts the session, whichever client they use.
    calls.onRecorded((events) => this.sessionsEntered(events));
  }

  now(): Date {
    return this.clock.now();
  }

  // ---- creating -------------------------------------------------------------------------

  async create(actor: Actor, dto: CreateConsultationDto): Promise<ConsultationSummary> {
    const owner = await this.patients.owner(dto.patientId);
    await this.policy.assert(actor, 'create', { type: 'consultation', organizationId: owner.organizationId });
    if (owner.organizationId !== actor.organizationId) {
      throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'a consultation is requested by the patient’s own organization');
    }
    let preferredOrganizationId = dto.preferredOrganizationId ?? null;
    if (dto.preferredPractitionerId) {
      const rows: { organization_id: string }[] = await this.db.query(
        `SELECT organization_id FROM practitioner WHERE id = $1 AND active AND specialty = $2 AND 'specialist' = ANY(roles)`,
        [dto.preferredPractitionerId, dto.specialty],
      );
      if (!rows.length) throw new DomainError('preferred_practitioner', HttpStatus.BAD_REQUEST, `the preferred practitioner is not an active ${dto.specialty} specialist`);
      if (preferredOrganizationId && preferredOrganizationId !== rows[0].organization_id) {
        throw new DomainError('preferred_practitioner', HttpStatus.BAD_REQUEST, 'the preferred practitioner does not work at the preferred organization');
      }
      preferredOrganizationId = rows[0].organization_id;
    }
    // A study named in the body is disclosed to everyone the request reaches: only one the requester may read.
    for (const uid of new Set(dto.studyInstanceUids ?? [])) await this.assertStudyReadable(actor, uid);
    // Refuse an unroutable request before writing anything.
    if (dto.submit || preferredOrganizationId) await this.routing.firstQueue(actor.organizationId, dto.specialty, preferredOrganizationId);
    const now = this.clock.now();
    const created = await this.db.transaction(async (m) => {
      const [c]: ConsultationRow[] = await m.query(
        `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, history,
                                           preferred_practitioner_id, preferred_organization_id, created_at, updated_at)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING *`,
        [actor.organizationId, actor.id, dto.patientId, dto.specialty, dto.urgency, dto.mode, dto.clinicalQuestion, dto.history ?? null, dto.preferredPractitionerId ?? null, preferredOrganizationId, now],
      );
      await m.query(`INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'requester')`, [c.id, actor.id]);
      for (const uid of new Set(dto.studyInstanceUids ?? [])) {
        await m.query(`INSERT INTO consultation_attachment (consultation_id, kind, study_instance_uid, added_by) VALUES ($1, 'imaging_study', $2, $3)`, [c.id, uid, actor.id]);
      }
      await m.query(
        `INSERT INTO consultation_status_history (consultation_id, transition, from_status, to_status, actor_id, at) VALUES ($1, 'create', 'draft', 'draft', $2, $3)`,
        [c.id, actor.id, now],
      );
      await this.audit.record({ action: 'consultation.create', actor, resourceType: 'consultation', resourceId: c.id, details: { patientId: dto.patientId, specialty: dto.specialty, urgency: dto.urgency } }, m);
      return c;
    });
    if (dto.submit) return this.submit(actor, created.id);
    return this.summary(created);
  }

  // ---- the transitions, one method each -------------------------------------------------

  submit(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'submit', async (c, m, now) => {
      const q = await this.routing.firstQueue(c.requesting_organization_id, c.specialty, c.preferred_organization_id, m);
      const deadline = this.deadline(now, c.urgency);
      return {
        patch: { routed_organization_ids: q.organizationIds, routed_level: q.level, deadline_at: deadline, submitted_at: now },
        details: { queue: q, deadlineAt: deadline.toISOString() },
      };
    });
  }

  /** Race-safe: the row lock serializes claimers; the first wins, the rest find it claimed (409). */
  claim(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'claim', async (c, m, now) => {
      await m.query(
        `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'assigned_specialist')
         ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = 'assigned_specialist', active = true`,
        [c.id, actor.id],
      );
      return { patch: { assigned_specialist_id: actor.id, assigned_organization_id: actor.organizationId, claimed_at: now } };
    });
  }

  /** The assigned specialist hands the request back to its queue, saying why. */
  decline(actor: Actor, id: string, reason: string): Promise<ConsultationSummary> {
    return this.transition(
      actor,
      id,
      'decline',
      async (c, m) => {
        await m.query(`UPDATE consultation_participant SET active = false WHERE consultation_id = $1 AND practitioner_id = $2`, [c.id, c.assigned_specialist_id]);
        return {
          patch: {
            assigned_specialist_id: null,
            assigned_organization_id: null,
            claimed_at: null,
            scheduled_start: null,
            decline_count: c.decline_count + 1,
            declined_by: [...new Set([...c.declined_by, actor.id])],
          },
          details: { declinedBy: actor.id },
        };
      },
      { reason },
    );
  }

  schedule(actor: Actor, id: string, start: Date): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'schedule', async (_c, _m, now) => {
      if (start.getTime() <= now.getTime()) throw new DomainError('schedule_in_past', HttpStatus.BAD_REQUEST, 'the session must start in the future');
      return { patch: { scheduled_start: start }, details: { start: start.toISOString() } };
    });
  }

  startSession(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'start_session');
  }

  /** Hosts the media node saw join: a claimed or scheduled consultation they are assigned to goes in session. */
  private async sessionsEntered(events: CallEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind !== 'joined' || e.role !== 'host') continue;
      const [c] = await this.db.query(`SELECT status, assigned_specialist_id FROM consultation_request WHERE id = $1`, [e.room]);
      if (!c || c.assigned_specialist_id !== e.practitionerId || !['claimed', 'scheduled'].includes(c.status)) continue;
      try {
        const p = await this.directory.practitioner(e.practitionerId);
        if (!p.active) continue;
        // The session started when they joined, which is earlier than now when the api catches up on
        // events it missed while down (the history says when; the audit event says when it was learnt).
        await this.transition(actorOf(p), e.room, 'start_session', async () => ({ details: { reportedBy: 'media', joinedAt: e.at } }), { at: new Date(e.at) });
      } catch (err) {
        // Started meanwhile (by their client, or a redelivered event), no longer theirs, or no such practitioner: nothing to do.
        if (!(err instanceof DomainError)) throw err;
      }
    }
  }

  close(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'close', async (_c, _m, now) => ({ patch: { closed_at: now } }));
  }

  cancel(actor: Actor, id: string, reason: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'cancel', async (_c, _m, now) => ({ patch: { closed_at: now } }), { reason });
  }

  // ---- booked slots (scheduling calls these inside its booking transaction) ----------------

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
  async takeAppointment(m: EntityManager, actor: Actor, id: string, slot: SlotAppointment, opts: { follow?: boolean } = {}): Promise<AfterCommit> {
    const c = await this.lock(m, id);
    const refuse = (code: string, message: string): AfterCommit => {
      if (opts.follow) return async () => {};
      throw new DomainError(code, HttpStatus.CONFLICT, message, { consultationId: id, status: c.status, mode: c.mode });
    };
    if (c.mode === 'imaging_read') return refuse('consultation_not_live', 'an imaging-read consultation is answered by report; only live (video or both) consultations take a slot');
    if (!['submitted', 'claimed', 'scheduled'].includes(c.status)) {
      return refuse('consultation_not_bookable', c.status === 'draft' ? 'submit the consultation request before booking a slot for it' : `a consultation that is ${c.status} cannot take a slot`);
    }
    const now = this.clock.now();
    const done: { t: Transition; before: ConsultationRow; after: ConsultationRow }[] = [];
    let current = c;
    if (c.status === 'submitted') {
      if (opts.follow) return async () => {};
      if (c.declined_by.includes(slot.specialistId)) return refuse('specialist_declined', 'this specialist declined the request before; book a slot of another specialist');
      const [who]: { organization_id: string }[] = await m.query(`SELECT organization_id FROM practitioner WHERE id = $1`, [slot.specialistId]);
      checkTransition('claim', c.status, c.mode);
      await m.query(
        `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'assigned_specialist')
         ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = 'assigned_specialist', active = true`,
        [c.id, slot.specialistId],
      );
      const after = await this.applyTransition(m, c, 'claim', actor, now, { assigned_specialist_id: slot.specialistId, assigned_organization_id: who.organization_id, claimed_at: now }, null, {
        via: 'booking',
        bookingId: slot.bookingId,
        specialistId: slot.specialistId,
      });
      done.push({ t: 'claim', before: c, after });
      current = after;
    } else if (c.assigned_specialist_id !== slot.specialistId) {
      return refuse('specialist_mismatch', 'this consultation is assigned to another specialist; book a slot of the assigned specialist');
    }
    checkTransition('schedule', current.status, current.mode);
    const after = await this.applyTransition(m, current, 'schedule', actor, now, { scheduled_start: slot.start }, null, {
      start: slot.start.toISOString(),
      via: 'booking',
      bookingId: slot.bookingId,
      slotId: slot.slotId,
    });
    done.push({ t: 'schedule', before: current, after });
    return async () => {
      for (const d of done) await this.afterTransition(d.t, d.before, d.after);
    };
  }

  /**
   * The booking that scheduled this request was cancelled (by the township, or by a rotation
   * change): a request still scheduled at that slot's time goes back to claimed, with its
   * specialist, waiting for a new time. In the caller's transaction (m).
   */
  async releaseAppointment(m: EntityManager, actor: Actor, id: string, slot: SlotAppointment, reason: string | null): Promise<AfterCommit> {
    const c = await this.lock(m, id);
    if (c.status !== 'scheduled' || c.scheduled_start?.getTime() !== slot.start.getTime() || c.assigned_specialist_id !== slot.specialistId) return async () => {};
    const after = await this.applyTransition(m, c, 'unschedule', actor, this.clock.now(), { scheduled_start: null }, reason, { via: 'booking', bookingId: slot.bookingId });
    return () => this.afterTransition('unschedule', c, after);
  }

  /** Facts scheduling needs about a request before booking for it; null when there is none. */
  async bookingFacts(id: string): Promise<{ id: string; organizationId: string; specialty: string; mode: ConsultationMode; status: ConsultationStatus } | null> {
    const [c]: ConsultationRow[] = await this.db.query(`SELECT id, requesting_organization_id, specialty, mode, status FROM consultation_request WHERE id = $1`, [id]);
    return c ? { id: c.id, organizationId: c.requesting_organization_id, specialty: c.specialty, mode: c.mode, status: c.status } : null;
  }

  /**
   * Lets another feature act inside the transaction of every consultation state change
   * (scheduling releases the booked slot when a request is declined, cancelled or expires):
   * the feature that depends on consultations subscribes, consultations knows nothing of it.
   */
  onTransition(listener: TransitionListener): void {
    this.transitionListeners.push(listener);
  }

  private readonly transitionListeners: TransitionListener[] = [];

  /**
   * The engine every transition goes through. The access check runs first on an unlocked
   * read (so a refused caller never waits on, or learns the state of, someone else's request).
   * If the facts it rested on changed before the row lock was taken, the transaction is
   * abandoned and the whole check runs again: nothing but `m` is used while the lock is held
   * (the embedded database has a single connection).
   */
  /** `opts.at`: when it happened, if earlier than now (a report that arrives late); the history row carries it. */
  async transition(actor: Actor, id: string, t: Transition, step?: TransitionStep, opts: { reason?: string; at?: Date } = {}): Promise<ConsultationSummary> {
    const rule = TRANSITIONS[t];
    for (let attempt = 1; ; attempt++) {
      const seen = await this.load(id);
      const seenPeople = await this.participants(id);
      await this.checkActor(actor, rule, t, seen, seenPeople);
      const done = await this.db.transaction(async (m) => {
        const c = await this.lock(m, id);
        const people = await this.participants(id, m);
        if (JSON.stringify(this.ref(c, people, t)) !== JSON.stringify(this.ref(seen, seenPeople, t)) || c.assigned_specialist_id !== seen.assigned_specialist_id) {
          return null; // changed under us: check again
        }
        checkTransition(t, c.status, c.mode);
        const now = this.clock.now();
        const change = (await step?.(c, m, now)) ?? {};
        // Never before the request's last change (a media node's clock a little behind ours).
        const happened = opts.at && opts.at.getTime() < now.getTime() ? new Date(Math.max(opts.at.getTime(), new Date(c.updated_at).getTime())) : now;
        const after = await this.applyTransition(m, c, t, actor, now, change.patch ?? {}, opts.reason ?? null, change.details ?? {}, happened);
        return { before: c, after };
      });
      if (!done) {
        if (attempt < 5) continue;
        throw new DomainError('busy', HttpStatus.CONFLICT, 'this consultation keeps changing; try again');
      }
      await this.afterTransition(t, done.before, done.after);
      return this.summary(done.after);
    }
  }

  private async checkActor(actor: Actor, rule: TransitionRule, t: Transition, c: ConsultationRow, people: Participant[]): Promise<void> {
    if (!rule.action) throw new DomainError('access_denied', HttpStatus.FORBIDDEN, `${t} is made by the platform, not by a person`);
    const ref = this.ref(c, people, t);
    if (rule.assignedOnly) ref.participantIds = c.assigned_specialist_id ? [c.assigned_specialist_id] : [];
    await this.policy.assert(actor, rule.action, ref);
    if (rule.assignedOnly && actor.id !== c.assigned_specialist_id) {
      await this.deny(actor, t, c.id, 'not the assigned specialist');
    }
    if (rule.requesterSide && actor.organizationId !== c.requesting_organization_id) {
      await this.deny(actor, t, c.id, 'not a clinician of the requesting organization');
    }
  }

  private async deny(actor: Actor, action: string, id: string, reason: string): Promise<never> {
    await this.audit.record({ action: `consultation.${action}`, actor, resourceType: 'consultation', resourceId: id, outcome: 'denied', details: { reason } });
    throw new DomainError('access_denied', HttpStatus.FORBIDDEN, `not allowed to ${action.replace('_', ' ')} this consultation: ${reason}`);
  }

  /** Writes the new state, the history row and the audit event in the caller's transaction. */
  private async applyTransition(
    m: EntityManager,
    c: ConsultationRow,
    t: Transition,
    actor: Actor | null,
    now: Date,
    patch: Record<string, unknown>,
    reason: string | null,
    details: Record<string, unknown>,
    happened: Date = now,
  ): Promise<ConsultationRow> {
    const to = TRANSITIONS[t].to;
    const set: Record<string, unknown> = { ...patch, status: to, updated_at: now };
    const cols = Object.keys(set);
    const [[after]]: [ConsultationRow[]] = await m.query(
      `UPDATE consultation_request SET ${cols.map((col, i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
      [c.id, ...cols.map((col) => set[col])],
    );
    await m.query(
      `INSERT INTO consultation_status_history (consultation_id, transition, from_status, to_status, actor_id, reason, details, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
      [c.id, t, c.status, to, actor?.id ?? null, reason, JSON.stringify(details), happened],
    );
    // The platform's own reasons (a deadline passed) are plain; a person's are kept as a digest (the status history, read under the policy, has the text).
    const why = actor && reason ? { reasonDigest: this.terms.digest(reason) } : { reason };
    await this.audit.record({ action: `consultation.${t}`, actor, resourceType: 'consultation', resourceId: c.id, details: { from: c.status, to, ...why, ...details } }, m);
    for (const listener of this.transitionListeners) await listener({ consultationId: c.id, transition: t, from: c.status, to, actor, reason }, m);
    return after;
  }

  /** After commit: counters, and the events to the people concerned (ids only, no PHI). */
  private async afterTransition(t: Transition, before: ConsultationRow, after: ConsultationRow): Promise<void> {
    consultationTransitions.inc({ transition: t, urgency: after.urgency, specialty: after.specialty });
    if (t === 'claim' && after.submitted_at && after.claimed_at) {
      consultationClaimSeconds.observe({ urgency: after.urgency }, (after.claimed_at.getTime() - after.submitted_at.getTime()) / 1000);
    }
    if (t === 'sign_report' && after.submitted_at && after.reported_at) {
      consultationTurnaroundSeconds.observe({ urgency: after.urgency }, (after.reported_at.getTime() - after.submitted_at.getTime()) / 1000);
    }
    try {
      const data = { consultationId: after.id, status: after.status, transition: t, urgency: after.urgency, specialty: after.specialty, level: after.routed_level };
      const queueBefore = before.status === 'submitted' ? before.routed_organization_ids : [];
      const queueAfter = after.status === 'submitted' ? after.routed_organization_ids : [];
      const queueOrgs = [...new Set([...queueBefore, ...queueAfter])];
      if (queueOrgs.length) {
        this.events.toUsers(await this.routing.queueMembers(queueOrgs, after.specialty), { type: 'queue.changed', data });
      }
      const people = (await this.participants(after.id)).map((p) => p.practitionerId);
      if (before.assigned_specialist_id) people.push(before.assigned_specialist_id);
      if (t === 'escalate') people.push(...(await this.routing.hubCoordinators(after.requesting_organization_id)));
      this.events.toUsers(people, { type: EVENT_NAME[t], data });
      this.events.toOrganizations([after.requesting_organization_id], { type: EVENT_NAME[t], data });
    } catch (e) {
      // The change is committed; a lost notification must not turn it into an error.
      this.logger.warn(`notifying ${t} of ${after.id} failed: ${(e as Error).message}`);
    }
  }

  // ---- deadlines ------------------------------------------------------------------------

  /**
   * Escalates every request left unclaimed past its deadline to the next level's queue (and
   * tells the hub's coordinators), or expires it when no level is left. Rows another node is
   * working on are skipped (SKIP LOCKED), so every api node can run the sweep.
   */
  async sweepDeadlines(now: Date = this.clock.now(), batchSize = 50): Promise<SweepResult> {
    const result: SweepResult = { escalated: [], expired: [] };
    for (;;) {
      const done = await this.db.transaction(async (m) => {
        const due: ConsultationRow[] = await m.query(
          `SELECT * FROM consultation_request WHERE status = 'submitted' AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
          [now, batchSize],
        );
        const moved: { t: Transition; before: ConsultationRow; after: ConsultationRow }[] = [];
        for (const c of due) {
          const next = await this.routing.nextQueue(c.requesting_organization_id, c.specialty, c.routed_level, m);
          if (next) {
            const deadline = this.deadline(now, c.urgency);
            const after = await this.applyTransition(
              m,
              c,
              'escalate',
              null,
              now,
              {
                // Nearer queues keep the request too: whoever reaches it first takes it.
                routed_organization_ids: [...new Set([...c.routed_organization_ids, ...next.organizationIds])],
                routed_level: next.level,
                deadline_at: deadline,
                escalation_count: c.escalation_count + 1,
              },
              'not claimed before the deadline',
              { fromLevel: c.routed_level, toLevel: next.level, deadlineAt: deadline.toISOString() },
            );
            moved.push({ t: 'escalate', before: c, after });
          } else {
            const after = await this.applyTransition(m, c, 'expire', null, now, { closed_at: now }, 'not claimed at any level before the deadline', { lastLevel: c.routed_level });
            moved.push({ t: 'expire', before: c, after });
          }
        }
        return { moved, full: due.length === batchSize };
      });
      for (const x of done.moved) {
        (x.t === 'escalate' ? result.escalated : result.expired).push(x.after.id);
        await this.afterTransition(x.t, x.before, x.after);
      }
      if (!done.full) return result;
    }
  }

  private deadline(from: Date, urgency: Urgency): Date {
    return new Date(from.getTime() + this.config.consultations.deadlineMinutes[urgency] * 60_000);
  }

  // ---- reading --------------------------------------------------------------------------

  async get(actor: Actor, id: string) {
    const { c, people } = await this.access(actor, id, 'read');
    const [details] = await this.db.query(
      `SELECT p.name AS patient_name, p.sex AS patient_sex, to_char(p.birth_date, 'YYYY-MM-DD') AS patient_birth_date,
              ro.name AS requesting_organization_name, rq.display_name AS requester_name
         FROM consultation_request c JOIN patient p ON p.id = c.patient_id
         JOIN organization ro ON ro.id = c.requesting_organization_id JOIN practitioner rq ON rq.id = c.requester_id
        WHERE c.id = $1`,
      [id],
    );
    const participants = await this.db.query(
      `SELECT cp.practitioner_id AS "practitionerId", cp.role, pr.display_name AS "displayName", pr.organization_id AS "organizationId"
         FROM consultation_participant cp JOIN practitioner pr ON pr.id = cp.practitioner_id
        WHERE cp.consultation_id = $1 AND cp.active ORDER BY cp.added_at`,
      [id],
    );
    const attachments = await this.attachments(id);
    const history = await this.db.query(
      `SELECT transition, from_status AS "from", to_status AS "to", actor_id AS "actorId", reason, details, at
         FROM consultation_status_history WHERE consultation_id = $1 ORDER BY id`,
      [id],
    );
    const calls = await this.calls.callsOf(id, this.now());
    await this.audit.record({ action: 'consultation.read', actor, resourceType: 'consultation', resourceId: id, details: { patientId: c.patient_id } });
    return {
      ...this.summary(c),
      clinicalQuestion: c.clinical_question,
      history: c.history,
      patient: { id: c.patient_id, name: details.patient_name, sex: details.patient_sex, birthDate: details.patient_birth_date },
      requestingOrganizationName: details.requesting_organization_name,
      requesterName: details.requester_name,
      preferredPractitionerId: c.preferred_practitioner_id,
      preferredOrganizationId: c.preferred_organization_id,
      participants,
      attachments,
      statusHistory: history,
      calls,
      allowedTransitions: legalTransitions(c.status, c.mode),
      myParticipation: people.find((p) => p.practitionerId === actor.id)?.role ?? null,
    };
  }

  /**
   * The routing facts of a request (status, specialty, urgency, its queue and deadline, the
   * organizations involved): no patient, no clinical question, no images. What a hub
   * coordinator of a hospital in the queue sees of a request from outside their hub.
   */
  async routingFacts(actor: Actor, id: string) {
    const { c } = await this.access(actor, id, 'read_routing');
    return {
      id: c.id,
      status: c.status,
      urgency: c.urgency,
      mode: c.mode,
      specialty: c.specialty,
      requestingOrganizationId: c.requesting_organization_id,
      assignedOrganizationId: c.assigned_organization_id,
      queue: c.status === 'submitted' ? { organizationIds: c.routed_organization_ids, level: c.routed_level, deadlineAt: c.deadline_at } : null,
      escalations: c.escalation_count,
      declines: c.decline_count,
      submittedAt: c.submitted_at,
      claimedAt: c.claimed_at,
      closedAt: c.closed_at,
    };
  }

  async attachments(id: string, m: EntityManager = this.db.manager) {
    return m.query(
      `SELECT id, kind, study_instance_uid AS "studyInstanceUid", file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes",
              sha256, message_id::text AS "messageId", added_by AS "addedBy", created_at AS "createdAt"
         FROM consultation_attachment WHERE consultation_id = $1 ORDER BY created_at, id`,
      [id],
    );
  }

  /** Worklists per role, filtered, keyset-paged (stable and fast at any depth). */
  async worklist(actor: Actor, q: WorklistQuery) {
    const box: WorklistBox = q.box ?? (hasRole(actor, 'specialist') ? 'queue' : hasRole(actor, 'township_doctor') ? 'sent' : 'hub');
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    const need = (ok: boolean, who: string) => {
      if (!ok) throw new DomainError('access_denied', HttpStatus.FORBIDDEN, `the ${box} worklist is for ${who}`);
    };
    switch (box) {
      case 'queue':
        need(hasRole(actor, 'specialist') && !!actor.specialty, 'specialists');
        where.push(`c.status = 'submitted'`, `c.specialty = ${p(actor.specialty)}`, `c.routed_organization_ids @> ARRAY[${p(actor.organizationId)}]::uuid[]`, `NOT (${p(actor.id)}::uuid = ANY(c.declined_by))`);
        break;
      case 'assigned':
        need(hasRole(actor, 'specialist'), 'specialists');
        where.push(`c.assigned_specialist_id = ${p(actor.id)}`);
        break;
      case 'received':
        need(hasRole(actor, 'specialist'), 'specialists');
        where.push(`c.assigned_organization_id = ${p(actor.organizationId)}`);
        break;
      case 'sent':
        need(hasRole(actor, 'township_doctor', 'specialist'), 'clinicians');
        where.push(`c.requesting_organization_id = ${p(actor.organizationId)}`);
        break;
      case 'hub': {
        need(hasRole(actor, 'hub_coordinator'), 'hub coordinators');
        const scope = await this.policy.organizationScope(actor);
        const s = p(scope.organizationIds);
        where.push(`(c.requesting_organization_id = ANY(${s}::uuid[]) OR c.assigned_organization_id = ANY(${s}::uuid[]))`);
        break;
      }
    }
    // The box narrows what the policy lets this actor read; it never widens it.
    where.push(await this.policy.consultationReadFilter(actor, p));
    if (q.status?.length) where.push(`c.status = ANY(${p(q.status)}::text[])`);
    if (q.urgency) where.push(`c.urgency = ${p(q.urgency)}`);
    if (q.specialty) where.push(`c.specialty = ${p(q.specialty)}`);
    if (q.organizationId) {
      await this.directory.organization(q.organizationId); // 404 for an id that names nothing
      where.push(`c.requesting_organization_id = ${p(q.organizationId)}`);
    }
    if (q.from) where.push(`c.created_at >= ${p(new Date(q.from))}`);
    if (q.to) where.push(`c.created_at < ${p(new Date(q.to))}`);
    // The queue is worked nearest deadline first; every other box newest first.
    const byDeadline = box === 'queue';
    const sortCol = byDeadline ? 'c.deadline_at' : 'c.created_at';
    if (q.cursor) {
      const [at, afterId] = decodeCursor(q.cursor);
      where.push(`(${sortCol}, c.id) ${byDeadline ? '>' : '<'} (${p(at)}::timestamptz, ${p(afterId)}::uuid)`);
    }
    const dir = byDeadline ? 'ASC' : 'DESC';
    const rows = await this.db.query(
      `SELECT c.id, c.status, c.urgency, c.mode, c.specialty, c.patient_id, p.name AS patient_name, p.sex AS patient_sex,
              to_char(p.birth_date, 'YYYY-MM-DD') AS patient_birth_date, c.requesting_organization_id, ro.name AS requesting_organization_name,
              c.requester_id, c.assigned_specialist_id, ap.display_name AS assigned_specialist_name, c.assigned_organization_id,
              c.routed_level, c.deadline_at, c.escalation_count, c.submitted_at, c.claimed_at, c.reported_at, c.created_at,
              ${sortCol}::text AS sort_key
         FROM consultation_request c
         JOIN patient p ON p.id = c.patient_id
         JOIN organization ro ON ro.id = c.requesting_organization_id
         LEFT JOIN practitioner ap ON ap.id = c.assigned_specialist_id
        WHERE ${where.join(' AND ')}
        ORDER BY ${sortCol} ${dir}, c.id ${dir}
        LIMIT ${p(q.limit + 1)}`,
      params,
    );
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const items = page.map((r: any) => ({
      id: r.id,
      status: r.status,
      urgency: r.urgency,
      mode: r.mode,
      specialty: r.specialty,
      patient: { id: r.patient_id, name: r.patient_name, sex: r.patient_sex, birthDate: r.patient_birth_date },
      requestingOrganization: { id: r.requesting_organization_id, name: r.requesting_organization_name },
      requesterId: r.requester_id,
      assignedSpecialist: r.assigned_specialist_id ? { id: r.assigned_specialist_id, displayName: r.assigned_specialist_name, organizationId: r.assigned_organization_id } : null,
      queueLevel: r.status === 'submitted' ? r.routed_level : null,
      deadlineAt: r.status === 'submitted' ? r.deadline_at : null,
      escalations: r.escalation_count,
      submittedAt: r.submitted_at,
      claimedAt: r.claimed_at,
      reportedAt: r.reported_at,
      createdAt: r.created_at,
    }));
    await this.audit.record({ action: 'consultation.list', actor, resourceType: 'consultation', details: { box, returned: items.map((i: { id: string }) => i.id) } });
    return { box, items, limit: q.limit, nextCursor: more && last ? encodeCursor(last.sort_key, last.id) : null };
  }

  /** Per-institution figures for the coordinator's hub: sent, received, claim time, turnaround, escalations, referrals. */
  async metrics(actor: Actor, q: MetricsQuery) {
    if (!hasRole(actor, 'hub_coordinator')) throw new DomainError('access_denied', HttpStatus.FORBIDDEN, 'consultation metrics are for hub coordinators');
    const scope = await this.policy.organizationScope(actor);
    const to = q.to ? new Date(q.to) : this.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86400_000);
    const rows = await this.db.query(
      `WITH sent AS (
         SELECT requesting_organization_id AS org, count(*)::int AS sent, coalesce(sum(escalation_count), 0)::int AS escalations,
                count(*) FILTER (WHERE status = 'expired')::int AS expired
           FROM consultation_request WHERE requesting_organization_id = ANY($1::uuid[]) AND submitted_at >= $2 AND submitted_at < $3 GROUP BY 1),
       received AS (
         SELECT assigned_organization_id AS org, count(*)::int AS received,
                count(*) FILTER (WHERE reported_at IS NOT NULL)::int AS reported,
                round(avg(extract(epoch FROM claimed_at - submitted_at)))::int AS claim_avg_s,
                round(percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM claimed_at - submitted_at)))::int AS claim_median_s,
                round(avg(extract(epoch FROM reported_at - submitted_at)) FILTER (WHERE reported_at IS NOT NULL))::int AS turnaround_avg_s,
                round(percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM reported_at - submitted_at)) FILTER (WHERE reported_at IS NOT NULL))::int AS turnaround_p90_s
           FROM consultation_request WHERE assigned_organization_id = ANY($1::uuid[]) AND submitted_at >= $2 AND submitted_at < $3 GROUP BY 1),
       ref_out AS (SELECT from_organization_id AS org, count(*)::int AS n FROM referral WHERE from_organization_id = ANY($1::uuid[]) AND created_at >= $2 AND created_at < $3 GROUP BY 1),
       ref_in AS (SELECT to_organization_id AS org, count(*)::int AS n, count(*) FILTER (WHERE status = 'accepted')::int AS accepted
                    FROM referral WHERE to_organization_id = ANY($1::uuid[]) AND created_at >= $2 AND created_at < $3 GROUP BY 1),
       video AS (SELECT DISTINCT unnest(ARRAY[c.requesting_organization_id, c.assigned_organization_id]) AS org
                   FROM consultation_call_event e JOIN consultation_request c ON c.id = e.consultation_id
                  WHERE e.kind = 'joined' AND e.occurred_at >= $2 AND e.occurred_at < $3)
       SELECT o.id, o.name, o.level,
              coalesce(s.sent, 0) AS sent, coalesce(s.escalations, 0) AS escalations, coalesce(s.expired, 0) AS expired,
              coalesce(r.received, 0) AS received, coalesce(r.reported, 0) AS reported, r.claim_avg_s, r.claim_median_s, r.turnaround_avg_s, r.turnaround_p90_s,
              coalesce(ro.n, 0) AS referrals_sent, coalesce(ri.n, 0) AS referrals_received, coalesce(ri.accepted, 0) AS referrals_accepted
         FROM organization o
         LEFT JOIN sent s ON s.org = o.id LEFT JOIN received r ON r.org = o.id
         LEFT JOIN ref_out ro ON ro.org = o.id LEFT JOIN ref_in ri ON ri.org = o.id
        WHERE o.id = ANY($1::uuid[]) AND (s.org IS NOT NULL OR r.org IS NOT NULL OR ro.org IS NOT NULL OR ri.org IS NOT NULL OR o.id IN (SELECT org FROM video))
        ORDER BY o.level, o.name`,
      [scope.organizationIds, from, to],
    );
    const video = await this.calls.videoFigures(scope.organizationIds, from, to);
    await this.audit.record({ action: 'consultation.metrics', actor, resourceType: 'consultation', details: { from: from.toISOString(), to: to.toISOString() } });
    return {
      from,
      to,
      institutions: rows.map((r: any) => ({
        organizationId: r.id,
        name: r.name,
        level: r.level,
        requestsSent: r.sent,
        requestsReceived: r.received,
        reportsSigned: r.reported,
        claimSeconds: { average: r.claim_avg_s, median: r.claim_median_s },
        reportTurnaroundSeconds: { average: r.turnaround_avg_s, p90: r.turnaround_p90_s },
        escalations: r.escalations,
        expired: r.expired,
        referralsSent: r.referrals_sent,
        referralsReceived: r.referrals_received,
        referralsAccepted: r.referrals_accepted,
        videoCalls: video.get(r.id)?.calls ?? 0,
        videoMinutes: Math.round((video.get(r.id)?.seconds ?? 0) / 60),
      })),
    };
  }

  // ---- for other teams and modules -------------------------------------------------------

  /** The consultations a study is attached to, as policy refs (see consultationRefsOfStudy: imaging uses the same). */
  accessRefsForStudy(studyInstanceUid: string): Promise<ResourceRef[]> {
    return consultationRefsOfStudy(this.db.manager, studyInstanceUid);
  }

  /**
   * A request that names a study (attaching it) discloses it to everyone the consultation
   * reaches, so only someone who may read the study names it: 404 for a study not stored, 403
   * (audited by the policy) for one the actor may not read.
   */
  async assertStudyReadable(actor: Actor, studyInstanceUid: string): Promise<void> {
    const ref = await studyRef(this.db.manager, studyInstanceUid);
    if (!ref) throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no stored study ${studyInstanceUid}: upload the images before attaching them`, { studyInstanceUid });
    await this.policy.assert(actor, 'read', ref);
  }

  /** Who the actor is in the consultation's live room, after the 'join' check (for the media room token). */
  async roomParticipant(actor: Actor, consultationId: string): Promise<{ consultationId: string; role: 'host' | 'township_doctor' | 'guest_specialist' | 'observer' }> {
    const { c, people } = await this.access(actor, consultationId, 'join');
    if (c.mode === 'imaging_read' || !['claimed', 'scheduled', 'in_session'].includes(c.status)) {
      throw new DomainError('room_not_open', HttpStatus.CONFLICT, `there is no live room for a ${c.mode} consultation that is ${c.status}`, { status: c.status, mode: c.mode });
    }
    const me = people.find((p) => p.practitionerId === actor.id)!;
    return { consultationId, role: ROOM_ROLE[me.role] };
  }

  /** Adds a guest specialist or an observer (e.g. for the video session). */
  async invite(actor: Actor, id: string, dto: InviteParticipantDto) {
    const { c } = await this.access(actor, id, 'share');
    if (TERMINAL.includes(c.status)) throw new DomainError('illegal_transition', HttpStatus.CONFLICT, `the consultation is ${c.status}`, { status: c.status });
    const [who]: { roles: string[]; active: boolean }[] = await this.db.query(`SELECT roles, active FROM practitioner WHERE id = $1`, [dto.practitionerId]);
    if (!who?.active) throw new DomainError('practitioner_not_found', HttpStatus.NOT_FOUND, 'no active practitioner with this id');
    if (dto.role === 'guest_specialist' && !who.roles.includes('specialist')) throw new DomainError('not_a_specialist', HttpStatus.BAD_REQUEST, 'a guest specialist must be a specialist');
    await this.db.transaction(async (m) => {
      const [existing]: { role: ParticipantRole; active: boolean }[] = await m.query(
        `SELECT role, active FROM consultation_participant WHERE consultation_id = $1 AND practitioner_id = $2 FOR UPDATE`,
        [id, dto.practitionerId],
      );
      if (existing?.active && (existing.role === 'requester' || existing.role === 'assigned_specialist')) {
        throw new DomainError('already_participant', HttpStatus.CONFLICT, `already taking part as ${existing.role}`);
      }
      await m.query(
        `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = EXCLUDED.role, active = true`,
        [id, dto.practitionerId, dto.role],
      );
      await this.audit.record({ action: 'consultation.share', actor, resourceType: 'consultation', resourceId: id, details: { to: dto.practitionerId, role: dto.role } }, m);
    });
    this.events.toUsers([dto.practitionerId], { type: 'consultation.invited', data: { consultationId: id, role: dto.role } });
    return { consultationId: id, practitionerId: dto.practitionerId, role: dto.role };
  }

  /** Loads the request and its participants and asserts the action; for this module's services and referrals. */
  async access(actor: Actor, id: string, action: PolicyAction): Promise<{ c: ConsultationRow; people: Participant[] }> {
    const c = await this.load(id);
    const people = await this.participants(id);
    await this.policy.assert(actor, action, this.ref(c, people));
    return { c, people };
  }

  /** The policy's view of a request. A queue confers access only while the request waits in it, except to claim (a late claimer gets 409, not 403). */
  ref(c: ConsultationRow, people: Participant[], purpose?: Transition): ResourceRef {
    return consultationRef(c, people.map((p) => p.practitionerId), purpose);
  }

  async load(id: string, m: EntityManager = this.db.manager): Promise<ConsultationRow> {
    const [c]: ConsultationRow[] = await m.query(`SELECT * FROM consultation_request WHERE id = $1`, [id]);
    if (!c) throw new DomainError('consultation_not_found', HttpStatus.NOT_FOUND, `consultation ${id} does not exist`);
    return c;
  }

  async lock(m: EntityManager, id: string): Promise<ConsultationRow> {
    const [c]: ConsultationRow[] = await m.query(`SELECT * FROM consultation_request WHERE id = $1 FOR UPDATE`, [id]);
    if (!c) throw new DomainError('consultation_not_found', HttpStatus.NOT_FOUND, `consultation ${id} does not exist`);
    return c;
  }

  async participants(id: string, m: EntityManager = this.db.manager): Promise<Participant[]> {
    const rows: { practitioner_id: string; role: ParticipantRole }[] = await m.query(
      `SELECT practitioner_id, role FROM consultation_participant WHERE consultation_id = $1 AND active ORDER BY added_at, practitioner_id`,
      [id],
    );
    return rows.map((r) => ({ practitionerId: r.practitioner_id, role: r.role }));
  }

  isOpen(c: ConsultationRow): boolean {
    return !TERMINAL.includes(c.status);
  }

  summary(c: ConsultationRow): ConsultationSummary {
    return {
      id: c.id,
      status: c.status,
      urgency: c.urgency,
      mode: c.mode,
      specialty: c.specialty,
      patientId: c.patient_id,
      requestingOrganizationId: c.requesting_organization_id,
      requesterId: c.requester_id,
      assignedSpecialistId: c.assigned_specialist_id,
      assignedOrganizationId: c.assigned_organization_id,
      queue: c.status === 'submitted' ? { organizationIds: c.routed_organization_ids, level: c.routed_level, deadlineAt: c.deadline_at } : null,
      escalations: c.escalation_count,
      declines: c.decline_count,
      scheduledStart: c.scheduled_start,
      submittedAt: c.submitted_at,
      claimedAt: c.claimed_at,
      reportedAt: c.reported_at,
      closedAt: c.closed_at,
      createdAt: c.created_at,
    };
  }
}

/** The sort key travels as PostgreSQL printed it: microseconds intact, so no row is skipped or repeated. */
function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof at === 'string' && /^[0-9 :.+-]{10,40}$/.test(at) && typeof id === 'string' && /^[0-9a-f-]{36}$/i.test(id)) return [at, id];
  } catch {}
  throw new DomainError('invalid_cursor', HttpStatus.BAD_REQUEST, 'cursor is not one this API gave out');
}
