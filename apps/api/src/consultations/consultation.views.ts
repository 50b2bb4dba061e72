import { ApiProperty } from '@nestjs/swagger';
import {
  ATTACHMENT_KINDS,
  CONSULTATION_MODES,
  CONSULTATION_STATUSES,
  CONSULTATION_TRANSITIONS,
  ORGANIZATION_LEVELS,
  PARTICIPANT_ROLES,
  QUEUE_LEVELS,
  RECOMMENDATIONS,
  REPORT_KINDS,
  SEXES,
  URGENCIES,
  WORKLIST_BOXES,
  type AttachedStudy,
  type AttachmentKind,
  type CallParticipant,
  type CallRecord,
  type ConsultationAttachment,
  type ConsultationDetail,
  EXAM_MODALITIES,
  type RequestedExam,
  type ConsultationMetrics,
  type ConsultationMode,
  type ConsultationParticipant,
  type ConsultationQueue,
  type ConsultationReport,
  type ConsultationRouting,
  type ConsultationStatus,
  type ConsultationSummary,
  type HistoryTransition,
  type InstitutionFigures,
  type InvitedParticipant,
  type OrganizationLevel,
  type ParticipantRole,
  type PatientHeader,
  type PostedMessage,
  type QueueLevel,
  type ReadReceipt,
  type Recommendation,
  type ReportKind,
  type ReportVerification,
  type ReportWithAddenda,
  type RoomRole,
  type RoomTicket,
  type Sex,
  type SignatureCheck,
  type SignedConsultation,
  type SignedReportReceipt,
  type StatusHistoryEntry,
  type Thread,
  type ThreadFile,
  type ThreadMessage,
  type Transition,
  type UploadedFile,
  type Urgency,
  type WithDates,
  type WorklistBox,
  type WorklistItem,
  type WorklistPage,
} from '@huizhen/contract';
import {
  AnyObject,
  DateTime,
  DateTimeOrNull,
  Id,
  IdOrNull,
  Ids,
  TextOrNull,
} from '@huizhen/platform-http';
import type {
  Attachment,
  StatusChange,
  WorklistItem as StoredWorklistItem,
} from './consultation-model';
import type { ConsultationSummary as HeldSummary } from './consultations.service';

/*
 * The consultation routes' answers: each class implements the contract's view (libs/contract
 * views/consultation.ts) for the OpenAPI document, and each `…Answer` type is what the route's
 * service hands over before JSON (the contract's view with its times as Dates), which the
 * controller's return type holds it to. A change on either side breaks this compile.
 */

/** Where a submitted request waits (null once it left its queue). */
export class ConsultationQueueView implements ConsultationQueue {
  @Ids() organizationIds: string[];
  @ApiProperty({ enum: QUEUE_LEVELS, nullable: true }) level: QueueLevel | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) deadlineAt: string | null;
}

/** A consultation request without its clinical text: what creating it and every transition answer (the contract's ConsultationSummary). */
export class ConsultationSummaryView implements ConsultationSummary {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) status: ConsultationStatus;
  @ApiProperty({ enum: URGENCIES }) urgency: Urgency;
  @ApiProperty({ enum: CONSULTATION_MODES }) mode: ConsultationMode;
  @ApiProperty() specialty: string;
  @ApiProperty({ format: 'uuid' }) patientId: string;
  @ApiProperty({ format: 'uuid' }) requestingOrganizationId: string;
  @ApiProperty({ format: 'uuid' }) requesterId: string;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assignedSpecialistId:
    string | null;
  @ApiProperty({ type: String, format: 'uuid', nullable: true }) assignedOrganizationId:
    string | null;
  @ApiProperty({ type: ConsultationQueueView, nullable: true }) queue: ConsultationQueueView | null;
  @ApiProperty() escalations: number;
  @ApiProperty() declines: number;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) scheduledStart: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) submittedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) claimedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) reportedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

/** Who a request is about. */
export class PatientHeaderView implements PatientHeader {
  @Id() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SEXES }) sex: Sex;
  @ApiProperty({ example: '1962-04-18' }) birthDate: string;
}

export class ConsultationParticipantView implements ConsultationParticipant {
  @Id() practitionerId: string;
  @ApiProperty({ enum: PARTICIPANT_ROLES }) role: ParticipantRole;
  @ApiProperty() displayName: string;
  @Id() organizationId: string;
}

export class ConsultationAttachmentView implements ConsultationAttachment {
  @Id() id: string;
  @ApiProperty({ enum: ATTACHMENT_KINDS }) kind: AttachmentKind;
  @TextOrNull() studyInstanceUid: string | null;
  @TextOrNull() fileName: string | null;
  @TextOrNull() mediaType: string | null;
  @ApiProperty({ type: Number, nullable: true }) sizeBytes: number | null;
  @TextOrNull() sha256: string | null;
  @IdOrNull({ description: 'the thread message it came with' }) messageId: string | null;
  @Id() addedBy: string;
  @DateTime() createdAt: string;
}

export class StatusHistoryEntryView implements StatusHistoryEntry {
  @ApiProperty({ enum: [...CONSULTATION_TRANSITIONS, 'create'] }) transition: HistoryTransition;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) from: ConsultationStatus;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) to: ConsultationStatus;
  @IdOrNull({ description: 'null: the system (escalation, expiry)' }) actorId: string | null;
  @TextOrNull() reason: string | null;
  @AnyObject({ nullable: true }) details: Record<string, unknown> | null;
  @DateTime() at: string;
}

export class CallParticipantView implements CallParticipant {
  @Id() practitionerId: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ example: 'host', description: 'their role in the room' }) role: string;
  @DateTime() firstJoinedAt: string;
  @DateTimeOrNull({ description: 'null while still in the call' }) lastLeftAt: string | null;
  @ApiProperty({ description: 'seconds in the call, every stretch summed' }) seconds: number;
  @ApiProperty() present: boolean;
  @ApiProperty({ description: 'their media never flowed' }) mediaFailed: boolean;
}

export class CallRecordView implements CallRecord {
  @DateTime() startedAt: string;
  @DateTimeOrNull({ description: 'null while the call goes on' }) endedAt: string | null;
  @ApiProperty({
    enum: ['everyone_left', 'ended_by_host', 'in_progress', 'media_node_lost', 'unknown'],
  })
  ending: CallRecord['ending'];
  @IdOrNull() endedBy: string | null;
  @ApiProperty() seconds: number;
  @ApiProperty({ enum: ['ok', 'failed'] }) outcome: CallRecord['outcome'];
  @ApiProperty({ type: [CallParticipantView] }) participants: CallParticipantView[];
}

export class RequestedExamView implements RequestedExam {
  @ApiProperty({ enum: EXAM_MODALITIES }) modality: string;
  @ApiProperty() procedure: string;
  @ApiProperty({ description: 'the modality writes it into every image of the exam' })
  accessionNumber: string;
}

/** A request as the one reading it sees it (the contract's ConsultationDetail). */
export class ConsultationDetailView extends ConsultationSummaryView implements ConsultationDetail {
  @ApiProperty() clinicalQuestion: string;
  @TextOrNull() history: string | null;
  @ApiProperty({ type: PatientHeaderView }) patient: PatientHeaderView;
  @ApiProperty() requestingOrganizationName: string;
  @ApiProperty() requesterName: string;
  @IdOrNull() preferredPractitionerId: string | null;
  @IdOrNull() preferredOrganizationId: string | null;
  @ApiProperty({ type: [ConsultationParticipantView] })
  participants: ConsultationParticipantView[];
  @ApiProperty({ type: [ConsultationAttachmentView] }) attachments: ConsultationAttachmentView[];
  @ApiProperty({ type: [StatusHistoryEntryView] }) statusHistory: StatusHistoryEntryView[];
  @ApiProperty({ type: [CallRecordView] }) calls: CallRecordView[];
  @ApiProperty({ type: RequestedExamView, nullable: true })
  requestedExam: RequestedExamView | null;
  @ApiProperty({ enum: CONSULTATION_TRANSITIONS, isArray: true })
  allowedTransitions: Transition[];
  @ApiProperty({ enum: PARTICIPANT_ROLES, nullable: true })
  myParticipation: ParticipantRole | null;
}

/** Where a request stands in its queue, without patient or clinical content. */
export class ConsultationRoutingView implements ConsultationRouting {
  @Id() id: string;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) status: ConsultationStatus;
  @ApiProperty({ enum: URGENCIES }) urgency: Urgency;
  @ApiProperty({ enum: CONSULTATION_MODES }) mode: ConsultationMode;
  @ApiProperty() specialty: string;
  @Id() requestingOrganizationId: string;
  @IdOrNull() assignedOrganizationId: string | null;
  @ApiProperty({ type: ConsultationQueueView, nullable: true }) queue: ConsultationQueueView | null;
  @ApiProperty() escalations: number;
  @ApiProperty() declines: number;
  @DateTimeOrNull() submittedAt: string | null;
  @DateTimeOrNull() claimedAt: string | null;
  @DateTimeOrNull() closedAt: string | null;
}

class OrganizationRefView {
  @Id() id: string;
  @ApiProperty() name: string;
}

class AssignedSpecialistView {
  @Id() id: string;
  @ApiProperty() displayName: string;
  @IdOrNull() organizationId: string | null;
}

export class WorklistItemView implements WorklistItem {
  @Id() id: string;
  @ApiProperty({ enum: CONSULTATION_STATUSES }) status: ConsultationStatus;
  @ApiProperty({ enum: URGENCIES }) urgency: Urgency;
  @ApiProperty({ enum: CONSULTATION_MODES }) mode: ConsultationMode;
  @ApiProperty() specialty: string;
  @ApiProperty({ type: PatientHeaderView }) patient: PatientHeaderView;
  @ApiProperty({ type: OrganizationRefView }) requestingOrganization: OrganizationRefView;
  @Id() requesterId: string;
  @ApiProperty({ type: AssignedSpecialistView, nullable: true })
  assignedSpecialist: AssignedSpecialistView | null;
  @ApiProperty({ enum: QUEUE_LEVELS, nullable: true }) queueLevel: QueueLevel | null;
  @DateTimeOrNull() deadlineAt: string | null;
  @ApiProperty() escalations: number;
  @DateTimeOrNull() submittedAt: string | null;
  @DateTimeOrNull() claimedAt: string | null;
  @DateTimeOrNull() reportedAt: string | null;
  @DateTime() createdAt: string;
}

/** One keyset page of a worklist box. */
export class WorklistPageView implements WorklistPage {
  @ApiProperty({ enum: WORKLIST_BOXES }) box: WorklistBox;
  @ApiProperty({ type: [WorklistItemView] }) items: WorklistItemView[];
  @ApiProperty() limit: number;
  @TextOrNull({ description: 'pass as `cursor` for the next page; null on the last' })
  nextCursor: string | null;
}

export class InvitedParticipantView implements InvitedParticipant {
  @Id() consultationId: string;
  @Id() practitionerId: string;
  @ApiProperty({ enum: ['guest_specialist', 'observer'] })
  role: InvitedParticipant['role'];
}

export class AttachedStudyView implements AttachedStudy {
  @Id() id: string;
  @ApiProperty({ enum: ['imaging_study'] }) kind: 'imaging_study';
  @ApiProperty() studyInstanceUid: string;
  @DateTime() createdAt: string;
}

export class UploadedFileView implements UploadedFile {
  @Id() id: string;
  @ApiProperty({ enum: ['document', 'photo'] }) kind: UploadedFile['kind'];
  @ApiProperty() fileName: string;
  @ApiProperty({ example: 'application/pdf' }) mediaType: string;
  @ApiProperty() sizeBytes: number;
  @ApiProperty({ description: 'hex SHA-256 of the bytes' }) sha256: string;
  @DateTime() createdAt: string;
}

export class ThreadFileView implements ThreadFile {
  @Id() id: string;
  @ApiProperty({ enum: ATTACHMENT_KINDS }) kind: AttachmentKind;
  @ApiProperty() fileName: string;
  @ApiProperty() mediaType: string;
  @ApiProperty() sizeBytes: number;
}

export class ThreadMessageView implements ThreadMessage {
  @ApiProperty({ example: '42', description: 'ascending integer, as a decimal string' }) id: string;
  @Id() authorId: string;
  @ApiProperty() authorName: string;
  @ApiProperty() body: string;
  @DateTime() createdAt: string;
  @ApiProperty({ type: [ThreadFileView] }) attachments: ThreadFileView[];
}

export class ReadReceiptView implements ReadReceipt {
  @Id() practitionerId: string;
  @ApiProperty({ example: '42' }) lastReadMessageId: string;
  @DateTime() readAt: string;
}

export class ThreadView implements Thread {
  @ApiProperty({ type: [ThreadMessageView] }) items: ThreadMessageView[];
  @ApiProperty({ type: [ReadReceiptView] }) receipts: ReadReceiptView[];
}

export class PostedMessageView implements PostedMessage {
  @ApiProperty({ example: '42' }) id: string;
  @Id() authorId: string;
  @ApiProperty() body: string;
  @DateTime() createdAt: string;
  @Ids() attachmentIds: string[];
}

export class ConsultationReportView implements ConsultationReport {
  @Id() id: string;
  @Id() consultationId: string;
  @ApiProperty({ enum: REPORT_KINDS }) kind: ReportKind;
  @IdOrNull({ description: 'the report an addendum amends' }) amendsReportId: string | null;
  @Id() authorId: string;
  @ApiProperty() findings: string;
  @ApiProperty() impression: string;
  @ApiProperty({ enum: RECOMMENDATIONS, nullable: true }) recommendation: Recommendation | null;
  @IdOrNull() referralOrganizationId: string | null;
  @ApiProperty() freeText: string;
  @ApiProperty({ type: [String], description: 'study instance UIDs' }) studies: string[];
  @ApiProperty() signed: boolean;
  @DateTimeOrNull() signedAt: string | null;
  @DateTime() createdAt: string;
}

export class ReportWithAddendaView extends ConsultationReportView implements ReportWithAddenda {
  @ApiProperty({ type: [ConsultationReportView] }) addenda: ConsultationReportView[];
}

export class SignedReportReceiptView extends ConsultationReportView implements SignedReportReceipt {
  @TextOrNull({ description: 'the Ed25519 signature, base64' }) signature: string | null;
  @ApiProperty({ example: 'Ed25519' }) algorithm: string;
}

/** What signing answers: the request's summary and the signed report (the same on a retry). */
export class SignedConsultationView extends ConsultationSummaryView implements SignedConsultation {
  @ApiProperty({ type: SignedReportReceiptView }) report: SignedReportReceiptView;
}

class SignerView {
  @Id() id: string;
  @ApiProperty() displayName: string;
  @Id() organizationId: string;
}

export class SignatureCheckView implements SignatureCheck {
  @Id() reportId: string;
  @ApiProperty({ enum: REPORT_KINDS }) kind: ReportKind;
  @ApiProperty() valid: boolean;
  @ApiProperty({ type: SignerView }) signer: SignerView;
  @DateTime() signedAt: string;
  @ApiProperty({ example: 'Ed25519' }) algorithm: string;
  @ApiProperty() publicKeyFingerprint: string;
}

export class ReportVerificationView extends SignatureCheckView implements ReportVerification {
  @ApiProperty({ type: [SignatureCheckView] }) addenda: SignatureCheckView[];
}

export class RoomTicketView implements RoomTicket {
  @ApiProperty({ description: 'the room token (short-lived)' }) token: string;
  @Id({ description: 'the consultation' }) room: string;
  @ApiProperty({ enum: ['host', 'township_doctor', 'guest_specialist', 'observer'] })
  role: RoomRole;
  @ApiProperty({ description: 'seconds the token is accepted' }) expiresIn: number;
  @ApiProperty({ example: '/media' }) namespace: string;
  @TextOrNull({ description: 'the media node; null: this origin' }) url: string | null;
}

class SecondsAverageMedianView {
  @ApiProperty({ type: Number, nullable: true }) average: number | null;
  @ApiProperty({ type: Number, nullable: true }) median: number | null;
}

class SecondsAverageP90View {
  @ApiProperty({ type: Number, nullable: true }) average: number | null;
  @ApiProperty({ type: Number, nullable: true }) p90: number | null;
}

export class InstitutionFiguresView implements InstitutionFigures {
  @Id() organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORGANIZATION_LEVELS }) level: OrganizationLevel;
  @ApiProperty() requestsSent: number;
  @ApiProperty() requestsReceived: number;
  @ApiProperty() reportsSigned: number;
  @ApiProperty({ type: SecondsAverageMedianView }) claimSeconds: SecondsAverageMedianView;
  @ApiProperty({ type: SecondsAverageP90View }) reportTurnaroundSeconds: SecondsAverageP90View;
  @ApiProperty() escalations: number;
  @ApiProperty() expired: number;
  @ApiProperty() referralsSent: number;
  @ApiProperty() referralsReceived: number;
  @ApiProperty() referralsAccepted: number;
  @ApiProperty() videoCalls: number;
  @ApiProperty() videoMinutes: number;
}

export class ConsultationMetricsView implements ConsultationMetrics {
  @DateTime() from: string;
  @DateTime() to: string;
  @ApiProperty({ type: [InstitutionFiguresView] }) institutions: InstitutionFiguresView[];
}

// ---- the server's side: the contract's views with their times as Dates ----------------------

type Summarized<T extends ConsultationSummary> = Omit<T, keyof ConsultationSummary> & HeldSummary;

export type DetailAnswer = Omit<Summarized<ConsultationDetail>, 'attachments' | 'statusHistory'> & {
  attachments: Attachment[];
  statusHistory: StatusChange[];
};
export type RoutingAnswer = Pick<HeldSummary, keyof ConsultationRouting>;
export type WorklistAnswer = Omit<WorklistPage, 'items'> & { items: StoredWorklistItem[] };
export type MetricsAnswer = WithDates<ConsultationMetrics, 'from' | 'to'>;
export type AttachedStudyAnswer = WithDates<AttachedStudy, 'createdAt'>;
export type UploadedFileAnswer = WithDates<UploadedFile, 'createdAt'>;
export type ThreadAnswer = {
  items: WithDates<ThreadMessage, 'createdAt'>[];
  receipts: ReadReceiptAnswer[];
};
export type ReadReceiptAnswer = WithDates<ReadReceipt, 'readAt'>;
export type PostedMessageAnswer = WithDates<PostedMessage, 'createdAt'>;
export type ReportAnswer = WithDates<ConsultationReport, 'signedAt' | 'createdAt'>;
export type ReportWithAddendaAnswer = ReportAnswer & { addenda: ReportAnswer[] };
export type SignedAnswer = HeldSummary & {
  report: WithDates<SignedReportReceipt, 'signedAt' | 'createdAt'>;
};
export type VerificationAnswer = WithDates<SignatureCheck, 'signedAt'> & {
  addenda: WithDates<SignatureCheck, 'signedAt'>[];
};
