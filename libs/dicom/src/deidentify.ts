import dcmjs from 'dcmjs';
import type { DicomJson, DicomJsonElement } from './dicom-json';
import { remapUid } from './uid';

/**
 * PS3.15 Annex E Basic Application Level Confidentiality Profile, with the Retain Patient
 * Characteristics Option (sex, age, size, weight stay: a remote reader needs them) and
 * consistent UID remapping (the same key maps a UID to the same 2.25 UID every time).
 * X remove, Z empty, D dummy value, U remap UID. Private attributes are removed; any other
 * UI value outside the DICOM root (1.2.840.10008) is remapped too.
 */
type Action = 'X' | 'Z' | 'D' | 'U';

const ACTIONS: Record<string, Action> = {
  '00080014': 'U', // Instance Creator UID
  '00080018': 'U', // SOP Instance UID
  '00080050': 'Z', // Accession Number
  '00080080': 'X', // Institution Name
  '00080081': 'X', // Institution Address
  '00080082': 'X', // Institution Code Sequence
  '00080090': 'Z', // Referring Physician's Name
  '00080092': 'X', // Referring Physician's Address
  '00080094': 'X', // Referring Physician's Telephone Numbers
  '00080096': 'X', // Referring Physician Identification Sequence
  '00080201': 'X', // Timezone Offset From UTC
  '00081010': 'X', // Station Name
  '00081030': 'X', // Study Description (X/Z/D)
  '0008103E': 'X', // Series Description
  '00081040': 'X', // Institutional Department Name
  '00081048': 'X', // Physician(s) of Record
  '00081049': 'X', // Physician(s) of Record Identification Sequence
  '00081050': 'X', // Performing Physician's Name
  '00081052': 'X', // Performing Physician Identification Sequence
  '00081060': 'X', // Name of Physician(s) Reading Study
  '00081062': 'X', // Physician(s) Reading Study Identification Sequence
  '00081070': 'X', // Operators' Name
  '00081072': 'X', // Operator Identification Sequence
  '00081080': 'X', // Admitting Diagnoses Description
  '00081084': 'X', // Admitting Diagnoses Code Sequence
  '00081110': 'X', // Referenced Study Sequence
  '00081111': 'X', // Referenced Performed Procedure Step Sequence
  '00081120': 'X', // Referenced Patient Sequence
  '00082111': 'X', // Derivation Description
  '00100010': 'D', // Patient's Name
  '00100020': 'D', // Patient ID
  '00100021': 'X', // Issuer of Patient ID
  '00100030': 'Z', // Patient's Birth Date
  '00100032': 'X', // Patient's Birth Time
  '00100050': 'X', // Patient's Insurance Plan Code Sequence
  '00101000': 'X', // Other Patient IDs
  '00101001': 'X', // Other Patient Names
  '00101002': 'X', // Other Patient IDs Sequence
  '00101005': 'X', // Patient's Birth Name
  '00101040': 'X', // Patient's Address
  '00101060': 'X', // Patient's Mother's Birth Name
  '00101080': 'X', // Military Rank
  '00101090': 'X', // Medical Record Locator
  '00102150': 'X', // Country of Residence
  '00102152': 'X', // Region of Residence
  '00102154': 'X', // Patient's Telephone Numbers
  '00102160': 'X', // Ethnic Group
  '00102180': 'X', // Occupation
  '001021B0': 'X', // Additional Patient History
  '00104000': 'X', // Patient Comments
  '00181000': 'X', // Device Serial Number
  '00181030': 'X', // Protocol Name
  '00200010': 'Z', // Study ID
  '0020000D': 'U', // Study Instance UID
  '0020000E': 'U', // Series Instance UID
  '00200052': 'U', // Frame of Reference UID
  '00200200': 'U', // Synchronization Frame of Reference UID
  '00204000': 'X', // Image Comments
  '00321032': 'X', // Requesting Physician
  '00321060': 'X', // Requested Procedure Description
  '00324000': 'X', // Study Comments
  '00400275': 'X', // Request Attributes Sequence
  '00401001': 'X', // Requested Procedure ID
  '00400244': 'X', // Performed Procedure Step Start Date
  '00400253': 'X', // Performed Procedure Step ID
  '00400254': 'X', // Performed Procedure Step Description
  '0040A124': 'U', // UID
  '00880140': 'U', // Storage Media File-set UID
  '30060024': 'U', // Referenced Frame of Reference UID
  '300600C2': 'U', // Related Frame of Reference UID
};

const DUMMY: Record<string, DicomJsonElement> = {
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'ANONYMIZED' }] },
};

export interface DeidentifyOptions {
  key: Buffer;
  /** Pseudonymous Patient ID (e.g. derived from the study) so one patient's studies stay linked. */
  patientPseudonym: string;
}

function remapValue(v: unknown, key: Buffer): unknown {
  return typeof v === 'string' && v && !v.startsWith('1.2.840.10008.') ? remapUid(v, key) : v;
}

function isPrivate(tag: string): boolean {
  return parseInt(tag.slice(0, 4), 16) % 2 === 1;
}

function deidentifyObject(
  json: DicomJson,
  opts: DeidentifyOptions,
  uidMap: Map<string, string>,
): DicomJson {
  const out: DicomJson = {};
  for (const [tag, el] of Object.entries(json)) {
    if (isPrivate(tag)) continue;
    // Curves, overlays' comments and other group 50xx/60xx text can carry names.
    if (tag.startsWith('50') || (tag.startsWith('60') && tag.endsWith('4000'))) continue;
    const action = ACTIONS[tag];
    if (action === 'X') continue;
    if (action === 'Z') {
      out[tag] = { vr: el.vr };
      continue;
    }
    if (action === 'D') {
      out[tag] =
        tag === '00100020'
          ? { vr: el.vr, Value: [opts.patientPseudonym] }
          : (DUMMY[tag] ?? { vr: el.vr });
      continue;
    }
    if (el.vr === 'SQ') {
      out[tag] = {
        vr: 'SQ',
        Value: (el.Value ?? []).map((item) => deidentifyObject(item as DicomJson, opts, uidMap)),
      };
      continue;
    }
    if (el.vr === 'UI' && el.Value) {
      out[tag] = {
        vr: 'UI',
        Value: el.Value.map((v) => {
          const mapped = remapValue(v, opts.key);
          if (typeof v === 'string' && mapped !== v) uidMap.set(v, mapped as string);
          return mapped;
        }),
      };
      continue;
    }
    if (
      (el.vr === 'DA' || el.vr === 'DT' || el.vr === 'TM') &&
      ![
        '00080020',
        '00080030',
        '00080021',
        '00080031',
        '00080022',
        '00080032',
        '00080023',
        '00080033',
      ].includes(tag)
    ) {
      // Dates other than the study/series/acquisition/content dates: removed (Basic Profile X/Z).
      continue;
    }
    if (
      (el.vr === 'LO' ||
        el.vr === 'SH' ||
        el.vr === 'LT' ||
        el.vr === 'ST' ||
        el.vr === 'UT' ||
        el.vr === 'PN') &&
      !KEEP_TEXT.has(tag)
    ) {
      continue;
    }
    out[tag] = el;
  }
  return out;
}

/** Descriptive text with no identity in it, kept so a reader can work (body part, protocol codes, units). */
const KEEP_TEXT = new Set([
  '00080070', // Manufacturer
  '00081090', // Manufacturer's Model Name
  '00181020', // Software Versions
  '00281055', // Window Center & Width Explanation
  '00080104', // Code Meaning
  '00080100', // Code Value
  '00080102', // Coding Scheme Designator
]);

export interface DeidentifiedJson {
  json: DicomJson;
  uidMap: Map<string, string>;
}

/** De-identifies one instance's (or study's) DICOM JSON; BulkDataURIs are rewritten with the remapped UIDs. */
export function deidentifyJson(json: DicomJson, opts: DeidentifyOptions): DeidentifiedJson {
  const uidMap = new Map<string, string>();
  const out = deidentifyObject(json, opts, uidMap);
  out['00120062'] = { vr: 'CS', Value: ['YES'] };
  out['00120063'] = {
    vr: 'LO',
    Value: ['Huizhen PS3.15 Basic Application Level Confidentiality Profile'],
  };
  out['00120064'] = {
    vr: 'SQ',
    Value: [
      {
        '00080100': { vr: 'SH', Value: ['113100'] },
        '00080102': { vr: 'SH', Value: ['DCM'] },
        '00080104': { vr: 'LO', Value: ['Basic Application Confidentiality Profile'] },
      },
      {
        '00080100': { vr: 'SH', Value: ['113108'] },
        '00080102': { vr: 'SH', Value: ['DCM'] },
        '00080104': { vr: 'LO', Value: ['Retain Patient Characteristics Option'] },
      },
    ],
  };
  rewriteUris(out, uidMap);
  return { json: out, uidMap };
}

function rewriteUris(json: DicomJson, uidMap: Map<string, string>): void {
  for (const el of Object.values(json)) {
    if (el.BulkDataURI)
      el.BulkDataURI = el.BulkDataURI.split('/')
        .map((seg) => uidMap.get(seg) ?? seg)
        .join('/');
    if (el.vr === 'SQ') for (const item of el.Value ?? []) rewriteUris(item as DicomJson, uidMap);
  }
}

/**
 * A de-identified Part 10 copy of an instance: the same profile applied to the dataset (read and
 * re-written with dcmjs, which keeps pixel data as stored), text re-encoded as UTF-8, file meta
 * regenerated with the remapped SOP Instance UID.
 */
export function deidentifyPart10(bytes: Uint8Array, opts: DeidentifyOptions): Buffer {
  const { data } = dcmjs as any;
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const dicomDict = data.DicomMessage.readFile(ab, { ignoreErrors: true });
  const { json } = deidentifyJson(dicomDict.dict as DicomJson, opts);
  json['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  withEmptyValues(json);
  dicomDict.dict = json;
  const sop = json['00080018']?.Value?.[0];
  if (dicomDict.meta['00020003'] && typeof sop === 'string')
    dicomDict.meta['00020003'] = { vr: 'UI', Value: [sop] };
  return Buffer.from(dicomDict.write({ fragmentMultiframe: false }));
}

/** dcmjs writes elements from `Value`: zero-length ones need an empty array. */
function withEmptyValues(json: DicomJson): void {
  for (const el of Object.values(json)) {
    if (!el.Value && el.InlineBinary === undefined && el.BulkDataURI === undefined) el.Value = [];
    if (el.vr === 'SQ') for (const item of el.Value ?? []) withEmptyValues(item as DicomJson);
  }
}
