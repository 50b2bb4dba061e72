import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import {
  AccessPolicyService,
  type PolicyAction,
  type ResourceRef,
  studyRef,
} from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { actorOf, type Actor } from '@huizhen/auth';
import type { CallEvent } from '@huizhen/call-events';
import { DirectoryService, type Practitioner } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { PatientsService } from '../patients/patients.service';
import { StudyPatientCheck } from './study-patient-check';
import { ConsultationCalls } from './consultation-calls';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { legalTransitions, type Transition } from './consultation-lifecycle';
import { ConsultationRouting } from './consultation-routing';
import { ConsultationStore, type Consultation, type Participant } from './consultation-store';
import type { ConsultationStatus, ParticipantRole } from './consultation-terms';
import type {
  ConsultationQueue,
  ConsultationSummary as ContractSummary,
  WithDates,
} from '@huizhen/contract';
import {
  ConsultationTransitions,
  type SweepResult,
  type TransitionListener,
  type TransitionStep,
} from './consultation-transitions';
import type { CreateConsultationDto, InviteParticipantDto } from './consultation.dto';

export type { Consultation, Participant } from './consultation-store';
export type { SweepResult, TransitionListener, TransitionStep } from './consultation-transitions';

/** A request as the transition routes answer it (and the start of its detail): the contract's
 * ConsultationSummary with its times as Dates. */
export type ConsultationSummary = Omit<
  WithDates<
    ContractSummary,
    'scheduledStart' | 'submittedAt' | 'claimedAt' | 'reportedAt' | 'closedAt' | 'createdAt'
  >,
  'queue'
> & { queue: WithDates<ConsultationQueue, 'deadlineAt'> | null };

const TERMINAL: readonly ConsultationStatus[] = ['closed', 'cancelled', 'expired'];
const ROOM_ROLE: Record<
  ParticipantRole,
  'host' | 'township_doctor' | 'guest_specialist' | 'observer'
> = {
  assigned_specialist: 'host',
  requester: 'township_doctor',
  guest_specialist: 'guest_specialist',
  observer: 'observer',
};

/**
 * Consultation requests from draft to closed, as the routes and the other features ask for
 * them: one method per transition (each a step given to the transition engine), creating,
 * reading one request, inviting, the live room. The store holds the SQL, the engine writes
 * every status, ConsultationWorklist reads the lists.
 */
@Injectable()
export class ConsultationsService {
  constructor(
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly store: ConsultationStore,
    private readonly transitions: ConsultationTransitions,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly patients: PatientsService,
    private readonly routing: ConsultationRouting,
    private readonly events: EventsService,
    private readonly calls: ConsultationCalls,
    private readonly directory: DirectoryService,
    private readonly studyPatients: StudyPatientCheck,
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
    await this.policy.assert(actor, 'create', {
      type: 'consultation',
      organizationId: owner.organizationId,
    });
    if (owner.organizationId !== actor.organizationId) {
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'a consultation is requested by the patient’s own organization',
      );
    }
    let preferredOrganizationId = dto.preferredOrganizationId ?? null;
    if (dto.preferredPractitionerId) {
      const p = await this.practitioner(dto.preferredPractitionerId);
      if (!p?.active || p.specialty !== dto.specialty || !p.roles.includes('specialist')) {
        throw new DomainError(
          'preferred_practitioner',
          HttpStatus.BAD_REQUEST,
          `the preferred practitioner is not an active ${dto.specialty} specialist`,
        );
      }
      if (preferredOrganizationId && preferredOrganizationId !== p.organizationId) {
        throw new DomainError(
          'preferred_practitioner',
          HttpStatus.BAD_REQUEST,
          'the preferred practitioner does not work at the preferred organization',
        );
      }
      preferredOrganizationId = p.organizationId;
    }
    // A study named in the body is disclosed to everyone the request reaches: only one the requester may read.
    const studyInstanceUids = [...new Set(dto.studyInstanceUids ?? [])];
    for (const uid of studyInstanceUids) await this.assertStudyReadable(actor, uid);
    // Images of another patient are refused unless the requester saw the differences and said why.
    const reasons = new Map(
      (dto.patientMismatches ?? []).map((c) => [c.studyInstanceUid, c.reason] as const),
    );
    const unnamed = [...reasons.keys()].filter((uid) => !studyInstanceUids.includes(uid));
    if (unnamed.length)
      throw new DomainError(
        'patient_mismatch_unnamed',
        HttpStatus.BAD_REQUEST,
        'patientMismatches confirms studies that studyInstanceUids does not name',
        { studyInstanceUids: unnamed },
      );
    const patientChecks = await this.studyPatients.check(
      dto.patientId,
      studyInstanceUids.map((uid) => ({ studyInstanceUid: uid, mismatchReason: reasons.get(uid) })),
    );
    // Refuse an unroutable request before writing anything.
    if (dto.submit || preferredOrganizationId)
      await this.routing.firstQueue(actor.organizationId, dto.specialty, preferredOrganizationId);
    const now = this.clock.now();
    const created = await this.store.transaction(async (m) => {
      const c = await this.store.insertDraft(
        m,
        {
          requestingOrganizationId: actor.organizationId,
          requesterId: actor.id,
          patientId: dto.patientId,
          specialty: dto.specialty,
          urgency: dto.urgency,
          mode: dto.mode,
          clinicalQuestion: dto.clinicalQuestion,
          history: dto.history ?? null,
          preferredPractitionerId: dto.preferredPractitionerId ?? null,
          preferredOrganizationId,
          studyInstanceUids,
          requestedExam: dto.requestedExam
            ? { modality: dto.requestedExam.modality, procedure: dto.requestedExam.procedure }
            : null,
        },
        now,
      );
      await this.audit.record(
        {
          action: 'consultation.create',
          actor,
          resourceType: 'consultation',
          resourceId: c.id,
          details: {
            patientId: dto.patientId,
            specialty: dto.specialty,
            urgency: dto.urgency,
            ...(dto.requestedExam ? { requestedModality: dto.requestedExam.modality } : {}),
            ...(patientChecks.length ? { patientChecks } : {}),
          },
        },
        m,
      );
      return c;
    });
    if (dto.submit) return this.submit(actor, created.id);
    return this.summary(created);
  }

  // ---- the transitions, one method each -------------------------------------------------

  submit(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'submit', async (c, m, now) => {
      const q = await this.routing.firstQueue(
        c.requestingOrganizationId,
        c.specialty,
        c.preferredOrganizationId,
        m,
      );
      const deadline = this.transitions.deadline(now, c.urgency);
      return {
        patch: {
          routedOrganizationIds: q.organizationIds,
          routedLevel: q.level,
          deadlineAt: deadline,
          submittedAt: now,
        },
        details: { queue: q, deadlineAt: deadline.toISOString() },
      };
    });
  }

  /** Race-safe: the row lock serializes claimers; the first wins, the rest find it claimed (409). */
  claim(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'claim', async (c, m, now) => {
      await this.store.assignSpecialist(m, c.id, actor.id);
      return {
        patch: {
          assignedSpecialistId: actor.id,
          assignedOrganizationId: actor.organizationId,
          claimedAt: now,
        },
      };
    });
  }

  /** The assigned specialist hands the request back to its queue, saying why. */
  decline(actor: Actor, id: string, reason: string): Promise<ConsultationSummary> {
    return this.transition(
      actor,
      id,
      'decline',
      async (c, m) => {
        await this.store.withdrawParticipant(m, c.id, c.assignedSpecialistId);
        return {
          patch: {
            assignedSpecialistId: null,
            assignedOrganizationId: null,
            claimedAt: null,
            scheduledStart: null,
            declineCount: c.declineCount + 1,
            declinedBy: [...new Set([...c.declinedBy, actor.id])],
          },
          details: { declinedBy: actor.id },
        };
      },
      { reason },
    );
  }

  schedule(actor: Actor, id: string, start: Date): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'schedule', async (_c, _m, now) => {
      if (start.getTime() <= now.getTime())
        throw new DomainError(
          'schedule_in_past',
          HttpStatus.BAD_REQUEST,
          'the session must start in the future',
        );
      return { patch: { scheduledStart: start }, details: { start: start.toISOString() } };
    });
  }

  startSession(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'start_session');
  }

  /** Hosts the media node saw join: a claimed or scheduled consultation they are assigned to goes in session. */
  private async sessionsEntered(events: CallEvent[]): Promise<void> {
    for (const e of events) {
      if (e.kind !== 'joined' || e.role !== 'host') continue;
      const c = await this.store.find(e.room);
      if (
        !c ||
        c.assignedSpecialistId !== e.practitionerId ||
        !['claimed', 'scheduled'].includes(c.status)
      )
        continue;
      try {
        const p = await this.directory.practitioner(e.practitionerId);
        if (!p.active) continue;
        // The session started when they joined, which is earlier than now when the api catches up on
        // events it missed while down (the history says when; the audit event says when it was learnt).
        await this.transition(
          actorOf(p),
          e.room,
          'start_session',
          async () => ({ details: { reportedBy: 'media', joinedAt: e.at } }),
          { at: new Date(e.at) },
        );
      } catch (err) {
        // Started meanwhile (by their client, or a redelivered event), no longer theirs, or no such practitioner: nothing to do.
        if (!(err instanceof DomainError)) throw err;
      }
    }
  }

  close(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.transition(actor, id, 'close', async (_c, _m, now) => ({
      patch: { closedAt: now },
    }));
  }

  cancel(actor: Actor, id: string, reason: string): Promise<ConsultationSummary> {
    return this.transition(
      actor,
      id,
      'cancel',
      async (_c, _m, now) => ({ patch: { closedAt: now } }),
      { reason },
    );
  }

  /** A person's transition through the engine, answered as the request's summary. */
  async transition(
    actor: Actor,
    id: string,
    t: Transition,
    step?: TransitionStep,
    opts: { reason?: string; at?: Date } = {},
  ): Promise<ConsultationSummary> {
    return this.summary(await this.transitions.run(actor, id, t, step, opts));
  }

  /**
   * Lets another feature act inside the transaction of every consultation state change
   * (scheduling releases the booked slot when a request is declined, cancelled or expires):
   * the feature that depends on consultations subscribes, consultations knows nothing of it.
   */
  onTransition(listener: TransitionListener): void {
    this.transitions.onTransition(listener);
  }

  /** Escalates or expires what waited past its deadline (DeadlineSweeper runs this on every node). */
  sweepDeadlines(now: Date = this.clock.now(), batchSize = 50): Promise<SweepResult> {
    return this.transitions.sweepDeadlines(now, batchSize);
  }

  // ---- reading one request ------------------------------------------------------------------

  async get(actor: Actor, id: string) {
    const { c, people } = await this.access(actor, id, 'read');
    const header = await this.store.header(id);
    const participants = await this.store.participantsNamed(id);
    const attachments = await this.store.attachments(id);
    const history = await this.store.history(id);
    const calls = await this.calls.callsOf(id, this.now());
    const requestedExam = await this.store.requestedExam(id);
    await this.audit.record({
      action: 'consultation.read',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { patientId: c.patientId },
    });
    return {
      ...this.summary(c),
      clinicalQuestion: c.clinicalQuestion,
      history: c.history,
      patient: { id: c.patientId, ...header.patient },
      requestingOrganizationName: header.requestingOrganizationName,
      requesterName: header.requesterName,
      preferredPractitionerId: c.preferredPractitionerId,
      preferredOrganizationId: c.preferredOrganizationId,
      participants,
      attachments,
      statusHistory: history,
      calls,
      requestedExam,
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
      requestingOrganizationId: c.requestingOrganizationId,
      assignedOrganizationId: c.assignedOrganizationId,
      queue: this.queue(c),
      escalations: c.escalationCount,
      declines: c.declineCount,
      submittedAt: c.submittedAt,
      claimedAt: c.claimedAt,
      closedAt: c.closedAt,
    };
  }

  // ---- for other teams and modules -------------------------------------------------------

  /**
   * A request that names a study (attaching it) discloses it to everyone the consultation
   * reaches, so only someone who may read the study names it: 404 for a study not stored, 403
   * (audited by the policy) for one the actor may not read.
   */
  async assertStudyReadable(actor: Actor, studyInstanceUid: string): Promise<void> {
    const ref = await studyRef(this.store.manager, studyInstanceUid);
    if (!ref)
      throw new DomainError(
        'study_not_found',
        HttpStatus.NOT_FOUND,
        `no stored study ${studyInstanceUid}: upload the images before attaching them`,
        { studyInstanceUid },
      );
    await this.policy.assert(actor, 'read', ref);
  }

  /** Who the actor is in the consultation's live room, after the 'join' check (for the media room token). */
  async roomParticipant(
    actor: Actor,
    consultationId: string,
  ): Promise<{
    consultationId: string;
    role: 'host' | 'township_doctor' | 'guest_specialist' | 'observer';
  }> {
    const { c, people } = await this.access(actor, consultationId, 'join');
    if (c.mode === 'imaging_read' || !['claimed', 'scheduled', 'in_session'].includes(c.status)) {
      throw new DomainError(
        'room_not_open',
        HttpStatus.CONFLICT,
        `there is no live room for a ${c.mode} consultation that is ${c.status}`,
        { status: c.status, mode: c.mode },
      );
    }
    const me = people.find((p) => p.practitionerId === actor.id)!;
    return { consultationId, role: ROOM_ROLE[me.role] };
  }

  /** Adds a guest specialist or an observer (e.g. for the video session). */
  async invite(actor: Actor, id: string, dto: InviteParticipantDto) {
    const { c } = await this.access(actor, id, 'share');
    if (TERMINAL.includes(c.status))
      throw new DomainError(
        'illegal_transition',
        HttpStatus.CONFLICT,
        `the consultation is ${c.status}`,
        { status: c.status },
      );
    const who = await this.practitioner(dto.practitionerId);
    if (!who?.active)
      throw new DomainError(
        'practitioner_not_found',
        HttpStatus.NOT_FOUND,
        'no active practitioner with this id',
      );
    if (dto.role === 'guest_specialist' && !who.roles.includes('specialist'))
      throw new DomainError(
        'not_a_specialist',
        HttpStatus.BAD_REQUEST,
        'a guest specialist must be a specialist',
      );
    await this.store.transaction(async (m) => {
      const existing = await this.store.lockParticipant(m, id, dto.practitionerId);
      if (
        existing?.active &&
        (existing.role === 'requester' || existing.role === 'assigned_specialist')
      ) {
        throw new DomainError(
          'already_participant',
          HttpStatus.CONFLICT,
          `already taking part as ${existing.role}`,
        );
      }
      await this.store.invite(m, id, dto.practitionerId, dto.role);
      await this.audit.record(
        {
          action: 'consultation.share',
          actor,
          resourceType: 'consultation',
          resourceId: id,
          details: { to: dto.practitionerId, role: dto.role },
        },
        m,
      );
    });
    this.events.toUsers([dto.practitionerId], {
      type: 'consultation.invited',
      data: { consultationId: id, role: dto.role },
    });
    return { consultationId: id, practitionerId: dto.practitionerId, role: dto.role };
  }

  /** Loads the request and its participants and asserts the action; for this module's services and referrals. */
  async access(
    actor: Actor,
    id: string,
    action: PolicyAction,
  ): Promise<{ c: Consultation; people: Participant[] }> {
    const c = await this.store.get(id);
    const people = await this.store.participants(id);
    await this.policy.assert(actor, action, this.ref(c, people));
    return { c, people };
  }

  /** The policy's view of a request. A queue confers access only while the request waits in it, except to claim (a late claimer gets 409, not 403). */
  ref(c: Consultation, people: Participant[], purpose?: Transition): ResourceRef {
    return this.transitions.ref(c, people, purpose);
  }

  isOpen(c: Consultation): boolean {
    return !TERMINAL.includes(c.status);
  }

  summary(c: Consultation): ConsultationSummary {
    return {
      id: c.id,
      status: c.status,
      urgency: c.urgency,
      mode: c.mode,
      specialty: c.specialty,
      patientId: c.patientId,
      requestingOrganizationId: c.requestingOrganizationId,
      requesterId: c.requesterId,
      assignedSpecialistId: c.assignedSpecialistId,
      assignedOrganizationId: c.assignedOrganizationId,
      queue: this.queue(c),
      escalations: c.escalationCount,
      declines: c.declineCount,
      scheduledStart: c.scheduledStart,
      submittedAt: c.submittedAt,
      claimedAt: c.claimedAt,
      reportedAt: c.reportedAt,
      closedAt: c.closedAt,
      createdAt: c.createdAt,
    };
  }

  private queue(c: Consultation): ConsultationSummary['queue'] {
    return c.status === 'submitted'
      ? { organizationIds: c.routedOrganizationIds, level: c.routedLevel, deadlineAt: c.deadlineAt }
      : null;
  }

  /** A practitioner of the directory, or null when the id names none. */
  private async practitioner(id: string): Promise<Practitioner | null> {
    try {
      return await this.directory.practitioner(id);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'practitioner_not_found') return null;
      throw e;
    }
  }
}
