/** Referrals (上转/下转): a referral's statuses and directions. */

export const REFERRAL_STATUSES = ['requested', 'accepted', 'declined', 'cancelled'] as const;
export type ReferralStatus = (typeof REFERRAL_STATUSES)[number];

export const REFERRAL_DIRECTIONS = ['up', 'down'] as const;
export type ReferralDirection = (typeof REFERRAL_DIRECTIONS)[number];
