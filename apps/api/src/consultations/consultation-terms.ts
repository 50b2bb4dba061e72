/**
 * The words of a consultation request (FHIR ServiceRequest in spirit), with the Chinese the reports
 * print. The lists are the contract's (libs/contract), which the web client reads too.
 */
import type { ConsultationMode, Recommendation, Urgency } from '@huizhen/contract';

export {
  ATTACHMENT_KINDS,
  CONSULTATION_MODES,
  CONSULTATION_STATUSES,
  PARTICIPANT_ROLES,
  QUEUE_LEVELS,
  RECOMMENDATIONS,
  URGENCIES,
  type AttachmentKind,
  type ConsultationMode,
  type ConsultationStatus,
  type ParticipantRole,
  type QueueLevel,
  type Recommendation,
  type Urgency,
} from '@huizhen/contract';

export const URGENCY_ZH: Record<Urgency, string> = {
  routine: '普通',
  urgent: '加急',
  emergency: '急诊',
};
export const MODE_ZH: Record<ConsultationMode, string> = {
  imaging_read: '影像会诊',
  live_video: '视频会诊',
  both: '影像+视频会诊',
};
export const RECOMMENDATION_ZH: Record<Recommendation, string> = {
  treat_locally: '基层治疗',
  follow_up_township: '乡镇卫生院随访',
  refer_up: '上转上级医院',
  refer_to_named_hospital: '转诊至指定医院',
};

/** DICOM UI (PS3.5 §9.1): digits and dots, no leading zeros in a component, at most 64 characters. */
export const DICOM_UID = /^[0-2](\.(0|[1-9]\d*))+$/;
