/**
 * Compression of the platform's answers at the HTTP edge (libs/platform-http/src/response-compression.ts):
 * the rules on a bare Node server, then on the imaging app, where QIDO-RS is a direct route answered with
 * res.end before the framework, and WADO-RS frames must pass untouched. Prints the CPU a 100-study QIDO
 * answer costs with and without compression.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  brotliCompressSync,
  brotliDecompressSync,
  constants,
  gunzipSync,
  gzipSync,
} from 'node:zlib';
import { type DirectoryFixture, TestSchema, loginAs, seedDirectory } from '@huizhen/testing';
import {
  compressResponse,
  negotiateCoding,
} from '../../libs/platform-http/src/response-compression';
import { PYDICOM, withUids } from '../imaging/support/corpus';
import { startImagingForTest, stow } from '../imaging/support/dicomweb-client';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  /** The body decoded as its Content-Encoding says. */
  body: Buffer;
}

/** A raw request (no client-side decoding, unlike fetch), so the test sees the bytes on the wire. */
function get(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
  decode = true,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const coding = res.headers['content-encoding'];
        const body = !decode
          ? raw
          : coding === 'br'
            ? brotliDecompressSync(raw)
            : coding === 'gzip'
              ? gunzipSync(raw)
              : raw;
        resolve({ status: res.statusCode!, headers: res.headers, raw, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

const big = JSON.stringify({
  items: Array.from({ length: 200 }, (_, i) => ({
    id: i,
    name: `patient ${i}`,
    note: 'repeated text compresses well',
  })),
});

describe('response compression at the edge', () => {
  describe('the rules (bare server)', () => {
    let server: Server;
    let url: string;
    const routes: Record<string, (res: ServerResponse) => void> = {
      '/json': (res) => {
        res.setHeader('Content-Type', 'application/json; charset=utf-8');
        res.setHeader('Content-Length', Buffer.byteLength(big));
        res.end(big);
      },
      '/small': (res) => {
        res.setHeader('Content-Type', 'application/json');
        res.end('{"ok":true}');
      },
      '/dicom-json': (res) => {
        res.setHeader('Content-Type', 'application/dicom+json');
        res.end(big);
      },
      '/dicom': (res) => {
        res.setHeader('Content-Type', 'application/dicom');
        res.end(Buffer.alloc(4096, 7));
      },
      '/multipart': (res) => {
        res.setHeader(
          'Content-Type',
          'multipart/related; type="application/octet-stream"; boundary=x',
        );
        res.end(Buffer.alloc(4096, 7));
      },
      '/encoded': (res) => {
        res.setHeader('Content-Type', 'text/javascript');
        res.setHeader('Content-Encoding', 'gzip');
        res.end(gzipSync(big));
      },
      '/no-transform': (res) => {
        res.setHeader('Content-Type', 'application/json');
        res.setHeader('Cache-Control', 'private, no-transform');
        res.end(big);
      },
      '/streamed': (res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('[');
        let i = 0;
        const next = () => {
          if (i === 300) return void res.end(']');
          res.write(
            `${i ? ',' : ''}${JSON.stringify({ i, text: 'a line of a long streamed listing' })}`,
          );
          i++;
          setImmediate(next);
        };
        next();
      },
      '/events': (res) => {
        res.setHeader('Content-Type', 'text/event-stream');
        res.end(`data: ${big}\n\n`);
      },
      '/not-modified': (res) => {
        res.statusCode = 304;
        res.setHeader('Content-Type', 'application/json');
        res.end();
      },
    };

    beforeAll(async () => {
      server = createServer((req, res) => {
        compressResponse(req, res);
        const route = routes[req.url ?? ''];
        if (route) route(res);
        else res.writeHead(404).end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('negotiates brotli before gzip and honours q=0', () => {
      expect(negotiateCoding('gzip, deflate, br, zstd')).toBe('br');
      expect(negotiateCoding('gzip, deflate')).toBe('gzip');
      expect(negotiateCoding('br;q=0, gzip')).toBe('gzip');
      expect(negotiateCoding('gzip;q=0.5, br;q=0.2')).toBe('gzip');
      expect(negotiateCoding('identity')).toBeNull();
      expect(negotiateCoding('*')).toBe('br');
      expect(negotiateCoding(undefined)).toBeNull();
    });

    it('compresses JSON above the threshold, brotli or gzip as accepted, with an exact length and Vary', async () => {
      const br = await get(`${url}/json`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toBe('Accept-Encoding');
      expect(Number(br.headers['content-length'])).toBe(br.raw.length);
      expect(br.body.toString()).toBe(big);
      expect(br.raw.length).toBeLessThan(big.length / 5);
      const gz = await get(`${url}/json`, { 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.body.toString()).toBe(big);
      const plain = await get(`${url}/json`);
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers.vary).toBe('Accept-Encoding');
      expect(Number(plain.headers['content-length'])).toBe(Buffer.byteLength(big));
      const head = await get(`${url}/json`, { 'accept-encoding': 'br' }, 'HEAD');
      expect(head.headers['content-encoding']).toBeUndefined();
      expect(head.raw.length).toBe(0);
    });

    it('compresses DICOM JSON and streamed JSON; leaves small bodies, DICOM, multipart, event streams, no-transform, encoded and 304 alone', async () => {
      const accept = { 'accept-encoding': 'br, gzip' };
      expect((await get(`${url}/dicom-json`, accept)).headers['content-encoding']).toBe('br');
      const streamed = await get(`${url}/streamed`, accept);
      expect(streamed.headers['content-encoding']).toBe('br');
      expect(streamed.headers['transfer-encoding']).toBe('chunked');
      expect(JSON.parse(streamed.body.toString())).toHaveLength(300);
      for (const path of ['/small', '/dicom', '/multipart', '/events', '/no-transform']) {
        const a = await get(url + path, accept);
        expect([path, a.headers['content-encoding']]).toEqual([path, undefined]);
      }
      const encoded = await get(`${url}/encoded`, accept);
      expect(encoded.headers['content-encoding']).toBe('gzip');
      expect(encoded.body.toString()).toBe(big);
      const notModified = await get(`${url}/not-modified`, accept);
      expect(notModified.status).toBe(304);
      expect(notModified.headers['content-encoding']).toBeUndefined();
    });
  });

  describe('on the imaging app: the direct QIDO-RS route and WADO-RS frames', () => {
    let schema: TestSchema;
    let dir: DirectoryFixture;
    let app: Awaited<ReturnType<typeof startImagingForTest>>;
    let token: string;
    const root = '1.2.826.0.1.3680043.9.7433.88';

    beforeAll(async () => {
      schema = await TestSchema.create('compress');
      dir = await seedDirectory(schema);
      app = await startImagingForTest(schema, { DIMSE_ENABLED: 'false' });
      token = await loginAs(app.url, dir.user.townDoctorA.username);
      const ct = readFileSync(`${PYDICOM}/test_files/CT_small.dcm`);
      const parts = Array.from({ length: 100 }, (_, i) =>
        withUids(ct, {
          study: `${root}.${i + 1}`,
          series: `${root}.${i + 1}.1`,
          sop: `${root}.${i + 1}.1.1`,
        }),
      );
      const res = await stow(app.url, token, parts);
      expect(res.status).toBe(200);
    }, 120_000);
    afterAll(async () => {
      await app?.app.close();
      await schema?.drop();
    });

    it('compresses a 100-study QIDO-RS answer (direct route) and says what it costs', async () => {
      const auth = { authorization: `Bearer ${token}` };
      const path = `${app.url}/dicom-web/studies?limit=100`;
      const plain = await get(path, auth);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-type']).toBe('application/dicom+json; charset=utf-8');
      expect(plain.headers.vary).toMatch(/(^|, )Accept-Encoding$/); // after CORS's Origin
      const studies = JSON.parse(plain.body.toString());
      expect(studies).toHaveLength(100);
      const br = await get(path, { ...auth, 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(JSON.parse(br.body.toString())).toEqual(studies);
      const gz = await get(path, { ...auth, 'accept-encoding': 'gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');

      // CPU per answer: the whole request (server in this process) without and with compression,
      // and compression alone on the same body.
      const cpuPerRequest = async (headers: Record<string, string>, n: number) => {
        const before = process.cpuUsage();
        for (let i = 0; i < n; i++) await get(path, headers, 'GET', false);
        const used = process.cpuUsage(before);
        return (used.user + used.system) / 1000 / n;
      };
      await cpuPerRequest(auth, 10);
      const n = 40;
      const floor = await cpuPerRequest(auth, n);
      const withBr = await cpuPerRequest({ ...auth, 'accept-encoding': 'br' }, n);
      const withGzip = await cpuPerRequest({ ...auth, 'accept-encoding': 'gzip' }, n);
      const text = plain.body;
      const time = (f: () => void) => {
        const t = process.cpuUsage();
        for (let i = 0; i < n; i++) f();
        const u = process.cpuUsage(t);
        return (u.user + u.system) / 1000 / n;
      };
      const brOnly = time(() =>
        brotliCompressSync(text, { params: { [constants.BROTLI_PARAM_QUALITY]: 4 } }),
      );
      const gzOnly = time(() => gzipSync(text, { level: 6 }));
      console.log(
        `QIDO-RS 100 studies: ${text.length} B plain, ${br.raw.length} B brotli-4, ${gz.raw.length} B gzip-6; ` +
          `CPU per request (server and test client) ${floor.toFixed(2)} ms plain, ${withBr.toFixed(2)} ms br, ${withGzip.toFixed(2)} ms gzip; ` +
          `compression alone ${brOnly.toFixed(2)} ms br, ${gzOnly.toFixed(2)} ms gzip`,
      );
      expect(br.raw.length).toBeLessThan(text.length / 4);
      // Cheap next to the request itself: a generous bound that still catches brotli at quality 11 (tens of ms).
      expect(brOnly).toBeLessThan(Math.max(5, floor * 2));
    });

    it('sends WADO-RS frames (pixel data) as they are', async () => {
      const frames = await get(
        `${app.url}/dicom-web/studies/${root}.1/series/${root}.1.1/instances/${root}.1.1.1/frames/1`,
        {
          authorization: `Bearer ${token}`,
          'accept-encoding': 'gzip, deflate, br',
        },
      );
      expect(frames.status).toBe(200);
      expect(frames.headers['content-type']).toMatch(/^multipart\/related/);
      expect(frames.headers['content-encoding']).toBeUndefined();
    });
  });
});
