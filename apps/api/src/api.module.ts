import { Module } from '@nestjs/common';
import { AccessPolicyModule } from '@huizhen/access-policy';
import { AuditModule } from '@huizhen/audit';
import { AuthHttpModule, AuthModule, ServiceAccountsHttpModule } from '@huizhen/auth';
import { AuditTrailController } from './audit-trail/audit-trail.controller';
import { ConsultationsModule } from './consultations/consultations.module';
import { DirectoryHttpModule } from './directory/directory-http.module';
import { EventsModule } from './events/events.module';
import { PatientsModule } from './patients/patients.module';
import { ReferralsModule } from './referrals/referrals.module';
import { SchedulingModule } from './scheduling/scheduling.module';

/**
 * The HTTP API and the /events namespace: directory, auth, patients, audit, and (as their
 * issues land) consultations and scheduling. Needs ConfigModule, DatabaseModule and
 * ObservabilityModule from its host process (PlatformModule).
 */
@Module({
  imports: [
    AuditModule,
    AuthModule,
    AccessPolicyModule,
    AuthHttpModule,
    ServiceAccountsHttpModule,
    DirectoryHttpModule,
    PatientsModule,
    EventsModule,
    ConsultationsModule,
    ReferralsModule,
    SchedulingModule,
  ],
  controllers: [AuditTrailController],
  // What the single-process server wires to imaging (who takes part in a consultation).
  exports: [ConsultationsModule],
})
export class ApiModule {}
