import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService, type ResourceRef } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { ConsultationReportService } from '../consultations/consultation-report.service';
import { ConsultationRouting } from '../consultations/consultation-routing';
import { ConsultationStore } from '../consultations/consultation-store';
import { EventsService } from '../events/events.service';
import type { CreateReferralDto, DownReferralDto, ReferralQuery } from './referral.dto';
import { referralEvents } from './referral-metrics';

type ReferralStatus = 'requested' | 'accepted' | 'declined' | 'cancelled';

interface ReferralRow {
  id: string;
  consultation_id: string;
  report_id: string | null;
  follows_referral_id: string | null;
  patient_id: string;
  patient_organization_id: string;
  direction: 'up' | 'down';
  from_organization_id: string;
  to_organization_id: string;
  specialty: string | null;
  green_channel: boolean;
  reason: string;
  follow_up_plan: string | null;
  status: ReferralStatus;
  created_by: string;
  answered_by: string | null;
  answered_at: Date | null;
  answer_note: string | null;
  created_at: Date;
}

/** A referral's own small state machine: the receiving side answers, the sending side may withdraw. */
const REFERRAL_TRANSITIONS: Record<
  'accept' | 'decline' | 'cancel',
  { from: ReferralStatus[]; to: ReferralStatus; side: 'receiving' | 'sending' }
> = {
  accept: { from: ['requested'], to: 'accepted', side: 'receiving' },
  decline: { from: ['requested'], to: 'declined', side: 'receiving' },
  cancel: { from: ['requested'], to: 'cancelled', side: 'sending' },
};

const SELECT_REFERRAL = `SELECT r.*, p.organization_id AS patient_organization_id FROM referral r JOIN patient p ON p.id = r.patient_id`;

/**
 * Referrals (上转/下转) made from a signed report's recommendation: up to the reading hospital
 * or a named one, down back to the township with a follow-up plan. The receiving hospital's
 * specialists of the specialty (or, going down, the township's clinicians) accept or decline;
 * green-channel referrals come first in their worklist.
 */
@Injectable()
export class ReferralsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    /** An answer's note may describe the patient: the trail keeps its keyed hash. */
    private readonly terms: AuditTerms,
    private readonly consultations: ConsultationStore,
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
      organizationId: up.patient_organization_id,
      participantIds: up.answered_by ? [up.answered_by] : [],
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
      consultationId: up.consultation_id,
      reportId: up.report_id,
      followsReferralId: up.id,
      patientId: up.patient_id,
      direction: 'down',
      from: up.to_organization_id,
      to: up.from_organization_id,
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
    const [extra] = await this.db.query(
      `SELECT p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, f.name AS from_name, t.name AS to_name
         FROM patient p, organization f, organization t WHERE p.id = $1 AND f.id = $2 AND t.id = $3`,
      [r.patient_id, r.from_organization_id, r.to_organization_id],
    );
    return {
      ...this.view(r),
      patient: { id: r.patient_id, name: extra.name, sex: extra.sex, birthDate: extra.birth_date },
      fromOrganizationName: extra.from_name,
      toOrganizationName: extra.to_name,
    };
  }

  /** Incoming (green channel first, then oldest), outgoing, or the hub's. */
  async list(actor: Actor, q: ReferralQuery) {
    const params: unknown[] = [];
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const where: string[] = [];
    let order = 'r.created_at DESC, r.id';
    if (q.box === 'incoming') {
      if (hasRole(actor, 'specialist')) {
        where.push(
          `r.to_organization_id = ${p(actor.organizationId)}`,
          `((r.direction = 'up' AND r.specialty = ${p(actor.specialty)}) OR r.direction = 'down')`,
        );
      } else if (hasRole(actor, 'township_doctor')) {
        where.push(`r.to_organization_id = ${p(actor.organizationId)}`, `r.direction = 'down'`);
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
      where.push(`r.from_organization_id = ${p(actor.organizationId)}`);
    } else {
      if (!hasRole(actor, 'hub_coordinator'))
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'the hub’s referrals are for hub coordinators',
        );
      const s = p((await this.policy.organizationScope(actor)).organizationIds);
      where.push(
        `(r.from_organization_id = ANY(${s}::uuid[]) OR r.to_organization_id = ANY(${s}::uuid[]))`,
      );
    }
    // The box narrows what the policy lets this actor read; it never widens it.
    where.push(await this.policy.referralReadFilter(actor, p));
    if (q.status) where.push(`r.status = ${p(q.status)}`);
    const rows: (ReferralRow & {
      total: string;
      patient_name: string;
      from_name: string;
      to_name: string;
    })[] = await this.db.query(
      `SELECT r.*, pt.organization_id AS patient_organization_id, pt.name AS patient_name, f.name AS from_name, t.name AS to_name, count(*) OVER () AS total
         FROM referral r JOIN patient pt ON pt.id = r.patient_id JOIN organization f ON f.id = r.from_organization_id JOIN organization t ON t.id = r.to_organization_id
        WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${p(q.limit)} OFFSET ${p(q.offset)}`,
      params,
    );
    const items = rows.map((r) => ({
      ...this.view(r),
      patientName: r.patient_name,
      fromOrganizationName: r.from_name,
      toOrganizationName: r.to_name,
    }));
    await this.audit.record({
      action: 'referral.list',
      actor,
      resourceType: 'referral',
      details: { box: q.box, returned: items.map((i) => i.id) },
    });
    return {
      items,
      total: rows.length ? Number(rows[0].total) : 0,
      limit: q.limit,
      offset: q.offset,
    };
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
    const side = rule.side === 'receiving' ? seen.to_organization_id : seen.from_organization_id;
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
    const after = await this.db.transaction(async (m) => {
      const [r]: ReferralRow[] = await m.query(`SELECT * FROM referral WHERE id = $1 FOR UPDATE`, [
        id,
      ]);
      if (!rule.from.includes(r.status)) {
        throw new DomainError(
          'illegal_transition',
          HttpStatus.CONFLICT,
          `cannot ${t} a referral that is ${r.status}`,
          { status: r.status, transition: t },
        );
      }
      const [[row]]: [ReferralRow[]] = await m.query(
        `UPDATE referral SET status = $2, answered_by = CASE WHEN $3 THEN $4::uuid ELSE answered_by END, answered_at = CASE WHEN $3 THEN now() ELSE answered_at END,
                answer_note = CASE WHEN $3 THEN $5 ELSE answer_note END, updated_at = now()
          WHERE id = $1 RETURNING *`,
        [id, rule.to, rule.side === 'receiving', actor.id, note],
      );
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
      return { ...row, patient_organization_id: seen.patient_organization_id };
    });
    referralEvents.inc({
      direction: after.direction,
      event: rule.to,
      green_channel: String(after.green_channel),
    });
    await this.announce(`referral.${rule.to}`, after);
    return this.view(after);
  }

  private async insert(
    actor: Actor,
    v: {
      consultationId: string;
      reportId: string | null;
      followsReferralId: string | null;
      patientId: string;
      direction: 'up' | 'down';
      from: string;
      to: string;
      specialty: string | null;
      greenChannel: boolean;
      reason: string;
      followUpPlan: string | null;
    },
  ) {
    if (v.from === v.to)
      throw new DomainError(
        'referral_to_self',
        HttpStatus.CONFLICT,
        'the receiving organization is the referring one',
      );
    const row = await this.db.transaction(async (m: EntityManager) => {
      // One open referral per consultation, direction and receiver: a double click makes one referral.
      await this.consultations.lock(m, v.consultationId);
      const [open] = await m.query(
        `SELECT id, status FROM referral WHERE consultation_id = $1 AND direction = $2 AND to_organization_id = $3 AND status IN ('requested','accepted')`,
        [v.consultationId, v.direction, v.to],
      );
      if (open)
        throw new DomainError(
          'referral_exists',
          HttpStatus.CONFLICT,
          `a referral to this organization is already ${open.status}`,
          { referralId: open.id, status: open.status },
        );
      const [r]: ReferralRow[] = await m.query(
        `INSERT INTO referral (consultation_id, report_id, follows_referral_id, patient_id, direction, from_organization_id, to_organization_id, specialty, green_channel, reason, follow_up_plan, created_by)
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING *`,
        [
          v.consultationId,
          v.reportId,
          v.followsReferralId,
          v.patientId,
          v.direction,
          v.from,
          v.to,
          v.specialty,
          v.greenChannel,
          v.reason,
          v.followUpPlan,
          actor.id,
        ],
      );
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
    const [owner] = await this.db.query(`SELECT organization_id FROM patient WHERE id = $1`, [
      v.patientId,
    ]);
    const full = { ...row, patient_organization_id: owner.organization_id as string };
    referralEvents.inc({
      direction: full.direction,
      event: 'requested',
      green_channel: String(full.green_channel),
    });
    await this.announce('referral.requested', full);
    return this.view(full);
  }

  /** The receiving side, the sending side and the consultation's participants hear of it. */
  private async announce(type: string, r: ReferralRow) {
    const data = {
      referralId: r.id,
      consultationId: r.consultation_id,
      direction: r.direction,
      status: r.status,
      greenChannel: r.green_channel,
    };
    const people = (await this.consultations.participants(r.consultation_id)).map(
      (p) => p.practitionerId,
    );
    people.push(r.created_by);
    if (r.direction === 'up' && r.specialty)
      people.push(...(await this.routing.queueMembers([r.to_organization_id], r.specialty)));
    this.events.toUsers(people, { type, data });
    this.events.toOrganizations(
      r.direction === 'down'
        ? [r.to_organization_id, r.patient_organization_id]
        : [r.patient_organization_id],
      { type, data },
    );
  }

  private async ref(r: ReferralRow): Promise<ResourceRef> {
    const people = (await this.consultations.participants(r.consultation_id)).map(
      (p) => p.practitionerId,
    );
    return {
      type: 'referral',
      id: r.id,
      organizationId: r.patient_organization_id,
      organizationIds: [r.from_organization_id, r.to_organization_id],
      participantIds: [
        ...new Set([...people, r.created_by, ...(r.answered_by ? [r.answered_by] : [])]),
      ],
      // The receiving hospital: its specialists of the specialty going up, its clinicians going down.
      routedTo: {
        organizationIds: [r.to_organization_id],
        specialty: r.direction === 'up' ? r.specialty : null,
      },
    };
  }

  private async load(id: string): Promise<ReferralRow> {
    const [r]: ReferralRow[] = await this.db.query(`${SELECT_REFERRAL} WHERE r.id = $1`, [id]);
    if (!r)
      throw new DomainError(
        'referral_not_found',
        HttpStatus.NOT_FOUND,
        `referral ${id} does not exist`,
      );
    return r;
  }

  private view(r: ReferralRow) {
    return {
      id: r.id,
      consultationId: r.consultation_id,
      reportId: r.report_id,
      followsReferralId: r.follows_referral_id,
      patientId: r.patient_id,
      direction: r.direction,
      fromOrganizationId: r.from_organization_id,
      toOrganizationId: r.to_organization_id,
      specialty: r.specialty,
      greenChannel: r.green_channel,
      reason: r.reason,
      followUpPlan: r.follow_up_plan,
      status: r.status,
      createdBy: r.created_by,
      answeredBy: r.answered_by,
      answeredAt: r.answered_at,
      answerNote: r.answer_note,
      createdAt: r.created_at,
    };
  }
}
