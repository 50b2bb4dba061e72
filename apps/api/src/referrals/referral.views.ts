import { ApiProperty } from '@nestjs/swagger';
import {
  REFERRAL_DIRECTIONS,
  REFERRAL_STATUSES,
  type ListedReferral,
  type Page,
  type Referral,
  type ReferralDetail,
  type ReferralDirection,
  type ReferralStatus,
  type WithDates,
} from '@huizhen/contract';
import { DateTime, DateTimeOrNull, Id, IdOrNull, TextOrNull } from '@huizhen/platform-http';
import { PatientHeaderView } from '../consultations/consultation.views';

/*
 * The referral routes' answers: each class implements the contract's view (libs/contract
 * views/referral.ts) for the OpenAPI document; each `…Answer` type is what the service hands over
 * before JSON (its times as Dates), which the controller's return type holds it to.
 */

export class ReferralView implements Referral {
  @Id() id: string;
  @Id() consultationId: string;
  @IdOrNull({ description: 'the signed report that recommended it' }) reportId: string | null;
  @IdOrNull({ description: 'the up-referral a referral back down follows' })
  followsReferralId: string | null;
  @Id() patientId: string;
  @ApiProperty({ enum: REFERRAL_DIRECTIONS }) direction: ReferralDirection;
  @Id() fromOrganizationId: string;
  @Id() toOrganizationId: string;
  @TextOrNull() specialty: string | null;
  @ApiProperty() greenChannel: boolean;
  @ApiProperty() reason: string;
  @TextOrNull() followUpPlan: string | null;
  @ApiProperty({ enum: REFERRAL_STATUSES }) status: ReferralStatus;
  @Id() createdBy: string;
  @IdOrNull() answeredBy: string | null;
  @DateTimeOrNull() answeredAt: string | null;
  @TextOrNull() answerNote: string | null;
  @DateTime() createdAt: string;
}

/** A line of the referral lists. */
export class ListedReferralView extends ReferralView implements ListedReferral {
  @ApiProperty() patientName: string;
  @ApiProperty() fromOrganizationName: string;
  @ApiProperty() toOrganizationName: string;
}

/** One referral read on its own. */
export class ReferralDetailView extends ReferralView implements ReferralDetail {
  @ApiProperty({ type: PatientHeaderView }) patient: PatientHeaderView;
  @ApiProperty() fromOrganizationName: string;
  @ApiProperty() toOrganizationName: string;
}

type Dated<T extends Referral> = WithDates<T, 'answeredAt' | 'createdAt'>;
export type ReferralAnswer = Dated<Referral>;
export type ReferralPageAnswer = Page<Dated<ListedReferral>>;
export type ReferralDetailAnswer = Dated<ReferralDetail>;
