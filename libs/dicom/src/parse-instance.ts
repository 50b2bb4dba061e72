import { inflateRawSync } from 'node:zlib';
import dicomParser, { type DataSet, type Element } from 'dicom-parser';
import { DicomRejection, asRejection } from './dicom-error';
import { parseCharsets } from './charset';
import { vrOfTag } from './dictionary';
import { SUPPORTED_TRANSFER_SYNTAXES, TS, isEncapsulated } from './transfer-syntax';
import { isValidUid } from './uid';

export interface ParseLimits {
  maxBytes: number;
  maxSequenceDepth: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = { maxBytes: 512 * 2 ** 20, maxSequenceDepth: 16 };

export interface ImagePixelModule {
  rows: number;
  columns: number;
  frames: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  photometricInterpretation: string;
  planarConfiguration: number;
}

/**
 * Where each frame's bytes are, so frame requests read ranges instead of whole files. Offsets
 * are in the stored file, except for deflated datasets (`inflated`), whose ranges are in the
 * inflated stream and need the file re-read.
 */
export interface PixelLayout {
  encapsulated: boolean;
  inflated: boolean;
  bigEndian: boolean;
  bitsAllocated: number;
  /** Per frame: the byte ranges ([offset, length]) whose concatenation is the frame. */
  frames: [number, number][][];
}

export interface ParsedInstance {
  dataSet: DataSet;
  /** The bytes dataSet offsets refer to (the inflated stream for deflate). */
  byteArray: Uint8Array;
  transferSyntaxUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  charsets: string[];
  image: ImagePixelModule | null;
  pixel: PixelLayout | null;
}

function ascii(ds: DataSet, tag: string): string | undefined {
  const el = ds.elements[tag];
  if (!el || el.length === 0) return undefined;
  let s = '';
  const end = el.dataOffset + el.length;
  for (let i = el.dataOffset; i < end && i < ds.byteArray.length; i++)
    s += String.fromCharCode(ds.byteArray[i]);
  return s.replace(/[\0 ]+$/, '').replace(/^ +/, '');
}

function readUid(ds: DataSet, tag: string, name: string, where = ''): string {
  const v = ascii(ds, tag);
  if (!v)
    throw new DicomRejection(
      'missing_uid',
      `${name} ${tag.slice(1, 5)},${tag.slice(5)} is missing${where}`,
    );
  if (!isValidUid(v))
    throw new DicomRejection(
      'invalid_uid',
      `${name} "${v.slice(0, 80)}" is not a valid UID (digits and dots, no leading zeros, at most 64 characters)`,
    );
  return v;
}

function us(ds: DataSet, tag: string): number | undefined {
  const el = ds.elements[tag];
  if (!el || el.length < 2) return undefined;
  return ds.uint16(tag);
}

function isIs(ds: DataSet, tag: string): number | undefined {
  const v = ascii(ds, tag);
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : undefined;
}

/** Walks every element: depth limit, elements past the end, unclosed undefined-length sequences and items. */
function checkStructure(ds: DataSet, limits: ParseLimits, depth: number): void {
  const size = ds.byteArray.length;
  for (const tag in ds.elements) {
    const el = ds.elements[tag];
    if (el.dataOffset + el.length > size) {
      throw new DicomRejection(
        'truncated',
        `element ${tagText(tag)} runs past the end of the file (${el.dataOffset + el.length} > ${size} bytes)`,
      );
    }
    if (el.items) {
      if (depth + 1 > limits.maxSequenceDepth) {
        throw new DicomRejection(
          'sequence_too_deep',
          `sequences are nested more than ${limits.maxSequenceDepth} deep (at ${tagText(tag)})`,
        );
      }
      if (
        el.hadUndefinedLength &&
        !hasDelimiter(ds.byteArray, el.dataOffset + el.length, 0xe0dd, ds)
      ) {
        throw new DicomRejection(
          'unclosed_sequence',
          `sequence ${tagText(tag)} has no sequence delimitation item`,
        );
      }
      for (const item of el.items) {
        if (item.hadUndefinedLength && !item.dataSet?.elements.xfffee00d) {
          throw new DicomRejection(
            'unclosed_sequence',
            `an item of sequence ${tagText(tag)} has no item delimitation item`,
          );
        }
        if (item.dataSet) checkStructure(item.dataSet, limits, depth + 1);
      }
    }
  }
}

function hasDelimiter(bytes: Uint8Array, at: number, element: number, ds: DataSet): boolean {
  if (at + 8 > bytes.length) return false;
  const p = ds.byteArrayParser;
  return p.readUint16(bytes, at) === 0xfffe && p.readUint16(bytes, at + 2) === element;
}

export function tagText(tag: string): string {
  return `(${tag.slice(1, 5)},${tag.slice(5, 9)})`.toUpperCase();
}

/**
 * Parses and validates one Part 10 instance. Everything dicom-parser lets through that would
 * break retrieval later (truncation, missing fragments, pixel length not matching the image
 * module, bad UIDs, runaway nesting) is refused here with a DicomRejection naming the problem.
 */
export function parseInstance(
  bytes: Uint8Array,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): ParsedInstance {
  if (bytes.length > limits.maxBytes) {
    throw new DicomRejection(
      'too_large',
      `instance is ${bytes.length} bytes; the limit is ${limits.maxBytes}`,
    );
  }
  if (
    bytes.length < 132 ||
    bytes[128] !== 0x44 ||
    bytes[129] !== 0x49 ||
    bytes[130] !== 0x43 ||
    bytes[131] !== 0x4d
  ) {
    throw new DicomRejection(
      'not_part10',
      'not a DICOM Part 10 file (no "DICM" after the 128-byte preamble)',
    );
  }
  let ds: DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      vrCallback: vrOfTag as unknown as (tag: string) => void,
      inflater: ((arr: Uint8Array, position: number) => {
        const inflated = inflateRawSync(arr.subarray(position), {
          maxOutputLength: limits.maxBytes * 4,
        });
        const full = new Uint8Array(position + inflated.length);
        full.set(arr.subarray(0, position), 0);
        full.set(inflated, position);
        return full;
      }) as unknown as (arr: Uint8Array, position: number) => void,
    });
  } catch (e) {
    throw asRejection(e);
  }
  try {
    return validate(ds, limits);
  } catch (e) {
    const r = asRejection(e);
    r.sop = { classUid: safeAscii(ds, 'x00080016'), instanceUid: safeAscii(ds, 'x00080018') };
    throw r;
  }
}

function safeAscii(ds: DataSet, tag: string): string | undefined {
  try {
    const v = ascii(ds, tag);
    return v && v.length <= 64 ? v : undefined;
  } catch {
    return undefined;
  }
}

function validate(ds: DataSet, limits: ParseLimits): ParsedInstance {
  const transferSyntaxUid = ascii(ds, 'x00020010');
  if (!transferSyntaxUid)
    throw new DicomRejection(
      'not_part10',
      'file meta information has no Transfer Syntax UID (0002,0010)',
    );
  if (!SUPPORTED_TRANSFER_SYNTAXES.includes(transferSyntaxUid)) {
    throw new DicomRejection(
      'unsupported_transfer_syntax',
      `transfer syntax ${transferSyntaxUid} is not supported`,
    );
  }
  const fatal = ds.warnings.find((w) => /eof|missing sequence delimiter|unexpected tag/i.test(w));
  if (fatal) throw new DicomRejection('truncated', `file is truncated or malformed: ${fatal}`);
  checkStructure(ds, limits, 0);

  const sopClassUid = readUid(ds, 'x00080016', 'SOP Class UID');
  const sopInstanceUid = readUid(ds, 'x00080018', 'SOP Instance UID');
  const studyInstanceUid = readUid(ds, 'x0020000d', 'Study Instance UID');
  const seriesInstanceUid = readUid(ds, 'x0020000e', 'Series Instance UID');
  const charsets = parseCharsets(ascii(ds, 'x00080005'));
  const { image, pixel } = checkPixelData(ds, transferSyntaxUid);
  return {
    dataSet: ds,
    byteArray: ds.byteArray,
    transferSyntaxUid,
    sopClassUid,
    sopInstanceUid,
    studyInstanceUid,
    seriesInstanceUid,
    charsets,
    image,
    pixel,
  };
}

function checkPixelData(
  ds: DataSet,
  ts: string,
): { image: ImagePixelModule | null; pixel: PixelLayout | null } {
  const el: Element | undefined = ds.elements.x7fe00010;
  const rows = us(ds, 'x00280010');
  const columns = us(ds, 'x00280011');
  if (!el) {
    if (rows !== undefined && columns !== undefined && ds.elements.x00280100) {
      // Image module without pixel data (e.g. float pixel data) is served as metadata only.
    }
    return { image: null, pixel: null };
  }
  const bitsAllocated = us(ds, 'x00280100');
  const samplesPerPixel = us(ds, 'x00280002') ?? 1;
  if (!rows || !columns || !bitsAllocated) {
    throw new DicomRejection(
      'pixel_data_inconsistent',
      'Pixel Data (7FE0,0010) present but Rows, Columns or Bits Allocated missing or zero',
    );
  }
  if (![1, 8, 16, 32, 64].includes(bitsAllocated)) {
    throw new DicomRejection(
      'pixel_data_inconsistent',
      `Bits Allocated ${bitsAllocated} is not 1, 8, 16, 32 or 64`,
    );
  }
  const frames = Math.max(1, isIs(ds, 'x00280008') ?? 1);
  const image: ImagePixelModule = {
    rows,
    columns,
    frames,
    samplesPerPixel,
    bitsAllocated,
    bitsStored: us(ds, 'x00280101') ?? bitsAllocated,
    pixelRepresentation: us(ds, 'x00280103') ?? 0,
    photometricInterpretation:
      ascii(ds, 'x00280004') ?? (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    planarConfiguration: us(ds, 'x00280006') ?? 0,
  };
  const inflated = ts === TS.deflated;
  const bigEndian = ts === TS.explicitBig;
  if (!isEncapsulated(ts)) {
    if (el.hadUndefinedLength)
      throw new DicomRejection('pixel_data_inconsistent', 'native Pixel Data has undefined length');
    // YBR_*_422 stores two samples' worth of bytes per pixel (PS3.3 C.7.6.3.1.2).
    const subsampled = /^YBR_(FULL|PARTIAL)_422$/.test(image.photometricInterpretation)
      ? 2
      : samplesPerPixel;
    const frameBits = rows * columns * subsampled * bitsAllocated;
    const expected = Math.ceil((frameBits * frames) / 8);
    // Shorter is truncation; longer is tolerated padding (some modalities pad to a block size).
    if (el.length < expected) {
      throw new DicomRejection(
        'pixel_data_inconsistent',
        `Pixel Data is ${el.length} bytes; ${rows}×${columns}×${frames} frame(s)×${subsampled} sample(s)×${bitsAllocated} bits needs ${expected}`,
      );
    }
    const ranges: [number, number][][] = [];
    if (bitsAllocated === 1 && frameBits % 8 !== 0) {
      ranges.push([[el.dataOffset, expected]]); // frames not byte-aligned: one range, split on read
    } else {
      const frameBytes = frameBits / 8;
      for (let f = 0; f < frames; f++) ranges.push([[el.dataOffset + f * frameBytes, frameBytes]]);
    }
    return {
      image,
      pixel: { encapsulated: false, inflated, bigEndian, bitsAllocated, frames: ranges },
    };
  }
  if (!el.encapsulatedPixelData || !el.fragments) {
    throw new DicomRejection(
      'fragments_incomplete',
      `transfer syntax ${ts} needs encapsulated Pixel Data (undefined length with fragments)`,
    );
  }
  const fragments = el.fragments;
  if (fragments.length === 0)
    throw new DicomRejection('fragments_incomplete', 'encapsulated Pixel Data has no fragments');
  const end = el.dataOffset + el.length - 8; // dicom-parser counts the delimiter in the length
  if (!hasDelimiter(ds.byteArray, end, 0xe0dd, ds)) {
    throw new DicomRejection(
      'fragments_incomplete',
      'encapsulated Pixel Data has no sequence delimitation item (truncated fragments)',
    );
  }
  for (const f of fragments) {
    if (f.position + f.length > end || f.position + f.length > ds.byteArray.length) {
      throw new DicomRejection(
        'fragments_incomplete',
        `a Pixel Data fragment runs past the end of the data (fragment at ${f.position}, ${f.length} bytes)`,
      );
    }
  }
  const bot = el.basicOffsetTable ?? [];
  if (bot.length > 0 && bot.length !== frames) {
    throw new DicomRejection(
      'fragments_incomplete',
      `Basic Offset Table has ${bot.length} entries for ${frames} frames`,
    );
  }
  if (fragments.length < frames) {
    throw new DicomRejection(
      'fragments_incomplete',
      `${frames} frames declared but only ${fragments.length} fragments present`,
    );
  }
  const ranges: [number, number][][] = [];
  if (frames === 1) {
    ranges.push(fragments.map((f) => [f.position, f.length]));
  } else if (bot.length === frames) {
    for (let i = 0; i < frames; i++) {
      const start = bot[i];
      const stop = i + 1 < frames ? bot[i + 1] : Infinity;
      const own = fragments.filter((f) => f.offset >= start && f.offset < stop);
      if (!own.length)
        throw new DicomRejection(
          'fragments_incomplete',
          `frame ${i + 1} has no fragment at its Basic Offset Table position`,
        );
      ranges.push(own.map((f) => [f.position, f.length]));
    }
  } else if (fragments.length === frames) {
    for (const f of fragments) ranges.push([[f.position, f.length]]);
  } else {
    // No offset table and more fragments than frames: a frame starts at each fragment whose data
    // begins with a JPEG SOI / J2K SOC marker, as dicom-parser's createJPEGBasicOffsetTable does.
    const starts = fragments
      .map((f, i) => ({ f, i }))
      .filter(
        ({ f }) =>
          ds.byteArray[f.position] === 0xff &&
          (ds.byteArray[f.position + 1] === 0xd8 || ds.byteArray[f.position + 1] === 0x4f),
      );
    if (starts.length !== frames) {
      throw new DicomRejection(
        'fragments_incomplete',
        `cannot tell ${frames} frames apart among ${fragments.length} fragments without a Basic Offset Table`,
      );
    }
    for (let k = 0; k < starts.length; k++) {
      const last = k + 1 < starts.length ? starts[k + 1].i : fragments.length;
      ranges.push(fragments.slice(starts[k].i, last).map((f) => [f.position, f.length]));
    }
  }
  return {
    image,
    pixel: { encapsulated: true, inflated, bigEndian, bitsAllocated, frames: ranges },
  };
}
