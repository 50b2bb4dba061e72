/**
 * The words of a consultation request both sides use: its statuses and the transitions of its one
 * state machine (the server's table is apps/api/src/consultations/consultation-lifecycle.ts; the
 * agreement test holds the two equal).
 */

export const CONSULTATION_STATUSES = [
  'draft',
  'submitted',
  'claimed',
  'scheduled',
  'in_session',
  'reported',
  'closed',
  'cancelled',
  'expired',
] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

/** Every status change is one of these (system moves included: unschedule, escalate, expire). */
export const CONSULTATION_TRANSITIONS = [
  'submit',
  'claim',
  'decline',
  'schedule',
  'unschedule',
  'start_session',
  'sign_report',
  'close',
  'cancel',
  'escalate',
  'expire',
] as const;
export type Transition = (typeof CONSULTATION_TRANSITIONS)[number];

/** A status history entry's `transition`: a transition, or the request's creation. */
export type HistoryTransition = Transition | 'create';

export const URGENCIES = ['routine', 'urgent', 'emergency'] as const;
export type Urgency = (typeof URGENCIES)[number];

export const CONSULTATION_MODES = ['imaging_read', 'live_video', 'both'] as const;
export type ConsultationMode = (typeof CONSULTATION_MODES)[number];

/** Queue levels a request climbs, nearest first. */
export const QUEUE_LEVELS = ['county_hospital', 'city_hospital', 'province_hub'] as const;
export type QueueLevel = (typeof QUEUE_LEVELS)[number];

export const RECOMMENDATIONS = [
  'treat_locally',
  'follow_up_township',
  'refer_up',
  'refer_to_named_hospital',
] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

export const ATTACHMENT_KINDS = ['imaging_study', 'document', 'photo'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

export const PARTICIPANT_ROLES = [
  'requester',
  'assigned_specialist',
  'guest_specialist',
  'observer',
] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

/** A report, or a signed addendum correcting it. */
export const REPORT_KINDS = ['report', 'addendum'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];

/** The worklist's boxes: a specialist's queue and assigned, a requester's sent, a hospital's received, a hub's. */
export const WORKLIST_BOXES = ['queue', 'assigned', 'sent', 'received', 'hub'] as const;
export type WorklistBox = (typeof WORKLIST_BOXES)[number];

/**
 * Modalities a township centre is asked to perform an exam on (DICOM Modality codes): what its
 * modality worklist offers the machines of that kind.
 */
export const EXAM_MODALITIES = ['DX', 'CR', 'CT', 'US', 'MR', 'MG', 'ECG', 'XA', 'ES'] as const;
export type ExamModality = (typeof EXAM_MODALITIES)[number];
