import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { ReferralStatus, Sex } from '@huizhen/contract';
import { columns, sql, typed, type Params, type RowOf } from '@huizhen/database';

export type { ReferralStatus };

/** A referral (上转/下转), with the organization its patient belongs to. */
export interface Referral {
  id: string;
  consultationId: string;
  reportId: string | null;
  followsReferralId: string | null;
  patientId: string;
  patientOrganizationId: string;
  direction: 'up' | 'down';
  fromOrganizationId: string;
  toOrganizationId: string;
  specialty: string | null;
  greenChannel: boolean;
  reason: string;
  followUpPlan: string | null;
  status: ReferralStatus;
  createdBy: string;
  answeredBy: string | null;
  answeredAt: Date | null;
  answerNote: string | null;
  createdAt: Date;
}

export interface NewReferral {
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
  createdBy: string;
}

/** A listing's line: the referral and the names it shows. */
export interface ListedReferral extends Referral {
  patientName: string;
  fromOrganizationName: string;
  toOrganizationName: string;
}

/** A page's conditions over `r` (referral) and `pt` (its patient), with their parameters. */
export interface ReferralFilter {
  where: string[];
  params: Params;
  order: string;
  limit: number;
  offset: number;
}

/** referral, every column (`SELECT *`, `RETURNING *`). */
const REFERRAL = columns({
  id: 'uuid',
  consultation_id: 'uuid',
  report_id: 'uuid?',
  follows_referral_id: 'uuid?',
  patient_id: 'uuid',
  direction: typed<'up' | 'down'>('text'),
  from_organization_id: 'uuid',
  to_organization_id: 'uuid',
  specialty: 'text?',
  green_channel: 'bool',
  reason: 'text',
  follow_up_plan: 'text?',
  status: typed<ReferralStatus>('text'),
  created_by: 'uuid',
  answered_by: 'uuid?',
  answered_at: 'timestamptz?',
  answer_note: 'text?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
type ReferralRow = RowOf<typeof REFERRAL>;

/** A referral with its patient's organization. */
const WITH_PATIENT_ORGANIZATION = columns({ ...REFERRAL, patient_organization_id: 'uuid' });
type Row = RowOf<typeof WITH_PATIENT_ORGANIZATION>;

const toReferral = (r: Row): Referral => ({
  id: r.id,
  consultationId: r.consultation_id,
  reportId: r.report_id,
  followsReferralId: r.follows_referral_id,
  patientId: r.patient_id,
  patientOrganizationId: r.patient_organization_id,
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
});

/** The referral as written, without the patient's organization (the caller knows it). */
const toWritten = (r: ReferralRow): Omit<Referral, 'patientOrganizationId'> => {
  const { patientOrganizationId: _, ...rest } = toReferral({ ...r, patient_organization_id: '' });
  return rest;
};

const Q = {
  byId: sql(
    WITH_PATIENT_ORGANIZATION,
    `SELECT r.*, p.organization_id AS patient_organization_id FROM referral r JOIN patient p ON p.id = r.patient_id WHERE r.id = $1`,
  )
    .takes<[id: string]>()
    .map(toReferral),
  lock: sql(REFERRAL, `SELECT * FROM referral WHERE id = $1 FOR UPDATE`)
    .takes<[id: string]>()
    .map(toWritten),
  open: sql(
    { id: 'uuid', status: REFERRAL.status },
    `SELECT id, status FROM referral WHERE consultation_id = $1 AND direction = $2 AND to_organization_id = $3 AND status IN ('requested','accepted')`,
  ).takes<[consultationId: string, direction: 'up' | 'down', to: string]>(),
  insert: sql(
    REFERRAL,
    `INSERT INTO referral (consultation_id, report_id, follows_referral_id, patient_id, direction, from_organization_id, to_organization_id, specialty, green_channel, reason, follow_up_plan, created_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12) RETURNING *`,
  )
    .takes<
      [
        consultationId: string,
        reportId: string | null,
        followsReferralId: string | null,
        patientId: string,
        direction: 'up' | 'down',
        from: string,
        to: string,
        specialty: string | null,
        greenChannel: boolean,
        reason: string,
        followUpPlan: string | null,
        createdBy: string,
      ]
    >()
    .map(toWritten),
  answer: sql(
    REFERRAL,
    `UPDATE referral SET status = $2, answered_by = CASE WHEN $3 THEN $4::uuid ELSE answered_by END, answered_at = CASE WHEN $3 THEN now() ELSE answered_at END,
            answer_note = CASE WHEN $3 THEN $5 ELSE answer_note END, updated_at = now()
      WHERE id = $1 RETURNING *`,
  )
    .takes<
      [id: string, to: ReferralStatus, answering: boolean, actorId: string, note: string | null]
    >()
    .map(toWritten),
  names: sql(
    {
      name: 'text',
      sex: typed<Sex>('text'),
      birth_date: 'text',
      from_name: 'text',
      to_name: 'text',
    },
    `SELECT p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, f.name AS from_name, t.name AS to_name
       FROM patient p, organization f, organization t WHERE p.id = $1 AND f.id = $2 AND t.id = $3`,
  )
    .takes<[patientId: string, from: string, to: string]>()
    .map((r) => ({
      patient: { name: r.name, sex: r.sex, birthDate: r.birth_date },
      fromOrganizationName: r.from_name,
      toOrganizationName: r.to_name,
    })),
  patientOrganization: sql(
    { organization_id: 'uuid' },
    `SELECT organization_id FROM patient WHERE id = $1`,
  )
    .takes<[patientId: string]>()
    .map((r) => r.organization_id),
};

/** The referral table: the only class that issues SQL on it. Methods taking `m` run in the caller's transaction. */
@Injectable()
export class ReferralStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  find(id: string): Promise<Referral | null> {
    return Q.byId.first(this.db.manager, [id]);
  }

  lock(m: EntityManager, id: string) {
    return Q.lock.first(m, [id]);
  }

  /** An open (requested or accepted) referral of the consultation to that organization in that direction, if any. */
  openTo(m: EntityManager, consultationId: string, direction: 'up' | 'down', to: string) {
    return Q.open.first(m, [consultationId, direction, to]);
  }

  async insert(m: EntityManager, v: NewReferral) {
    return (await Q.insert.first(m, [
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
      v.createdBy,
    ]))!;
  }

  /** The new status; the answer (who, when, note) only when the receiving side answers. */
  async answer(
    m: EntityManager,
    id: string,
    a: { to: ReferralStatus; answering: boolean; actorId: string; note: string | null },
  ) {
    return (await Q.answer.first(m, [id, a.to, a.answering, a.actorId, a.note]))!;
  }

  /** The names a referral's page shows: its patient, and the two organizations. */
  async names(r: Referral) {
    return (await Q.names.first(this.db.manager, [
      r.patientId,
      r.fromOrganizationId,
      r.toOrganizationId,
    ]))!;
  }

  /** The organization a patient belongs to (a new referral's, after its commit). */
  async patientOrganization(patientId: string): Promise<string> {
    return (await Q.patientOrganization.first(this.db.manager, [patientId]))!;
  }

  /** One page of a listing, with the total the conditions match. */
  async page(f: ReferralFilter): Promise<{ items: ListedReferral[]; total: number }> {
    const { add } = f.params;
    const rows = await sql(
      {
        ...WITH_PATIENT_ORGANIZATION,
        patient_name: 'text',
        from_name: 'text',
        to_name: 'text',
        total: 'int8',
      },
      `SELECT r.*, pt.organization_id AS patient_organization_id, pt.name AS patient_name, f.name AS from_name, t.name AS to_name, count(*) OVER () AS total
         FROM referral r JOIN patient pt ON pt.id = r.patient_id JOIN organization f ON f.id = r.from_organization_id JOIN organization t ON t.id = r.to_organization_id
        WHERE ${f.where.join(' AND ')} ORDER BY ${f.order} LIMIT ${add(f.limit)} OFFSET ${add(f.offset)}`,
    )
      .map((r) => ({
        referral: {
          ...toReferral(r),
          patientName: r.patient_name,
          fromOrganizationName: r.from_name,
          toOrganizationName: r.to_name,
        },
        total: Number(r.total),
      }))
      .all(this.db.manager, f.params.values);
    return { items: rows.map((r) => r.referral), total: rows.length ? rows[0].total : 0 };
  }
}
