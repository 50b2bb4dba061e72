import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import dicomParser from 'dicom-parser';
import {
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { type ParsedInstance, parseInstance } from '@huizhen/dicom';
import { PYDICOM } from './support/corpus';
import { get, parseMultipart, startImagingForTest, stow } from './support/dicomweb-client';

/**
 * Standard behaviour of the archive's DICOMweb side (issue 23 point 5), on pydicom's test files
 * with dcmtk and GDCM as the reference decoders: frame lists checked before answering, Accept
 * honoured (406 with what can be sent), transfer syntax negotiation with decoding to explicit VR
 * little endian, multiple value matching, RGB JPEG without colour transform, and rejection
 * messages without control bytes.
 */
const TEST_FILES = join(PYDICOM, 'test_files');
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const ENV = {
  ...process.env,
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** The native pixel bytes of a Part 10 file (all frames, as stored). */
function nativePixels(p: ParsedInstance): Buffer {
  const el = p.dataSet.elements.x7fe00010;
  return Buffer.from(p.byteArray.subarray(el.dataOffset, el.dataOffset + el.length));
}

/** Mean absolute difference of two equally long byte arrays. */
function meanDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

async function rgb(png: Buffer): Promise<Buffer> {
  return sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer();
}

interface Sample {
  file: string;
  study: string;
  series: string;
  sop: string;
  ts: string;
  /** The pixels dcmtk or GDCM decode from it, and their Photometric Interpretation. */
  reference?: { pixels: Buffer; photometric: string };
  base: string;
}

describe('DICOMweb standard behaviour (issue 23.5) on pydicom files, dcmtk and GDCM as reference', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let token: string;
  let tmp: string;
  const samples: Record<string, Sample> = {};

  /** A copy of a pydicom file under new UIDs; `decoder` makes the native reference. */
  function sample(name: string, source: string, decoder?: (from: string, to: string) => void) {
    const file = join(tmp, `${name}.dcm`);
    copyFileSync(join(TEST_FILES, source), file);
    run('dcmodify', ['-nb', '-gst', '-gse', '-gin', file]);
    const p = parseInstance(readFileSync(file));
    let reference: Sample['reference'];
    if (decoder) {
      const out = join(tmp, `${name}.native.dcm`);
      decoder(file, out);
      const r = parseInstance(readFileSync(out));
      reference = { pixels: nativePixels(r), photometric: r.image!.photometricInterpretation };
    }
    samples[name] = {
      file,
      study: p.studyInstanceUid,
      series: p.seriesInstanceUid,
      sop: p.sopInstanceUid,
      ts: p.transferSyntaxUid,
      reference,
      base: `/dicom-web/studies/${p.studyInstanceUid}/series/${p.seriesInstanceUid}/instances/${p.sopInstanceUid}`,
    };
  }

  /** The sample retrieved whole in explicit VR little endian: its one part (200 checked). */
  async function explicitCopy(s: Sample) {
    const res = await get(
      app.url,
      token,
      s.base,
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
    );
    expect({ sop: s.sop, status: res.status }).toEqual({ sop: s.sop, status: 200 });
    return parseMultipart(res.body, res.headers.get('content-type')!)[0];
  }

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'standards-'));
    sample('mr', 'MR_small.dcm');
    sample('ct', 'CT_small.dcm');
    sample('j2k', 'MR_small_jp2klossless.dcm', (f, o) => run('gdcmconv', ['--raw', f, o]));
    sample('jpeg-ls', 'MR_small_jpeg_ls_lossless.dcm', (f, o) => run('dcmdjpls', [f, o]));
    sample('rle', 'MR_small_RLE.dcm', (f, o) => run('dcmdrle', [f, o]));
    sample('jpeg-ybr', 'SC_rgb_jpeg_dcmtk.dcm', (f, o) => run('dcmdjpeg', [f, o]));
    sample('jpeg-rgb-no-transform', 'SC_jpeg_no_color_transform.dcm', (f, o) =>
      run('dcmdjpeg', [f, o]),
    );
    sample('jpeg-rgb-adobe', 'SC_jpeg_no_color_transform_2.dcm', (f, o) => run('dcmdjpeg', [f, o]));
    sample('deflate', 'image_dfl.dcm');
    sample('implicit', 'MR_small_implicit.dcm');
    schema = await Schema.create('standards');
    dir = await seedDirectory(schema);
    app = await startImagingForTest(schema, { DIMSE_ENABLED: 'false' });
    token = await loginAs(app.url, dir.user.townDoctorA.username);
    const stored = await stow(
      app.url,
      token,
      Object.values(samples).map((s) => readFileSync(s.file)),
    );
    expect({ status: stored.status, failed: stored.json['00081198'] }).toEqual({
      status: 200,
      failed: undefined,
    });
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses frames a single-frame instance does not have, before any of the answer is sent', async () => {
    const { base } = samples.mr;
    const res = await get(app.url, token, `${base}/frames/1,2`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.json()).toMatchObject({ details: { code: 'frame_not_found' } });
    expect(res.json().message).toMatch(/frame 2 does not exist \(the instance has 1\)/);
    // Frame 1 alone is still served, and frame lists of a multi-frame instance too.
    expect((await get(app.url, token, `${base}/frames/1`)).status).toBe(200);
  });

  it('answers 406 for a raw frame asked as image/png, by header and by the accept parameter', async () => {
    const { base } = samples.mr;
    for (const [path, accept] of [
      [`${base}/frames/1`, 'image/png'],
      [`${base}/frames/1?accept=image/png`, undefined],
      [`${base}/frames/1`, 'multipart/related; type="image/png"'],
    ] as const) {
      const res = await get(app.url, token, path, accept);
      expect({ path, accept, status: res.status }).toEqual({ path, accept, status: 406 });
      expect(res.json()).toMatchObject({ details: { code: 'not_acceptable' } });
      // The refusal says what the frames can be sent as.
      expect(res.json().message).toContain(
        `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`,
      );
    }
    // What viewers ask keeps working: any type, octet-stream, octet-stream in any syntax.
    for (const accept of [
      '*/*',
      'application/octet-stream',
      'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      'image/png;q=0.5, multipart/related; type="application/octet-stream"',
    ]) {
      const res = await get(app.url, token, `${base}/frames/1`, accept);
      expect({ accept, status: res.status }).toEqual({ accept, status: 200 });
    }
  });

  it('matches several values of a key as their union: CT,MR and CT\\MR and the key repeated', async () => {
    const uids = (r: Awaited<ReturnType<typeof get>>) =>
      r.status === 204
        ? []
        : r
            .json()
            .map((s: any) => s['0020000D'].Value[0])
            .sort();
    const both = [samples.ct.study, samples.mr.study].sort();
    const mrStudies = Object.values(samples)
      .filter((s) => ['mr', 'j2k', 'jpeg-ls', 'rle'].some((n) => samples[n] === s))
      .map((s) => s.study);
    for (const query of [
      'ModalitiesInStudy=CT,MR',
      'ModalitiesInStudy=CT%5CMR',
      'ModalitiesInStudy=CT&ModalitiesInStudy=MR',
      '00080061=MR,CT',
    ]) {
      const res = await get(app.url, token, `/dicom-web/studies?${query}`);
      expect({ query, status: res.status }).toEqual({ query, status: 200 });
      const found = uids(res);
      expect({ query, found: both.filter((u) => found.includes(u)) }).toEqual({
        query,
        found: both,
      });
      expect(found).toEqual(expect.arrayContaining(mrStudies));
    }
    // One value still narrows; a value nothing has is still nothing.
    expect(uids(await get(app.url, token, '/dicom-web/studies?ModalitiesInStudy=CT'))).toEqual([
      samples.ct.study,
    ]);
    expect((await get(app.url, token, '/dicom-web/studies?ModalitiesInStudy=XA')).status).toBe(204);
    // Series level: Modality as a list.
    const series = await get(app.url, token, '/dicom-web/series?Modality=CT,MR');
    expect(series.status).toBe(200);
    const seriesUids = series.json().map((s: any) => s['0020000E'].Value[0]);
    expect(seriesUids).toEqual(expect.arrayContaining([samples.ct.series, samples.mr.series]));
    const bad = await get(app.url, token, '/dicom-web/studies?ModalitiesInStudy=C*,MR');
    expect(bad.status).toBe(400);
  });

  it('decodes JPEG 2000, JPEG-LS and RLE to explicit VR little endian when asked, equal to GDCM and dcmtk', async () => {
    for (const name of ['j2k', 'jpeg-ls', 'rle']) {
      const s = samples[name];
      // The whole instance: a valid Part 10 file in 1.2.840.10008.1.2.1 that dcmtk reads.
      const part = await explicitCopy(s);
      expect(part.headers['content-type']).toBe(
        `application/dicom; transfer-syntax=${EXPLICIT_LE}`,
      );
      const p = parseInstance(part.body);
      expect({ name, ts: p.transferSyntaxUid, sop: p.sopInstanceUid }).toEqual({
        name,
        ts: EXPLICIT_LE,
        sop: s.sop,
      });
      expect({ name, same: nativePixels(p).equals(s.reference!.pixels) }).toEqual({
        name,
        same: true,
      });
      const out = join(tmp, `${name}.transcoded.dcm`);
      writeFileSync(out, part.body);
      const dump = run('dcmdump', ['-q', out]);
      expect(dump).toContain('PixelData');
      // Everything but the pixel data and file meta is the stored data set's, element for element.
      const original = parseInstance(readFileSync(s.file));
      for (const tag of ['x00100010', 'x00100020', 'x00280010', 'x00280011', 'x00280100']) {
        const a = original.dataSet.elements[tag];
        const b = p.dataSet.elements[tag];
        expect({
          name,
          tag,
          value: Buffer.from(p.byteArray.subarray(b.dataOffset, b.dataOffset + b.length)),
        }).toEqual({
          name,
          tag,
          value: Buffer.from(original.byteArray.subarray(a.dataOffset, a.dataOffset + a.length)),
        });
      }
      // A frame alone, as octet-stream in explicit VR little endian.
      const frame = await get(
        app.url,
        token,
        `${s.base}/frames/1`,
        `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT_LE}`,
      );
      expect({ name, status: frame.status }).toEqual({ name, status: 200 });
      const [fp] = parseMultipart(frame.body, frame.headers.get('content-type')!);
      expect(fp.headers['content-type']).toBe(
        `application/octet-stream; transfer-syntax=${EXPLICIT_LE}`,
      );
      expect({ name, same: fp.body.equals(s.reference!.pixels) }).toEqual({ name, same: true });
      // As stored, when asked so.
      const asStored = await get(
        app.url,
        token,
        s.base,
        `multipart/related; type="application/dicom"; transfer-syntax=${s.ts}`,
      );
      expect(
        parseMultipart(asStored.body, asStored.headers.get('content-type')!)[0].body.equals(
          readFileSync(s.file),
        ),
      ).toBe(true);
    }
  });

  it('decodes baseline JPEG colour to RGB like dcmtk, a lossy codec’s rounding apart', async () => {
    const s = samples['jpeg-ybr'];
    const p = parseInstance((await explicitCopy(s)).body);
    expect(p.image!.photometricInterpretation).toBe('RGB');
    expect(s.reference!.photometric).toBe('RGB');
    const ours = nativePixels(p);
    expect(ours.length).toBe(s.reference!.pixels.length);
    expect(meanDiff(ours, s.reference!.pixels)).toBeLessThanOrEqual(1);
  });

  it('re-heads an implicit VR instance as explicit VR little endian when asked, every value as stored', async () => {
    const s = samples.implicit;
    const part = await explicitCopy(s);
    expect(part.headers['content-type']).toBe(`application/dicom; transfer-syntax=${EXPLICIT_LE}`);
    const ours = parseInstance(part.body);
    expect(ours.transferSyntaxUid).toBe(EXPLICIT_LE);
    const out = join(tmp, 'implicit.explicit.dcm');
    writeFileSync(out, part.body);
    expect(run('dcmdump', ['-q', out])).toContain('Little Endian Explicit');
    const original = parseInstance(readFileSync(s.file));
    const tags = Object.keys(original.dataSet.elements).filter((t) => !t.startsWith('x0002'));
    expect(Object.keys(ours.dataSet.elements).filter((t) => !t.startsWith('x0002'))).toEqual(tags);
    const value = (p: ParsedInstance, tag: string) => {
      const e = p.dataSet.elements[tag];
      return Buffer.from(p.byteArray.subarray(e.dataOffset, e.dataOffset + e.length));
    };
    expect(tags.filter((t) => !value(ours, t).equals(value(original, t)))).toEqual([]);
  });

  it('answers 406 with what it can send for a transfer syntax it cannot produce', async () => {
    const mr = await get(
      app.url,
      token,
      samples.mr.base,
      'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50',
    );
    expect(mr.status).toBe(406);
    expect(mr.json().message).toContain(`application/dicom; transfer-syntax=${EXPLICIT_LE}`);
    const deflated = await get(
      app.url,
      token,
      samples.deflate.base,
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
    );
    expect(deflated.status).toBe(406);
    expect(deflated.json().message).toContain('1.2.840.10008.1.2.1.99');
    // A study with an instance that cannot be sent as asked: refused before any part goes out.
    const study = await get(
      app.url,
      token,
      `/dicom-web/studies/${samples.deflate.study}`,
      `multipart/related; type="application/dicom"; transfer-syntax=${EXPLICIT_LE}`,
    );
    expect(study.status).toBe(406);
    const frame = await get(
      app.url,
      token,
      `${samples.mr.base}/frames/1`,
      'multipart/related; type="image/jp2"',
    );
    expect(frame.status).toBe(406);
  });

  it('renders RGB JPEG stored without colour transform in its own colours, as dcmtk does', async () => {
    for (const name of ['jpeg-rgb-no-transform', 'jpeg-rgb-adobe', 'jpeg-ybr']) {
      const s = samples[name];
      const png = await get(app.url, token, `${s.base}/rendered`, 'image/png');
      expect({ name, status: png.status }).toEqual({ name, status: 200 });
      const ours = await rgb(png.body);
      const ref = s.reference!.pixels;
      expect(ours.length).toBe(ref.length);
      // Before, the first came out magenta (255,121,255) where dcmtk shows near-white (244,244,244).
      expect({ name, close: meanDiff(ours, ref) <= 1.5 }).toEqual({ name, close: true });
    }
  });

  it('refuses an instance with control bytes in a UID with a reason that carries none of them', async () => {
    const bytes = Buffer.from(readFileSync(samples.mr.file));
    const ds = dicomParser.parseDicom(bytes);
    const study = ds.elements.x0020000d;
    const evil = '1.2.3\x1b[31m\r\nX';
    bytes.fill(0, study.dataOffset, study.dataOffset + study.length);
    bytes.write(evil.slice(0, study.length), study.dataOffset, 'latin1');
    const res = await stow(app.url, token, [bytes]);
    expect(res.status).toBe(409);
    const reason: string = res.json['00081198'].Value[0]['00000902'].Value[0];
    expect(reason).toMatch(/not a valid UID/);
    expect(reason).toContain('\\x1b');
    // eslint-disable-next-line no-control-regex
    expect(reason).not.toMatch(/[\x00-\x1f\x7f]/);
  });
});
