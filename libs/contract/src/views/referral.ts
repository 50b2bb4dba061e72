/** Referral answers as the web reads them (dates as ISO strings). */
import type { ReferralDirection, ReferralStatus } from '../referral';
import type { PatientHeader } from './consultation';

/** A referral (上转/下转) as creating, answering or withdrawing it answers. */
export interface Referral {
  id: string;
  consultationId: string;
  /** The signed report that recommended it; null for a referral back down. */
  reportId: string | null;
  /** The up-referral a referral back down follows. */
  followsReferralId: string | null;
  patientId: string;
  direction: ReferralDirection;
  fromOrganizationId: string;
  toOrganizationId: string;
  specialty: string | null;
  greenChannel: boolean;
  reason: string;
  followUpPlan: string | null;
  status: ReferralStatus;
  createdBy: string;
  answeredBy: string | null;
  /** ISO date-time. */
  answeredAt: string | null;
  answerNote: string | null;
  /** ISO date-time. */
  createdAt: string;
}

/** A line of the referral lists: the referral and the names it shows. */
export interface ListedReferral extends Referral {
  patientName: string;
  fromOrganizationName: string;
  toOrganizationName: string;
}

/** One referral read on its own: with its patient and the organizations' names. */
export interface ReferralDetail extends Referral {
  patient: PatientHeader;
  fromOrganizationName: string;
  toOrganizationName: string;
}
