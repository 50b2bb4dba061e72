import type { DicomJson, PixelLayout } from '@huizhen/dicom';
import type { StagedFile } from '../storage/instance-store';

export type ReceivedVia = 'stow' | 'dimse' | 'upload';

/** A validated instance whose bytes are staged on disk, waiting for its index rows. */
export interface PendingInstance {
  studyUid: string;
  seriesUid: string;
  sopUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  frames: number | null;
  burnedIn: boolean;
  modality: string | null;
  seriesNumber: number | null;
  seriesDescription: string | null;
  seriesDate: string | null;
  study: {
    patientName: string | null;
    patientNameSearch: string;
    patientNameCandidates: string[];
    dicomPatientId: string | null;
    birthDate: string | null;
    birthDateIso: string | null;
    sex: string | null;
    studyDate: string | null;
    studyTime: string | null;
    accessionNumber: string | null;
    studyId: string | null;
    studyDescription: string | null;
    referringPhysicianName: string | null;
  };
  studyJson: DicomJson;
  seriesJson: DicomJson;
  metadata: DicomJson;
  pixelLayout: PixelLayout | null;
  staged: StagedFile;
  organizationId: string;
  actor: { id: string; username: string; organizationId: string } | null;
  via: ReceivedVia;
}

export type CommitOutcome =
  | { ok: true; duplicate: boolean }
  | { ok: false; code: 'study_mismatch' | 'duplicate_conflict' | 'not_authorized'; message: string };
