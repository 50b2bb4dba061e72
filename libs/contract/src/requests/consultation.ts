import type {
  ConsultationMode,
  ConsultationStatus,
  Recommendation,
  Urgency,
  WorklistBox,
} from '../consultation';
import type { TimeRange } from './page';

/** POST /api/consultations: a draft, or submitted at once with `submit`. */
export interface ConsultationInput {
  patientId: string;
  specialty: string;
  urgency: Urgency;
  mode: ConsultationMode;
  clinicalQuestion: string;
  history?: string;
  /** Studies already in the archive. */
  studyInstanceUids?: string[];
  /** Studies of studyInstanceUids whose header names another patient (409 patient_mismatch), each with why. */
  patientMismatches?: PatientMismatchConfirmation[];
  preferredPractitionerId?: string;
  preferredOrganizationId?: string;
  /** An exam the requesting centre performs: it goes on its modality worklist. */
  requestedExam?: { modality: string; procedure: string };
  submit?: boolean;
}

/** Decline, cancel, and the other steps that must say why. */
export interface ReasonInput {
  reason: string;
}

/** POST …/schedule: the session's start (ISO 8601 with its offset). */
export interface ScheduleInput {
  start: string;
}

/** POST …/attachments/studies. */
export interface AttachStudyInput {
  studyInstanceUid: string;
  /** Why the study is attached although its header names another patient (recorded in the audit trail). */
  patientMismatchReason?: string;
}

/** A study seen to name another patient in its header, attached anyway, and why. */
export interface PatientMismatchConfirmation {
  studyInstanceUid: string;
  reason: string;
}

/** POST …/participants: a second specialist or an observer (teaching). */
export interface ParticipantInvitation {
  practitionerId: string;
  role: 'guest_specialist' | 'observer';
}

/** POST …/messages: text, with files uploaded to this consultation. */
export interface MessageInput {
  body: string;
  attachmentIds?: string[];
}

/** GET …/messages. */
export interface MessagesFilter {
  /** Messages after this id. */
  after?: number;
  limit?: number;
}

/** POST …/messages/read. */
export interface ReadReceiptInput {
  lastReadMessageId: number;
}

/** PUT …/report: the draft (every field optional until signing). */
export interface ReportDraftInput {
  findings?: string;
  impression?: string;
  recommendation?: Recommendation;
  /** The hospital, for refer_to_named_hospital. */
  referralOrganizationId?: string;
  freeText?: string;
  /** Studies read (default: every attached study). */
  studies?: string[];
}

/** POST …/report/addenda: after signing, the report changes only by addenda. */
export interface AddendumInput {
  text: string;
  /** The corrected impression, when the addendum changes it. */
  impression?: string;
}

/** GET /api/consultations/worklist (`status` as a comma-separated list on the wire). */
export interface WorklistFilter extends TimeRange {
  box?: WorklistBox;
  status?: ConsultationStatus[];
  urgency?: Urgency;
  specialty?: string;
  /** The requesting organization. */
  organizationId?: string;
  /** nextCursor of the previous page. */
  cursor?: string;
  limit?: number;
}

/** GET /api/consultations/metrics: submitted in [from, to) (default the last 30 days). */
export type MetricsFilter = TimeRange;
