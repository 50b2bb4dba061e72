import { prepared } from '@huizhen/database';
import type { Transition } from './consultation-lifecycle';
import type {
  Attachment,
  Consultation,
  ConsultationChange,
  InstitutionFigures,
  Message,
  MessageFile,
  Participant,
  PresentInCall,
  ReadReceipt,
  Report,
  SignedWithKey,
  SigningKey,
  StatusChange,
  StoredCallEvent,
  StoredFile,
  WorklistItem,
} from './consultation-model';
import type {
  ConsultationMode,
  ConsultationStatus,
  ParticipantRole,
  QueueLevel,
  Recommendation,
  Urgency,
} from './consultation-terms';
import { statement } from './typed-sql';

/**
 * The SQL of ConsultationStore: every statement on the consultation tables, each with its
 * parameters typed and its row declared once beside it, mapped to a domain object.
 */
// ---- rows, each declared once beside the statements that read it ----------------------------

interface ConsultationRow {
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

interface ReportRow {
  id: string;
  consultation_id: string;
  kind: 'report' | 'addendum';
  amends_report_id: string | null;
  patient_id: string;
  author_id: string;
  findings: string;
  impression: string;
  recommendation: Recommendation | null;
  referral_organization_id: string | null;
  free_text: string;
  studies: string[];
  signed_at: Date | null;
  signature: Buffer | null;
  signing_key_id: string | null;
  created_at: Date;
  updated_at: Date;
}

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

const SELECT_REQUEST = `SELECT * FROM consultation_request WHERE id = $1`;
export const Q = {
  // ---- requests
  byId: statement<[id: string]>(SELECT_REQUEST).map(toConsultation),
  lock: statement<[id: string]>(`${SELECT_REQUEST} FOR UPDATE`).map(toConsultation),
  insert: statement<
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
  >(
    `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, history,
                                       preferred_practitioner_id, preferred_organization_id, created_at, updated_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$11) RETURNING *`,
  ).map(toConsultation),
  due: statement<[now: Date, limit: number]>(
    `SELECT * FROM consultation_request WHERE status = 'submitted' AND deadline_at <= $1 ORDER BY deadline_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
  ).map(toConsultation),
  bookingFacts: statement<[id: string]>(
    `SELECT id, requesting_organization_id, specialty, mode, status FROM consultation_request WHERE id = $1`,
  ).map(
    (
      r: Pick<
        ConsultationRow,
        'id' | 'requesting_organization_id' | 'specialty' | 'mode' | 'status'
      >,
    ) => ({
      id: r.id,
      organizationId: r.requesting_organization_id,
      specialty: r.specialty,
      mode: r.mode,
      status: r.status,
    }),
  ),
  waiting: statement<[organizationIds: string[]]>(
    `SELECT requesting_organization_id AS organization_id, specialty, count(*)::int AS count
       FROM consultation_request
      WHERE requesting_organization_id = ANY($1::uuid[]) AND status IN ('submitted','claimed') AND mode IN ('live_video','both')
      GROUP BY 1, 2 ORDER BY 1, 2`,
  ).map((r: { organization_id: string; specialty: string; count: number }) => ({
    organizationId: r.organization_id,
    specialty: r.specialty,
    count: r.count,
  })),
  header: statement<[id: string]>(
    `SELECT p.name AS patient_name, p.sex AS patient_sex, to_char(p.birth_date, 'YYYY-MM-DD') AS patient_birth_date,
            ro.name AS requesting_organization_name, rq.display_name AS requester_name
       FROM consultation_request c JOIN patient p ON p.id = c.patient_id
       JOIN organization ro ON ro.id = c.requesting_organization_id JOIN practitioner rq ON rq.id = c.requester_id
      WHERE c.id = $1`,
  ).map(
    (r: {
      patient_name: string;
      patient_sex: string;
      patient_birth_date: string;
      requesting_organization_name: string;
      requester_name: string;
    }) => ({
      patient: { name: r.patient_name, sex: r.patient_sex, birthDate: r.patient_birth_date },
      requestingOrganizationName: r.requesting_organization_name,
      requesterName: r.requester_name,
    }),
  ),

  // ---- status history
  created: statement<[id: string, actorId: string, at: Date]>(
    `INSERT INTO consultation_status_history (consultation_id, transition, from_status, to_status, actor_id, at) VALUES ($1, 'create', 'draft', 'draft', $2, $3)`,
  ).exec(),
  changed: statement<
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
  ).exec(),
  history: statement<[id: string]>(
    `SELECT transition, from_status AS "from", to_status AS "to", actor_id AS "actorId", reason, details, at
       FROM consultation_status_history WHERE consultation_id = $1 ORDER BY id`,
  ).rows<StatusChange>(),

  // ---- participants
  participants: statement<[id: string]>(
    `SELECT practitioner_id, role FROM consultation_participant WHERE consultation_id = $1 AND active ORDER BY added_at, practitioner_id`,
  ).map((r: { practitioner_id: string; role: ParticipantRole }): Participant => ({
    practitionerId: r.practitioner_id,
    role: r.role,
  })),
  people: statement<[id: string]>(
    `SELECT cp.practitioner_id AS "practitionerId", cp.role, pr.display_name AS "displayName", pr.organization_id AS "organizationId"
       FROM consultation_participant cp JOIN practitioner pr ON pr.id = cp.practitioner_id
      WHERE cp.consultation_id = $1 AND cp.active ORDER BY cp.added_at`,
  ).rows<Participant & { displayName: string; organizationId: string }>(),
  addRequester: statement<[id: string, practitionerId: string]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'requester')`,
  ).exec(),
  assign: statement<[id: string, practitionerId: string]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'assigned_specialist')
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = 'assigned_specialist', active = true`,
  ).exec(),
  withdraw: statement<[id: string, practitionerId: string | null]>(
    `UPDATE consultation_participant SET active = false WHERE consultation_id = $1 AND practitioner_id = $2`,
  ).exec(),
  lockParticipant: statement<[id: string, practitionerId: string]>(
    `SELECT role, active FROM consultation_participant WHERE consultation_id = $1 AND practitioner_id = $2 FOR UPDATE`,
  ).rows<{ role: ParticipantRole; active: boolean }>(),
  invite: statement<[id: string, practitionerId: string, role: ParticipantRole]>(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, $3)
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET role = EXCLUDED.role, active = true`,
  ).exec(),

  // ---- attachments
  attachments: statement<[id: string]>(
    `SELECT id, kind, study_instance_uid AS "studyInstanceUid", file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes",
            sha256, message_id::text AS "messageId", added_by AS "addedBy", created_at AS "createdAt"
       FROM consultation_attachment WHERE consultation_id = $1 ORDER BY created_at, id`,
  ).rows<Attachment>(),
  attachAtCreate: statement<[id: string, studyInstanceUid: string, addedBy: string]>(
    `INSERT INTO consultation_attachment (consultation_id, kind, study_instance_uid, added_by) VALUES ($1, 'imaging_study', $2, $3)`,
  ).exec(),
  attachStudy: statement<[id: string, studyInstanceUid: string, addedBy: string]>(
    `INSERT INTO consultation_attachment (consultation_id, kind, study_instance_uid, added_by) VALUES ($1, 'imaging_study', $2, $3)
     ON CONFLICT (consultation_id, study_instance_uid) WHERE study_instance_uid IS NOT NULL DO NOTHING
     RETURNING id, kind, study_instance_uid AS "studyInstanceUid", created_at AS "createdAt"`,
  ).rows<{ id: string; kind: 'imaging_study'; studyInstanceUid: string; createdAt: Date }>(),
  addFile: statement<
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
  >(
    `INSERT INTO consultation_attachment (id, consultation_id, kind, file_ref, file_name, media_type, size_bytes, sha256, added_by)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)
     RETURNING id, kind, file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes", sha256, created_at AS "createdAt"`,
  ).rows<{
    id: string;
    kind: 'document' | 'photo';
    fileName: string;
    mediaType: string;
    sizeBytes: number;
    sha256: string;
    createdAt: Date;
  }>(),
  file: statement<[attachmentId: string, id: string]>(
    `SELECT file_ref, media_type, file_name, size_bytes::int AS size FROM consultation_attachment WHERE id = $1 AND consultation_id = $2 AND file_ref IS NOT NULL`,
  ).map(
    (r: { file_ref: string; media_type: string; file_name: string; size: number }): StoredFile => ({
      fileRef: r.file_ref,
      mediaType: r.media_type,
      fileName: r.file_name,
      sizeBytes: r.size,
    }),
  ),
  studies: statement<[id: string]>(
    `SELECT study_instance_uid AS uid FROM consultation_attachment WHERE consultation_id = $1 AND study_instance_uid IS NOT NULL ORDER BY uid`,
  ).map((r: { uid: string }) => r.uid),

  // ---- thread
  messages: statement<[id: string, after: number, limit: number]>(
    `SELECT m.id::text AS id, m.author_id AS "authorId", p.display_name AS "authorName", m.body, m.created_at AS "createdAt"
       FROM consultation_message m JOIN practitioner p ON p.id = m.author_id
      WHERE m.consultation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`,
  ).rows<Message>(),
  messageFiles: statement<[messageIds: string[]]>(
    `SELECT id, message_id::text AS "messageId", kind, file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes"
       FROM consultation_attachment WHERE message_id = ANY($1::bigint[])`,
  ).rows<MessageFile>(),
  receipts: statement<[id: string]>(
    `SELECT practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"
       FROM consultation_read_receipt WHERE consultation_id = $1 ORDER BY practitioner_id`,
  ).rows<ReadReceipt>(),
  addMessage: statement<[id: string, authorId: string, body: string, at: Date]>(
    `INSERT INTO consultation_message (consultation_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id::text, created_at`,
  ).map((r: { id: string; created_at: Date }) => ({ id: r.id, createdAt: r.created_at })),
  sendFiles: statement<[messageId: string, attachmentIds: string[], id: string, authorId: string]>(
    `UPDATE consultation_attachment SET message_id = $1
      WHERE id = ANY($2::uuid[]) AND consultation_id = $3 AND kind <> 'imaging_study' AND message_id IS NULL AND added_by = $4`,
  ).exec(),
  messageIn: statement<[messageId: number, id: string]>(
    `SELECT 1 FROM consultation_message WHERE id = $1 AND consultation_id = $2`,
  ).rows<unknown>(),
  readUpTo: statement<[id: string, practitionerId: string, messageId: string | number]>(
    `INSERT INTO consultation_read_receipt (consultation_id, practitioner_id, last_read_message_id) VALUES ($1, $2, $3)
     ON CONFLICT (consultation_id, practitioner_id) DO UPDATE
       SET last_read_message_id = GREATEST(consultation_read_receipt.last_read_message_id, EXCLUDED.last_read_message_id), read_at = now()
     RETURNING practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"`,
  ).rows<ReadReceipt>(),

  // ---- reports
  report: statement<[id: string]>(
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report'`,
  ).map(toReport),
  lockReport: statement<[id: string]>(
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' FOR UPDATE`,
  ).map(toReport),
  signedReport: statement<[id: string]>(
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' AND signed_at IS NOT NULL`,
  ).map(toReport),
  reports: statement<[id: string]>(
    `SELECT * FROM consultation_report WHERE consultation_id = $1 ORDER BY kind DESC, created_at`,
  ).map(toReport),
  signedReports: statement<[id: string]>(
    `SELECT * FROM consultation_report WHERE consultation_id = $1 AND signed_at IS NOT NULL ORDER BY kind DESC, signed_at`,
  ).map(toReport),
  updateDraft: statement<[reportId: string, ...DraftContent, authorId: string, at: Date]>(
    `UPDATE consultation_report SET findings=$2, impression=$3, recommendation=$4, referral_organization_id=$5, free_text=$6, studies=$7, author_id=$8, updated_at=$9
      WHERE id = $1 RETURNING *`,
  ).map(toReport),
  insertDraft: statement<
    [id: string, patientId: string, authorId: string, ...DraftContent, at: Date]
  >(
    `INSERT INTO consultation_report (consultation_id, kind, patient_id, author_id, findings, impression, recommendation, referral_organization_id, free_text, studies, created_at, updated_at)
     VALUES ($1,'report',$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING *`,
  ).map(toReport),
  sign: statement<
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
  ).exec(),
  addendum: statement<
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
  ).exec(),
  signedWithKeys: statement<[id: string]>(
    `SELECT r.*, k.public_key, k.fingerprint, k.practitioner_id AS key_owner, p.display_name, p.organization_id
       FROM consultation_report r JOIN practitioner_signing_key k ON k.id = r.signing_key_id JOIN practitioner p ON p.id = r.author_id
      WHERE r.consultation_id = $1 AND r.signed_at IS NOT NULL ORDER BY r.kind DESC, r.signed_at`,
  ).map(
    (
      r: ReportRow & {
        public_key: Buffer;
        fingerprint: string;
        key_owner: string;
        display_name: string;
        organization_id: string;
      },
    ): SignedWithKey => ({
      ...toReport(r),
      publicKey: r.public_key,
      fingerprint: r.fingerprint,
      keyOwnerId: r.key_owner,
      authorName: r.display_name,
      authorOrganizationId: r.organization_id,
    }),
  ),
  reportOfAuthorOrganization: statement<[id: string]>(
    `SELECT r.*, p.organization_id AS author_organization_id FROM consultation_report r JOIN practitioner p ON p.id = r.author_id
      WHERE r.consultation_id = $1 AND r.kind = 'report' AND r.signed_at IS NOT NULL`,
  ).map((r: ReportRow & { author_organization_id: string }) => ({
    ...toReport(r),
    authorOrganizationId: r.author_organization_id,
  })),
  printed: statement<[id: string, authorId: string, referralOrganizationId: string | null]>(
    `SELECT p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, ro.name AS requesting, ao.name AS reading,
            au.display_name AS author_name, au.title AS author_title, rf.name AS referral_org
       FROM consultation_request c JOIN patient p ON p.id = c.patient_id
       JOIN organization ro ON ro.id = c.requesting_organization_id
       JOIN practitioner au ON au.id = $2 JOIN organization ao ON ao.id = au.organization_id
       LEFT JOIN organization rf ON rf.id = $3
      WHERE c.id = $1`,
  ).map(
    (r: {
      name: string;
      sex: string;
      birth_date: string;
      requesting: string;
      reading: string;
      author_name: string;
      author_title: string | null;
      referral_org: string | null;
    }) => ({
      patient: { name: r.name, sex: r.sex, birthDate: r.birth_date },
      requestingOrganization: r.requesting,
      readingOrganization: r.reading,
      authorName: r.author_name,
      authorTitle: r.author_title,
      referralOrganization: r.referral_org,
    }),
  ),
};

export const KEYS = {
  current: statement<[practitionerId: string]>(
    `SELECT id, practitioner_id, public_key, private_key_cipher, fingerprint FROM practitioner_signing_key WHERE practitioner_id = $1 AND retired_at IS NULL`,
  ).map(
    (r: {
      id: string;
      practitioner_id: string;
      public_key: Buffer;
      private_key_cipher: Buffer;
      fingerprint: string;
    }): SigningKey => ({
      id: r.id,
      practitionerId: r.practitioner_id,
      publicKey: r.public_key,
      privateKeyCipher: r.private_key_cipher,
      fingerprint: r.fingerprint,
    }),
  ),
  add: statement<
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
  ).exec(),
};

// The video record (consultation_call_event): named prepared statements, the call path is hot.
export const CALLS = {
  present: statement<[since: Date]>(
    prepared(`SELECT j.event_id AS "eventId", j.consultation_id AS "consultationId", j.practitioner_id AS "practitionerId", j.room_role AS role,
                     j.media_node AS "mediaNode",
              (SELECT max(e.occurred_at) FROM consultation_call_event e WHERE e.consultation_id = j.consultation_id AND e.media_node = j.media_node) AS "nodeLast"
         FROM consultation_call_event j
        WHERE j.kind = 'joined' AND j.occurred_at > $1
          AND NOT EXISTS (SELECT 1 FROM consultation_call_event e WHERE e.consultation_id = j.consultation_id AND (e.occurred_at, e.id) > (j.occurred_at, j.id)
                            AND (e.kind = 'ended' OR (e.practitioner_id = j.practitioner_id AND e.kind IN ('joined', 'left', 'lost'))))`),
  ).rows<PresentInCall>(),
  record: statement<[events: string]>(
    // In the order given (a media node's order), so events of the same millisecond read back in it.
    prepared(`WITH e AS (SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (id uuid, kind text, room uuid, "practitionerId" uuid, role text, at timestamptz, node text)) WITH ORDINALITY AS v(id, kind, room, "practitionerId", role, at, node, n)),
             ins AS (INSERT INTO consultation_call_event (event_id, consultation_id, kind, practitioner_id, room_role, occurred_at, media_node)
               SELECT e.id, e.room, e.kind, e."practitionerId", left(coalesce(e.role, ''), 40), e.at, left(coalesce(e.node, ''), 200)
                 FROM e JOIN consultation_request c ON c.id = e.room JOIN practitioner p ON p.id = e."practitionerId"
                ORDER BY e.n
               ON CONFLICT (event_id) DO NOTHING RETURNING consultation_id)
             SELECT c.id AS "consultationId", c.requesting_organization_id AS "requestingOrganizationId",
                    (SELECT count(*)::int FROM ins i WHERE i.consultation_id = c.id) AS recorded,
                    ARRAY(SELECT practitioner_id FROM consultation_participant cp WHERE cp.consultation_id = c.id AND cp.active) AS "participantIds"
               FROM consultation_request c WHERE c.id IN (SELECT consultation_id FROM ins)`),
  ).rows<{
    consultationId: string;
    requestingOrganizationId: string;
    recorded: number;
    participantIds: string[];
  }>(),
  ofOrganizations: statement<[organizationIds: string[], from: Date, to: Date]>(
    prepared(`SELECT e.consultation_id AS "consultationId", ARRAY[c.requesting_organization_id, c.assigned_organization_id] AS "organizationIds",
              e.kind, e.practitioner_id AS "practitionerId", '' AS "displayName", e.room_role AS role, e.occurred_at AS at
         FROM consultation_call_event e JOIN consultation_request c ON c.id = e.consultation_id
        WHERE (c.requesting_organization_id = ANY($1::uuid[]) OR c.assigned_organization_id = ANY($1::uuid[]))
          AND e.consultation_id IN (SELECT consultation_id FROM consultation_call_event WHERE kind = 'joined' AND occurred_at >= $2 AND occurred_at < $3)
        ORDER BY e.consultation_id, e.occurred_at, e.id`),
  ).rows<StoredCallEvent & { consultationId: string; organizationIds: (string | null)[] }>(),
  of: statement<[consultationId: string]>(
    prepared(`SELECT e.kind, e.practitioner_id AS "practitionerId", p.display_name AS "displayName", e.room_role AS role, e.occurred_at AS at
         FROM consultation_call_event e JOIN practitioner p ON p.id = e.practitioner_id
        WHERE e.consultation_id = $1 ORDER BY e.occurred_at, e.id`),
  ).rows<StoredCallEvent>(),
};

interface WorklistRow {
  id: string;
  status: ConsultationStatus;
  urgency: Urgency;
  mode: ConsultationMode;
  specialty: string;
  patient_id: string;
  patient_name: string;
  patient_sex: string;
  patient_birth_date: string;
  requesting_organization_id: string;
  requesting_organization_name: string;
  requester_id: string;
  assigned_specialist_id: string | null;
  assigned_specialist_name: string;
  assigned_organization_id: string | null;
  routed_level: QueueLevel | null;
  deadline_at: Date | null;
  escalation_count: number;
  submitted_at: Date | null;
  claimed_at: Date | null;
  reported_at: Date | null;
  created_at: Date;
  sort_key: string;
}

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

export const FIGURES = statement<[organizationIds: string[], from: Date, to: Date]>(
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
).rows<InstitutionFigures>();
