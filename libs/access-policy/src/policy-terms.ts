export type PolicyAction =
  | 'read'
  | 'read_routing'
  | 'create'
  | 'update'
  | 'delete'
  | 'manage'
  | 'claim'
  | 'report'
  | 'sign'
  | 'share'
  | 'schedule'
  | 'book'
  | 'join';

export type ResourceType =
  | 'organization'
  | 'consortium'
  | 'practitioner'
  | 'patient'
  | 'consultation'
  | 'imaging_study'
  | 'rotation_shift'
  | 'booking'
  | 'referral'
  | 'media_room'
  | 'audit'
  | 'service_account'
  | 'dicom_peer'
  | 'dicom_route';

/**
 * What the policy needs to know about a resource. The feature that reads the resource fills
 * in the facts it has; the policy never loads feature tables itself.
 */
export interface ResourceRef {
  type: ResourceType;
  id?: string;
  /** Owning organization: the patient's, the study's uploader, the request's requester, a shift's host. */
  organizationId?: string;
  /**
   * Further organizations the resource belongs to: all host organizations of a rotation shift,
   * the organization assigned to a consultation, the receiving hospital of a referral.
   */
  organizationIds?: string[];
  /** Practitioners taking part: requester, assigned and invited specialists. */
  participantIds?: string[];
  /** The queue a consultation or referral sits in; `declinedBy`: specialists it is no longer offered to. */
  routedTo?: { organizationIds: string[]; specialty: string | null; declinedBy?: string[] };
  /** Resources that confer access: a study is readable through the consultations it is attached to. */
  via?: ResourceRef[];
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

export interface OrganizationScope {
  /** True for a province hub's staff: every organization under the hub. */
  all: boolean;
  organizationIds: string[];
}
