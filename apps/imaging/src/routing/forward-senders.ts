/**
 * How a forward job reaches its destination: C-STORE over one association to a DIMSE peer, or
 * STOW-RS to a DICOMweb peer, instance after instance (STOW-RS: a few per request), each one
 * the destination acknowledged reported at once so a job picked up again sends only the rest.
 * Failures say whether trying again can help (ForwardFailed.permanent).
 */
import { randomBytes } from 'node:crypto';
import { dataSetOf } from '../dimse/dimse-retrieve';
import { proposedContexts } from '../dimse/dimse-association';
import { StoreScu } from '../dimse/store-scu';
import type { DicomwebPeer, DimsePeer } from '../peers/peer-model';
import { ForwardFailed } from './routing-model';

/** One instance to send: what it is, and its stored Part 10 bytes when its turn comes. */
export interface ForwardItem {
  sopClass: string;
  sopInstance: string;
  transferSyntax: string;
  part10(): Promise<Buffer>;
}

/** Reports instances the destination took; false when the job is no longer ours (stop). */
export type Acknowledge = (sopInstanceUids: string[]) => Promise<boolean>;

/** The job was taken from us (its lease ran out) or the node is stopping: not a failure of the destination. */
export class ForwardStopped extends Error {}

export interface DimseSenderSettings {
  callingAe: string;
  maxPduBytes: number;
  maxInstanceBytes: number;
  timeoutMs: number;
}

/** C-STORE statuses that say the instance itself will never be taken (PS3.4 B.2.3, PS3.7 C). */
function refusedForGood(status: number): boolean {
  return (status & 0xf000) !== 0xa000 || (status & 0xff00) === 0xa900;
}

export async function sendByCStore(
  peer: DimsePeer,
  items: ForwardItem[],
  ack: Acknowledge,
  run: { settings: DimseSenderSettings; signal: AbortSignal },
): Promise<void> {
  if (!peer.enabled) throw new ForwardFailed(`DIMSE peer ${peer.aeTitle} is disabled`, true);
  if (!peer.host || !peer.port)
    throw new ForwardFailed(`DIMSE peer ${peer.aeTitle} has no host and port to send to`, true);
  const proposed = proposedContexts(items);
  const { settings } = run;
  let scu: StoreScu;
  try {
    scu = await StoreScu.open(
      { host: peer.host, port: peer.port, calledAe: peer.aeTitle, callingAe: settings.callingAe },
      proposed,
      settings,
    );
  } catch (e) {
    const message = (e as Error).message;
    // Result 1 of an A-ASSOCIATE-RJ is "rejected-permanent"; 2 is transient (PS3.8 9.3.4).
    throw new ForwardFailed(
      `${peer.aeTitle} at ${peer.host}:${peer.port}: ${message}`,
      /association rejected \(result 1\b/.test(message),
    );
  }
  const refused: string[] = [];
  try {
    for (const item of items) {
      if (run.signal.aborted) throw new ForwardStopped('stopping');
      const pc = scu.contextFor(proposed, item.sopClass, item.transferSyntax);
      if (pc === null) {
        refused.push(
          `${item.sopInstance}: no accepted context for ${item.sopClass} in ${item.transferSyntax}`,
        );
        continue;
      }
      const dataSet = dataSetOf(await item.part10());
      let status: number;
      try {
        status = await scu.store(pc, { ...item, dataSet });
      } catch (e) {
        throw new ForwardFailed(`${peer.aeTitle}: ${(e as Error).message}`, false);
      }
      if (status === 0 || (status & 0xf000) === 0xb000) {
        if (!(await ack([item.sopInstance]))) throw new ForwardStopped('the job was taken over');
      } else if (refusedForGood(status)) {
        refused.push(
          `${item.sopInstance}: C-STORE status 0x${status.toString(16).padStart(4, '0')}`,
        );
      } else {
        throw new ForwardFailed(
          `${peer.aeTitle} answered 0x${status.toString(16).padStart(4, '0')} (out of resources) for ${item.sopInstance}`,
          false,
        );
      }
    }
  } catch (e) {
    scu.abort();
    throw e;
  }
  await scu.release().catch(() => scu.abort());
  if (refused.length) throw refusal(refused, items.length);
}

function refusal(refused: string[], of: number): ForwardFailed {
  return new ForwardFailed(
    `${refused.length} of ${of} instance(s) refused by the destination, first: ${refused[0]}`,
    true,
  );
}

/** What the destination's STOW-RS answer says of each instance (PS3.18 10.5.3). */
function failedOf(body: unknown): Map<string, number> {
  const failed = new Map<string, number>();
  const seq = (body as Record<string, { Value?: unknown[] }> | null)?.['00081198']?.Value ?? [];
  for (const item of seq as Record<string, { Value?: unknown[] }>[]) {
    const uid = item['00081155']?.Value?.[0];
    const reason = item['00081197']?.Value?.[0];
    if (typeof uid === 'string') failed.set(uid, typeof reason === 'number' ? reason : 0xc000);
  }
  return failed;
}

/**
 * The Authorization header from the secret the peer's credentials reference names (an
 * environment variable): `user:password` goes as Basic (Orthanc, dcm4chee behind a proxy),
 * anything else as a Bearer token (another Huizhen's service-account key).
 */
export function authorizationOf(credentialsRef: string | null): string | null {
  if (!credentialsRef) return null;
  const secret = process.env[credentialsRef];
  if (!secret)
    throw new ForwardFailed(`the credentials variable ${credentialsRef} is not set here`, true);
  return secret.includes(':')
    ? `Basic ${Buffer.from(secret).toString('base64')}`
    : `Bearer ${secret}`;
}

/** Instances per STOW-RS request, and bytes at most (a request is retried whole). */
const STOW_BATCH = 16;
const STOW_BATCH_BYTES = 64 * 2 ** 20;

export async function sendByStow(
  peer: DicomwebPeer,
  items: ForwardItem[],
  ack: Acknowledge,
  run: { timeoutMs: number; signal: AbortSignal },
): Promise<void> {
  if (!peer.enabled) throw new ForwardFailed(`DICOMweb peer ${peer.name} is disabled`, true);
  const authorization = authorizationOf(peer.credentialsRef);
  const url = `${peer.baseUrl.replace(/\/+$/, '')}/studies`;
  const refused: string[] = [];
  for (let at = 0; at < items.length;) {
    if (run.signal.aborted) throw new ForwardStopped('stopping');
    const batch: ForwardItem[] = [];
    const parts: Buffer[] = [];
    let bytes = 0;
    while (at < items.length && batch.length < STOW_BATCH && bytes < STOW_BATCH_BYTES) {
      const part = await items[at].part10();
      batch.push(items[at++]);
      parts.push(part);
      bytes += part.length;
    }
    const failed = await postStudies(url, parts, { authorization, ...run, name: peer.name });
    const took = batch.filter((i) => !failed.has(i.sopInstance)).map((i) => i.sopInstance);
    if (took.length && !(await ack(took))) throw new ForwardStopped('the job was taken over');
    for (const [uid, reason] of failed) {
      // 0xA700 "out of resources" is the destination's trouble, not the instance's.
      if (reason === 0xa700)
        throw new ForwardFailed(`${peer.name}: out of resources for ${uid}`, false);
      refused.push(`${uid}: failure reason 0x${reason.toString(16)}`);
    }
  }
  if (refused.length) throw refusal(refused, items.length);
}

async function postStudies(
  url: string,
  parts: Buffer[],
  how: { authorization: string | null; timeoutMs: number; signal: AbortSignal; name: string },
): Promise<Map<string, number>> {
  const boundary = `huizhen-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts)
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), p, CRLF);
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        accept: 'application/dicom+json',
        ...(how.authorization ? { authorization: how.authorization } : {}),
      },
      body: Buffer.concat(chunks),
      signal: AbortSignal.any([how.signal, AbortSignal.timeout(how.timeoutMs)]),
    });
  } catch (e) {
    if (how.signal.aborted) throw new ForwardStopped('stopping');
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ForwardFailed(
      `${how.name}: ${cause?.code ?? cause?.message ?? (e as Error).message}`,
      false,
    );
  }
  const text = await res.text().catch(() => '');
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (res.status === 200) return new Map();
  if (res.status === 202 || res.status === 409) {
    const failed = failedOf(body);
    if (failed.size) return failed;
  }
  // 408, 429 and 5xx pass; any other answer (401, 403, 404, 415, a 409 naming nothing) will not change by itself.
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  throw new ForwardFailed(`${how.name}: STOW-RS answered ${res.status}`, !transient);
}

const CRLF = Buffer.from('\r\n');
