import { createHash } from 'node:crypto';
import {
  DicomRejection,
  type DicomJson,
  type PersonNameJson,
  type PixelLayout,
  asRejection,
  jsonString,
  parseInstance,
  remapUid,
  writeDicomJson,
} from '@huizhen/dicom';
import { writeTempSync } from '../storage/store-files';

// A digest thread also publishes committing batches (one module for the thread to load).
export { publishSync } from '../storage/store-files';

// This file runs in the ingest's digest threads as well as in the main thread (DigestPool): it
// imports only @huizhen/dicom and node built-ins, and uses only syntax Node's type stripping can
// run (the threads load it from the sources under jest).

/** Everything the index needs from one instance, computed from its bytes alone. */
export interface InstanceDigest {
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
  /** The instance's DICOM JSON (bulk data as URIs), serialized once: it is stored as text. */
  metadataJson: string;
  pixelLayout: PixelLayout | null;
  /** Content address of the bytes. */
  sha256: string;
  /** De-identified UIDs (consistent remapping) of study, series and instance. */
  deid: { study: string; series: string; instance: string };
}

export interface DigestOptions {
  maxBytes: number;
  maxSequenceDepth: number;
  /** STOW-RS to /studies/{study}: instances of other studies are refused. */
  expectedStudyUid?: string;
  /** The HMAC key of the consistent UID remapping. */
  deidKey: Uint8Array;
}

/** A refused instance, as plain data (it crosses threads). */
export interface DigestRejection {
  rejected: {
    code: DicomRejection['code'];
    message: string;
    sopClassUid?: string;
    sopInstanceUid?: string;
  };
}

const STUDY_TAGS = [
  '00080005',
  '00080020',
  '00080030',
  '00080050',
  '00080090',
  '00081030',
  '00100010',
  '00100020',
  '00100030',
  '00100040',
  '0020000D',
  '00200010',
];
const SERIES_TAGS = [
  '00080005',
  '00080060',
  '00080021',
  '00080031',
  '0008103E',
  '0020000E',
  '00200011',
  '00400244',
  '00400245',
];
/** The elements the digest reads values of besides the study's and series' (instance and series numbers, burned-in annotation). */
const KEPT = new Set([...STUDY_TAGS, ...SERIES_TAGS, '00200013', '00280301']);

function pick(json: DicomJson, tags: string[]): DicomJson {
  const out: DicomJson = {};
  for (const t of tags) if (json[t]) out[t] = json[t];
  return out;
}

/** Lower-cased name components between bars, so wildcard and exact matches are LIKE patterns. */
export function nameSearchText(pn: PersonNameJson | null | undefined): string {
  if (!pn) return '';
  const parts = [pn.Alphabetic, pn.Ideographic, pn.Phonetic]
    .filter((x): x is string => !!x)
    .map((x) => x.toLowerCase());
  return parts.length ? `|${parts.join('|')}|` : '';
}

function isoDate(da: string | null): string | null {
  if (!da || !/^\d{8}$/.test(da)) return null;
  const d = new Date(`${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}T00:00:00Z`);
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10).replace(/-/g, '') !== da
    ? null
    : d.toISOString().slice(0, 10);
}

/**
 * A digest thread's job: digest, and when the instance is acceptable write it to a temp file in
 * `tmpDir`, left open (path and descriptor are returned; the thread flushes and closes it, the
 * caller owns the file).
 */
export function digestAndStage(
  bytes: Uint8Array,
  opts: DigestOptions,
  tmpDir: string,
): (InstanceDigest & { tempPath: string; fd: number }) | DigestRejection {
  const d = digestInstance(bytes, opts);
  if ('rejected' in d) return d;
  const { path, fd } = writeTempSync(tmpDir, bytes);
  return { ...d, tempPath: path, fd };
}

/** Parses and validates one Part 10 instance; never throws for a bad instance (the rejection says why). */
export function digestInstance(
  bytes: Uint8Array,
  opts: DigestOptions,
): InstanceDigest | DigestRejection {
  try {
    return digest(bytes, opts);
  } catch (e) {
    const r = asRejection(e);
    return {
      rejected: {
        code: r.code,
        message: r.message,
        sopClassUid: r.sop?.classUid,
        sopInstanceUid: r.sop?.instanceUid,
      },
    };
  }
}

function digest(bytes: Uint8Array, opts: DigestOptions): InstanceDigest {
  const parsed = parseInstance(bytes, {
    maxBytes: opts.maxBytes,
    maxSequenceDepth: opts.maxSequenceDepth,
  });
  if (opts.expectedStudyUid && parsed.studyInstanceUid !== opts.expectedStudyUid) {
    const e = new DicomRejection(
      'study_mismatch',
      `instance belongs to study ${parsed.studyInstanceUid}, not ${opts.expectedStudyUid}`,
    );
    e.sop = { classUid: parsed.sopClassUid, instanceUid: parsed.sopInstanceUid };
    throw e;
  }
  const base = `/dicom-web/studies/${parsed.studyInstanceUid}/series/${parsed.seriesInstanceUid}/instances/${parsed.sopInstanceUid}`;
  const inflated = parsed.pixel?.inflated ?? parsed.transferSyntaxUid === '1.2.840.10008.1.2.1.99';
  // The instance's DICOM JSON is written as text (it is stored as text); the few elements the
  // index needs come back as objects beside it.
  const { text: metadataJson, kept: metadata } = writeDicomJson(
    parsed.dataSet,
    parsed.charsets,
    {
      inlineBinaryLimit: 4096,
      bulkDataUri: inflated ? undefined : (offset, length) => `${base}/bulk/${offset}-${length}`,
      pixelDataUri: `${base}/bulk/7FE00010`,
    },
    // Available Transfer Syntax UID: what the archive holds the instance in.
    { keep: KEPT, add: { '00083002': { vr: 'UI', Value: [parsed.transferSyntaxUid] } } },
  );
  const pn = metadata['00100010']?.Value?.[0] as PersonNameJson | undefined;
  const str = (t: string) => jsonString(metadata, t);
  const int = (t: string) => {
    const v = metadata[t]?.Value?.[0];
    return typeof v === 'number' && Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? v : null;
  };
  const birthDate = str('00100030');
  const key = Buffer.from(opts.deidKey.buffer, opts.deidKey.byteOffset, opts.deidKey.byteLength);
  return {
    studyUid: parsed.studyInstanceUid,
    seriesUid: parsed.seriesInstanceUid,
    sopUid: parsed.sopInstanceUid,
    sopClassUid: parsed.sopClassUid,
    transferSyntaxUid: parsed.transferSyntaxUid,
    instanceNumber: int('00200013'),
    rows: parsed.image?.rows ?? null,
    columns: parsed.image?.columns ?? null,
    frames: parsed.image?.frames ?? null,
    burnedIn: (str('00280301') ?? '').toUpperCase() === 'YES',
    modality: str('00080060'),
    seriesNumber: int('00200011'),
    seriesDescription: str('0008103E'),
    seriesDate: str('00080021'),
    study: {
      patientName: pn
        ? [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? '']
            .join('=')
            .replace(/=+$/, '')
        : null,
      patientNameSearch: nameSearchText(pn),
      patientNameCandidates: [pn?.Ideographic, pn?.Alphabetic]
        .filter((x): x is string => !!x)
        .flatMap((x) => [x, x.replace(/\^/g, ''), x.replace(/\^/g, ' ')]),
      dicomPatientId: str('00100020'),
      birthDate,
      birthDateIso: isoDate(birthDate),
      sex: str('00100040'),
      studyDate: str('00080020'),
      studyTime: str('00080030'),
      accessionNumber: str('00080050'),
      studyId: str('00200010'),
      studyDescription: str('00081030'),
      referringPhysicianName: jsonString(metadata, '00080090'),
    },
    studyJson: pick(metadata, STUDY_TAGS),
    seriesJson: pick(metadata, SERIES_TAGS),
    metadataJson,
    pixelLayout: parsed.pixel,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    deid: {
      study: remapUid(parsed.studyInstanceUid, key),
      series: remapUid(parsed.seriesInstanceUid, key),
      instance: remapUid(parsed.sopInstanceUid, key),
    },
  };
}
