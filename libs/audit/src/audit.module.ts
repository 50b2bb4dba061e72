import { Global, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { AuditEvent } from './audit-event.entity';
import { AuditTerms } from './audit-terms';
import { AuditService } from './audit.service';

/** One AuditTerms per process, keyed from DATA_ENCRYPTION_KEY: features inject it. */
const auditTermsProvider = {
  provide: AuditTerms,
  inject: [HUIZHEN_CONFIG],
  useFactory: (config: HuizhenConfig) => new AuditTerms(config.dataEncryptionKey),
};

@Global()
@Module({
  imports: [TypeOrmModule.forFeature([AuditEvent])],
  providers: [AuditService, auditTermsProvider],
  exports: [AuditService, AuditTerms],
})
export class AuditModule {}
