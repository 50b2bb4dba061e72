/** Consultation answers as the web reads them (dates as ISO strings). */
import type {
  AttachmentKind,
  ConsultationMode,
  ConsultationStatus,
  HistoryTransition,
  ParticipantRole,
  QueueLevel,
  Recommendation,
  ReportKind,
  Transition,
  Urgency,
  WorklistBox,
} from '../consultation';
import type { OrganizationLevel, Sex } from '../directory';

/** Where a submitted request waits (null once it left its queue). */
export interface ConsultationQueue {
  organizationIds: string[];
  level: QueueLevel | null;
  /** ISO date-time. */
  deadlineAt: string | null;
}

/** A request without its clinical text: what creating it and every transition answer. */
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
  queue: ConsultationQueue | null;
  escalations: number;
  declines: number;
  /** ISO date-times from here on. */
  scheduledStart: string | null;
  submittedAt: string | null;
  claimedAt: string | null;
  reportedAt: string | null;
  closedAt: string | null;
  createdAt: string;
}

/** Who a request is about, as its detail and the worklist name them. */
export interface PatientHeader {
  id: string;
  name: string;
  sex: Sex;
  /** YYYY-MM-DD */
  birthDate: string;
}

/** One line of a worklist page. */
export interface WorklistItem {
  id: string;
  status: ConsultationStatus;
  urgency: Urgency;
  mode: ConsultationMode;
  specialty: string;
  patient: PatientHeader;
  requestingOrganization: { id: string; name: string };
  requesterId: string;
  assignedSpecialist: { id: string; displayName: string; organizationId: string | null } | null;
  queueLevel: QueueLevel | null;
  /** ISO date-times from here on. */
  deadlineAt: string | null;
  escalations: number;
  submittedAt: string | null;
  claimedAt: string | null;
  reportedAt: string | null;
  createdAt: string;
}

/** One person's part in a video call. */
export interface CallParticipant {
  practitionerId: string;
  displayName: string;
  /** Their role in the room (host, township_doctor, guest_specialist, observer). */
  role: string;
  /** ISO date-time. */
  firstJoinedAt: string;
  /** When they last left (ISO date-time); null while still in the call. */
  lastLeftAt: string | null;
  /** Time in the call, summed over every stretch (a reconnect that became a new join counts once). */
  seconds: number;
  present: boolean;
  /**
   * Their media never flowed: the media node saw no RTP to or from them for 10 s after they were
   * admitted (media_failed), and it did not flow later (media_flowing) nor after a rejoin.
   */
  mediaFailed: boolean;
}

/** One video call of the consultation, as the media node reported it. */
export interface CallRecord {
  /** ISO date-time. */
  startedAt: string;
  /** ISO date-time; null while the call goes on. */
  endedAt: string | null;
  /**
   * How it ended: everyone left, the host ended the room, still going, the media node holding it
   * stopped (killed or cut off: ended at its last sign of life), or nothing was heard for a day.
   */
  ending: 'everyone_left' | 'ended_by_host' | 'in_progress' | 'media_node_lost' | 'unknown';
  endedBy: string | null;
  seconds: number;
  /**
   * failed: someone in it never got media (their picture and sound never reached the other side,
   * nor the others' theirs), so the consultation did not happen as a call; ok otherwise.
   */
  outcome: 'ok' | 'failed';
  participants: CallParticipant[];
}

/** One row of a request's status history, as its detail shows it. */
export interface StatusHistoryEntry {
  transition: HistoryTransition;
  from: ConsultationStatus;
  to: ConsultationStatus;
  actorId: string | null;
  reason: string | null;
  details: Record<string, unknown> | null;
  /** ISO date-time. */
  at: string;
}

/** An imaging study, document or photo attached to a request, as its detail lists it. */
export interface ConsultationAttachment {
  id: string;
  kind: AttachmentKind;
  studyInstanceUid: string | null;
  fileName: string | null;
  mediaType: string | null;
  sizeBytes: number | null;
  sha256: string | null;
  /** The thread message it came with, if any. */
  messageId: string | null;
  addedBy: string;
  /** ISO date-time. */
  createdAt: string;
}

/** Someone taking part in a request, as its detail lists them. */
export interface ConsultationParticipant {
  practitionerId: string;
  role: ParticipantRole;
  displayName: string;
  organizationId: string;
}

/**
 * The exam a request asks its own centre to perform: a scheduled procedure step on the modality
 * worklist of that centre, under an accession number the modality writes into every image (which
 * is how the images find the request by themselves).
 */
export interface RequestedExam {
  /** DICOM modality code (DX, CR, CT, US, ...). */
  modality: string;
  procedure: string;
  accessionNumber: string;
}

/** A request as the one reading it sees it: its summary, clinical text, people, files, history and calls. */
export interface ConsultationDetail extends ConsultationSummary {
  clinicalQuestion: string;
  history: string | null;
  patient: PatientHeader;
  requestingOrganizationName: string;
  requesterName: string;
  /** The specialist or hospital the requester asked for, if any. */
  preferredPractitionerId: string | null;
  preferredOrganizationId: string | null;
  participants: ConsultationParticipant[];
  attachments: ConsultationAttachment[];
  statusHistory: StatusHistoryEntry[];
  calls: CallRecord[];
  /** The exam asked of the township's modality, if any. */
  requestedExam: RequestedExam | null;
  /** What may happen next from this status and mode (whoever may do it). */
  allowedTransitions: Transition[];
  /** The reader's own part in it, if any. */
  myParticipation: ParticipantRole | null;
}

/**
 * Where a request stands in its queue, without patient or clinical content: what a hub
 * coordinator of a hospital in the queue may see.
 */
export type ConsultationRouting = Pick<
  ConsultationSummary,
  | 'id'
  | 'status'
  | 'urgency'
  | 'mode'
  | 'specialty'
  | 'requestingOrganizationId'
  | 'assignedOrganizationId'
  | 'queue'
  | 'escalations'
  | 'declines'
  | 'submittedAt'
  | 'claimedAt'
  | 'closedAt'
>;

/** One keyset page of a worklist box. */
export interface WorklistPage {
  box: WorklistBox;
  items: WorklistItem[];
  limit: number;
  /** Pass as `cursor` for the next page; null on the last. */
  nextCursor: string | null;
}

/** Who was invited into a request, and as what. */
export interface InvitedParticipant {
  consultationId: string;
  practitionerId: string;
  role: Extract<ParticipantRole, 'guest_specialist' | 'observer'>;
}

/** A stored study attached to a request. */
export type AttachedStudy = Pick<ConsultationAttachment, 'id' | 'createdAt'> & {
  kind: 'imaging_study';
  studyInstanceUid: string;
};

/** A PDF or photo uploaded to a request (sent with a thread message later). */
export type UploadedFile = Pick<ConsultationAttachment, 'id' | 'createdAt'> & {
  kind: Extract<AttachmentKind, 'document' | 'photo'>;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
  sha256: string;
};

/** A file sent with a thread message. */
export interface ThreadFile {
  id: string;
  kind: AttachmentKind;
  fileName: string;
  mediaType: string;
  sizeBytes: number;
}

/** One message of a request's thread. */
export interface ThreadMessage {
  /** Message ids are ascending integers, as decimal strings. */
  id: string;
  authorId: string;
  authorName: string;
  body: string;
  /** ISO date-time. */
  createdAt: string;
  attachments: ThreadFile[];
}

/** How far one person has read the thread. */
export interface ReadReceipt {
  practitionerId: string;
  lastReadMessageId: string;
  /** ISO date-time. */
  readAt: string;
}

/** The thread (from `after`) and everyone's read receipts. */
export interface Thread {
  items: ThreadMessage[];
  receipts: ReadReceipt[];
}

/** A message as posting it answers. */
export interface PostedMessage {
  id: string;
  authorId: string;
  body: string;
  /** ISO date-time. */
  createdAt: string;
  attachmentIds: string[];
}

/** The specialist's report or a signed addendum to it (FHIR DiagnosticReport). */
export interface ConsultationReport {
  id: string;
  consultationId: string;
  kind: ReportKind;
  /** The report an addendum amends; null on the report itself. */
  amendsReportId: string | null;
  authorId: string;
  findings: string;
  impression: string;
  recommendation: Recommendation | null;
  referralOrganizationId: string | null;
  freeText: string;
  /** Study instance UIDs the report reads. */
  studies: string[];
  signed: boolean;
  /** ISO date-time; null on a draft. */
  signedAt: string | null;
  /** ISO date-time. */
  createdAt: string;
}

/** The signed report (or the reader's own draft) with its signed addenda. */
export interface ReportWithAddenda extends ConsultationReport {
  addenda: ConsultationReport[];
}

/** What was signed, and the signature (base64), the same on every retry of the signing. */
export interface SignedReportReceipt extends ConsultationReport {
  signature: string | null;
  algorithm: string;
}

/** What signing answers: the request's summary (now reported) and the signed report. */
export interface SignedConsultation extends ConsultationSummary {
  report: SignedReportReceipt;
}

/** One signature checked against its signer's public key. */
export interface SignatureCheck {
  reportId: string;
  kind: ReportKind;
  valid: boolean;
  signer: { id: string; displayName: string; organizationId: string };
  /** ISO date-time. */
  signedAt: string;
  algorithm: string;
  publicKeyFingerprint: string;
}

/** The report's signature and its addenda's. */
export interface ReportVerification extends SignatureCheck {
  addenda: SignatureCheck[];
}

/** A practitioner's role in a consultation's live room, as their room token names it. */
export type RoomRole = 'host' | 'township_doctor' | 'guest_specialist' | 'observer';

/** A short-lived token for the consultation's live room on a media node. */
export interface RoomTicket {
  token: string;
  /** The room: the consultation's id. */
  room: string;
  role: RoomRole;
  /** Seconds the token is accepted. */
  expiresIn: number;
  /** The socket.io namespace of the media signaling. */
  namespace: string;
  /** The media node's public URL; null: the namespace is on this origin. */
  url: string | null;
}

/** One institution's consultation figures over a period (the hub's page). */
export interface InstitutionFigures {
  organizationId: string;
  name: string;
  level: OrganizationLevel;
  requestsSent: number;
  requestsReceived: number;
  reportsSigned: number;
  claimSeconds: { average: number | null; median: number | null };
  reportTurnaroundSeconds: { average: number | null; p90: number | null };
  escalations: number;
  expired: number;
  referralsSent: number;
  referralsReceived: number;
  referralsAccepted: number;
  /** Video calls that started in the period on this institution's consultations, and their length. */
  videoCalls: number;
  videoMinutes: number;
}

/** Consultation figures per institution under the hub, over a period. */
export interface ConsultationMetrics {
  /** ISO date-time. */
  from: string;
  /** ISO date-time. */
  to: string;
  institutions: InstitutionFigures[];
}
