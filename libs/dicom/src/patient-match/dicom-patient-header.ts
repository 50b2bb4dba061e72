import type { DicomJson, PersonNameJson } from '../dicom-json';
import type { DicomPatientHeader } from './compare-dicom-patient';

/**
 * The patient module of an instance's DICOM JSON (text already decoded by its Specific Character
 * Set), in the shape compareDicomPatient reads: every component group of the name, the Patient ID
 * with (0010,1000) Other Patient IDs and the IDs in (0010,1002) Other Patient IDs Sequence.
 */
export function dicomPatientHeader(json: DicomJson): DicomPatientHeader {
  const first = (tag: string) => {
    const v = json[tag]?.Value?.[0];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
  };
  const pn = json['00100010']?.Value?.[0] as PersonNameJson | undefined;
  const others = [
    ...(json['00101000']?.Value ?? []).filter((v): v is string => typeof v === 'string'),
    ...((json['00101002']?.Value ?? []) as DicomJson[]).flatMap((item) => {
      const id = item?.['00100020']?.Value?.[0];
      return typeof id === 'string' ? [id] : [];
    }),
  ];
  return {
    patientName: pn ? personNameText(pn) : null,
    patientId: first('00100020'),
    otherPatientIds: others,
    sex: first('00100040'),
    birthDate: first('00100030'),
  };
}

/** A PN's component groups as one string, alphabetic=ideographic=phonetic, trailing empties dropped. */
export function personNameText(pn: PersonNameJson): string {
  return [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? '']
    .join('=')
    .replace(/=+$/, '');
}
