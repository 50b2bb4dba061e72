import { createHmac, randomBytes } from 'node:crypto';
import { type ImageUids, writeGreyscaleImage } from '@huizhen/dicom';

/** One HTTP answer, read whole (bodies here are small). */
export interface Reply {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

export interface Send {
  method: string;
  path: string;
  token?: string | null;
  /** JSON (object), raw bytes, or nothing. */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

/** fetch with a bearer token; a body that is not bytes goes as JSON. Never throws on a status. */
export async function send(base: string, r: Send): Promise<Reply> {
  const headers: Record<string, string> = { ...(r.headers ?? {}) };
  if (r.token) headers.authorization = `Bearer ${r.token}`;
  let payload: Buffer | string | undefined;
  if (r.body !== undefined && r.body !== null) {
    if (Buffer.isBuffer(r.body)) {
      payload = r.body;
      headers['content-type'] = r.contentType ?? 'application/octet-stream';
    } else {
      payload = JSON.stringify(r.body);
      headers['content-type'] = r.contentType ?? 'application/json';
    }
  }
  const method = r.method.toUpperCase();
  const res = await fetch(base + r.path, {
    method,
    headers,
    body: method === 'GET' || method === 'HEAD' ? undefined : payload,
    redirect: 'manual',
  });
  const buf = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type') ?? '';
  const text =
    /json|text|xml|calendar/.test(type) || buf.length < 4096
      ? buf.toString('utf8')
      : `<${buf.length} bytes of ${type}>` + buf.subarray(0, 2048).toString('latin1');
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, text, body, headers: res.headers };
}

/** A client bound to one base URL and token, for building the world. */
export function client(base: string, token: string | null) {
  const go = async (method: string, path: string, body?: unknown, extra: Partial<Send> = {}) =>
    send(base, { method, path, token, body, ...extra });
  const must = async (
    expect: number | number[],
    method: string,
    path: string,
    body?: unknown,
    extra: Partial<Send> = {},
  ) => {
    const r = await go(method, path, body, extra);
    const ok = Array.isArray(expect) ? expect.includes(r.status) : r.status === expect;
    if (!ok)
      throw new Error(
        `${method} ${path} answered ${r.status}, expected ${expect}: ${r.text.slice(0, 400)}`,
      );
    return r;
  };
  return { go, must };
}

// ---------- tokens ----------

const b64url = (v: unknown) =>
  Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

export function hs256(
  payload: Record<string, unknown>,
  secret: string,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const input = `${b64url(header)}.${b64url(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

export function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
  };
}

/**
 * Access tokens an attacker could come with, built from a real one of a user of the second
 * organization: expired (signed with the real secret, so only `exp` is wrong), a tampered payload
 * (organization and roles changed, the original signature kept), `alg: none`, one signed with a
 * guessed secret, one for the wrong audience, a room token (another key and audience), garbage.
 */
export function badAccessTokens(
  real: string,
  jwtSecret: string,
  victimOrganizationId: string,
  roomToken: string,
): Record<string, string> {
  const { payload } = decodeJwt(real);
  const now = Math.floor(Date.now() / 1000);
  const [h, , s] = real.split('.');
  const tamperedPayload = {
    ...payload,
    org: victimOrganizationId,
    roles: ['township_doctor', 'specialist', 'hub_coordinator', 'admin'],
  };
  return {
    expired: hs256({ ...payload, iat: now - 3600, exp: now - 1800 }, jwtSecret),
    tampered: `${h}.${b64url(tamperedPayload)}.${s}`,
    'alg=none': `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(tamperedPayload)}.`,
    'wrong secret': hs256(
      { ...tamperedPayload, exp: now + 600 },
      'guessed-secret-guessed-secret-guessed-0',
    ),
    'wrong audience': hs256(
      { ...payload, aud: 'huizhen-media', iat: now, exp: now + 600 },
      jwtSecret,
    ),
    'room token': roomToken,
    garbage: 'not-a-jwt',
  };
}

// ---------- DICOM ----------

export type InstanceUids = ImageUids;

/** A small valid secondary-capture-like slice (explicit VR little endian, 16x16, 12 of 16 bits), written with libs/dicom. */
export function tinyDicom(
  uids: Partial<InstanceUids>,
  patient: { name: string; id: string },
  accession = `ACC${randomBytes(4).toString('hex')}`,
): { bytes: Buffer; uids: InstanceUids } {
  const size = 16;
  return writeGreyscaleImage({
    sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
    uids,
    patient: { ...patient, birthDate: '19700506', sex: 'F' },
    study: {
      date: '20261201',
      time: '101500',
      accession,
      description: 'trust boundary probe',
    },
    modality: 'OT',
    pixels: new Uint16Array(size * size).map((_, i) => (i * 13) % 4096),
    rows: size,
    columns: size,
  });
}

export function multipartRelated(
  parts: Buffer[],
  type = 'application/dicom',
): { body: Buffer; contentType: string } {
  const boundary = `probe-${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const p of parts)
    chunks.push(
      Buffer.from(`--${boundary}\r\nContent-Type: ${type}\r\n\r\n`),
      p,
      Buffer.from('\r\n'),
    );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="${type}"; boundary=${boundary}`,
  };
}

/** A PDF that is really one (pdfkit). */
export async function tinyPdf(text = 'probe'): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve) => {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.text(text);
    doc.end();
  });
}
