import { createHmac } from 'node:crypto';
import { type DicomJson, deidentifyJson } from '@huizhen/dicom';

/** The patient's stand-in name and ID in de-identified copies: stable per organization and DICOM patient ID. */
export function patientPseudonym(
  key: Buffer,
  organizationId: string,
  dicomPatientId: string | null,
): string {
  return (
    'ANON-' +
    createHmac('sha256', key)
      .update(`${organizationId}|${dicomPatientId ?? ''}`)
      .digest('hex')
      .slice(0, 12)
      .toUpperCase()
  );
}

/**
 * The de-identified copy of an instance's or a match's DICOM JSON served outside the patient's
 * consortium (PS3.15 Basic Profile, UIDs remapped consistently, the patient pseudonymized per
 * organization); retrieve URLs carry UIDs too and are remapped with them.
 */
export function outsiderJson(
  json: DicomJson,
  key: Buffer,
  organizationId: string,
  dicomPatientId: string | null,
): DicomJson {
  const out = deidentifyJson(json, {
    key,
    patientPseudonym: patientPseudonym(key, organizationId, dicomPatientId),
  });
  const url = out.json['00081190'];
  if (url?.Value)
    url.Value = url.Value.map((u) =>
      String(u)
        .split('/')
        .map((seg) => out.uidMap.get(seg) ?? seg)
        .join('/'),
    );
  return out.json;
}
