/** The imaging API's JSON answers (DICOMweb answers are DICOM JSON and multipart, not these). */

/** A study shared with a named specialist until a date. */
export interface StudyShare {
  /** The access grant's id. */
  id: string;
}

/** A study linked to a consultation. */
export interface StudyConsultationLink {
  studyInstanceUid: string;
  consultationId: string;
}

/**
 * What became of a study that arrived with a requested exam's accession number: attached at once
 * (its patient matched the request's), held for the requester because it did not, then confirmed
 * (attached, with the reason given) or rejected (never attached).
 */
export const WORKLIST_ARRIVAL_STATUSES = ['attached', 'held', 'confirmed', 'rejected'] as const;
export type WorklistArrivalStatus = (typeof WORKLIST_ARRIVAL_STATUSES)[number];

/**
 * Which of the patient's facts in the images differ from the request's patient (or, when
 * nothing in the images identifies the patient, which could not be confirmed).
 */
export const PATIENT_MISMATCHES = ['name', 'patient_id', 'sex', 'birth_date'] as const;
export type PatientMismatch = (typeof PATIENT_MISMATCHES)[number];

/** A study that arrived for a requested exam, with the patient its images name. */
export interface WorklistArrival {
  id: string;
  consultationId: string;
  studyInstanceUid: string;
  accessionNumber: string;
  status: WorklistArrivalStatus;
  mismatches: PatientMismatch[];
  /** The patient as the images name them (DICOM Patient's Name, ID, Sex, Birth Date). */
  imagePatient: {
    name: string | null;
    id: string | null;
    sex: string | null;
    birthDate: string | null;
  };
  studyDescription: string | null;
  modalities: string[];
  instances: number;
  /** ISO date-time. */
  arrivedAt: string;
  decidedBy: string | null;
  decisionReason: string | null;
  /** ISO date-time. */
  decidedAt: string | null;
}
