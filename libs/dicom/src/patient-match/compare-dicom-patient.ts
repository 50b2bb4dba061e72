import { compareNames } from './person-name';

/**
 * Clinical safety at the door: before images join a consultation (or a study arriving by
 * accession number joins its order), the DICOM header's patient is compared with the patient the
 * images are meant for. A township modality's header is often incomplete, so a missing field is
 * "unknown", never a mismatch by itself; a field that disagrees is a difference a person must
 * confirm with a reason.
 */

/** The patient the images are for, as registered (the contract's sexes, dates as YYYY-MM-DD). */
export interface RegisteredPatient {
  name: string;
  sex: 'male' | 'female' | 'other' | 'unknown';
  /** YYYY-MM-DD, or null when not known. */
  birthDate: string | null;
  /** GB 11643 resident identity number (18 characters), when registered. */
  nationalId?: string | null;
  /** Other identifiers the patient is known by at the sending site (record numbers, worklist Patient ID). */
  recordNumbers?: readonly string[];
}

/** The patient module of a DICOM header, its text already decoded by its character set. */
export interface DicomPatientHeader {
  /** (0010,0010) Patient's Name, all component groups ("WANG^CESHI=王^测试"). */
  patientName?: string | null;
  /** (0010,0020) Patient ID. */
  patientId?: string | null;
  /** (0010,1000) Other Patient IDs and the IDs of (0010,1002) Other Patient IDs Sequence. */
  otherPatientIds?: readonly string[];
  /** (0010,0040) Patient's Sex: M, F or O. */
  sex?: string | null;
  /** (0010,0030) Patient's Birth Date: YYYYMMDD (or ACR-NEMA's YYYY.MM.DD). */
  birthDate?: string | null;
}

export type PatientField = 'name' | 'id' | 'sex' | 'birthDate';
export type FieldVerdict = 'match' | 'mismatch' | 'unknown';

/** One field side by side: what was registered and what the header says (as a screen shows them). */
export interface PatientFieldComparison {
  field: PatientField;
  verdict: FieldVerdict;
  /** The registered value; a national ID masked (first 6 and last 4), null when not registered. */
  registered: string | null;
  /** The header's value as written, null when the header lacks it. */
  header: string | null;
}

export interface PatientMatch {
  /**
   * mismatch: some field disagrees. match: nothing disagrees and the name or an ID agrees.
   * unknown: nothing disagrees but nothing identifying agrees either (an empty header).
   */
  verdict: FieldVerdict;
  /** The fields that disagree (what a confirmation must acknowledge). */
  differences: PatientFieldComparison[];
  /** All four fields, in the order a screen shows them. */
  fields: PatientFieldComparison[];
}

const RESIDENT_ID = /^\d{17}[\dX]$/;

export function compareDicomPatient(
  patient: RegisteredPatient,
  header: DicomPatientHeader,
): PatientMatch {
  const fields = [
    {
      field: 'name' as const,
      verdict: compareNames(patient.name, header.patientName),
      registered: patient.name,
      header: present(header.patientName),
    },
    compareIds(patient, header),
    compareSex(patient.sex, header.sex),
    compareBirthDate(patient.birthDate, header.birthDate),
  ];
  const differences = fields.filter((f) => f.verdict === 'mismatch');
  const identified = fields.some(
    (f) => (f.field === 'name' || f.field === 'id') && f.verdict === 'match',
  );
  const verdict = differences.length ? 'mismatch' : identified ? 'match' : 'unknown';
  return { verdict, differences, fields };
}

function present(text: string | null | undefined): string | null {
  const t = (text ?? '').trim();
  return t === '' ? null : t;
}

const idKey = (id: string) => id.trim().toUpperCase();

/**
 * The header's IDs against the registered ones. A header ID that is a resident identity number
 * and differs from the registered one is a mismatch; any other ID is a mismatch only when the
 * patient has record numbers to compare it with (a local PACS number says nothing about a
 * patient registered by national ID alone).
 */
function compareIds(
  patient: RegisteredPatient,
  header: DicomPatientHeader,
): PatientFieldComparison {
  const nationalId = patient.nationalId ? idKey(patient.nationalId) : null;
  const records = (patient.recordNumbers ?? []).map(idKey).filter((r) => r !== '');
  const shown = [header.patientId, ...(header.otherPatientIds ?? [])]
    .map(present)
    .filter((id): id is string => id !== null);
  const headerIds = shown.map(idKey);
  const registered = [nationalId && maskResidentId(nationalId), ...records]
    .filter((r): r is string => !!r)
    .join(' / ');
  const row = (verdict: FieldVerdict): PatientFieldComparison => ({
    field: 'id',
    verdict,
    registered: registered || null,
    header: shown.length ? shown.join(' / ') : null,
  });
  if (headerIds.length === 0 || (!nationalId && records.length === 0)) return row('unknown');
  if (headerIds.some((id) => id === nationalId || records.includes(id))) return row('match');
  const comparable = headerIds.some((id) =>
    RESIDENT_ID.test(id) ? nationalId !== null : records.length > 0,
  );
  return row(comparable ? 'mismatch' : 'unknown');
}

/** What a screen shows of a resident identity number: region and last four. */
export function maskResidentId(id: string): string {
  return id.length === 18 ? `${id.slice(0, 6)}********${id.slice(-4)}` : id;
}

const DICOM_SEX: Record<string, RegisteredPatient['sex']> = { M: 'male', F: 'female', O: 'other' };

/**
 * M and F against the registered sex. O is what many consoles write when nobody entered a sex,
 * so it agrees only with "other" and is otherwise unknown, as is an unregistered sex.
 */
function compareSex(
  registered: RegisteredPatient['sex'],
  raw: string | null | undefined,
): PatientFieldComparison {
  const header = present(raw)?.toUpperCase() ?? null;
  const said = header ? DICOM_SEX[header] : undefined;
  const row = (verdict: FieldVerdict) => ({
    field: 'sex' as const,
    verdict,
    registered: registered === 'unknown' ? null : registered,
    header,
  });
  if (!said || registered === 'unknown') return row('unknown');
  if (said === registered) return row('match');
  return row(said === 'other' ? 'unknown' : 'mismatch');
}

/** YYYYMMDD (or YYYY.MM.DD) as YYYY-MM-DD when it is a real date, else null. */
export function dicomDate(raw: string | null | undefined): string | null {
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec((raw ?? '').trim());
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  const real =
    date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
  return real ? `${m[1]}-${m[2]}-${m[3]}` : null;
}

/** A header date that is not a date (00000000, blanks) is unknown, not a difference. */
function compareBirthDate(
  registered: string | null,
  raw: string | null | undefined,
): PatientFieldComparison {
  const header = dicomDate(raw);
  const verdict: FieldVerdict =
    !header || !registered ? 'unknown' : header === registered ? 'match' : 'mismatch';
  return { field: 'birthDate', verdict, registered, header: header ?? present(raw) };
}
