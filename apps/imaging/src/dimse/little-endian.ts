/**
 * A data set rewritten between the two uncompressed little endian transfer syntaxes (implicit VR
 * 1.2.840.10008.1.2 and explicit VR 1.2.840.10008.1.2.1), values byte for byte: for a C-GET
 * whose SCU accepted the instance's SOP class in the other one. Sequences and items are written
 * with undefined length (their lengths change with the headers). VRs for implicit input come
 * from the dictionary (private and unknown elements UN); an explicit UN of undefined length
 * (a sequence inside unknown content) is refused, as is anything truncated.
 */
import { vrOfTag } from '@huizhen/dicom';
import { EXPLICIT_LITTLE, IMPLICIT_LITTLE } from './association-negotiation';

const LONG_VRS = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'UC',
  'UN',
  'UR',
  'UT',
  'SV',
  'UV',
]);
const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;

/** Whether `from` can be rewritten as `to` here. */
export function canRewrite(from: string, to: string): boolean {
  const both = [IMPLICIT_LITTLE, EXPLICIT_LITTLE];
  return from !== to && both.includes(from) && both.includes(to);
}

class Reader {
  at = 0;
  constructor(
    readonly b: Buffer,
    readonly explicit: boolean,
  ) {}
  need(n: number): void {
    if (this.at + n > this.b.length) throw new Error('data set truncated');
  }
  u16(): number {
    this.need(2);
    const v = this.b.readUInt16LE(this.at);
    this.at += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.b.readUInt32LE(this.at);
    this.at += 4;
    return v;
  }
  take(n: number): Buffer {
    this.need(n);
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
}

/**
 * The dictionary's VR as one to write: its "US or SS" (xs) as US and "OB or OW" (ox) as OW, the
 * bytes being the same either way; anything else it cannot name as UN.
 */
function explicitVr(vr: string): string {
  if (vr === 'xs') return 'US';
  if (vr === 'ox' || vr === 'xw') return 'OW';
  return /^[A-Z]{2}$/.test(vr) ? vr : 'UN';
}

function tagText(tag: number): string {
  return `x${tag.toString(16).padStart(8, '0')}`;
}

function header(tag: number, vr: string, length: number, explicit: boolean): Buffer {
  const long = LONG_VRS.has(vr);
  const h = Buffer.alloc(explicit && long ? 12 : 8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  if (!explicit) h.writeUInt32LE(length, 4);
  else {
    h.write(vr, 4, 'latin1');
    if (long) h.writeUInt32LE(length, 8);
    else h.writeUInt16LE(length, 6);
  }
  return h;
}

function marker(tag: number, length: number): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16LE(tag >>> 16, 0);
  h.writeUInt16LE(tag & 0xffff, 2);
  h.writeUInt32LE(length, 4);
  return h;
}

/** Elements until the end of `r` or, inside an undefined-length item, its delimiter. */
function rewriteElements(
  r: Reader,
  out: Buffer[],
  toExplicit: boolean,
  untilItemEnd: boolean,
): void {
  while (r.at < r.b.length) {
    const tag = ((r.u16() << 16) | r.u16()) >>> 0;
    if (tag === ITEM_END) {
      r.u32();
      if (!untilItemEnd) throw new Error('item delimiter outside an item');
      return;
    }
    let vr: string;
    let length: number;
    if (r.explicit) {
      vr = r.take(2).toString('latin1');
      if (LONG_VRS.has(vr)) {
        r.take(2);
        length = r.u32();
      } else length = r.u16();
    } else {
      length = r.u32();
      vr = tag === 0x7fe00010 ? 'OW' : explicitVr(vrOfTag(tagText(tag)));
      if (length === UNDEFINED) vr = 'SQ';
    }
    if (vr === 'SQ') {
      out.push(header(tag, 'SQ', UNDEFINED, toExplicit));
      rewriteItems(r, length, out, toExplicit);
      out.push(marker(SEQUENCE_END, 0));
      continue;
    }
    if (length === UNDEFINED) throw new Error(`element ${tagText(tag)} of undefined length`);
    const value = r.take(length);
    // A value too long for its VR's 16-bit length goes out as UN.
    const outVr = toExplicit && !LONG_VRS.has(vr) && length > 0xffff ? 'UN' : vr;
    out.push(header(tag, outVr, length, toExplicit), value);
  }
  if (untilItemEnd) throw new Error('item without its delimiter');
}

function rewriteItems(r: Reader, length: number, out: Buffer[], toExplicit: boolean): void {
  const end = length === UNDEFINED ? Infinity : r.at + length;
  while (r.at < end) {
    const tag = ((r.u16() << 16) | r.u16()) >>> 0;
    const itemLength = r.u32();
    if (tag === SEQUENCE_END) {
      if (length !== UNDEFINED) throw new Error('sequence delimiter in a defined-length sequence');
      return;
    }
    if (tag !== ITEM) throw new Error(`expected an item, found ${tagText(tag)}`);
    out.push(marker(ITEM, UNDEFINED));
    if (itemLength === UNDEFINED) rewriteElements(r, out, toExplicit, true);
    else rewriteElements(new Reader(r.take(itemLength), r.explicit), out, toExplicit, false);
    out.push(marker(ITEM_END, 0));
  }
  if (length === UNDEFINED) throw new Error('sequence without its delimiter');
}

/** The data set in `to` (see canRewrite); throws on a malformed one. */
export function rewriteLittleEndian(dataSet: Buffer, from: string, to: string): Buffer {
  if (!canRewrite(from, to)) throw new Error(`cannot rewrite ${from} as ${to}`);
  const out: Buffer[] = [];
  rewriteElements(
    new Reader(dataSet, from === EXPLICIT_LITTLE),
    out,
    to === EXPLICIT_LITTLE,
    false,
  );
  return Buffer.concat(out);
}
