/** Consultation answers as the web reads them (dates as ISO strings). */
import type { ConsultationMode, ConsultationStatus, QueueLevel, Urgency } from '../consultation';
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
