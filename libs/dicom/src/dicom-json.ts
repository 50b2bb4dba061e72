import type { DataSet, Element } from 'dicom-parser';
import { decodeText, parseCharsets } from './charset';
import { vrOfTag } from './dictionary';

export interface PersonNameJson {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}
export interface DicomJsonElement {
  vr: string;
  Value?: unknown[];
  InlineBinary?: string;
  BulkDataURI?: string;
}
/** The DICOM JSON Model (PS3.18 F.2): keys are 8 upper-case hex digits. */
export type DicomJson = Record<string, DicomJsonElement>;

export interface DicomJsonOptions {
  /** Binary values up to this many bytes are inlined (base64); larger ones become BulkDataURI. */
  inlineBinaryLimit: number;
  /** URI for a binary value at [offset, offset+length) of the stored file; undefined: inline it. */
  bulkDataUri?: (offset: number, length: number) => string | undefined;
  /** URI given for Pixel Data (7FE0,0010). */
  pixelDataUri?: string;
}

const TEXT_VRS = new Set(['SH', 'LO', 'ST', 'LT', 'UC', 'UT', 'PN']);
const SINGLE_VALUE_TEXT = new Set(['ST', 'LT', 'UT', 'UR']);
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const NUMBER_SIZES: Record<string, number> = { US: 2, SS: 2, UL: 4, SL: 4, FL: 4, FD: 8, UV: 8, SV: 8, AT: 4 };

export function jsonTag(tag: string): string {
  return tag.slice(1).toUpperCase();
}

function elementVr(el: Element): string {
  if (el.tag === 'x7fe00010') return el.vr ?? 'OW';
  if (el.vr) return el.vr;
  if (el.items) return 'SQ';
  return vrOfTag(el.tag);
}

function rawBytes(ds: DataSet, el: Element): Uint8Array {
  return ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
}

function numbers(ds: DataSet, el: Element, vr: string): unknown[] {
  const size = NUMBER_SIZES[vr];
  const n = Math.floor(el.length / size);
  const out: unknown[] = [];
  const p = ds.byteArrayParser;
  const b = ds.byteArray;
  const view = vr === 'UV' || vr === 'SV' ? new DataView(b.buffer, b.byteOffset, b.byteLength) : null;
  const little = p.readUint16(Uint8Array.of(1, 0), 0) === 1;
  for (let i = 0; i < n; i++) {
    const at = el.dataOffset + i * size;
    switch (vr) {
      case 'US':
        out.push(p.readUint16(b, at));
        break;
      case 'SS':
        out.push(p.readInt16(b, at));
        break;
      case 'UL':
        out.push(p.readUint32(b, at));
        break;
      case 'SL':
        out.push(p.readInt32(b, at));
        break;
      case 'FL':
        out.push(p.readFloat(b, at));
        break;
      case 'FD':
        out.push(p.readDouble(b, at));
        break;
      case 'UV':
        out.push(Number(view!.getBigUint64(at, little)));
        break;
      case 'SV':
        out.push(Number(view!.getBigInt64(at, little)));
        break;
      case 'AT':
        out.push((p.readUint16(b, at).toString(16).padStart(4, '0') + p.readUint16(b, at + 2).toString(16).padStart(4, '0')).toUpperCase());
        break;
    }
  }
  return out;
}

function personName(value: string): PersonNameJson | null {
  if (!value) return null;
  const [a, i, p] = value.split('=');
  const pn: PersonNameJson = {};
  if (a) pn.Alphabetic = a.replace(/\s+$/, '');
  if (i) pn.Ideographic = i.replace(/\s+$/, '');
  if (p) pn.Phonetic = p.replace(/\s+$/, '');
  return Object.keys(pn).length ? pn : null;
}

function stringValues(ds: DataSet, el: Element, vr: string, charsets: string[]): unknown[] {
  const bytes = rawBytes(ds, el);
  const text = TEXT_VRS.has(vr) ? decodeText(bytes, charsets, vr === 'PN') : Buffer.from(bytes).toString('latin1');
  const parts = SINGLE_VALUE_TEXT.has(vr) ? [text] : text.split('\\');
  return parts.map((raw) => {
    const v = vr === 'UI' ? raw.replace(/[\0 ]+$/, '') : SINGLE_VALUE_TEXT.has(vr) ? raw.replace(/[\0 ]+$/, '') : raw.replace(/[\0 ]+$/, '').replace(/^ +/, '');
    if (vr === 'PN') return personName(v);
    if (vr === 'DS' || vr === 'IS') {
      if (v === '') return null;
      const n = Number(v);
      return Number.isFinite(n) ? n : null;
    }
    return v === '' ? null : v;
  });
}

/**
 * Converts a parsed dataset into the DICOM JSON Model, decoding text by Specific Character Set
 * (items may override it). File meta (group 0002) and group lengths are left out.
 */
export function toDicomJson(ds: DataSet, charsets: string[], opts: DicomJsonOptions): DicomJson {
  const out: DicomJson = {};
  const own = ds.elements.x00080005;
  const cs = own ? parseCharsets(Buffer.from(rawBytes(ds, own)).toString('latin1').replace(/[\0 ]+$/, '')) : charsets;
  const tags = Object.keys(ds.elements).sort();
  for (const tag of tags) {
    if (tag.startsWith('x0002') || tag.endsWith('0000') || tag.startsWith('xfffe')) continue;
    const el = ds.elements[tag];
    const vr = elementVr(el);
    const key = jsonTag(tag);
    if (vr === 'SQ' || el.items) {
      out[key] = { vr: 'SQ', Value: (el.items ?? []).map((item) => (item.dataSet ? toDicomJson(item.dataSet, cs, opts) : {})) };
      continue;
    }
    if (tag === 'x7fe00010' || tag === 'x7fe00008' || tag === 'x7fe00009') {
      out[key] = { vr: vr === 'UN' ? 'OW' : vr, ...(opts.pixelDataUri ? { BulkDataURI: opts.pixelDataUri } : {}) };
      continue;
    }
    if (el.length === 0 || el.length === 0xffffffff) {
      out[key] = { vr };
      continue;
    }
    if (BINARY_VRS.has(vr)) {
      const uri = el.length > opts.inlineBinaryLimit ? opts.bulkDataUri?.(el.dataOffset, el.length) : undefined;
      out[key] = uri ? { vr, BulkDataURI: uri } : { vr, InlineBinary: Buffer.from(rawBytes(ds, el)).toString('base64') };
      continue;
    }
    if (NUMBER_SIZES[vr]) {
      out[key] = { vr, Value: numbers(ds, el, vr) };
      continue;
    }
    const values = stringValues(ds, el, vr, cs);
    out[key] = values.every((v) => v === null) ? { vr } : { vr, Value: values };
  }
  return out;
}

/** First value of an element of a DICOM JSON object, as text (PN: Alphabetic, else Ideographic). */
export function jsonString(json: DicomJson, key: string): string | null {
  const v = json[key]?.Value?.[0];
  if (v === undefined || v === null) return null;
  if (typeof v === 'object') {
    const pn = v as PersonNameJson;
    return pn.Alphabetic ?? pn.Ideographic ?? pn.Phonetic ?? null;
  }
  return String(v);
}
