import type { ReferralStatus } from '../referral';
import type { PageFilter } from './page';

/** POST /api/referrals: from a consultation whose signed report recommends it. */
export interface ReferralInput {
  consultationId: string;
  reason: string;
  /** 绿色通道: priority at the receiving hospital. */
  greenChannel?: boolean;
  /** Required for a down-referral (follow_up_township). */
  followUpPlan?: string;
  /** The receiving department (default the consultation's specialty). */
  specialty?: string;
}

/** POST /api/referrals/{id}/down-referral: back to the township with a plan. */
export interface DownReferralInput {
  reason: string;
  followUpPlan: string;
}

/** POST /api/referrals/{id}/accept: an optional note for the sender. */
export interface ReferralAnswer {
  note?: string;
}

/** The referral lists: what arrives, what was sent, what the hub oversees. */
export const REFERRAL_BOXES = ['incoming', 'outgoing', 'hub'] as const;
export type ReferralBox = (typeof REFERRAL_BOXES)[number];

/** GET /api/referrals. */
export interface ReferralFilter extends PageFilter {
  box?: ReferralBox;
  status?: ReferralStatus;
}
