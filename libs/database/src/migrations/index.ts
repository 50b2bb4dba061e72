import type { MigrationInterface } from 'typeorm';
import { Foundation1764000000000 } from './1764000000000-foundation';
import { Imaging1764100000000 } from './1764100000000-imaging';
import { Consultations1764200000000 } from './1764200000000-consultations';
import { Scheduling1764300000000 } from './1764300000000-scheduling';
import { BookingConsultationLink1764400000000 } from './1764400000000-booking-consultation-link';
import { AuditSealing1764500000000 } from './1764500000000-audit-sealing';
import { ImagingStudyOrder1764610000000 } from './1764610000000-imaging-study-order';
import { ImagingIdentityKeys1764700000000 } from './1764700000000-imaging-identity-keys';
import { ImagingMetadataJson1764800000000 } from './1764800000000-imaging-metadata-json';
import { ConsultationCalls1764900000000 } from './1764900000000-consultation-calls';
import { ImagingStoreBatch1765000000000 } from './1765000000000-imaging-store-batch';
import { CallEventLost1765100000000 } from './1765100000000-call-event-lost';
import { ImagingDeidIndex1765200000000 } from './1765200000000-imaging-deid-index';
import { AccessGrantGranteeIndex1765300000000 } from './1765300000000-access-grant-grantee-index';
import { AccessRevocation1765430000000 } from './1765430000000-access-revocation';
import { CallEventMedia1765500000000 } from './1765500000000-call-event-media';
import { DimsePeerDirections1765610000000 } from './1765610000000-dimse-peer-directions';
import { ServiceAccounts1765620000000 } from './1765620000000-service-accounts';
import { DicomwebPeers1765630000000 } from './1765630000000-dicomweb-peers';
import { DicomRouting1765710000000 } from './1765710000000-dicom-routing';
import { ForwardJobDiscarded1765720000000 } from './1765720000000-forward-job-discarded';
import { ModalityWorklist1765730000000 } from './1765730000000-modality-worklist';

/** Every migration, in order. Listed explicitly: no globs (they break under ESM tests and bundling). */
export const MIGRATIONS: (new () => MigrationInterface)[] = [
  Foundation1764000000000,
  Imaging1764100000000,
  Consultations1764200000000,
  Scheduling1764300000000,
  BookingConsultationLink1764400000000,
  AuditSealing1764500000000,
  ImagingStudyOrder1764610000000,
  ImagingIdentityKeys1764700000000,
  ImagingMetadataJson1764800000000,
  ConsultationCalls1764900000000,
  ImagingStoreBatch1765000000000,
  CallEventLost1765100000000,
  ImagingDeidIndex1765200000000,
  AccessGrantGranteeIndex1765300000000,
  AccessRevocation1765430000000,
  CallEventMedia1765500000000,
  DimsePeerDirections1765610000000,
  ServiceAccounts1765620000000,
  DicomwebPeers1765630000000,
  DicomRouting1765710000000,
  ForwardJobDiscarded1765720000000,
  ModalityWorklist1765730000000,
];
