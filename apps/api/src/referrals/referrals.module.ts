import { Module } from '@nestjs/common';
import { ConsultationsModule } from '../consultations/consultations.module';
import { ReferralsController } from './referrals.controller';
import { ReferralStore } from './referral-store';
import { ReferralsService } from './referrals.service';

/** Up- and down-referrals made from signed consultation reports. */
@Module({
  imports: [ConsultationsModule],
  controllers: [ReferralsController],
  providers: [ReferralStore, ReferralsService],
  exports: [ReferralsService],
})
export class ReferralsModule {}
