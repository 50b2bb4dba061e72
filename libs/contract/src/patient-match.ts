/**
 * Clinical safety at the door, as server and web agree on it: when images join a consultation the
 * DICOM header's patient is compared with the consultation's (libs/dicom compareDicomPatient). A
 * study whose header disagrees is refused with 409 `patient_mismatch` and these details, until the
 * request names the study again with a reason (recorded in the audit trail).
 */
export const PATIENT_FIELDS = ['name', 'id', 'sex', 'birthDate'] as const;
export type PatientMatchField = (typeof PATIENT_FIELDS)[number];
export type PatientMatchVerdict = 'match' | 'mismatch' | 'unknown';

/** One field side by side (the national ID masked; header values as the modality wrote them). */
export interface PatientFieldComparisonView {
  field: PatientMatchField;
  verdict: PatientMatchVerdict;
  registered: string | null;
  header: string | null;
}

export interface StudyPatientComparison {
  studyInstanceUid: string;
  verdict: PatientMatchVerdict;
  /** All four fields, name first. */
  fields: PatientFieldComparisonView[];
}

/** `details` of a 409 patient_mismatch: every named study whose header disagrees and was not confirmed. */
export interface PatientMismatchDetails {
  code: 'patient_mismatch';
  studies: StudyPatientComparison[];
}

/** Shortest and longest reason a confirmation takes. */
export const MISMATCH_REASON_LENGTH = { min: 2, max: 500 } as const;

/**
 * What a GB 11643 resident identity number says of its holder: the birth date (digits 7-14) and
 * the sex (digit 17: odd male, even female); null when it is not a valid number (the checksum, a
 * real date from 1880 on). The patient form fills sex and birth date from it; the server derives
 * them when a registration leaves them out.
 */
export function readResidentId(raw: string): { birthDate: string; sex: 'male' | 'female' } | null {
  const id = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return null;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(id[i]), 0);
  if ('10X98765432'[sum % 11] !== id[17]) return null;
  const [y, m, d] = [id.slice(6, 10), id.slice(10, 12), id.slice(12, 14)].map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  const real =
    date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  if (!real || y < 1880) return null;
  return {
    birthDate: `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`,
    sex: Number(id[16]) % 2 === 1 ? 'male' : 'female',
  };
}
