import { TS } from './transfer-syntax';

/** Our implementation, as file meta (0002,0012/0013) and DIMSE associations name it. */
export const IMPLEMENTATION_UID = '1.2.826.0.1.3680043.9.7433.1.1';
export const IMPLEMENTATION_VERSION = 'HUIZHEN_010';

const LONG_HEADER = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

/** One explicit VR little endian element, padded to even length (UI and OB with NUL, text with a space). */
export function explicitElement(group: number, element: number, vr: string, value: Buffer): Buffer {
  if (value.length % 2)
    value = Buffer.concat([
      value,
      Buffer.from(vr === 'UI' || vr === 'OB' || vr === 'OW' ? '\0' : ' '),
    ]);
  const long = LONG_HEADER.has(vr);
  const h = Buffer.alloc(long ? 12 : 8);
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(element, 2);
  h.write(vr, 4, 'latin1');
  if (long) h.writeUInt32LE(value.length, 8);
  else h.writeUInt16LE(value.length, 6);
  return Buffer.concat([h, value]);
}

/** Preamble and file meta group for a data set, so it is stored as a Part 10 file (`sourceAe`: who sent it over DIMSE). */
export function part10Header(
  sopClass: string,
  sopInstance: string,
  transferSyntax: string,
  sourceAe?: string,
): Buffer {
  const text = (s: string) => Buffer.from(s, 'latin1');
  const meta = Buffer.concat([
    explicitElement(0x0002, 0x0001, 'OB', Buffer.from([0, 1])),
    explicitElement(0x0002, 0x0002, 'UI', text(sopClass)),
    explicitElement(0x0002, 0x0003, 'UI', text(sopInstance)),
    explicitElement(0x0002, 0x0010, 'UI', text(transferSyntax)),
    explicitElement(0x0002, 0x0012, 'UI', text(IMPLEMENTATION_UID)),
    explicitElement(0x0002, 0x0013, 'SH', text(IMPLEMENTATION_VERSION)),
    ...(sourceAe ? [explicitElement(0x0002, 0x0016, 'AE', text(sourceAe))] : []),
  ]);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(meta.length);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    explicitElement(0x0002, 0x0000, 'UL', len),
    meta,
  ]);
}

/** One element to write: tag as 'GGGGEEEE', its VR, and a text (UTF-8), US values or raw bytes. */
export interface ElementToWrite {
  tag: string;
  vr:
    'AE' | 'AS' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'TM' | 'UI' | 'US' | 'OW' | 'OB';
  value: string | number[] | Uint8Array;
}

function valueBytes(e: ElementToWrite): Buffer {
  if (typeof e.value === 'string') return Buffer.from(e.value, 'utf8');
  if (e.value instanceof Uint8Array)
    return Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength);
  const out = Buffer.alloc(e.value.length * 2);
  e.value.forEach((v, i) => out.writeUInt16LE(v, i * 2));
  return out;
}

/**
 * A DICOM Part 10 file in explicit VR little endian from a flat list of data set elements (no
 * sequences): the file meta of part10Header (SOP class and instance from 0008,0016 /
 * 0008,0018), then the elements in tag order. Used to make the demo's images.
 */
export function writePart10(elements: ElementToWrite[]): Buffer {
  const find = (tag: string) => elements.find((e) => e.tag === tag)?.value;
  const sopClass = find('00080016');
  const sopInstance = find('00080018');
  if (typeof sopClass !== 'string' || typeof sopInstance !== 'string')
    throw new Error('writePart10 needs SOP Class UID (0008,0016) and SOP Instance UID (0008,0018)');
  const data = [...elements]
    .sort((a, b) => (a.tag < b.tag ? -1 : 1))
    .map((e) =>
      explicitElement(
        parseInt(e.tag.slice(0, 4), 16),
        parseInt(e.tag.slice(4), 16),
        e.vr,
        valueBytes(e),
      ),
    );
  return Buffer.concat([part10Header(sopClass, sopInstance, TS.explicitLittle), ...data]);
}
