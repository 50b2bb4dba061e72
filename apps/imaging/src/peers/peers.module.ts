import { Module } from '@nestjs/common';
import { AccessPolicyModule } from '@huizhen/access-policy';
import { AuditModule } from '@huizhen/audit';
import { ServiceAccountsModule } from '@huizhen/auth';
import { DirectoryModule } from '@huizhen/directory';
import { PeerStore } from './peer-store';
import { PeersController } from './peers.controller';
import { PeersService } from './peers.service';

/** DICOM peers as data: the store (the DIMSE SCP's lookup of calling AE titles) and the admin routes. */
@Module({
  imports: [AuditModule, AccessPolicyModule, DirectoryModule, ServiceAccountsModule],
  controllers: [PeersController],
  providers: [PeerStore, PeersService],
  exports: [PeerStore],
})
export class PeersModule {}
