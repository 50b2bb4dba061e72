import { columns, command, sql, typed, type RowOf } from '@huizhen/database';
import type { HistoryTransition, OrganizationLevel, Sex } from '@huizhen/contract';
import type { Transition } from './consultation-lifecycle';
import type {
  Consultation,
  ConsultationChange,
  Participant,
  PresentInCall,
  Report,
  SignedWithKey,
  SigningKey,
  StoredCallEvent,
  StoredFile,
  WorklistItem,
} from './consultation-model';
import type {
  AttachmentKind,
  ConsultationMode,
  ConsultationStatus,
  ParticipantRole,
  QueueLevel,
  Recommendation,
  Urgency,
} from './consultation-terms';

/**
 * The SQL of ConsultationStore: every statement on the consultation tables, each with its
 * parameters typed and its columns declared once beside it (checked on the first row), mapped
 * to a domain object.
 */
// ---- rows, each declared once beside the statements that read it ----------------------------

/** consultation_request, every column (`SELECT *`, `RETURNING *`). */
export const CONSULTATION = columns({
  id: 'uuid',
  requesting_organization_id: 'uuid',
  requester_id: 'uuid',
  patient_id: 'uuid',
  specialty: 'text',
  urgency: typed<Urgency>('text'),
  mode: typed<ConsultationMode>('text'),
  clinical_question: 'text',
  history: 'text?',
  preferred_practitioner_id: 'uuid?',
  preferred_organization_id: 'uuid?',
  status: typed<ConsultationStatus>('text'),
  routed_organization_ids: 'uuid[]',
  routed_level: typed<QueueLevel | null>('text?'),
  deadline_at: 'timestamptz?',
  escalation_count: 'int',
  decline_count: 'int',
  declined_by: 'uuid[]',
  assigned_specialist_id: 'uuid?',
  assigned_organization_id: 'uuid?',
  scheduled_start: 'timestamptz?',
  submitted_at: 'timestamptz?',
  claimed_at: 'timestamptz?',
  reported_at: 'timestamptz?',
  closed_at: 'timestamptz?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
type ConsultationRow = RowOf<typeof CONSULTATION>;

export const toConsultation = (r: ConsultationRow): Consultation => ({
  id: r.id,
  requestingOrganizationId: r.requesting_organization_id,
  requesterId: r.requester_id,
  patientId: r.patient_id,
  specialty: r.specialty,
  urgency: r.urgency,
  mode: r.mode,
  clinicalQuestion: r.clinical_question,
  history: r.history,
  preferredPractitionerId: r.preferred_practitioner_id,
  preferredOrganizationId: r.preferred_organization_id,
  status: r.status,
  routedOrganizationIds: r.routed_organization_ids,
  routedLevel: r.routed_level,
  deadlineAt: r.deadline_at,
  escalationCount: r.escalation_count,
  declineCount: r.decline_count,
  declinedBy: r.declined_by,
  assignedSpecialistId: r.assigned_specialist_id,
  assignedOrganizationId: r.assigned_organization_id,
  scheduledStart: r.scheduled_start,
  submittedAt: r.submitted_at,
  claimedAt: r.claimed_at,
  reportedAt: r.reported_at,
  closedAt: r.closed_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** The column of each field a transition may change (the only names an UPDATE is built from). */
export const CHANGE_COLUMNS: { [K in keyof Required<ConsultationChange>]: string } = {
  routedOrganizationIds: 'routed_organization_ids',
  routedLevel: 'routed_level',
  deadlineAt: 'deadline_at',
  escalationCount: 'escalation_count',
  declineCount: 'decline_count',
  declinedBy: 'declined_by',
  assignedSpecialistId: 'assigned_specialist_id',
  assignedOrganizationId: 'assigned_organization_id',
  scheduledStart: 'scheduled_start',
  submittedAt: 'submitted_at',
  claimedAt: 'claimed_at',
  reportedAt: 'reported_at',
  closedAt: 'closed_at',
};

/** consultation_report, every column. */
const REPORT = columns({
  id: 'uuid',
  consultation_id: 'uuid',
  kind: typed<'report' | 'addendum'>('text'),
  amends_report_id: 'uuid?',
  patient_id: 'uuid',
  author_id: 'uuid',
  findings: 'text',
  impression: 'text',
  recommendation: typed<Recommendation | null>('text?'),
  referral_organization_id: 'uuid?',
  free_text: 'text',
  studies: 'text[]',
  signed_at: 'timestamptz?',
  signature: 'bytea?',
  signing_key_id: 'uuid?',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
});
type ReportRow = RowOf<typeof REPORT>;

const toReport = (r: ReportRow): Report => ({
  id: r.id,
  consultationId: r.consultation_id,
  kind: r.kind,
  amendsReportId: r.amends_report_id,
  patientId: r.patient_id,
  authorId: r.author_id,
  findings: r.findings,
  impression: r.impression,
  recommendation: r.recommendation,
  referralOrganizationId: r.referral_organization_id,
  freeText: r.free_text,
  studies: r.studies,
  signedAt: r.signed_at,
  signature: r.signature,
  signingKeyId: r.signing_key_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A draft's content as statement parameters, in the table's order. */
type DraftContent = [
  findings: string,
  impression: string,
  recommendation: Recommendation | null,
  referralOrganizationId: string | null,
  freeText: string,
  studies: string[],
];

/** A read receipt, as the thread answers it. */
const RECEIPT = columns({
  practitionerId: 'uuid',
  lastReadMessageId: 'text',
  readAt: 'timestamptz',
});

/** A call event, as the record answers it. */
const CALL_EVENT = columns({
  kind: typed<StoredCallEvent['kind']>('text'),
  practitionerId: 'uuid',
  displayName: 'text',
  role: typed<StoredCallEvent['role']>('text'),
  at: 'timestamptz',
});

const SELECT_REQUEST = `SELECT * FROM consultation_request WHERE id = $1`;
export const Q = {
  // ---- requests
  byId: sql(CONSULTATION, SELECT_REQUEST).takes<[id: string]>().map(toConsultation),
  lock: sql(CONSULTATION, `${SELECT_REQUEST} FOR UPDATE`).takes<[id: string]>().map(toConsultation),
  insert: sql(
    CONSULTATION,
    `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, history,
                                       preferred_practitioner_id, preferred_organization_id, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING *`,
  )
    .takes<
      [
        organizationId: string,
        requesterId: string,
        patientId: string,
        specialty: string,
        urgency: Urgency,
        mode: ConsultationMode,
        question: string,
        history: string | null,
        preferredPractitionerId: string | null,
        preferredOrganizationId: string | null,
        at: Date,
      ]
    >()
    .map(toConsultation),
  due: sql(
    CONSULTATION,
    `SELECT * FROM consultation_request WHERE status = 'submitted' AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
  )
    .takes<[now: Date, limit: number]>()
    .map(toConsultation),
  bookingFacts: sql(
    {
      id: 'uuid',
      requesting_organization_id: 'uuid',
      specialty: 'text',
      mode: CONSULTATION.mode,
      status: CONSULTATION.status,
    },
    `SELECT id, requesting_organization_id, specialty, mode, status FROM consultation_request WHERE id = $1`,
  )
    .takes<[id: string]>()
    .map((r) => ({
      id: r.id,
      organizationId: r.requesting_organization_id,
      specialty: r.specialty,
      mode: r.mode,
      status: r.status,
    })),
  waiting: sql(
    { organization_id: 'uuid', specialty: 'text', count: 'int' },
    `SELECT requesting_organization_id AS organization_id, specialty, count(*)::int AS count
       FROM consultation_request
      WHERE requesting_organization_id = ANY($1::uuid[]) AND status IN ('submitted','claimed') AND mode IN ('live_video','both')
      GROUP BY 1, 2 ORDER BY 1, 2`,
  )
    .takes<[organizationIds: string[]]>()
    .map((r) => ({
      organizationId: r.organization_id,
      specialty: r.specialty,
      count: r.count,
    })),
  header: sql(
    {
      patient_name: 'text',
      patient_sex: typed<Sex>('text'),
      patient_birth_date: 'text',
      requesting_organization_name: 'text',
      requester_name: 'text',
    },
    `SELECT p.name AS patient_name, p.sex AS patient_sex, to_char(p.birth_date, 'YYYY-MM-DD') AS patient_birth_date,
            ro.name AS requesting_organization_name, rq.display_name AS requester_name
       FROM consultation_request c JOIN patient p ON p.id = c.patient_id
       JOIN organization ro ON ro.id = c.requesting_organization_id JOIN practitioner rq ON rq.id = c.requester_id
      WHERE c.id = $1`,
  )
    .takes<[id: string]>()
    .map((r) => ({
      patient: { name: r.patient_name, sex: r.patient_sex, birthDate: r.patient_birth_date },
      requestingOrganizationName: r.requesting_organization_name,
      requesterName: r.requester_name,
    })),

  // ---- status history
  created: command<[id: string, actorId: string, at: Date]>(
    `INSERT INTO consultation_status_history (consultation_id, transition, from_status, to_status, actor_id, at) VALUES ($1, 'create', 'draft', 'draft', $2, $3)`,
  ),
  changed: command<
    [
      id: string,
      transition: Transition,
      from: ConsultationStatus,
      to: ConsultationStatus,
      actorId: string | null,
      reason: string | null,
      details: string,
      at: Date,
    ]
  >(
    `INSERT INTO consultation_status_history (consultation_id, transition, from_status, to_status, actor_id, reason, details, at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
  ),
  history: sql(
    {
      transition: typed<HistoryTransition>('text'),
      from: CONSULTATION.status,
      to: CONSULTATION.status,
      actorId: 'uuid?',
      reason: 'text?',
      details: typed<Record<string, unknown>>('json'),
      at: 'timestamptz',
    },
    `SELECT transition, from_status AS "from", to_status AS "to", actor_id AS "actorId", reason, details, at
       FROM consultation_status_history WHERE consultation_id = $1 ORDER BY id`,
  ).takes<[id: string]>(),

  // ---- participants
  participants: sql(
    { practitioner_id: 'uuid', role: typed<ParticipantRole>('text') },
    `SELECT practitioner_id, role FROM consultation_participant WHERE consultation_id = $1 AND active ORDER BY added_at, practitioner_id`,
  )
    .takes<[id: string]>()
    .map((r): Participant => ({
      practitionerId: r.practitioner_id,
      role: r.role,
    })),
  people: sql(
    {
      practitionerId: 'uuid',
      role: typed<ParticipantRole>('text'),
      displayName: 'text',
      organizationId: 'uuid',
    },
    `SELECT cp.practitioner_id AS "practitionerId", cp.role, pr.display_name AS "displayName", pr.organization_id AS "organizationId"
       FROM consultation_participant cp JOIN practitioner pr ON pr.id = cp.practitioner_id
      WHERE cp.consultation_id = $1 AND cp.active ORDER BY cp.added_at`,
  ).takes<[id: string]>(),
  addRequester: command<[id: string, practitionerId: string]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'requester')`,
  ),
  assign: command<[id: string, practitionerId: string]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'assigned_specialist')
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = 'assigned_specialist', active = true`,
  ),
  withdraw: command<[id: string, practitionerId: string | null]>(
    `UPDATE consultation_participant SET active = false WHERE consultation_id = $1 AND practitioner_id = $2`,
  ),
  lockParticipant: sql(
    { role: typed<ParticipantRole>('text'), active: 'bool' },
    `SELECT role, active FROM consultation_participant WHERE consultation_id = $1 AND practitioner_id = $2 FOR UPDATE`,
  ).takes<[id: string, practitionerId: string]>(),
  invite: command<[id: string, practitionerId: string, role: ParticipantRole]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = EXCLUDED.role, active = true`,
  ),

  // ---- the requested exam (the modality worklist's scheduled procedure step)
  requestExam: command<[id: string, modality: string, procedure: string]>(
    `INSERT INTO consultation_requested_exam (consultation_id, modality, procedure) VALUES ($1, $2, $3)`,
  ),
  requestedExam: sql(
    { modality: 'text', procedure: 'text', accessionNumber: 'text' },
    `SELECT modality, procedure, accession_number AS "accessionNumber"
       FROM consultation_requested_exam WHERE consultation_id = $1`,
  ).takes<[id: string]>(),

  // ---- attachments
  attachments: sql(
    {
      id: 'uuid',
      kind: typed<AttachmentKind>('text'),
      studyInstanceUid: 'text?',
      fileName: 'text?',
      mediaType: 'text?',
      sizeBytes: 'int?',
      sha256: 'text?',
      messageId: 'text?',
      addedBy: 'uuid',
      createdAt: 'timestamptz',
    },
    `SELECT id, kind, study_instance_uid AS "studyInstanceUid", file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes",
            sha256, message_id::text AS "messageId", added_by AS "addedBy", created_at AS "createdAt"
       FROM consultation_attachment WHERE consultation_id = $1
     UNION ALL
     -- Studies linked from imaging's side (a worklist arrival, or attached from the study): the
     -- policy reads them as attached, so the detail lists them too, each once. A machine's link
     -- (no person) is the requester's: it is their requested exam.
     SELECT md5(l.consultation_id::text || l.study_instance_uid)::uuid, 'imaging_study', l.study_instance_uid, NULL, NULL, NULL,
            NULL, NULL, COALESCE(l.linked_by, r.requester_id), l.created_at
       FROM imaging_study_link l JOIN consultation_request r ON r.id = l.consultation_id
      WHERE l.consultation_id = $1
        AND NOT EXISTS (SELECT 1 FROM consultation_attachment a
                         WHERE a.consultation_id = $1 AND a.study_instance_uid = l.study_instance_uid)
     ORDER BY "createdAt", id`,
  ).takes<[id: string]>(),
  attachAtCreate: command<[id: string, studyInstanceUid: string, addedBy: string]>(
    `INSERT INTO consultation_attachment (consultation_id, kind, study_instance_uid, added_by) VALUES ($1, 'imaging_study', $2, $3)`,
  ),
  attachStudy: sql(
    {
      id: 'uuid',
      kind: typed<'imaging_study'>('text'),
      studyInstanceUid: 'text',
      createdAt: 'timestamptz',
    },
    `INSERT INTO consultation_attachment (consultation_id, kind, study_instance_uid, added_by) VALUES ($1, 'imaging_study', $2, $3)
     ON CONFLICT (consultation_id, study_instance_uid) WHERE study_instance_uid IS NOT NULL DO NOTHING
     RETURNING id, kind, study_instance_uid AS "studyInstanceUid", created_at AS "createdAt"`,
  ).takes<[id: string, studyInstanceUid: string, addedBy: string]>(),
  addFile: sql(
    {
      id: 'uuid',
      kind: typed<'document' | 'photo'>('text'),
      fileName: 'text',
      mediaType: 'text',
      sizeBytes: 'int',
      sha256: 'text',
      createdAt: 'timestamptz',
    },
    `INSERT INTO consultation_attachment (id, consultation_id, kind, file_ref, file_name, media_type, size_bytes, sha256, added_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
     RETURNING id, kind, file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes", sha256, created_at AS "createdAt"`,
  ).takes<
    [
      attachmentId: string,
      id: string,
      kind: 'document' | 'photo',
      fileRef: string,
      fileName: string,
      mediaType: string,
      sizeBytes: number,
      sha256: string,
      addedBy: string,
    ]
  >(),
  file: sql(
    { file_ref: 'text', media_type: 'text', file_name: 'text', size: 'int' },
    `SELECT file_ref, media_type, file_name, size_bytes::int AS size FROM consultation_attachment WHERE id = $1 AND consultation_id = $2 AND file_ref IS NOT NULL`,
  )
    .takes<[attachmentId: string, id: string]>()
    .map((r): StoredFile => ({
      fileRef: r.file_ref,
      mediaType: r.media_type,
      fileName: r.file_name,
      sizeBytes: r.size,
    })),
  studies: sql(
    { uid: 'text' },
    `SELECT study_instance_uid AS uid FROM consultation_attachment WHERE consultation_id = $1 AND study_instance_uid IS NOT NULL
     UNION SELECT study_instance_uid FROM imaging_study_link WHERE consultation_id = $1 ORDER BY uid`,
  )
    .takes<[id: string]>()
    .map((r) => r.uid),

  // ---- thread
  messages: sql(
    { id: 'text', authorId: 'uuid', authorName: 'text', body: 'text', createdAt: 'timestamptz' },
    `SELECT m.id::text AS id, m.author_id AS "authorId", p.display_name AS "authorName", m.body, m.created_at AS "createdAt"
       FROM consultation_message m JOIN practitioner p ON p.id = m.author_id
      WHERE m.consultation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`,
  ).takes<[id: string, after: number, limit: number]>(),
  messageFiles: sql(
    {
      id: 'uuid',
      messageId: 'text',
      kind: typed<AttachmentKind>('text'),
      fileName: 'text',
      mediaType: 'text',
      sizeBytes: 'int',
    },
    `SELECT id, message_id::text AS "messageId", kind, file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes"
       FROM consultation_attachment WHERE message_id = ANY($1::bigint[])`,
  ).takes<[messageIds: string[]]>(),
  receipts: sql(
    RECEIPT,
    `SELECT practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"
       FROM consultation_read_receipt WHERE consultation_id = $1 ORDER BY practitioner_id`,
  ).takes<[id: string]>(),
  addMessage: sql(
    { id: 'text', created_at: 'timestamptz' },
    `INSERT INTO consultation_message (consultation_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id::text, created_at`,
  )
    .takes<[id: string, authorId: string, body: string, at: Date]>()
    .map((r) => ({ id: r.id, createdAt: r.created_at })),
  sendFiles: command<[messageId: string, attachmentIds: string[], id: string, authorId: string]>(
    `UPDATE consultation_attachment SET message_id = $1
      WHERE id = ANY($2::uuid[]) AND consultation_id = $3 AND kind <> 'imaging_study' AND message_id IS NULL AND added_by = $4`,
  ),
  messageIn: sql(
    { '?column?': 'int' },
    `SELECT 1 FROM consultation_message WHERE id = $1 AND consultation_id = $2`,
  ).takes<[messageId: number, id: string]>(),
  readUpTo: sql(
    RECEIPT,
    `INSERT INTO consultation_read_receipt (consultation_id, practitioner_id, last_read_message_id) VALUES ($1, $2, $3)
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE
       SET last_read_message_id = GREATEST(consultation_read_receipt.last_read_message_id, EXCLUDED.last_read_message_id), read_at = now()
     RETURNING practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"`,
  ).takes<[id: string, practitionerId: string, messageId: string | number]>(),

  // ---- reports
  report: sql(
    REPORT,
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report'`,
  )
    .takes<[id: string]>()
    .map(toReport),
  lockReport: sql(
    REPORT,
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' FOR UPDATE`,
  )
    .takes<[id: string]>()
    .map(toReport),
  signedReport: sql(
    REPORT,
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' AND signed_at IS NOT NULL`,
  )
    .takes<[id: string]>()
    .map(toReport),
  reports: sql(
    REPORT,
    `SELECT * FROM consultation_report WHERE consultation_id = $1 ORDER BY kind DESC, created_at`,
  )
    .takes<[id: string]>()
    .map(toReport),
  signedReports: sql(
    REPORT,
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND signed_at IS NOT NULL ORDER BY kind DESC, signed_at`,
  )
    .takes<[id: string]>()
    .map(toReport),
  updateDraft: sql(
    REPORT,
    `UPDATE consultation_report SET findings=$2, impression=$3, recommendation=$4, referral_organization_id=$5, free_text=$6, studies=$7, author_id=$8, updated_at=$9
      WHERE id = $1 RETURNING *`,
  )
    .takes<[reportId: string, ...DraftContent, authorId: string, at: Date]>()
    .map(toReport),
  insertDraft: sql(
    REPORT,
    `INSERT INTO consultation_report (consultation_id, kind, patient_id, author_id, findings, impression, recommendation, referral_organization_id, free_text, studies, created_at, updated_at)
     VALUES ($1,'report',$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING *`,
  )
    .takes<[id: string, patientId: string, authorId: string, ...DraftContent, at: Date]>()
    .map(toReport),
  sign: command<
    [
      reportId: string,
      authorId: string,
      studies: string[],
      at: Date,
      signature: Buffer,
      keyId: string,
    ]
  >(
    `UPDATE consultation_report SET author_id = $2, studies = $3, signed_at = $4, signature = $5, signing_key_id = $6, updated_at = $4 WHERE id = $1`,
  ),
  addendum: command<
    [
      reportId: string,
      id: string,
      amends: string,
      patientId: string,
      authorId: string,
      impression: string,
      text: string,
      at: Date,
      signature: Buffer,
      keyId: string,
    ]
  >(
    `INSERT INTO consultation_report (id, consultation_id, kind, amends_report_id, patient_id, author_id, findings, impression, free_text, studies, signed_at, signature, signing_key_id, created_at, updated_at)
     VALUES ($1,$2,'addendum',$3,$4,$5,'',$6,$7,'{}',$8,$9,$10,$8,$8)`,
  ),
  signedWithKeys: sql(
    {
      ...REPORT,
      public_key: 'bytea',
      fingerprint: 'text',
      key_owner: 'uuid',
      display_name: 'text',
      organization_id: 'uuid',
    },
    `SELECT r.*, k.public_key, k.fingerprint, k.practitioner_id AS key_owner, p.display_name, p.organization_id
       FROM consultation_report r JOIN practitioner_signing_key k ON k.id = r.signing_key_id JOIN practitioner p ON p.id = r.author_id
      WHERE r.consultation_id = $1 AND r.signed_at IS NOT NULL ORDER BY r.kind DESC, r.signed_at`,
  )
    .takes<[id: string]>()
    .map((r): SignedWithKey => ({
      ...toReport(r),
      publicKey: r.public_key,
      fingerprint: r.fingerprint,
      keyOwnerId: r.key_owner,
      authorName: r.display_name,
      authorOrganizationId: r.organization_id,
    })),
  reportOfAuthorOrganization: sql(
    { ...REPORT, author_organization_id: 'uuid' },
    `SELECT r.*, p.organization_id AS author_organization_id FROM consultation_report r JOIN practitioner p ON p.id = r.author_id
      WHERE r.consultation_id = $1 AND r.kind = 'report' AND r.signed_at IS NOT NULL`,
  )
    .takes<[id: string]>()
    .map((r) => ({
      ...toReport(r),
      authorOrganizationId: r.author_organization_id,
    })),
  printed: sql(
    {
      name: 'text',
      sex: 'text',
      birth_date: 'text',
      requesting: 'text',
      reading: 'text',
      author_name: 'text',
      author_title: 'text?',
      referral_org: 'text?',
    },
    `SELECT p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, ro.name AS requesting, ao.name AS reading,
            au.display_name AS author_name, au.title AS author_title, rf.name AS referral_org
       FROM consultation_request c JOIN patient p ON p.id = c.patient_id
       JOIN organization ro ON ro.id = c.requesting_organization_id
       JOIN practitioner au ON au.id = $2 JOIN organization ao ON ao.id = au.organization_id
       LEFT JOIN organization rf ON rf.id = $3
      WHERE c.id = $1`,
  )
    .takes<[id: string, authorId: string, referralOrganizationId: string | null]>()
    .map((r) => ({
      patient: { name: r.name, sex: r.sex, birthDate: r.birth_date },
      requestingOrganization: r.requesting,
      readingOrganization: r.reading,
      authorName: r.author_name,
      authorTitle: r.author_title,
      referralOrganization: r.referral_org,
    })),
};

export const KEYS = {
  current: sql(
    {
      id: 'uuid',
      practitioner_id: 'uuid',
      public_key: 'bytea',
      private_key_cipher: 'bytea',
      fingerprint: 'text',
    },
    `SELECT id, practitioner_id, public_key, private_key_cipher, fingerprint FROM practitioner_signing_key WHERE practitioner_id = $1 AND retired_at IS NULL`,
  )
    .takes<[practitionerId: string]>()
    .map((r): SigningKey => ({
      id: r.id,
      practitionerId: r.practitioner_id,
      publicKey: r.public_key,
      privateKeyCipher: r.private_key_cipher,
      fingerprint: r.fingerprint,
    })),
  add: command<
    [
      practitionerId: string,
      algorithm: string,
      publicKey: Buffer,
      privateKeyCipher: Buffer,
      fingerprint: string,
    ]
  >(
    `INSERT INTO practitioner_signing_key (practitioner_id, algorithm, public_key, private_key_cipher, fingerprint)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (practitioner_id) WHERE retired_at IS NULL DO NOTHING`,
  ),
};

// The video record (consultation_call_event): named prepared statements, the call path is hot.
export const CALLS = {
  present: sql(
    {
      eventId: 'uuid',
      consultationId: 'uuid',
      practitionerId: 'uuid',
      role: typed<PresentInCall['role']>('text'),
      mediaNode: 'text',
      nodeLast: 'timestamptz',
    },
    `SELECT j.event_id AS "eventId", j.consultation_id AS "consultationId", j.practitioner_id AS "practitionerId", j.room_role AS role,
                     j.media_node AS "mediaNode",
              (SELECT max(e.occurred_at) FROM consultation_call_event e WHERE e.consultation_id = j.consultation_id AND e.media_node = j.media_node) AS "nodeLast"
         FROM consultation_call_event j
        WHERE j.kind = 'joined' AND j.occurred_at > $1
          AND NOT EXISTS (SELECT 1 FROM consultation_call_event e WHERE e.consultation_id = j.consultation_id AND (e.occurred_at, e.id) > (j.occurred_at, j.id)
                            AND (e.kind = 'ended' OR (e.practitioner_id = j.practitioner_id AND e.kind IN ('joined', 'left', 'lost'))))`,
  )
    .takes<[since: Date]>()
    .prepared(),
  record: sql(
    {
      consultationId: 'uuid',
      requestingOrganizationId: 'uuid',
      recorded: 'int',
      participantIds: 'uuid[]',
    },
    // In the order given (a media node's order), so events of the same millisecond read back in it.
    `WITH e AS (SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, kind text, room uuid, "practitionerId" uuid, role text, at timestamptz, node text)) WITH ORDINALITY AS v(id, kind, room, "practitionerId", role, at, node, n)),
             ins AS (INSERT INTO consultation_call_event (event_id, consultation_id, kind, practitioner_id, room_role, occurred_at, media_node)
               SELECT e.id, e.room, e.kind, e."practitionerId", left(coalesce(e.role, ''), 40), e.at, left(coalesce(e.node, ''), 200)
                 FROM e JOIN consultation_request c ON c.id = e.room JOIN practitioner p ON p.id = e."practitionerId"
                ORDER BY e.n
               ON CONFLICT (event_id) DO NOTHING RETURNING consultation_id)
             SELECT c.id AS "consultationId", c.requesting_organization_id AS "requestingOrganizationId",
                    (SELECT count(*)::int FROM ins i WHERE i.consultation_id = c.id) AS recorded,
                    ARRAY(SELECT practitioner_id FROM consultation_participant cp WHERE cp.consultation_id = c.id AND cp.active) AS "participantIds"
               FROM consultation_request c WHERE c.id IN (SELECT consultation_id FROM ins)`,
  )
    .takes<[events: string]>()
    .prepared(),
  ofOrganizations: sql(
    { consultationId: 'uuid', organizationIds: typed<(string | null)[]>('uuid[]'), ...CALL_EVENT },
    `SELECT e.consultation_id AS "consultationId", ARRAY[c.requesting_organization_id, c.assigned_organization_id] AS "organizationIds",
              e.kind, e.practitioner_id AS "practitionerId", '' AS "displayName", e.room_role AS role, e.occurred_at AS at
         FROM consultation_call_event e JOIN consultation_request c ON c.id = e.consultation_id
        WHERE (c.requesting_organization_id = ANY($1::uuid[]) OR c.assigned_organization_id = ANY($1::uuid[]))
          AND e.consultation_id IN (SELECT consultation_id FROM consultation_call_event WHERE kind = 'joined' AND occurred_at >= $2 AND occurred_at < $3)
        ORDER BY e.consultation_id, e.occurred_at, e.id`,
  )
    .takes<[organizationIds: string[], from: Date, to: Date]>()
    .prepared(),
  of: sql(
    CALL_EVENT,
    `SELECT e.kind, e.practitioner_id AS "practitionerId", p.display_name AS "displayName", e.room_role AS role, e.occurred_at AS at
         FROM consultation_call_event e JOIN practitioner p ON p.id = e.practitioner_id
        WHERE e.consultation_id = $1 ORDER BY e.occurred_at, e.id`,
  )
    .takes<[consultationId: string]>()
    .prepared(),
};

/** A worklist line (the statement is assembled in ConsultationStore.worklistPage). */
export const WORKLIST = columns({
  id: 'uuid',
  status: CONSULTATION.status,
  urgency: CONSULTATION.urgency,
  mode: CONSULTATION.mode,
  specialty: 'text',
  patient_id: 'uuid',
  patient_name: 'text',
  // The patient table's sex is one of the directory's SEXES.
  patient_sex: typed<Sex>('text'),
  patient_birth_date: 'text',
  requesting_organization_id: 'uuid',
  requesting_organization_name: 'text',
  requester_id: 'uuid',
  assigned_specialist_id: 'uuid?',
  // LEFT JOIN: NULL exactly when assigned_specialist_id is, and read only when it is not.
  assigned_specialist_name: typed<string>('text?'),
  assigned_organization_id: 'uuid?',
  routed_level: CONSULTATION.routed_level,
  deadline_at: 'timestamptz?',
  escalation_count: 'int',
  submitted_at: 'timestamptz?',
  claimed_at: 'timestamptz?',
  reported_at: 'timestamptz?',
  created_at: 'timestamptz',
  sort_key: 'text',
});
type WorklistRow = RowOf<typeof WORKLIST>;

export const toWorklistItem = (r: WorklistRow): WorklistItem & { sortKey: string } => ({
  id: r.id,
  status: r.status,
  urgency: r.urgency,
  mode: r.mode,
  specialty: r.specialty,
  patient: {
    id: r.patient_id,
    name: r.patient_name,
    sex: r.patient_sex,
    birthDate: r.patient_birth_date,
  },
  requestingOrganization: {
    id: r.requesting_organization_id,
    name: r.requesting_organization_name,
  },
  requesterId: r.requester_id,
  assignedSpecialist: r.assigned_specialist_id
    ? {
        id: r.assigned_specialist_id,
        displayName: r.assigned_specialist_name,
        organizationId: r.assigned_organization_id,
      }
    : null,
  queueLevel: r.status === 'submitted' ? r.routed_level : null,
  deadlineAt: r.status === 'submitted' ? r.deadline_at : null,
  escalations: r.escalation_count,
  submittedAt: r.submitted_at,
  claimedAt: r.claimed_at,
  reportedAt: r.reported_at,
  createdAt: r.created_at,
  sortKey: r.sort_key,
});

export const FIGURES = sql(
  {
    organizationId: 'uuid',
    name: 'text',
    level: typed<OrganizationLevel>('text'),
    sent: 'int',
    escalations: 'int',
    expired: 'int',
    received: 'int',
    reported: 'int',
    claimAverageSeconds: 'int?',
    claimMedianSeconds: 'int?',
    turnaroundAverageSeconds: 'int?',
    turnaroundP90Seconds: 'int?',
    referralsSent: 'int',
    referralsReceived: 'int',
    referralsAccepted: 'int',
  },
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
   SELECT o.id AS "organizationId", o.name, o.level,
          coalesce(s.sent, 0) AS sent, coalesce(s.escalations, 0) AS escalations, coalesce(s.expired, 0) AS expired,
          coalesce(r.received, 0) AS received, coalesce(r.reported, 0) AS reported,
          r.claim_avg_s AS "claimAverageSeconds", r.claim_median_s AS "claimMedianSeconds",
          r.turnaround_avg_s AS "turnaroundAverageSeconds", r.turnaround_p90_s AS "turnaroundP90Seconds",
          coalesce(ro.n, 0) AS "referralsSent", coalesce(ri.n, 0) AS "referralsReceived", coalesce(ri.accepted, 0) AS "referralsAccepted"
     FROM organization o
     LEFT JOIN sent s ON s.org = o.id LEFT JOIN received r ON r.org = o.id
     LEFT JOIN ref_out ro ON ro.org = o.id LEFT JOIN ref_in ri ON ri.org = o.id
    WHERE o.id = ANY($1::uuid[]) AND (s.org IS NOT NULL OR r.org IS NOT NULL OR ro.org IS NOT NULL OR ri.org IS NOT NULL OR o.id IN (SELECT org FROM video))
    ORDER BY o.level, o.name`,
).takes<[organizationIds: string[], from: Date, to: Date]>();
