import { type ParsedInstance, TS } from '@huizhen/dicom';

export interface Window {
  center: number;
  width: number;
}

/**
 * A native (uncompressed little-endian) greyscale image whose display needs only the rescale
 * and a linear window: most CT, MR and DR from a township. Rendered here pixel by pixel; the
 * general decoder built a lookup table over the whole stored range (65,536 entries for 16-bit)
 * for every image, most of a rendered frame's time.
 */
export interface GreyImage {
  parsed: ParsedInstance;
  slope: number;
  intercept: number;
  /** The instance's own first Window Center/Width, if it has one. */
  window: Window | null;
  invert: boolean;
  /** Stored value marking padding (outside the patient): shown black, left out of the frame's range. */
  padding: number | null;
}

function decimal(parsed: ParsedInstance, tag: string, index = 0): number | undefined {
  const text = parsed.dataSet.string(tag, index);
  if (text === undefined || text.trim() === '') return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The instance as a GreyImage, or null when it needs the general decoder (compressed, colour, LUTs, padding…). */
export function greyImageOf(parsed: ParsedInstance): GreyImage | null {
  const img = parsed.image;
  const px = parsed.pixel;
  if (!img || !px || px.encapsulated || px.inflated || px.bigEndian) return null;
  if (
    parsed.transferSyntaxUid !== TS.explicitLittle &&
    parsed.transferSyntaxUid !== TS.implicitLittle
  )
    return null;
  if (img.samplesPerPixel !== 1 || !/^MONOCHROME[12]$/.test(img.photometricInterpretation))
    return null;
  if (
    (img.bitsAllocated !== 8 && img.bitsAllocated !== 16) ||
    img.bitsStored < 1 ||
    img.bitsStored > img.bitsAllocated
  )
    return null;
  const ds = parsed.dataSet;
  const highBit = ds.elements.x00280102 ? ds.uint16('x00280102') : undefined;
  if (highBit !== undefined && highBit !== img.bitsStored - 1) return null;
  // Modality LUT, VOI LUT, padding ranges, padding on MONOCHROME1 and non-linear VOI functions: the general decoder's.
  if (ds.elements.x00283000 || ds.elements.x00283010 || ds.elements.x00280121) return null;
  const padded = ds.elements.x00280120?.length === 2;
  if (ds.elements.x00280120 && (!padded || img.photometricInterpretation === 'MONOCHROME1'))
    return null;
  const fn = ds.string('x00281056');
  if (fn && fn.trim().toUpperCase() !== 'LINEAR') return null;
  const center = decimal(parsed, 'x00281050');
  const width = decimal(parsed, 'x00281051');
  return {
    parsed,
    slope: decimal(parsed, 'x00281053') ?? 1,
    intercept: decimal(parsed, 'x00281052') ?? 0,
    window: center !== undefined && width !== undefined && width >= 1 ? { center, width } : null,
    invert: img.photometricInterpretation === 'MONOCHROME1',
    padding: padded
      ? img.pixelRepresentation === 1
        ? ds.int16('x00280120')!
        : ds.uint16('x00280120')!
      : null,
  };
}

/** Frame `frame` (0-based) as 8-bit grey: rescale, then the window (requested, the instance's, or the frame's range). */
export function renderGrey(
  g: GreyImage,
  frame: number,
  requested?: Window,
): { pixels: Uint8Array; width: number; height: number } {
  const { rows, columns, bitsAllocated, bitsStored, pixelRepresentation } = g.parsed.image!;
  const [[offset]] = g.parsed.pixel!.frames[frame];
  const n = rows * columns;
  const bytes = g.parsed.byteArray;
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, n * (bitsAllocated / 8));
  const values = new Float64Array(n);
  const mask = bitsStored >= 32 ? 0xffffffff : (1 << bitsStored) - 1;
  const sign = pixelRepresentation === 1 ? 1 << (bitsStored - 1) : 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    let v = (bitsAllocated === 16 ? view.getUint16(i * 2, true) : view.getUint8(i)) & mask;
    if (sign && v & sign) v -= mask + 1;
    if (v === g.padding) {
      values[i] = NaN;
      continue;
    }
    const x = v * g.slope + g.intercept;
    values[i] = x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const w = requested ?? g.window ?? { center: (min + max) / 2, width: Math.max(1, max - min) };
  // PS3.3 C.11.2.1.2.1, linear VOI function, to 0..255.
  const c = w.center - 0.5;
  const half = (w.width - 1) / 2;
  const pixels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    let y: number;
    if (Number.isNaN(x)) y = 0;
    else if (x <= c - half) y = 0;
    else if (x > c + half) y = 255;
    else y = w.width <= 1 ? 255 : Math.round(((x - c) / (w.width - 1) + 0.5) * 255);
    pixels[i] = g.invert ? 255 - y : y;
  }
  return { pixels, width: columns, height: rows };
}
