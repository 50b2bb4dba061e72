import { Module } from '@nestjs/common';
import { AccessPolicyModule } from '@huizhen/access-policy';
import { AuditModule } from '@huizhen/audit';
import { AuthModule, ServiceAccountsModule } from '@huizhen/auth';
import { DirectoryModule } from '@huizhen/directory';
import { ImagingAccess } from './access/imaging-access.service';
import { DimseScp } from './dimse/dimse-scp';
import { DicomWebController } from './dicomweb/dicomweb.controller';
import { QidoDirectRoutes } from './dicomweb/qido-direct-routes';
import { QidoReadModel } from './dicomweb/qido-read-model';
import { QidoSearch } from './dicomweb/qido-search.service';
import { RenderService } from './dicomweb/render.service';
import { ImagingStore } from './imaging-store';
import { PeersModule } from './peers/peers.module';
import { ForwardQueue } from './routing/forward-queue';
import { RoutingController } from './routing/routing.controller';
import { RoutingService } from './routing/routing.service';
import { RoutingStore } from './routing/routing-store';
import { StudyArrivals } from './routing/study-arrivals';
import { ImagingService } from './imaging.service';
import { ConsultationPatientReadModel } from './consultation-patient-read-model';
import { IngestService } from './ingest/ingest.service';
import { DuplicatePolicy } from './ingest/duplicate-policy';
import { DigestPool } from './ingest/digest-pool';
import { StowController } from './ingest/stow.controller';
import { ImagingSharesController } from './shares.controller';
import { ResumableUploadController, ResumableUploads } from './upload/resumable-upload';
import { InstanceStore } from './storage/instance-store';
import { ModalityWorklist } from './worklist/modality-worklist';
import { ProcedureStepStore } from './worklist/procedure-step-store';
import { WorklistArrivals } from './worklist/worklist-arrivals';
import { WorklistController } from './worklist/worklist.controller';

/** DICOM service: DICOMweb under /dicom-web, DIMSE SCP, resumable uploads, content-addressed storage. */
@Module({
  imports: [
    AuditModule,
    AuthModule,
    ServiceAccountsModule,
    AccessPolicyModule,
    DirectoryModule,
    PeersModule,
  ],
  controllers: [
    ResumableUploadController,
    StowController,
    DicomWebController,
    ImagingSharesController,
    RoutingController,
    WorklistController,
  ],
  providers: [
    ResumableUploads,
    DimseScp,
    InstanceStore,
    ImagingStore,
    DigestPool,
    IngestService,
    DuplicatePolicy,
    ImagingAccess,
    RenderService,
    QidoReadModel,
    QidoSearch,
    QidoDirectRoutes,
    ImagingService,
    ConsultationPatientReadModel,
    // Routing (routing/): rules, the durable forward queue and the arrivals that arm it.
    RoutingStore,
    RoutingService,
    ForwardQueue,
    StudyArrivals,
    ProcedureStepStore,
    ModalityWorklist,
    WorklistArrivals,
  ],
  exports: [ImagingService, IngestService],
})
export class ImagingModule {}
