import { HttpStatus, Injectable } from '@nestjs/common';
import { AccessPolicyService, type ResourceRef } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import type { EventName, ReferralStatus } from '@huizhen/contract';
import { DomainError } from '@huizhen/platform-http';
import { ConsultationReportService } from '../consultations/consultation-report.service';
import { ConsultationRouting } from '../consultations/consultation-routing';
import { ConsultationStore } from '../consultations/consultation-store';
import { Params } from '@huizhen/database';
import { EventsService } from '../events/events.service';
import type { CreateReferralDto, DownReferralDto, ReferralQuery } from './referral.dto';
import { referralEvents } from './referral-metrics';
import { ReferralStore, type NewReferral, type Referral } from './referral-store';

/** A referral's own small state machine: the receiving side answers, the sending side may withdraw. */
const REFERRAL_TRANSITIONS: Record<
  'accept' | 'decline' | 'cancel',
  { from: ReferralStatus[]; to: ReferralStatus; side: 'receiving' | 'sending' }
> = {
  accept: { from: ['requested'], to: 'accepted', side: 'receiving' },
  decline: { from: ['requested'], to: 'declined', side: 'receiving' },
  cancel: { from: ['requested'], to: 'cancelled', side: 'sending' },
};

/**
 * Referrals (上转/下转) made from a signed report's recommendation: up to the reading hospital
 * or a named one, down back to the township with a follow-up plan. The receiving hospital's
 * specialists of the specialty (or, going down, the township's clinicians) accept or decline;
 * green-channel referrals come first in their worklist.
 */
@Injectable()
export class ReferralsService {
  constructor(
    private readonly store: ReferralStore,
    private readonly consultations: ConsultationStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** An answer's note may describe the patient: the trail keeps its keyed hash. */
    private readonly terms: AuditTerms,
    private readonly reports: ConsultationReportService,
    private readonly routing: ConsultationRouting,
    private readonly events: EventsService,
  ) {}

  async create(actor: Actor, dto: CreateReferralDto) {
    const c = await this.consultations.get(dto.consultationId);
    const people = await this.consultations.participants(c.id);
    await this.policy.assert(actor, 'create', {
      type: 'referral',
      organizationId: c.requestingOrganizationId,
      participantIds: people.map((p) => p.practitionerId),
    });
    const report = await this.reports.signedReport(c.id);
    if (!report)
      throw new DomainError(
        'report_missing',
        HttpStatus.CONFLICT,
        'a referral follows a signed report; this consultation has none yet',
        { status: c.status },
      );
    let direction: 'up' | 'down';
    let from: string;
    let to: string;
    switch (report.recommendation) {
      case 'refer_up':
        [direction, from, to] = ['up', c.requestingOrganizationId, report.authorOrganizationId];
        break;
      case 'refer_to_named_hospital':
        [direction, from, to] = ['up', c.requestingOrganizationId, report.referralOrganizationId!];
        break;
      case 'follow_up_township':
        if (!dto.followUpPlan)
          throw new DomainError(
            'follow_up_plan_required',
            HttpStatus.BAD_REQUEST,
            'a down-referral needs a followUpPlan',
          );
        [direction, from, to] = ['down', report.authorOrganizationId, c.requestingOrganizationId];
        break;
      default:
        throw new DomainError(
          'no_referral_recommended',
          HttpStatus.CONFLICT,
          `the signed report recommends ${report.recommendation}; no referral follows from it`,
          { recommendation: report.recommendation },
        );
    }
    return this.insert(actor, {
      consultationId: c.id,
      reportId: report.id,
      followsReferralId: null,
      patientId: c.patientId,
      direction,
      from,
      to,
      specialty: dto.specialty ?? c.specialty,
      greenChannel: direction === 'up' && !!dto.greenChannel,
      reason: dto.reason,
      followUpPlan: dto.followUpPlan ?? null,
    });
  }

  /** The receiving hospital sends the patient back down, with a follow-up plan, after an accepted up-referral. */
  async createDown(actor: Actor, upId: string, dto: DownReferralDto) {
    const up = await this.load(upId);
    await this.policy.assert(actor, 'create', {
      type: 'referral',
      id: up.id,
      organizationId: up.patientOrganizationId,
      participantIds: up.answeredBy ? [up.answeredBy] : [],
    });
    if (up.direction !== 'up' || up.status !== 'accepted') {
      throw new DomainError(
        'illegal_transition',
        HttpStatus.CONFLICT,
        `a down-referral follows an accepted up-referral; this one is ${up.direction} and ${up.status}`,
        { status: up.status },
      );
    }
    return this.insert(actor, {
      consultationId: up.consultationId,
      reportId: up.reportId,
      followsReferralId: up.id,
      patientId: up.patientId,
      direction: 'down',
      from: up.toOrganizationId,
      to: up.fromOrganizationId,
      specialty: up.specialty,
      greenChannel: false,
      reason: dto.reason,
      followUpPlan: dto.followUpPlan,
    });
  }

  accept(actor: Actor, id: string, note?: string) {
    return this.answer(actor, id, 'accept', note ?? null);
  }

  decline(actor: Actor, id: string, reason: string) {
    return this.answer(actor, id, 'decline', reason);
  }

  cancel(actor: Actor, id: string) {
    return this.answer(actor, id, 'cancel', null);
  }

  async get(actor: Actor, id: string) {
    const r = await this.load(id);
    await this.policy.assert(actor, 'read', await this.ref(r));
    await this.audit.record({
      action: 'referral.read',
      actor,
      resourceType: 'referral',
      resourceId: id,
    });
    const names = await this.store.names(r);
    return {
      ...this.view(r),
      patient: { id: r.patientId, ...names.patient },
      fromOrganizationName: names.fromOrganizationName,
      toOrganizationName: names.toOrganizationName,
    };
  }

  /** Incoming (green channel first, then oldest), outgoing, or the hub's. */
  async list(actor: Actor, q: ReferralQuery) {
    const params = new Params();
    const { add } = params;
    const where: string[] = [];
    let order = 'r.created_at DESC, r.id';
    if (q.box === 'incoming') {
      if (hasRole(actor, 'specialist')) {
        where.push(
          `r.to_organization_id = ${add(actor.organizationId)}`,
          `((r.direction = 'up' AND r.specialty = ${add(actor.specialty)}) OR r.direction = 'down')`,
        );
      } else if (hasRole(actor, 'township_doctor')) {
        where.push(`r.to_organization_id = ${add(actor.organizationId)}`, `r.direction = 'down'`);
      } else
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'incoming referrals are for clinicians',
        );
      order = 'r.green_channel DESC, r.created_at ASC, r.id';
    } else if (q.box === 'outgoing') {
      if (!hasRole(actor, 'specialist', 'township_doctor'))
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'outgoing referrals are for clinicians',
        );
      where.push(`r.from_organization_id = ${add(actor.organizationId)}`);
    } else {
      if (!hasRole(actor, 'hub_coordinator'))
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'the hub’s referrals are for hub coordinators',
        );
      const s = add((await this.policy.organizationScope(actor)).organizationIds);
      where.push(
        `(r.from_organization_id = ANY(${s}::uuid[]) OR r.to_organization_id = ANY(${s}::uuid[]))`,
      );
    }
    // The box narrows what the policy lets this actor read; it never widens it.
    where.push(await this.policy.referralReadFilter(actor, add));
    if (q.status) where.push(`r.status = ${add(q.status)}`);
    const page = await this.store.page({ where, params, order, limit: q.limit, offset: q.offset });
    const items = page.items.map((r) => ({
      ...this.view(r),
      patientName: r.patientName,
      fromOrganizationName: r.fromOrganizationName,
      toOrganizationName: r.toOrganizationName,
    }));
    await this.audit.record({
      action: 'referral.list',
      actor,
      resourceType: 'referral',
      details: { box: q.box, returned: items.map((i) => i.id) },
    });
    return { items, total: page.total, limit: q.limit, offset: q.offset };
  }

  private async answer(
    actor: Actor,
    id: string,
    t: keyof typeof REFERRAL_TRANSITIONS,
    note: string | null,
  ) {
    const rule = REFERRAL_TRANSITIONS[t];
    const seen = await this.load(id);
    await this.policy.assert(actor, 'update', await this.ref(seen));
    const side = rule.side === 'receiving' ? seen.toOrganizationId : seen.fromOrganizationId;
    if (actor.organizationId !== side) {
      await this.audit.record({
        action: `referral.${t}`,
        actor,
        resourceType: 'referral',
        resourceId: id,
        outcome: 'denied',
        details: { reason: `not the ${rule.side} organization` },
      });
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        `only the ${rule.side} organization can ${t} this referral`,
      );
    }
    const after = await this.store.transaction(async (m) => {
      const r = (await this.store.lock(m, id))!;
      if (!rule.from.includes(r.status)) {
        throw new DomainError(
          'illegal_transition',
          HttpStatus.CONFLICT,
          `cannot ${t} a referral that is ${r.status}`,
          { status: r.status, transition: t },
        );
      }
      const row = await this.store.answer(m, id, {
        to: rule.to,
        answering: rule.side === 'receiving',
        actorId: actor.id,
        note,
      });
      await this.audit.record(
        {
          action: `referral.${t}`,
          actor,
          resourceType: 'referral',
          resourceId: id,
          details: { from: r.status, to: rule.to, noteDigest: this.terms.digest(note) },
        },
        m,
      );
      return { ...row, patientOrganizationId: seen.patientOrganizationId };
    });
    referralEvents.inc({
      direction: after.direction,
      event: rule.to,
      green_channel: String(after.greenChannel),
    });
    await this.announce(`referral.${rule.to}`, after);
    return this.view(after);
  }

  private async insert(actor: Actor, v: Omit<NewReferral, 'createdBy'>) {
    if (v.from === v.to)
      throw new DomainError(
        'referral_to_self',
        HttpStatus.CONFLICT,
        'the receiving organization is the referring one',
      );
    const row = await this.store.transaction(async (m) => {
      // One open referral per consultation, direction and receiver: a double click makes one referral.
      await this.consultations.lock(m, v.consultationId);
      const open = await this.store.openTo(m, v.consultationId, v.direction, v.to);
      if (open)
        throw new DomainError(
          'referral_exists',
          HttpStatus.CONFLICT,
          `a referral to this organization is already ${open.status}`,
          { referralId: open.id, status: open.status },
        );
      const r = await this.store.insert(m, { ...v, createdBy: actor.id });
      await this.audit.record(
        {
          action: 'referral.create',
          actor,
          resourceType: 'referral',
          resourceId: r.id,
          details: {
            consultationId: v.consultationId,
            direction: v.direction,
            to: v.to,
            greenChannel: v.greenChannel,
          },
        },
        m,
      );
      return r;
    });
    const full: Referral = {
      ...row,
      patientOrganizationId: await this.store.patientOrganization(v.patientId),
    };
    referralEvents.inc({
      direction: full.direction,
      event: 'requested',
      green_channel: String(full.greenChannel),
    });
    await this.announce('referral.requested', full);
    return this.view(full);
  }

  /** The receiving side, the sending side and the consultation's participants hear of it. */
  private async announce(type: EventName, r: Referral) {
    const data = {
      referralId: r.id,
      consultationId: r.consultationId,
      direction: r.direction,
      status: r.status,
      greenChannel: r.greenChannel,
    };
    const people = (await this.consultations.participants(r.consultationId)).map(
      (p) => p.practitionerId,
    );
    people.push(r.createdBy);
    if (r.direction === 'up' && r.specialty)
      people.push(...(await this.routing.queueMembers([r.toOrganizationId], r.specialty)));
    this.events.toUsers(people, { type, data });
    this.events.toOrganizations(
      r.direction === 'down'
        ? [r.toOrganizationId, r.patientOrganizationId]
        : [r.patientOrganizationId],
      { type, data },
    );
  }

  private async ref(r: Referral): Promise<ResourceRef> {
    const people = (await this.consultations.participants(r.consultationId)).map(
      (p) => p.practitionerId,
    );
    return {
      type: 'referral',
      id: r.id,
      organizationId: r.patientOrganizationId,
      organizationIds: [r.fromOrganizationId, r.toOrganizationId],
      participantIds: [
        ...new Set([...people, r.createdBy, ...(r.answeredBy ? [r.answeredBy] : [])]),
      ],
      // The receiving hospital: its specialists of the specialty going up, its clinicians going down.
      routedTo: {
        organizationIds: [r.toOrganizationId],
        specialty: r.direction === 'up' ? r.specialty : null,
      },
    };
  }

  private async load(id: string): Promise<Referral> {
    const r = await this.store.find(id);
    if (!r)
      throw new DomainError(
        'referral_not_found',
        HttpStatus.NOT_FOUND,
        `referral ${id} does not exist`,
      );
    return r;
  }

  private view(r: Referral) {
    return {
      id: r.id,
      consultationId: r.consultationId,
      reportId: r.reportId,
      followsReferralId: r.followsReferralId,
      patientId: r.patientId,
      direction: r.direction,
      fromOrganizationId: r.fromOrganizationId,
      toOrganizationId: r.toOrganizationId,
      specialty: r.specialty,
      greenChannel: r.greenChannel,
      reason: r.reason,
      followUpPlan: r.followUpPlan,
      status: r.status,
      createdBy: r.createdBy,
      answeredBy: r.answeredBy,
      answeredAt: r.answeredAt,
      answerNote: r.answerNote,
      createdAt: r.createdAt,
    };
  }
}
