export const TS = {
  implicitLittle: '1.2.840.10008.1.2',
  explicitLittle: '1.2.840.10008.1.2.1',
  deflated: '1.2.840.10008.1.2.1.99',
  explicitBig: '1.2.840.10008.1.2.2',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpegExtended: '1.2.840.10008.1.2.4.51',
  jpegLossless: '1.2.840.10008.1.2.4.57',
  jpegLosslessSV1: '1.2.840.10008.1.2.4.70',
  jpegLsLossless: '1.2.840.10008.1.2.4.80',
  jpegLsNear: '1.2.840.10008.1.2.4.81',
  j2kLossless: '1.2.840.10008.1.2.4.90',
  j2k: '1.2.840.10008.1.2.4.91',
  rle: '1.2.840.10008.1.2.5',
} as const;

const NATIVE = new Set<string>([TS.implicitLittle, TS.explicitLittle, TS.deflated, TS.explicitBig]);

/** Transfer syntaxes the archive accepts, stores as received and can render. */
export const SUPPORTED_TRANSFER_SYNTAXES: readonly string[] = [
  TS.explicitLittle,
  TS.implicitLittle,
  TS.deflated,
  TS.explicitBig,
  TS.jpegBaseline,
  TS.jpegExtended,
  TS.jpegLossless,
  TS.jpegLosslessSV1,
  TS.jpegLsLossless,
  TS.jpegLsNear,
  TS.j2kLossless,
  TS.j2k,
  TS.rle,
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.4.202',
  '1.2.840.10008.1.2.4.203',
];

export function isEncapsulated(ts: string): boolean {
  return !NATIVE.has(ts);
}

/** Media type of one frame of a given transfer syntax (PS3.18 Table 8.7.3-2). */
export function frameMediaType(ts: string): string {
  switch (ts) {
    case TS.jpegBaseline:
    case TS.jpegExtended:
    case TS.jpegLossless:
    case TS.jpegLosslessSV1:
      return 'image/jpeg';
    case TS.jpegLsLossless:
    case TS.jpegLsNear:
      return 'image/jls';
    case TS.j2kLossless:
    case TS.j2k:
      return 'image/jp2';
    case TS.rle:
      return 'image/dicom-rle';
    default:
      return isEncapsulated(ts) ? 'application/octet-stream' : 'application/octet-stream';
  }
}
