import { Module } from '@nestjs/common';
import { AccessPolicyModule } from '@huizhen/access-policy';
import { AuditModule } from '@huizhen/audit';
import { AuthModule, ServiceAccountsModule } from '@huizhen/auth';
import { ImagingAccess } from './access/imaging-access.service';
import { DimseScp } from './dimse/dimse-scp';
import { DicomWebController } from './dicomweb/dicomweb.controller';
import { QidoDirectRoutes } from './dicomweb/qido-direct-routes';
import { QidoReadModel } from './dicomweb/qido-read-model';
import { QidoSearch } from './dicomweb/qido-search.service';
import { RenderService } from './dicomweb/render.service';
import { ImagingStore } from './imaging-store';
import { PeersModule } from './peers/peers.module';
import { ImagingService } from './imaging.service';
import { IngestService } from './ingest/ingest.service';
import { DigestPool } from './ingest/digest-pool';
import { StowController } from './ingest/stow.controller';
import { ImagingSharesController } from './shares.controller';
import { ResumableUploadController, ResumableUploads } from './upload/resumable-upload';
import { InstanceStore } from './storage/instance-store';

/** DICOM service: DICOMweb under /dicom-web, DIMSE SCP, resumable uploads, content-addressed storage. */
@Module({
  imports: [AuditModule, AuthModule, ServiceAccountsModule, AccessPolicyModule, PeersModule],
  controllers: [
    ResumableUploadController,
    StowController,
    DicomWebController,
    ImagingSharesController,
  ],
  providers: [
    ResumableUploads,
    DimseScp,
    InstanceStore,
    ImagingStore,
    DigestPool,
    IngestService,
    ImagingAccess,
    RenderService,
    QidoReadModel,
    QidoSearch,
    QidoDirectRoutes,
    ImagingService,
  ],
  exports: [ImagingService, IngestService],
})
export class ImagingModule {}
