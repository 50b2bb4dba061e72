import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type {
  PatientMismatch,
  WithDates,
  WorklistArrival,
  WorklistArrivalStatus,
} from '@huizhen/contract';
import { command, sql, typed, type Db } from '@huizhen/database';

/**
 * A scheduled procedure step: a consultation's requested exam, as the modality worklist serves
 * it. It is read from the consultation's tables (the consultations feature writes the request
 * and its exam; this store only reads them, like the access policy), so the worklist needs no
 * copy to keep in step and a standalone imaging node serves the same list as the single server.
 */
export interface ProcedureStep {
  consultationId: string;
  organizationId: string;
  urgency: string;
  modality: string;
  procedure: string;
  accessionNumber: string;
  /** When the exam was asked for: the step's scheduled start. */
  requestedAt: Date;
  patient: { id: string; name: string; sex: string; birthDate: string };
  requesterName: string;
}

/** Consultation statuses whose requested exam is still to be performed (or whose images may still come). */
const OPEN = `('draft', 'submitted', 'claimed', 'scheduled', 'in_session')`;

const STEP = {
  consultation_id: 'uuid',
  organization_id: 'uuid',
  urgency: 'text',
  modality: 'text',
  procedure: 'text',
  accession_number: 'text',
  requested_at: 'timestamptz',
  patient_id: 'uuid',
  patient_name: 'text',
  patient_sex: 'text',
  patient_birth_date: 'text',
  requester_name: 'text',
} as const;

const STEP_SELECT = `SELECT c.id AS consultation_id, c.requesting_organization_id AS organization_id, c.urgency,
       e.modality, e.procedure, e.accession_number, e.created_at AS requested_at,
       p.id AS patient_id, p.name AS patient_name, p.sex AS patient_sex,
       to_char(p.birth_date, 'YYYYMMDD') AS patient_birth_date, rq.display_name AS requester_name
  FROM consultation_requested_exam e
  JOIN consultation_request c ON c.id = e.consultation_id
  JOIN patient p ON p.id = c.patient_id
  JOIN practitioner rq ON rq.id = c.requester_id`;

const toStep = (r: {
  consultation_id: string;
  organization_id: string;
  urgency: string;
  modality: string;
  procedure: string;
  accession_number: string;
  requested_at: Date;
  patient_id: string;
  patient_name: string;
  patient_sex: string;
  patient_birth_date: string;
  requester_name: string;
}): ProcedureStep => ({
  consultationId: r.consultation_id,
  organizationId: r.organization_id,
  urgency: r.urgency,
  modality: r.modality,
  procedure: r.procedure,
  accessionNumber: r.accession_number,
  requestedAt: r.requested_at,
  patient: {
    id: r.patient_id,
    name: r.patient_name,
    sex: r.patient_sex,
    birthDate: r.patient_birth_date,
  },
  requesterName: r.requester_name,
});

/**
 * The organization's steps still to perform: its open requests' exams (of one modality, when the
 * modality asks for one) for which no study has arrived yet (a rejected arrival puts the step
 * back: the right images are still to come). Oldest first.
 */
const SCHEDULED_STEPS = sql(
  STEP,
  `${STEP_SELECT}
   WHERE c.requesting_organization_id = $1 AND c.status IN ${OPEN}
     AND ($2::text IS NULL OR e.modality = $2)
     AND ($3::text IS NULL OR e.accession_number = $3)
     AND NOT EXISTS (SELECT 1 FROM imaging_worklist_arrival a
                      WHERE a.consultation_id = c.id AND a.status <> 'rejected')
   ORDER BY e.created_at, c.id LIMIT $4`,
)
  .takes<
    [organizationId: string, modality: string | null, accession: string | null, limit: number]
  >()
  .map(toStep);

/** The open request whose exam carries this accession number, if any. */
const STEP_BY_ACCESSION = sql(
  STEP,
  `${STEP_SELECT} WHERE e.accession_number = $1 AND c.status IN ${OPEN}`,
)
  .takes<[accession: string]>()
  .map(toStep);

const ARRIVAL = {
  id: 'uuid',
  consultation_id: 'uuid',
  study_instance_uid: 'text',
  accession_number: 'text',
  status: typed<WorklistArrivalStatus>('text'),
  mismatches: typed<PatientMismatch[]>('text[]'),
  patient_name: 'text?',
  dicom_patient_id: 'text?',
  patient_sex: 'text?',
  patient_birth_date: 'text?',
  study_description: 'text?',
  modalities: 'text[]',
  number_of_instances: 'int',
  organization_id: 'uuid',
  created_at: 'timestamptz',
  decided_by: 'uuid?',
  decision_reason: 'text?',
  decided_at: 'timestamptz?',
} as const;

/** An arrival as the routes show it (WorklistArrival, times as Dates), and the study's organization. */
export type Arrival = WithDates<WorklistArrival, 'arrivedAt' | 'decidedAt'> & {
  organizationId: string;
};

const ARRIVAL_SELECT = `SELECT a.id, a.consultation_id, a.study_instance_uid, a.accession_number, a.status, a.mismatches,
       s.patient_name, s.dicom_patient_id, s.patient_sex, s.patient_birth_date, s.study_description,
       s.modalities, s.number_of_instances, s.organization_id, a.created_at, a.decided_by,
       a.decision_reason, a.decided_at
  FROM imaging_worklist_arrival a JOIN imaging_study s ON s.study_instance_uid = a.study_instance_uid`;

const toArrival = (r: {
  id: string;
  consultation_id: string;
  study_instance_uid: string;
  accession_number: string;
  status: WorklistArrivalStatus;
  mismatches: PatientMismatch[];
  patient_name: string | null;
  dicom_patient_id: string | null;
  patient_sex: string | null;
  patient_birth_date: string | null;
  study_description: string | null;
  modalities: string[];
  number_of_instances: number;
  organization_id: string;
  created_at: Date;
  decided_by: string | null;
  decision_reason: string | null;
  decided_at: Date | null;
}): Arrival => ({
  id: r.id,
  consultationId: r.consultation_id,
  studyInstanceUid: r.study_instance_uid,
  accessionNumber: r.accession_number,
  status: r.status,
  mismatches: r.mismatches,
  imagePatient: {
    name: r.patient_name,
    id: r.dicom_patient_id,
    sex: r.patient_sex,
    birthDate: r.patient_birth_date,
  },
  studyDescription: r.study_description,
  modalities: r.modalities,
  instances: r.number_of_instances,
  organizationId: r.organization_id,
  arrivedAt: r.created_at,
  decidedBy: r.decided_by,
  decisionReason: r.decision_reason,
  decidedAt: r.decided_at,
});

const ARRIVALS_OF = sql(
  ARRIVAL,
  `${ARRIVAL_SELECT} WHERE a.consultation_id = $1 ORDER BY a.created_at, a.id`,
)
  .takes<[consultationId: string]>()
  .map(toArrival);

const ARRIVAL_BY_ID = sql(ARRIVAL, `${ARRIVAL_SELECT} WHERE a.id = $1`)
  .takes<[id: string]>()
  .map(toArrival);

/** One arrival, locked for its decision. */
const ARRIVAL_FOR_DECISION = sql(ARRIVAL, `${ARRIVAL_SELECT} WHERE a.id = $1 FOR UPDATE OF a`)
  .takes<[id: string]>()
  .map(toArrival);

/** Once per study and request: a later instance of the same study finds the row and adds nothing. */
const RECORD_ARRIVAL = sql(
  { id: 'uuid' },
  `INSERT INTO imaging_worklist_arrival (consultation_id, study_instance_uid, accession_number, status, mismatches)
   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consultation_id, study_instance_uid) DO NOTHING RETURNING id`,
).takes<
  [
    consultationId: string,
    studyUid: string,
    accession: string,
    status: 'attached' | 'held',
    mismatches: PatientMismatch[],
  ]
>();

const DECIDE = command<
  [id: string, status: 'confirmed' | 'rejected', decidedBy: string, reason: string | null]
>(
  `UPDATE imaging_worklist_arrival SET status = $2, decided_by = $3, decision_reason = $4, decided_at = now()
    WHERE id = $1 AND status = 'held'`,
);

/**
 * The modality worklist's SQL: scheduled procedure steps read from the consultations' requested
 * exams, and the arrivals (imaging_worklist_arrival) this feature writes. The only class issuing
 * SQL on imaging_worklist_arrival.
 */
@Injectable()
export class ProcedureStepStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  scheduled(
    organizationId: string,
    filter: { modality: string | null; accessionNumber: string | null },
    limit: number,
  ): Promise<ProcedureStep[]> {
    return SCHEDULED_STEPS.all(this.db, [
      organizationId,
      filter.modality,
      filter.accessionNumber,
      limit,
    ]);
  }

  async byAccession(accessionNumber: string): Promise<ProcedureStep | null> {
    return (await STEP_BY_ACCESSION.first(this.db, [accessionNumber])) ?? null;
  }

  /** Records a study's arrival for a request; false when it was recorded already (nothing to do). */
  async recordArrival(
    m: EntityManager,
    a: {
      consultationId: string;
      studyInstanceUid: string;
      accessionNumber: string;
      status: 'attached' | 'held';
      mismatches: PatientMismatch[];
    },
  ): Promise<boolean> {
    const row = await RECORD_ARRIVAL.first(m, [
      a.consultationId,
      a.studyInstanceUid,
      a.accessionNumber,
      a.status,
      a.mismatches,
    ]);
    return !!row;
  }

  arrivalsOf(consultationId: string, m: Db = this.db): Promise<Arrival[]> {
    return ARRIVALS_OF.all(m, [consultationId]);
  }

  async arrival(id: string): Promise<Arrival | null> {
    return (await ARRIVAL_BY_ID.first(this.db, [id])) ?? null;
  }

  async lockArrival(m: EntityManager, id: string): Promise<Arrival | null> {
    return (await ARRIVAL_FOR_DECISION.first(m, [id])) ?? null;
  }

  async decide(
    m: EntityManager,
    id: string,
    d: { status: 'confirmed' | 'rejected'; decidedBy: string; reason: string | null },
  ): Promise<void> {
    await DECIDE.run(m, [id, d.status, d.decidedBy, d.reason]);
  }

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }
}
