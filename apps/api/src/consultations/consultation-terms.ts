/** The words of a consultation request (FHIR ServiceRequest in spirit), with the Chinese the reports print. */

export const URGENCIES = ['routine', 'urgent', 'emergency'] as const;
export type Urgency = (typeof URGENCIES)[number];
export const URGENCY_ZH: Record<Urgency, string> = { routine: '普通', urgent: '加急', emergency: '急诊' };

export const CONSULTATION_MODES = ['imaging_read', 'live_video', 'both'] as const;
export type ConsultationMode = (typeof CONSULTATION_MODES)[number];
export const MODE_ZH: Record<ConsultationMode, string> = { imaging_read: '影像会诊', live_video: '视频会诊', both: '影像+视频会诊' };

export const CONSULTATION_STATUSES = ['draft', 'submitted', 'claimed', 'scheduled', 'in_session', 'reported', 'closed', 'cancelled', 'expired'] as const;
export type ConsultationStatus = (typeof CONSULTATION_STATUSES)[number];

/** Queue levels a request climbs, nearest first. */
export const QUEUE_LEVELS = ['county_hospital', 'city_hospital', 'province_hub'] as const;
export type QueueLevel = (typeof QUEUE_LEVELS)[number];

export const RECOMMENDATIONS = ['treat_locally', 'follow_up_township', 'refer_up', 'refer_to_named_hospital'] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];
export const RECOMMENDATION_ZH: Record<Recommendation, string> = {
  treat_locally: '基层治疗',
  follow_up_township: '乡镇卫生院随访',
  refer_up: '上转上级医院',
  refer_to_named_hospital: '转诊至指定医院',
};

export const ATTACHMENT_KINDS = ['imaging_study', 'document', 'photo'] as const;
export type AttachmentKind = (typeof ATTACHMENT_KINDS)[number];

export const PARTICIPANT_ROLES = ['requester', 'assigned_specialist', 'guest_specialist', 'observer'] as const;
export type ParticipantRole = (typeof PARTICIPANT_ROLES)[number];

/** DICOM UI (PS3.5 §9.1): digits and dots, no leading zeros in a component, at most 64 characters. */
export const DICOM_UID = /^[0-2](\.(0|[1-9]\d*))+$/;
