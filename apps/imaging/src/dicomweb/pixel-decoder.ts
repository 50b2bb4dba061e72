import { NativePixelDecoder } from 'dcmjs-imaging';
import {
  type ImagePixelModule,
  type ParsedInstance,
  TS,
  decodeRleFrame,
  explicitElement,
  part10Header,
} from '@huizhen/dicom';
import { rewriteLittleEndian } from '../dimse/little-endian';
import { dataSetOf } from '../ingest/duplicate-policy';

/**
 * Encapsulated pixel data decoded to native little-endian, sample-interleaved pixels: for
 * WADO-RS answers in explicit VR little endian (frames and whole instances) and for rendering
 * what dcmjs-imaging's own pipeline gets wrong (colour RLE, RGB JPEG without colour transform).
 * The codecs are dcmjs-imaging's WebAssembly builds of libjpeg-turbo, CharLS and OpenJPEG
 * (initialized by RenderService); RLE is libs/dicom's.
 */

/** The codec calls dcmjs-imaging makes internally; its type declarations leave them out. */
interface FrameCodecs {
  decodeJpeg(
    pixel: CodecPixel,
    frame: Uint8Array,
    opts: { convertColorspaceToRgb: boolean },
  ): Uint8Array;
  decodeJpegLs(pixel: CodecPixel, frame: Uint8Array, opts: object): Uint8Array;
  decodeJpeg2000(pixel: CodecPixel, frame: Uint8Array, opts: object): Uint8Array;
}

/** What the codecs read of the image (dcmjs-imaging's Pixel has these getters). */
interface CodecPixel {
  getWidth(): number;
  getHeight(): number;
  getBitsAllocated(): number;
  getBitsStored(): number;
  getSamplesPerPixel(): number;
  getPixelRepresentation(): number;
  getPlanarConfiguration(): number;
  getPhotometricInterpretation(): string;
  getTransferSyntaxUid(): string;
  getNumberOfFrames(): number;
}

const codecs = NativePixelDecoder as unknown as FrameCodecs;

const JPEG_PROCESS = new Set<string>([
  TS.jpegBaseline,
  TS.jpegExtended,
  TS.jpegLossless,
  TS.jpegLosslessSV1,
]);

/** High-Throughput JPEG 2000 (1.2.840.10008.1.2.4.201-203), read by the same OpenJPEG decoder. */
const HTJ2K = /^1\.2\.840\.10008\.1\.2\.4\.20[123]$/;

/**
 * Whether a JPEG stream's three components are R, G, B as stored (no YCbCr transform), decided
 * as libjpeg and dcmtk do: an Adobe APP14 marker says so by its transform flag; a JFIF APP0
 * marker means YCbCr; component identifiers 'R','G','B' mean RGB; otherwise the data set's
 * Photometric Interpretation is believed (RGB: not transformed). pydicom's
 * SC_jpeg_no_color_transform.dcm has no marker and RGB: decoding it as YCbCr turned a white
 * slide magenta.
 */
export function jpegStoresRgb(frame: Uint8Array, photometric: string): boolean {
  let i = 2;
  while (i + 4 <= frame.length && frame[i] === 0xff) {
    const marker = frame[i + 1];
    const length = (frame[i + 2] << 8) | frame[i + 3];
    if (
      marker === 0xee &&
      length >= 12 &&
      String.fromCharCode(...frame.subarray(i + 4, i + 9)) === 'Adobe'
    )
      return frame[i + 15] === 0;
    if (marker === 0xe0 && String.fromCharCode(...frame.subarray(i + 4, i + 8)) === 'JFIF')
      return false;
    // Start of frame (SOF0-SOF15 but DHT, JPG and DAC): its component identifiers.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      const n = frame[i + 9];
      const ids = Array.from({ length: n }, (_, k) => frame[i + 10 + k * 3]);
      if (n === 3 && ids[0] === 0x52 && ids[1] === 0x47 && ids[2] === 0x42) return true;
    }
    if (marker === 0xda) break; // start of scan: no more header markers
    i += 2 + length;
  }
  return photometric === 'RGB';
}

function codecPixel(image: ImagePixelModule, ts: string, photometric: string): CodecPixel {
  return {
    getWidth: () => image.columns,
    getHeight: () => image.rows,
    getBitsAllocated: () => image.bitsAllocated,
    getBitsStored: () => image.bitsStored,
    getSamplesPerPixel: () => image.samplesPerPixel,
    getPixelRepresentation: () => image.pixelRepresentation,
    getPlanarConfiguration: () => image.planarConfiguration,
    getPhotometricInterpretation: () => photometric,
    getTransferSyntaxUid: () => ts,
    getNumberOfFrames: () => image.frames,
  };
}

/** A frame's decoded pixels and the Photometric Interpretation they are in. */
export interface DecodedFrame {
  pixels: Buffer;
  photometric: string;
}

/** The encoded bytes of frame `index` (0-based). */
function encodedFrame(parsed: ParsedInstance, index: number): Uint8Array {
  const ranges = parsed.pixel!.frames[index];
  const parts = ranges.map(([o, l]) => parsed.byteArray.subarray(o, o + l));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** Frame `index` (0-based) of an encapsulated instance as native pixels; throws when it cannot be decoded. */
export function decodeFrame(parsed: ParsedInstance, index: number): DecodedFrame {
  const image = parsed.image!;
  const ts = parsed.transferSyntaxUid;
  const stored = image.photometricInterpretation;
  const frame = encodedFrame(parsed, index);
  const colour = image.samplesPerPixel === 3;
  const pixel = codecPixel(image, ts, stored);
  const out = (pixels: Uint8Array, photometric: string): DecodedFrame => ({
    pixels: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength),
    photometric,
  });
  if (ts === TS.rle) {
    const { rows, columns, samplesPerPixel, bitsAllocated } = image;
    return out(decodeRleFrame(frame, rows, columns, samplesPerPixel, bitsAllocated), stored);
  }
  if (JPEG_PROCESS.has(ts)) {
    const transform = colour && !jpegStoresRgb(frame, stored);
    const pixels = codecs.decodeJpeg(pixel, frame, { convertColorspaceToRgb: transform });
    return out(pixels, colour ? 'RGB' : stored);
  }
  if (ts === TS.jpegLsLossless || ts === TS.jpegLsNear)
    return out(codecs.decodeJpegLs(pixel, frame, {}), stored);
  if (ts === TS.j2kLossless || ts === TS.j2k || HTJ2K.test(ts)) {
    // OpenJPEG (HTJ2K included) undoes the multiple-component transform itself: the pixels are RGB.
    const pixels = codecs.decodeJpeg2000(pixel, frame, {});
    return out(pixels, stored === 'YBR_ICT' || stored === 'YBR_RCT' ? 'RGB' : stored);
  }
  throw new Error(`no decoder for transfer syntax ${ts}`);
}

/** Explicit VR little endian headers whose length is 32-bit (PS3.5 7.1.2). */
const LONG_VR = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);

/**
 * An encapsulated instance as a Part 10 file in explicit VR little endian: every element of
 * the data set copied as stored (encapsulated syntaxes are explicit VR little endian), the
 * frames decoded into native Pixel Data, Photometric Interpretation and Planar Configuration
 * set to what the decoded pixels are, and file meta naming the new transfer syntax.
 */
export function decodedInstance(parsed: ParsedInstance): Buffer {
  const image = parsed.image!;
  const frames = parsed.pixel!.frames.map((_, i) => decodeFrame(parsed, i));
  const photometric = frames[0]?.photometric ?? image.photometricInterpretation;
  const pixels = Buffer.concat(frames.map((f) => f.pixels));
  const ds = parsed.dataSet;
  const bytes = parsed.byteArray;
  const text = (s: string) => Buffer.from(s, 'latin1');
  const replaced: Record<string, Buffer> = {
    x00280004: explicitElement(0x0028, 0x0004, 'CS', text(photometric)),
    x7fe00010: explicitElement(0x7fe0, 0x0010, image.bitsAllocated > 8 ? 'OW' : 'OB', pixels),
  };
  if (image.samplesPerPixel > 1) {
    const planar = Buffer.alloc(2);
    replaced.x00280006 = explicitElement(0x0028, 0x0006, 'US', planar);
  }
  const tags = Object.keys({ ...ds.elements, ...replaced })
    .filter((t) => !t.startsWith('x0002'))
    .sort();
  const body = tags.map((tag) => {
    if (replaced[tag]) return replaced[tag];
    const e = ds.elements[tag];
    const header = e.vr && LONG_VR.has(e.vr) ? 12 : 8;
    return Buffer.from(bytes.subarray(e.dataOffset - header, e.dataOffset + e.length));
  });
  return Buffer.concat([
    part10Header(parsed.sopClassUid, parsed.sopInstanceUid, TS.explicitLittle),
    ...body,
  ]);
}

/**
 * An implicit VR little endian instance as explicit VR little endian: the data set re-headed
 * (values byte for byte, VRs from the dictionary, as a C-GET in the other syntax sends it) under
 * new file meta.
 */
export function explicitLittleCopy(part10: Buffer, sopClass: string, sopInstance: string): Buffer {
  return Buffer.concat([
    part10Header(sopClass, sopInstance, TS.explicitLittle),
    rewriteLittleEndian(dataSetOf(part10), TS.implicitLittle, TS.explicitLittle),
  ]);
}
