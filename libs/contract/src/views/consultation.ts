/** Consultation answers as the web reads them (dates as ISO strings). */
import type {
  AttachmentKind,
  ConsultationMode,
  ConsultationStatus,
  HistoryTransition,
  QueueLevel,
  Urgency,
} from '../consultation';
import type { Sex } from '../directory';

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

/** One line of a worklist page. */
export interface WorklistItem {
  id: string;
  status: ConsultationStatus;
  urgency: Urgency;
  mode: ConsultationMode;
  specialty: string;
  patient: { id: string; name: string; sex: Sex; birthDate: string };
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
