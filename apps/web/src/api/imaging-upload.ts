/**
 * Browser upload of DICOM files into the archive over tus (/dicom-web/uploads): each file is one
 * resumable upload, sent in chunks, retried after a dropped connection from the offset the
 * server confirms, and resumable after a page reload (tus keeps the upload URL per file in
 * localStorage). The server ingests a finished file like a STOW-RS instance and answers with
 * the STOW response, from which the study UID is read.
 */
import * as tus from 'tus-js-client';
import { api } from './client';

export const UPLOAD_ENDPOINT = '/dicom-web/uploads';

export interface UploadOutcome {
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
}

export interface FileUploadHandle {
  promise: Promise<UploadOutcome>;
  abort: () => void;
}

/** Part 10 files carry "DICM" after a 128-byte preamble; anything else in a folder is skipped. */
export async function isDicomFile(file: File): Promise<boolean> {
  if (file.size < 132) return false;
  const head = new Uint8Array(await file.slice(128, 132).arrayBuffer());
  return head[0] === 0x44 && head[1] === 0x49 && head[2] === 0x43 && head[3] === 0x4d;
}

/** Chunks small enough that a drop costs little and progress moves, large enough to be cheap. */
export function chunkSizeFor(bytes: number): number {
  return Math.min(4 * 1024 * 1024, Math.max(16 * 1024, Math.ceil(bytes / 4)));
}

/** Reads the study/series/instance of the stored file from the STOW-RS response body. */
export function outcomeFromStowResponse(body: string): UploadOutcome {
  const empty = { studyInstanceUid: null, seriesInstanceUid: null, sopInstanceUid: null };
  try {
    const json = JSON.parse(body) as Record<string, { Value?: unknown[] }>;
    const ref = (json['00081199']?.Value?.[0] ?? {}) as Record<string, { Value?: unknown[] }>;
    const url = String(ref['00081190']?.Value?.[0] ?? json['00081190']?.Value?.[0] ?? '');
    const m = /\/studies\/([0-9.]+)(?:\/series\/([0-9.]+))?(?:\/instances\/([0-9.]+))?/.exec(url);
    return m
      ? { studyInstanceUid: m[1], seriesInstanceUid: m[2] ?? null, sopInstanceUid: m[3] ?? null }
      : empty;
  } catch {
    return empty;
  }
}

/**
 * A file the archive refused: its DICOM failure reason (0008,1197) when the STOW answer had one,
 * and the server's English comment for whoever investigates (never shown as the user's message).
 */
export class UploadRefusal extends Error {
  constructor(
    readonly failureReason: number | null,
    readonly status: number,
    detail: string,
  ) {
    super(detail);
    this.name = 'UploadRefusal';
  }
}

/** What the user is told for a refusal: the failure reason's meaning and what to do (messages' `upload.refused.*`). */
export function uploadRefusalKind(
  error: unknown,
):
  | 'unparseable'
  | 'inconsistent'
  | 'storage'
  | 'duplicate'
  | 'forbidden'
  | 'transferSyntax'
  | 'other' {
  if (!(error instanceof UploadRefusal)) return 'other';
  if (error.status === 403) return 'forbidden';
  switch (error.failureReason) {
    case 0xc000:
      return 'unparseable';
    case 0xa900:
      return 'inconsistent';
    case 0xa700:
      return 'storage';
    case 0x0111:
      return 'duplicate';
    case 0x0124:
      return 'forbidden';
    case 0xc122:
      return 'transferSyntax';
    default:
      return 'other';
  }
}

/** The server's refusal of a file (a 4xx with a STOW failure body, or plain text). */
function refusalOf(error: Error): UploadRefusal {
  const res = (error as tus.DetailedError).originalResponse;
  const body = res?.getBody?.() ?? '';
  const status = res?.getStatus?.() ?? 0;
  try {
    const json = JSON.parse(body);
    const failed = json?.['00081198']?.Value?.[0];
    const reason = failed?.['00081197']?.Value?.[0];
    const comment = failed?.['00000902']?.Value?.[0] ?? json?.message;
    if (comment || typeof reason === 'number')
      return new UploadRefusal(
        typeof reason === 'number' ? reason : null,
        status,
        String(comment ?? ''),
      );
  } catch {}
  return new UploadRefusal(null, status, body.trim() || error.message);
}

// (globalThis, not window: the pure helpers here are also compiled and tested under Node.)
const origin = () => (globalThis as { location?: { origin: string } }).location?.origin ?? '';

export function uploadDicomFile(
  file: File,
  onProgress: (sent: number, total: number) => void,
): FileUploadHandle {
  let upload: tus.Upload | null = null;
  const promise = new Promise<UploadOutcome>((resolve, reject) => {
    upload = new tus.Upload(file, {
      endpoint: `${origin()}${UPLOAD_ENDPOINT}`,
      chunkSize: chunkSizeFor(file.size),
      retryDelays: [0, 500, 1500, 3000, 5000, 10000],
      removeFingerprintOnSuccess: true,
      metadata: { filename: file.name, filetype: 'application/dicom' },
      // A fresh token on every request: a long upload outlives an access token.
      onBeforeRequest: async (req) => {
        const token = await api.freshAccessToken();
        if (token) req.setHeader('Authorization', `Bearer ${token}`);
      },
      onProgress: (sent, total) => onProgress(sent, total),
      onSuccess: (payload) =>
        resolve(outcomeFromStowResponse(payload.lastResponse.getBody() ?? '')),
      onError: (e) => reject(refusalOf(e)),
    });
    const u = upload;
    // After a reload the same file continues where its last upload stopped.
    u.findPreviousUploads().then(
      (previous) => {
        if (previous.length) u.resumeFromPreviousUpload(previous[0]);
        u.start();
      },
      () => u.start(),
    );
  });
  return { promise, abort: () => void upload?.abort() };
}
