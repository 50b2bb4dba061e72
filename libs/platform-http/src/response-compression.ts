import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  constants,
  brotliCompressSync,
  createBrotliCompress,
  createGzip,
  gzipSync,
  type BrotliCompress,
  type Gzip,
} from 'node:zlib';

/**
 * Compression of the platform's own answers (JSON, DICOM JSON, text), done once at the HTTP edge
 * for every route, direct ones (QIDO-RS answered with res.end) and the framework's alike.
 *
 * - Only text-like types: JSON and `+json` (application/dicom+json), text/* except event streams,
 *   JavaScript, XML. DICOM pixel data, frames, rendered images, video, multipart (WADO-RS, STOW-RS)
 *   and anything else pass untouched, as does a response that already has a Content-Encoding (the
 *   web client's precompressed files, socket.io's own compression) or says `no-transform`.
 * - Only above `threshold` bytes (a known Content-Length, or the one body given to end()); a body
 *   streamed in several writes without a length is compressed as a stream.
 * - Brotli when the client accepts it (quality 4: about gzip's speed with a smaller result), else
 *   gzip (level 6). A body given whole to end() is compressed in one synchronous call and keeps an
 *   exact Content-Length; a larger or streamed one goes through a zlib stream (libuv's pool).
 * - Every compressible answer carries `Vary: Accept-Encoding`, compressed or not, so that a shared
 *   cache never hands a compressed body to a client that did not ask for it.
 * - HEAD answers the headers a GET would have before compression (no body to encode).
 * A client sending no Accept-Encoding (the benchmark's load generator) costs one header read.
 */
export interface ResponseCompressionOptions {
  /** Bodies smaller than this many bytes are sent as they are. */
  threshold: number;
  brotliQuality: number;
  gzipLevel: number;
  /** A whole body up to this size is compressed synchronously; larger ones in the zlib pool. */
  syncLimit: number;
}

export const RESPONSE_COMPRESSION_DEFAULTS: ResponseCompressionOptions = {
  threshold: 1024,
  brotliQuality: 4,
  gzipLevel: 6,
  syncLimit: 256 * 1024,
};

const COMPRESSIBLE =
  /^\s*(?:application\/(?:json|[\w.-]+\+json|javascript|xml|[\w.-]+\+xml)|text\/(?!event-stream)[\w.+-]+|image\/svg\+xml)\s*(?:;|$)/i;
const NO_BODY_STATUS = new Set([204, 205, 304]);
/** socket.io's polling transport negotiates and compresses its own answers. */
const SKIPPED_PREFIXES = ['/socket.io/'];

export type Coding = 'br' | 'gzip';

/** The coding to use for an Accept-Encoding header: br before gzip, honouring q=0 and `*`. */
export function negotiateCoding(accept: string | undefined): Coding | null {
  if (!accept) return null;
  let br = -1;
  let gzip = -1;
  let star = -1;
  for (const part of accept.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    let q = 1;
    for (const p of params) {
      const [k, v] = p.trim().split('=');
      if (k === 'q') q = Number(v);
    }
    if (!(q >= 0)) continue;
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzip = q;
    else if (name === '*') star = q;
  }
  if (br < 0) br = star;
  if (gzip < 0) gzip = star;
  if (br > 0 && br >= gzip) return 'br';
  if (gzip > 0) return 'gzip';
  return null;
}

export function isCompressibleType(contentType: unknown): boolean {
  return typeof contentType === 'string' && COMPRESSIBLE.test(contentType);
}

function addVary(res: ServerResponse): void {
  const vary = res.getHeader('Vary');
  if (!vary) return void res.setHeader('Vary', 'Accept-Encoding');
  const text = Array.isArray(vary) ? vary.join(', ') : String(vary);
  if (text.trim() === '*' || /(?:^|,)\s*accept-encoding\s*(?:,|$)/i.test(text)) return;
  res.setHeader('Vary', `${text}, Accept-Encoding`);
}

function byteLength(chunk: unknown, encoding?: BufferEncoding): number {
  if (chunk == null) return 0;
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encoding);
  return (chunk as Uint8Array).byteLength;
}

function toBuffer(chunk: unknown, encoding?: BufferEncoding): Buffer {
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding);
  if (Buffer.isBuffer(chunk)) return chunk;
  const view = chunk as Uint8Array;
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

type WriteCallback = (error?: Error | null) => void;
type Write = (
  chunk: unknown,
  encoding?: BufferEncoding | WriteCallback,
  cb?: WriteCallback,
) => boolean;
type End = (
  chunk?: unknown,
  encoding?: BufferEncoding | WriteCallback,
  cb?: WriteCallback,
) => ServerResponse;

/**
 * Makes this response compress itself when its headers and first body bytes say it should. Call
 * before anything is written (the edge does, for every request).
 */
export function compressResponse(
  req: IncomingMessage,
  res: ServerResponse,
  options: ResponseCompressionOptions = RESPONSE_COMPRESSION_DEFAULTS,
): void {
  const url = req.url ?? '/';
  if (SKIPPED_PREFIXES.some((p) => url.startsWith(p))) return;
  const coding =
    req.method === 'HEAD'
      ? null
      : negotiateCoding(req.headers['accept-encoding'] as string | undefined);
  const write = res.write as Write;
  const end = res.end as End;
  const writeHead = res.writeHead;
  let decided = false;
  let stream: BrotliCompress | Gzip | null = null;

  /** Settles, once, whether to compress: `length` is the body's size when known. */
  const decide = (length: number | undefined): 'stream' | 'whole' | null => {
    if (decided) return stream ? 'stream' : null;
    decided = true;
    if (
      res.headersSent ||
      NO_BODY_STATUS.has(res.statusCode) ||
      res.statusCode < 200 ||
      res.statusCode === 206 ||
      res.hasHeader('Content-Range')
    )
      return null;
    const existing = res.getHeader('Content-Encoding');
    if (existing && String(existing).toLowerCase() !== 'identity') return null;
    if (!isCompressibleType(res.getHeader('Content-Type'))) return null;
    addVary(res);
    if (!coding) return null;
    const cacheControl = res.getHeader('Cache-Control');
    if (cacheControl && /(?:^|,)\s*no-transform\s*(?:,|$)/i.test(String(cacheControl))) return null;
    const declared = res.getHeader('Content-Length');
    const size = declared !== undefined ? Number(declared) : length;
    if (size !== undefined && size < options.threshold) return null;
    res.setHeader('Content-Encoding', coding);
    res.removeHeader('Content-Length');
    if (size !== undefined && size <= options.syncLimit && length !== undefined) return 'whole';
    stream =
      coding === 'br'
        ? createBrotliCompress({
            params: {
              [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality,
              ...(size !== undefined && { [constants.BROTLI_PARAM_SIZE_HINT]: size }),
            },
          })
        : createGzip({ level: options.gzipLevel });
    stream.on('data', (chunk: Buffer) => {
      if (!write.call(res, chunk)) stream!.pause();
    });
    res.on('drain', () => stream!.resume());
    stream.on('drain', () => res.emit('drain'));
    stream.on('end', () => end.call(res));
    stream.on('error', (err) => res.destroy(err));
    return 'stream';
  };

  // A writeHead with its own headers (socket.io, some libraries): they are set first, so that the
  // decision sees them, then the status line goes out as asked.
  res.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
    if (!decided && !res.headersSent) {
      const given = typeof rest[0] === 'string' ? rest[1] : rest[0];
      if (given && typeof given === 'object' && !Array.isArray(given)) {
        for (const [k, v] of Object.entries(given as OutgoingHttpHeaders))
          if (v !== undefined) res.setHeader(k, v);
        rest = typeof rest[0] === 'string' ? [rest[0]] : [];
      }
      res.statusCode = status;
      decide(undefined);
    }
    return (writeHead as (...args: unknown[]) => ServerResponse).call(res, status, ...rest);
  } as typeof res.writeHead;

  res.write = function (
    chunk: unknown,
    encoding?: BufferEncoding | WriteCallback,
    cb?: WriteCallback,
  ): boolean {
    const how = decide(undefined);
    if (how === 'stream')
      return stream!.write(
        toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined),
        typeof encoding === 'function' ? encoding : cb,
      );
    return write.call(res, chunk, encoding, cb);
  } as typeof res.write;

  res.end = function (
    chunk?: unknown,
    encoding?: BufferEncoding | WriteCallback,
    cb?: WriteCallback,
  ): ServerResponse {
    if (typeof chunk === 'function') {
      cb = chunk as WriteCallback;
      chunk = undefined;
    }
    const enc = typeof encoding === 'string' ? encoding : undefined;
    const done = typeof encoding === 'function' ? encoding : cb;
    const how = decided
      ? stream
        ? 'stream'
        : null
      : chunk == null
        ? decide(0)
        : decide(byteLength(chunk, enc));
    if (how === 'whole') {
      const body = toBuffer(chunk ?? '', enc);
      const out =
        coding === 'br'
          ? brotliCompressSync(body, {
              params: {
                [constants.BROTLI_PARAM_QUALITY]: options.brotliQuality,
                [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
              },
            })
          : gzipSync(body, { level: options.gzipLevel });
      res.setHeader('Content-Length', out.byteLength);
      return end.call(res, out, done);
    }
    if (how === 'stream') {
      if (done) res.once('finish', () => done());
      if (chunk != null) stream!.end(toBuffer(chunk, enc));
      else stream!.end();
      return res;
    }
    return end.call(res, chunk, encoding, cb);
  } as typeof res.end;
}
