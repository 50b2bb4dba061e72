import { Global, Module } from '@nestjs/common';
import { AccessPolicyModule } from '@huizhen/access-policy';
import { AuditModule } from '@huizhen/audit';
import { DirectoryModule } from '@huizhen/directory';
import { ServiceAccountCredentials } from './service-account-credentials';
import { ServiceAccountStore } from './service-account-store';
import { ServiceAccountsService } from './service-accounts.service';

/**
 * Machines' keys at the door: global, so the access-token guard (AuthModule) finds
 * ServiceAccountCredentials wherever an app mounts this module. Every app process that takes
 * keys imports it (api, imaging, the single server).
 */
@Global()
@Module({
  imports: [AuditModule, AccessPolicyModule, DirectoryModule],
  providers: [ServiceAccountStore, ServiceAccountCredentials, ServiceAccountsService],
  exports: [ServiceAccountCredentials, ServiceAccountsService],
})
export class ServiceAccountsModule {}
