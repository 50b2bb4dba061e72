import type { ConsultationAccessFacts } from '@huizhen/access-policy';
import type { CallEvent } from '@huizhen/call-events';
import type { Transition } from './consultation-lifecycle';
import type {
  ConsultationMode,
  ConsultationStatus,
  ParticipantRole,
  QueueLevel,
  Recommendation,
  Urgency,
} from './consultation-terms';
import type { Params } from '@huizhen/database';
import type {
  AttachmentKind,
  ConsultationAttachment,
  OrganizationLevel,
  StatusHistoryEntry,
  WithDates,
  WorklistItem as ContractWorklistItem,
} from '@huizhen/contract';

/**
 * The consultations feature's domain objects: what ConsultationStore answers with and takes.
 * Nothing here knows a column name.
 */
// ---- the domain objects the store answers with ----------------------------------------------

/** A consultation request (FHIR ServiceRequest in spirit). */
export interface Consultation {
  id: string;
  requestingOrganizationId: string;
  requesterId: string;
  patientId: string;
  specialty: string;
  urgency: Urgency;
  mode: ConsultationMode;
  clinicalQuestion: string;
  history: string | null;
  preferredPractitionerId: string | null;
  preferredOrganizationId: string | null;
  status: ConsultationStatus;
  /** The queue it waits in (meaningful while submitted). */
  routedOrganizationIds: string[];
  routedLevel: QueueLevel | null;
  deadlineAt: Date | null;
  escalationCount: number;
  declineCount: number;
  declinedBy: string[];
  assignedSpecialistId: string | null;
  assignedOrganizationId: string | null;
  scheduledStart: Date | null;
  submittedAt: Date | null;
  claimedAt: Date | null;
  reportedAt: Date | null;
  closedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a transition's step may change besides the status (the status and updated_at are the engine's). */
/** Where a request waits and how often it moved: the queue's side of a request. */
export type QueueFields =
  | 'routedOrganizationIds'
  | 'routedLevel'
  | 'deadlineAt'
  | 'escalationCount'
  | 'declineCount'
  | 'declinedBy';

/** What a transition's step may change besides the status (the status and updated_at are the engine's). */
export type ConsultationChange = Partial<
  Pick<
    Consultation,
    | QueueFields
    | 'assignedSpecialistId'
    | 'assignedOrganizationId'
    | 'scheduledStart'
    | 'submittedAt'
    | 'claimedAt'
    | 'reportedAt'
    | 'closedAt'
  >
>;

export interface Participant {
  practitionerId: string;
  role: ParticipantRole;
}

/** A new draft: what its requester filled in, and the studies it names. */
export type NewConsultation = Pick<
  Consultation,
  | 'requestingOrganizationId'
  | 'requesterId'
  | 'patientId'
  | 'specialty'
  | 'urgency'
  | 'mode'
  | 'clinicalQuestion'
  | 'history'
  | 'preferredPractitionerId'
  | 'preferredOrganizationId'
> & {
  studyInstanceUids: string[];
  /** An exam the requesting centre performs (its modality worklist), if asked for. */
  requestedExam: { modality: string; procedure: string } | null;
};

/** A status change as the store writes it: the request's new state and its history row. */
export interface StatusWrite {
  transition: Transition;
  to: ConsultationStatus;
  change: ConsultationChange;
  /** The request's updated_at. */
  at: Date;
  actorId: string | null;
  reason: string | null;
  details: Record<string, unknown>;
  /** When it happened: the history row's time (earlier than `at` for a late report). */
  happened: Date;
}

/** One row of the status history, as the detail shows it: the contract's, its time a Date. */
export type StatusChange = WithDates<StatusHistoryEntry, 'at'>;

/** An attachment as the store holds it: the contract's ConsultationAttachment, its time a Date. */
export type Attachment = WithDates<ConsultationAttachment, 'createdAt'>;

export interface StoredFile {
  fileRef: string;
  mediaType: string;
  fileName: string;
  sizeBytes: number;
}

export interface Message {
  id: string;
  authorId: string;
  authorName: string;
  body: string;
  createdAt: Date;
}

export interface MessageFile {
  id: string;
  messageId: string;
  kind: AttachmentKind;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
}

export interface ReadReceipt {
  practitionerId: string;
  lastReadMessageId: string;
  readAt: Date;
}

/** A report or an addendum (FHIR DiagnosticReport). */
export interface Report {
  id: string;
  consultationId: string;
  kind: 'report' | 'addendum';
  amendsReportId: string | null;
  patientId: string;
  authorId: string;
  findings: string;
  impression: string;
  recommendation: Recommendation | null;
  referralOrganizationId: string | null;
  freeText: string;
  studies: string[];
  signedAt: Date | null;
  signature: Buffer | null;
  signingKeyId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type ReportContent = Pick<
  Report,
  'findings' | 'impression' | 'recommendation' | 'referralOrganizationId' | 'freeText' | 'studies'
>;

/** A signed report with the key it was signed with and its author. */
export interface SignedWithKey extends Report {
  publicKey: Buffer;
  fingerprint: string;
  keyOwnerId: string;
  authorName: string;
  authorOrganizationId: string;
}

/** A specialist's current Ed25519 key pair (the private key sealed, see SigningKeys). */
export interface SigningKey {
  id: string;
  practitionerId: string;
  publicKey: Buffer;
  privateKeyCipher: Buffer;
  fingerprint: string;
}

/** One stored call event, as read back for a consultation. */
export interface StoredCallEvent {
  kind: CallEvent['kind'];
  practitionerId: string;
  displayName: string;
  role: CallEvent['role'];
  at: Date;
}

/** Someone whose last join into a room is not followed by a leave or the room's end. */
export interface PresentInCall {
  eventId: string;
  consultationId: string;
  practitionerId: string;
  role: CallEvent['role'];
  mediaNode: string;
  /** The node's last event in that room. */
  nodeLast: Date;
}

/** One line of a worklist page: the contract's WorklistItem with its times as Dates. */
export type WorklistItem = WithDates<
  ContractWorklistItem,
  'deadlineAt' | 'submittedAt' | 'claimedAt' | 'reportedAt' | 'createdAt'
>;

/** A worklist page's conditions, over `c` (consultation_request), with their parameters. */
export interface WorklistFilter {
  where: string[];
  params: Params;
  /** The queue is worked nearest deadline first; every other box newest first. */
  byDeadline: boolean;
  /** Resume after this (sort key as PostgreSQL printed it, id). */
  after: [string, string] | null;
  limit: number;
}

/** Per-institution figures of the hub's page (the video figures come from the call record); the statement's columns are these names. */
export interface InstitutionFigures {
  organizationId: string;
  name: string;
  level: OrganizationLevel;
  sent: number;
  escalations: number;
  expired: number;
  received: number;
  reported: number;
  claimAverageSeconds: number | null;
  claimMedianSeconds: number | null;
  turnaroundAverageSeconds: number | null;
  turnaroundP90Seconds: number | null;
  referralsSent: number;
  referralsReceived: number;
  referralsAccepted: number;
}

/** The facts the access policy decides on (libs/access-policy reads the same columns). */
export function accessFacts(c: Consultation): ConsultationAccessFacts {
  return {
    id: c.id,
    requesting_organization_id: c.requestingOrganizationId,
    assigned_organization_id: c.assignedOrganizationId,
    status: c.status,
    routed_organization_ids: c.routedOrganizationIds,
    specialty: c.specialty,
    declined_by: c.declinedBy,
  };
}
