/**
 * A stub DICOMweb for the viewer's component test — NOT the platform's imaging service. It
 * serves the web client's production build (the viewer harness page and its assets, with the
 * platform's CSP) and answers WADO-RS metadata + frames for one series made from a real DICOM
 * file, checking the Bearer token on every request.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import dicomParser from 'dicom-parser';
import { securityHeaders } from '@huizhen/platform-http';

type DicomJson = Record<string, { vr: string; Value?: unknown[]; BulkDataURI?: string }>;

export interface StubInstance {
  sopInstanceUid: string;
  instanceNumber: number;
  metadata: DicomJson;
  frame: Buffer;
}

export interface DecodedImage {
  rows: number;
  columns: number;
  pixelSpacing: [number, number];
  slope: number;
  intercept: number;
  /** Stored values, row-major. */
  stored: Int32Array;
}

const STRING_VRS = new Set([
  'AE',
  'AS',
  'CS',
  'DA',
  'DT',
  'LO',
  'LT',
  'SH',
  'ST',
  'TM',
  'UI',
  'UT',
  'UC',
  'UR',
  'PN',
  'DS',
  'IS',
]);

/** DICOM JSON (PS3.18 F.2) of the top-level, non-binary elements of an explicit-VR file. */
export function dicomJsonOf(ds: dicomParser.DataSet): DicomJson {
  const out: DicomJson = {};
  for (const el of Object.values(ds.elements)) {
    const tag = el.tag.slice(1).toUpperCase();
    const vr = el.vr;
    if (!vr || tag.startsWith('0002') || tag === '7FE00010' || el.items) continue;
    if (STRING_VRS.has(vr)) {
      const raw = vr === 'LT' || vr === 'ST' || vr === 'UT' ? ds.text(el.tag) : ds.string(el.tag);
      if (raw === undefined) continue;
      const parts =
        vr === 'LT' || vr === 'ST' || vr === 'UT' ? [raw] : raw.split('\\').map((p) => p.trim());
      const values = parts.map((p) =>
        vr === 'DS' || vr === 'IS' ? Number(p) : vr === 'PN' ? { Alphabetic: p } : p,
      );
      out[tag] = { vr, Value: values };
    } else if (['US', 'SS', 'UL', 'SL', 'FL', 'FD'].includes(vr)) {
      const size = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8 }[vr as 'US']!;
      const read = {
        US: ds.uint16,
        SS: ds.int16,
        UL: ds.uint32,
        SL: ds.int32,
        FL: ds.float,
        FD: ds.double,
      }[vr as 'US']!.bind(ds);
      const values: number[] = [];
      for (let i = 0; i < el.length / size; i++) values.push(read(el.tag, i)!);
      out[tag] = { vr, Value: values };
    }
  }
  return out;
}

export function loadDicom(path: string) {
  const bytes = readFileSync(path);
  const ds = dicomParser.parseDicom(new Uint8Array(bytes));
  const ts = ds.string('x00020010');
  if (ts !== '1.2.840.10008.1.2.1')
    throw new Error(`${path}: the stub serves explicit VR little endian only, got ${ts}`);
  const pixel = ds.elements.x7fe00010;
  const frame = Buffer.from(bytes.subarray(pixel.dataOffset, pixel.dataOffset + pixel.length));
  const rows = ds.uint16('x00280010')!;
  const columns = ds.uint16('x00280011')!;
  const signed = ds.uint16('x00280103') === 1;
  const stored = new Int32Array(rows * columns);
  for (let i = 0; i < stored.length; i++)
    stored[i] = signed ? frame.readInt16LE(i * 2) : frame.readUInt16LE(i * 2);
  const decoded: DecodedImage = {
    rows,
    columns,
    pixelSpacing: [Number(ds.string('x00280030', 0)), Number(ds.string('x00280030', 1))],
    slope: Number(ds.string('x00281053') ?? 1),
    intercept: Number(ds.string('x00281052') ?? 0),
    stored,
  };
  return { metadata: dicomJsonOf(ds), frame, decoded };
}

/** `count` instances of one series, each carrying the file's real pixel data and its own SOP Instance UID. */
export function seriesFromFile(path: string, count: number) {
  const { metadata, frame, decoded } = loadDicom(path);
  const studyUid = String(metadata['0020000D'].Value![0]);
  const seriesUid = String(metadata['0020000E'].Value![0]);
  const instances: StubInstance[] = [];
  for (let n = 1; n <= count; n++) {
    const sopInstanceUid = `${String(metadata['00080018'].Value![0])}.${n}`;
    const md: DicomJson = {
      ...metadata,
      '00080018': { vr: 'UI', Value: [sopInstanceUid] },
      '00200013': { vr: 'IS', Value: [n] },
      '00083002': { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
      '7FE00010': { vr: 'OW', BulkDataURI: `instances/${sopInstanceUid}/frames/1` },
    };
    instances.push({ sopInstanceUid, instanceNumber: n, metadata: md, frame });
  }
  return { studyUid, seriesUid, instances, decoded };
}

// The same security headers (and so the same CSP) the platform puts on every response.
const SECURITY_HEADERS = securityHeaders();

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

export interface StubDicomWeb {
  url: string;
  token: string;
  studyUid: string;
  seriesUid: string;
  /** Frame requests seen, with the Authorization header each carried. */
  frameRequests: { path: string; authorization?: string }[];
  close(): Promise<void>;
}

export async function startStubDicomWeb(opts: {
  distDir: string;
  series: ReturnType<typeof seriesFromFile>;
  token: string;
}): Promise<StubDicomWeb> {
  const { series, token, distDir } = opts;
  const frameRequests: StubDicomWeb['frameRequests'] = [];
  const base = `/dicom-web/studies/${series.studyUid}/series/${series.seriesUid}`;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    for (const [name, value] of SECURITY_HEADERS) res.setHeader(name, value);
    if (path.startsWith('/dicom-web/')) {
      if (req.headers.authorization !== `Bearer ${token}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' }).end(
          JSON.stringify({
            statusCode: 401,
            error: 'Unauthorized',
            message: 'Bearer token required',
          }),
        );
        if (path.includes('/frames/'))
          frameRequests.push({ path, authorization: req.headers.authorization });
        return;
      }
      if (path === `${base}/metadata`) {
        res
          .writeHead(200, { 'Content-Type': 'application/dicom+json' })
          .end(JSON.stringify(series.instances.map((i) => i.metadata)));
        return;
      }
      const m = new RegExp(`^${base.replace(/\./g, '\\.')}/instances/([0-9.]+)/frames/1$`).exec(
        path,
      );
      const instance = m && series.instances.find((i) => i.sopInstanceUid === m[1]);
      if (instance) {
        frameRequests.push({ path, authorization: req.headers.authorization });
        const boundary = `frame-${instance.instanceNumber}-boundary`;
        const head = Buffer.from(
          `--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1\r\n\r\n`,
        );
        const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
        res
          .writeHead(200, {
            'Content-Type': `multipart/related; type="application/octet-stream"; transfer-syntax=1.2.840.10008.1.2.1; boundary=${boundary}`,
          })
          .end(Buffer.concat([head, instance.frame, tail]));
        return;
      }
      res
        .writeHead(404, { 'Content-Type': 'application/json' })
        .end(JSON.stringify({ statusCode: 404, error: 'Not Found', message: `no ${path}` }));
      return;
    }
    const file =
      path === '/viewer-harness.html'
        ? join(distDir, 'viewer-harness.html')
        : path.startsWith('/assets/') && /^[\w.-]+$/.test(path.slice(8))
          ? join(distDir, path)
          : null;
    if (!file || !existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(readFileSync(file));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    studyUid: series.studyUid,
    seriesUid: series.seriesUid,
    frameRequests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
