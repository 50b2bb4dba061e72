import type { PatientMismatch } from '@huizhen/contract';

/** The patient a study's images name (the study row's DICOM patient attributes). */
export interface ImagePatient {
  /** Patient's Name in its forms (ideographic, alphabetic, with and without `^`). */
  nameCandidates: string[];
  dicomPatientId: string | null;
  /** DICOM Patient's Sex: M, F, O. */
  sex: string | null;
  /** DICOM Patient's Birth Date, YYYYMMDD. */
  birthDate: string | null;
}

/** The request's patient, as the worklist served them to the modality. */
export interface RequestPatient {
  id: string;
  name: string;
  sex: string;
  /** YYYYMMDD */
  birthDate: string;
}

const DICOM_SEX: Record<string, string> = { male: 'M', female: 'F', other: 'O' };

/** Our sex as DICOM writes it (empty when unknown). */
export function dicomSex(sex: string): string {
  return DICOM_SEX[sex] ?? '';
}

/** A name compared without case, width, spaces or the DICOM component separators. */
function nameKey(name: string): string {
  return name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s^=]+/g, '');
}

/**
 * Which of the image's patient facts differ from the request's patient. Deliberately strict:
 * the images came back through our own worklist, which gave the modality the name, ID, sex and
 * birth date, so a difference means someone typed over them or another patient was examined
 * under this accession number; either way a person decides (a name typed in pinyin is held
 * too: this comparison does not transliterate). A value the images leave empty is not held
 * against them, except the name, without which nothing says whose images they are.
 */
export function patientMismatches(image: ImagePatient, patient: RequestPatient): PatientMismatch[] {
  const out: PatientMismatch[] = [];
  const ours = nameKey(patient.name);
  if (!image.nameCandidates.some((n) => nameKey(n) === ours)) out.push('name');
  const id = image.dicomPatientId?.trim();
  if (id && id !== patient.id) out.push('patient_id');
  const sex = image.sex?.trim().toUpperCase();
  if (sex && dicomSex(patient.sex) && sex !== dicomSex(patient.sex)) out.push('sex');
  const birth = image.birthDate?.trim();
  if (birth && birth !== patient.birthDate) out.push('birth_date');
  return out;
}
