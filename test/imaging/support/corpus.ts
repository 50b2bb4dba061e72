import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { TS, explicitElement, part10Header } from '@huizhen/dicom';

/**
 * Real DICOM files for the imaging tests, taken from Debian packages (python3-pydicom's test
 * files) and transcoded with dcmtk / gdcm into every transfer syntax the archive must serve.
 * Built once into a cache directory keyed by this file's recipe; nothing large is committed.
 */
export const PYDICOM = '/usr/lib/python3/dist-packages/pydicom/data';
const TEST_FILES = join(PYDICOM, 'test_files');
const CHARSET_FILES = join(PYDICOM, 'charset_files');
const ENV = {
  ...process.env,
  TCP_NODELAY: '1',
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

export interface Variant {
  name: string;
  file: string;
  transferSyntax: string;
  /** A PNG decoded by dcmtk from this file or from its lossless original, for the rendering check. */
  reference: string;
  window?: { center: number; width: number };
  lossy: boolean;
  color: boolean;
}

export interface Corpus {
  dir: string;
  variants: Variant[];
  chinese: {
    file: string;
    charset: string;
    expected: { Alphabetic?: string; Ideographic?: string };
  }[];
  /** `expect`: a case-insensitive pattern (source text: the manifest is JSON) the rejection reason must match. */
  malformed: { name: string; file: string; expect: string }[];
  dimseFiles: string[];
}

const RECIPE = 'v3';

function newUids(file: string): void {
  run('dcmodify', ['-nb', '-gse', '-gin', file]);
}

/** dcmtk decodes the file (dcmdjpeg / dcmdjpls / dcmdrle first where needed) and writes a PNG. */
function dcm2png(
  file: string,
  out: string,
  window: { center: number; width: number } | undefined,
  ts: string,
): void {
  let src = file;
  const tool = /^1\.2\.840\.10008\.1\.2\.4\.(5\d|6\d|70)$/.test(ts)
    ? 'dcmdjpeg'
    : /^1\.2\.840\.10008\.1\.2\.4\.8[01]$/.test(ts)
      ? 'dcmdjpls'
      : ts === '1.2.840.10008.1.2.5'
        ? 'dcmdrle'
        : null;
  if (tool) {
    src = `${out}.decoded.dcm`;
    run(tool, [file, src]);
  }
  run('dcm2pnm', [
    ...(window ? ['+Ww', String(window.center), String(window.width)] : []),
    '+on',
    src,
    out,
  ]);
}

const text = (s: string) => Buffer.from(s, 'latin1');

/** A Secondary Capture header with `depth` nested undefined-length sequences (closed unless `unclosed`). */
function nested(depth: number, unclosed = false): Buffer {
  const uid = `1.2.826.0.1.3680043.9.7433.9.${depth}${unclosed ? 1 : 0}`;
  const head = Buffer.concat([
    explicitElement(0x0008, 0x0016, 'UI', text('1.2.840.10008.5.1.4.1.1.7')),
    explicitElement(0x0008, 0x0018, 'UI', text(uid)),
    explicitElement(0x0010, 0x0010, 'PN', text('Deep^Nesting')),
    explicitElement(0x0020, 0x000d, 'UI', text(uid + '.1')),
    explicitElement(0x0020, 0x000e, 'UI', text(uid + '.2')),
  ]);
  const open: Buffer[] = [];
  const close: Buffer[] = [];
  for (let i = 0; i < depth; i++) {
    const sq = Buffer.alloc(12);
    sq.writeUInt16LE(0x0040, 0);
    sq.writeUInt16LE(0xa730, 2);
    sq.write('SQ', 4, 'latin1');
    sq.writeUInt32LE(0xffffffff, 8);
    const item = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    open.push(sq, item);
    close.unshift(
      Buffer.from([0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]),
      Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]),
    );
  }
  return Buffer.concat([
    part10Header('1.2.840.10008.5.1.4.1.1.7', uid, TS.explicitLittle),
    head,
    ...open,
    ...(unclosed ? close.slice(0, 1) : close),
  ]);
}

export function buildCorpus(): Corpus {
  const recipe = createHash('sha256')
    .update(RECIPE + readFileSync(join(process.cwd(), 'test/imaging/support/corpus.ts')).toString())
    .digest('hex')
    .slice(0, 12);
  const dir = `/tmp/huizhen-dicom-corpus/${recipe}`;
  const manifest = join(dir, 'manifest.json');
  if (existsSync(manifest)) return JSON.parse(readFileSync(manifest, 'utf8'));
  if (!existsSync(TEST_FILES))
    throw new Error(
      'imaging tests need Debian python3-pydicom (scripts/prepare-machine.sh installs it)',
    );
  const work = `${dir}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const base = join(work, 'mr-explicit-le.dcm');
  copyFileSync(join(TEST_FILES, 'MR_small.dcm'), base);
  const window = { center: 600, width: 1200 };
  const baseRef = join(work, 'mr-reference.png');
  dcm2png(base, baseRef, window, '1.2.840.10008.1.2.1');
  const variants: Variant[] = [];
  const add = (
    name: string,
    ts: string,
    make: (out: string) => void,
    opts: Partial<Variant> = {},
  ) => {
    const out = join(work, `${name}.dcm`);
    make(out);
    newUids(out);
    const reference = opts.reference ?? join(work, `${name}.png`);
    if (!opts.reference)
      dcm2png(out, reference, opts.color ? undefined : (opts.window ?? window), ts);
    variants.push({
      name,
      file: out,
      transferSyntax: ts,
      reference,
      window: opts.color ? undefined : (opts.window ?? window),
      lossy: false,
      color: false,
      ...opts,
    });
  };
  add('explicit-le', '1.2.840.10008.1.2.1', (o) => copyFileSync(base, o));
  add('implicit-le', '1.2.840.10008.1.2', (o) => run('dcmconv', ['+ti', base, o]));
  // Native greyscale the server windows itself: inverted (MONOCHROME1), and a signed CT with rescale and pixel padding.
  add('monochrome1', '1.2.840.10008.1.2.1', (o) => {
    copyFileSync(base, o);
    run('dcmodify', ['-nb', '-m', '(0028,0004)=MONOCHROME1', o]);
  });
  add(
    'ct-rescale-padding',
    '1.2.840.10008.1.2.1',
    (o) => copyFileSync(join(TEST_FILES, 'CT_small.dcm'), o),
    { window: { center: 40, width: 400 } },
  );
  add('explicit-be', '1.2.840.10008.1.2.2', (o) => run('dcmconv', ['+tb', base, o]));
  add('deflate', '1.2.840.10008.1.2.1.99', (o) => run('dcmconv', ['+td', base, o]));
  add('rle', '1.2.840.10008.1.2.5', (o) => run('dcmcrle', [base, o]));
  add('jpeg-lossless', '1.2.840.10008.1.2.4.70', (o) => run('dcmcjpeg', ['+e1', base, o]));
  add('jpeg-ls', '1.2.840.10008.1.2.4.80', (o) => run('dcmcjpls', ['+el', base, o]));
  // dcmtk cannot decode JPEG 2000: the reference is the lossless original's rendering.
  add('j2k', '1.2.840.10008.1.2.4.90', (o) => run('gdcmconv', ['--j2k', base, o]), {
    reference: baseRef,
  });
  add(
    'jpeg-baseline',
    '1.2.840.10008.1.2.4.50',
    (o) => copyFileSync(join(TEST_FILES, 'SC_rgb_jpeg_dcmtk.dcm'), o),
    { lossy: true, color: true },
  );
  add(
    'jpeg-12bit',
    '1.2.840.10008.1.2.4.51',
    (o) => copyFileSync(join(TEST_FILES, 'JPGExtended.dcm'), o),
    { lossy: true, window: { center: 500, width: 1000 } },
  );
  add(
    'rle-rgb-2frame',
    '1.2.840.10008.1.2.5',
    (o) => copyFileSync(join(TEST_FILES, 'SC_rgb_rle_2frame.dcm'), o),
    { color: true },
  );

  // Chinese names: UTF-8 and GB18030 from pydicom; GBK and ISO 2022 IR 58 (GB2312) made from them.
  const chinese: Corpus['chinese'] = [];
  const zh = (
    name: string,
    charset: string,
    src: string,
    patch?: (f: string) => void,
    expected = { Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小东' },
  ) => {
    const f = join(work, `${name}.dcm`);
    copyFileSync(src, f);
    patch?.(f);
    newUids(f);
    run('dcmodify', ['-nb', '-gst', f]);
    chinese.push({ file: f, charset, expected });
  };
  zh('zh-utf8', 'ISO_IR 192', join(CHARSET_FILES, 'chrX1.dcm'), undefined, {
    Alphabetic: 'Wang^XiaoDong',
    Ideographic: '王^小東',
  });
  zh('zh-gb18030', 'GB18030', join(CHARSET_FILES, 'chrX2.dcm'));
  zh('zh-gbk', 'GBK', join(CHARSET_FILES, 'chrX2.dcm'), (f) =>
    run('dcmodify', ['-nb', '-m', '(0008,0005)=GBK', f]),
  );
  zh('zh-iso2022-ir58', '\\ISO 2022 IR 58', join(CHARSET_FILES, 'chrX2.dcm'), (f) => {
    const esc = Buffer.from([0x1b, 0x24, 0x29, 0x41]);
    const gb = (s: string) =>
      Buffer.from(new TextDecoder('latin1').decode(Buffer.from(s)), 'latin1'); // ascii passthrough
    const name = Buffer.concat([
      gb('Wang^XiaoDong='),
      esc,
      Buffer.from([0xcd, 0xf5]),
      gb('^'),
      esc,
      Buffer.from([0xd0, 0xa1, 0xb6, 0xab]),
      gb('='),
    ]);
    const valueFile = join(work, 'ir58-name.bin');
    writeFileSync(valueFile, name);
    run('dcmodify', [
      '-nb',
      '-m',
      '(0008,0005)=\\ISO 2022 IR 58',
      '-mf',
      `(0010,0010)=${valueFile}`,
      f,
    ]);
  });

  // Malformed input, each with the reason it must be refused for.
  const malformed: Corpus['malformed'] = [];
  const bad = (name: string, expect: RegExp, bytes: Buffer) => {
    const f = join(work, `bad-${name}.dcm`);
    writeFileSync(f, bytes);
    malformed.push({ name, file: f, expect: expect.source });
  };
  const mr = readFileSync(base);
  bad(
    'truncated',
    /truncated|Pixel Data is \d+ bytes/i,
    mr.subarray(0, Math.floor(mr.length * 0.7)),
  );
  const rle = readFileSync(variants.find((v) => v.name === 'rle')!.file);
  bad('truncated-fragments', /fragment|truncated/i, rle.subarray(0, rle.length - 300));
  const huge = Buffer.from(mr);
  const pix = huge.lastIndexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57]));
  huge.writeUInt32LE(0x7ffffff0, pix + 8);
  bad('huge-pixel-length', /past the end|truncated|Pixel Data/i, huge);
  const noSop = join(work, 'bad-no-sop.dcm');
  copyFileSync(base, noSop);
  run('dcmodify', ['-nb', '-ie', '-ea', '(0008,0018)', noSop]);
  malformed.push({
    name: 'no-sop-instance-uid',
    file: noSop,
    expect: /SOP Instance UID .*missing/i.source,
  });
  const badUid = join(work, 'bad-uid.dcm');
  copyFileSync(base, badUid);
  run('dcmodify', ['-nb', '-gin', '-m', '(0020,000d)=1.2.03.abc', badUid]);
  malformed.push({ name: 'invalid-study-uid', file: badUid, expect: /not a valid UID/i.source });
  const rows = join(work, 'bad-rows.dcm');
  copyFileSync(base, rows);
  run('dcmodify', ['-nb', '-gin', '-m', '(0028,0010)=128', rows]);
  malformed.push({
    name: 'pixel-length-vs-rows',
    file: rows,
    expect: /Pixel Data is 8192 bytes.*needs 16384/i.source,
  });
  bad('deep-sequences', /nested more than \d+ deep/i, nested(40));
  bad('very-deep-sequences', /too deep|nested more than/i, nested(2500));
  bad('unclosed-sequence', /delimitation|truncated/i, nested(3, true));
  bad('no-preamble', /Part 10/i, readFileSync(join(TEST_FILES, 'no_meta.dcm')));
  bad('not-dicom', /Part 10/i, Buffer.from('%PDF-1.4 this is not an image at all'.repeat(10)));
  bad('empty', /Part 10/i, Buffer.alloc(0));

  // Files pushed by storescu: one per syntax plus the Chinese names.
  const dimseFiles: string[] = [];
  for (const v of variants.filter((v) =>
    ['explicit-le', 'implicit-le', 'jpeg-ls', 'j2k', 'rle', 'jpeg-baseline'].includes(v.name),
  )) {
    const f = join(work, `dimse-${v.name}.dcm`);
    copyFileSync(v.file, f);
    newUids(f);
    run('dcmodify', ['-nb', '-gst', f]);
    dimseFiles.push(f);
  }
  const c: Corpus = { dir, variants, chinese, malformed, dimseFiles };
  const json = JSON.stringify(c, null, 2).split(work).join(dir);
  writeFileSync(join(work, 'manifest.json'), json);
  try {
    renameSync(work, dir);
  } catch {
    rmSync(work, { recursive: true, force: true }); // another worker built it first
  }
  return JSON.parse(readFileSync(manifest, 'utf8'));
}

export function listFiles(dir: string): string[] {
  return readdirSync(dir);
}

/**
 * A copy of a real file under other UIDs, written in place (values padded to the original
 * lengths, so nothing else moves): many distinct instances from one sample without dcmtk runs.
 */
export function withUids(
  base: Buffer,
  uids: { study: string; series: string; sop: string },
): Buffer {
  const ds = dicomParser.parseDicom(base);
  const out = Buffer.from(base);
  const put = (tag: string, uid: string) => {
    const e = ds.elements[tag];
    if (!e || uid.length > e.length)
      throw new Error(`${uid} does not fit in ${tag} (${e?.length ?? 0} bytes)`);
    out.fill(0, e.dataOffset, e.dataOffset + e.length);
    out.write(uid, e.dataOffset, 'latin1');
  };
  put('x00020003', uids.sop);
  put('x00080018', uids.sop);
  put('x0020000d', uids.study);
  put('x0020000e', uids.series);
  return out;
}
