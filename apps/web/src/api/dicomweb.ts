/**
 * DICOMweb (QIDO-RS / WADO-RS) as the viewer needs it: series of a study, instance metadata of
 * a series, and the `wadors:` image ids Cornerstone loads frames with. Same Bearer token as the
 * HTTP API; the imaging service serves it under /dicom-web.
 */
import { ApiError } from './http';

/** DICOM JSON model (PS3.18 F.2): tag "GGGGEEEE" -> {vr, Value}. */
export type DicomJson = Record<
  string,
  { vr: string; Value?: unknown[]; BulkDataURI?: string; InlineBinary?: string }
>;

export const Tag = {
  StudyInstanceUID: '0020000D',
  SeriesInstanceUID: '0020000E',
  SOPInstanceUID: '00080018',
  InstanceNumber: '00200013',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  Modality: '00080060',
  NumberOfFrames: '00280008',
  NumberOfSeriesRelatedInstances: '00201209',
  PatientName: '00100010',
  StudyDate: '00080020',
} as const;

export function firstValue<T = unknown>(ds: DicomJson, tag: string): T | undefined {
  return ds[tag]?.Value?.[0] as T | undefined;
}

export function stringValue(ds: DicomJson, tag: string): string | undefined {
  const v = firstValue<unknown>(ds, tag);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'object' && v && 'Alphabetic' in v)
    return String((v as { Alphabetic: string }).Alphabetic);
  return String(v);
}

export function numberValue(ds: DicomJson, tag: string): number | undefined {
  const v = firstValue<unknown>(ds, tag);
  const n = typeof v === 'number' ? v : Number(v);
  return v === undefined || !Number.isFinite(n) ? undefined : n;
}

export interface SeriesSummary {
  seriesInstanceUid: string;
  modality?: string;
  seriesNumber?: number;
  description?: string;
  instanceCount?: number;
}

export interface StackImage {
  imageId: string;
  metadata: DicomJson;
}

export class DicomWebClient {
  readonly root: string;

  constructor(
    root: string,
    private readonly token: () => Promise<string | null>,
  ) {
    this.root = root.replace(/\/$/, '');
  }

  private async getJson(path: string): Promise<DicomJson[]> {
    const token = await this.token();
    let res: Response;
    try {
      res = await fetch(`${this.root}${path}`, {
        headers: {
          Accept: 'application/dicom+json',
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
        },
      });
    } catch (e) {
      throw new ApiError(0, 'NetworkError', (e as Error).message);
    }
    if (res.status === 204) return [];
    if (!res.ok) {
      let message = res.statusText || `HTTP ${res.status}`;
      try {
        const body = await res.json();
        if (typeof body?.message === 'string') message = body.message;
      } catch {}
      throw new ApiError(res.status, res.statusText, message);
    }
    return (await res.json()) as DicomJson[];
  }

  async seriesOfStudy(studyUid: string): Promise<SeriesSummary[]> {
    const rows = await this.getJson(`/studies/${encodeURIComponent(studyUid)}/series`);
    return rows
      .map((ds) => ({
        seriesInstanceUid: stringValue(ds, Tag.SeriesInstanceUID) ?? '',
        modality: stringValue(ds, Tag.Modality),
        seriesNumber: numberValue(ds, Tag.SeriesNumber),
        description: stringValue(ds, Tag.SeriesDescription),
        instanceCount: numberValue(ds, Tag.NumberOfSeriesRelatedInstances),
      }))
      .filter((s) => s.seriesInstanceUid)
      .sort((a, b) => (a.seriesNumber ?? 0) - (b.seriesNumber ?? 0));
  }

  /** Every frame of the series in instance-number order, each with its metadata. */
  async seriesStack(studyUid: string, seriesUid: string): Promise<StackImage[]> {
    const instances = await this.getJson(
      `/studies/${encodeURIComponent(studyUid)}/series/${encodeURIComponent(seriesUid)}/metadata`,
    );
    return stackFromMetadata(this.root, studyUid, seriesUid, instances);
  }
}

export function stackFromMetadata(
  root: string,
  studyUid: string,
  seriesUid: string,
  instances: DicomJson[],
): StackImage[] {
  const sorted = [...instances].sort(
    (a, b) => (numberValue(a, Tag.InstanceNumber) ?? 0) - (numberValue(b, Tag.InstanceNumber) ?? 0),
  );
  const out: StackImage[] = [];
  for (const ds of sorted) {
    const sop = stringValue(ds, Tag.SOPInstanceUID);
    if (!sop) continue;
    const frames = Math.max(1, numberValue(ds, Tag.NumberOfFrames) ?? 1);
    for (let f = 1; f <= frames; f++) {
      out.push({
        imageId: `wadors:${root}/studies/${studyUid}/series/${seriesUid}/instances/${sop}/frames/${f}`,
        metadata: ds,
      });
    }
  }
  return out;
}
