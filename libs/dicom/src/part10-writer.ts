import { randomBytes } from 'node:crypto';
import { TS } from './transfer-syntax';

/** One element to write: tag as 'GGGGEEEE', its VR, and a text, a number list or raw bytes. */
export interface ElementToWrite {
  tag: string;
  vr: 'AE' | 'AS' | 'CS' | 'DA' | 'DS' | 'IS' | 'LO' | 'PN' | 'SH' | 'TM' | 'UI' | 'US' | 'OW' | 'OB';
  value: string | number[] | Uint8Array;
}

const LONG_HEADER = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

function encode(e: ElementToWrite): Buffer {
  let body: Buffer;
  if (typeof e.value === 'string') {
    body = Buffer.from(e.value, 'utf8');
    if (body.length % 2) body = Buffer.concat([body, Buffer.from(e.vr === 'UI' ? [0] : [0x20])]);
  } else if (e.value instanceof Uint8Array) {
    body = Buffer.from(e.value.buffer, e.value.byteOffset, e.value.byteLength);
    if (body.length % 2) body = Buffer.concat([body, Buffer.from([0])]);
  } else {
    body = Buffer.alloc(e.value.length * 2);
    e.value.forEach((v, i) => body.writeUInt16LE(v, i * 2));
  }
  const group = parseInt(e.tag.slice(0, 4), 16);
  const element = parseInt(e.tag.slice(4), 16);
  const long = LONG_HEADER.has(e.vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(group, 0);
  head.writeUInt16LE(element, 2);
  head.write(e.vr, 4, 'latin1');
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}

/**
 * A DICOM Part 10 file in explicit VR little endian from a flat list of data set elements
 * (no sequences): preamble, DICM, the file meta group (SOP class and instance taken from
 * 0008,0016 / 0008,0018), then the elements in tag order. Used to make the demo's images.
 */
export function writePart10(elements: ElementToWrite[]): Buffer {
  const find = (tag: string) => elements.find((e) => e.tag === tag)?.value;
  const sopClass = find('00080016');
  const sopInstance = find('00080018');
  if (typeof sopClass !== 'string' || typeof sopInstance !== 'string') throw new Error('writePart10 needs SOP Class UID (0008,0016) and SOP Instance UID (0008,0018)');
  const meta = Buffer.concat(
    [
      { tag: '00020001', vr: 'OB', value: Uint8Array.from([0, 1]) },
      { tag: '00020002', vr: 'UI', value: sopClass },
      { tag: '00020003', vr: 'UI', value: sopInstance },
      { tag: '00020010', vr: 'UI', value: TS.explicitLittle },
      { tag: '00020012', vr: 'UI', value: '2.25.' + BigInt('0x' + randomBytes(15).toString('hex')).toString(10) },
    ].map((e) => encode(e as ElementToWrite)),
  );
  // (0002,0000) File Meta Information Group Length, UL: the byte count of the rest of the group.
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt16LE(0x0002, 0);
  groupLength.write('UL', 4, 'latin1');
  groupLength.writeUInt16LE(4, 6);
  groupLength.writeUInt32LE(meta.length, 8);
  const data = [...elements].sort((a, b) => (a.tag < b.tag ? -1 : 1)).map(encode);
  return Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), groupLength, meta, ...data]);
}
