import type { DataSet, Element } from 'dicom-parser';
import { decodeText, latin1, parseCharsets } from './charset';
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

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function allNull(values: unknown[]): boolean {
  for (const v of values) if (v !== null) return false;
  return true;
}

function rawBytes(ds: DataSet, el: Element): Uint8Array {
  return ds.byteArray.subarray(el.dataOffset, el.dataOffset + el.length);
}

function numbers(ds: DataSet, el: Element, vr: string): unknown[] {
  const size = NUMBER_SIZES[vr];
  const n = Math.floor(el.length / size);
  const out: unknown[] = new Array(n);
  const p = ds.byteArrayParser;
  const b = ds.byteArray;
  let at = el.dataOffset;
  switch (vr) {
    case 'US':
      for (let i = 0; i < n; i++, at += 2) out[i] = p.readUint16(b, at);
      break;
    case 'SS':
      for (let i = 0; i < n; i++, at += 2) out[i] = p.readInt16(b, at);
      break;
    case 'UL':
      for (let i = 0; i < n; i++, at += 4) out[i] = p.readUint32(b, at);
      break;
    case 'SL':
      for (let i = 0; i < n; i++, at += 4) out[i] = p.readInt32(b, at);
      break;
    case 'FL':
      for (let i = 0; i < n; i++, at += 4) out[i] = p.readFloat(b, at);
      break;
    case 'FD':
      for (let i = 0; i < n; i++, at += 8) out[i] = p.readDouble(b, at);
      break;
    case 'UV':
    case 'SV': {
      const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const little = p.readUint16(Uint8Array.of(1, 0), 0) === 1;
      for (let i = 0; i < n; i++, at += 8) out[i] = Number(vr === 'UV' ? view.getBigUint64(at, little) : view.getBigInt64(at, little));
      break;
    }
    case 'AT':
      for (let i = 0; i < n; i++, at += 4) out[i] = (p.readUint16(b, at).toString(16).padStart(4, '0') + p.readUint16(b, at + 2).toString(16).padStart(4, '0')).toUpperCase();
      break;
  }
  return out;
}

/** Drops trailing NULs and spaces (DICOM value padding) without a regular expression. */
function trimPadding(v: string): string {
  let end = v.length;
  while (end > 0) {
    const c = v.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0) break;
    end--;
  }
  return end === v.length ? v : v.slice(0, end);
}

function trimLeadingSpaces(v: string): string {
  let start = 0;
  while (start < v.length && v.charCodeAt(start) === 0x20) start++;
  return start ? v.slice(start) : v;
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

function stringValue(raw: string, vr: string, single: boolean): unknown {
  const v = vr === 'UI' || single ? trimPadding(raw) : trimLeadingSpaces(trimPadding(raw));
  if (vr === 'PN') return personName(v);
  if (vr === 'DS' || vr === 'IS') {
    if (v === '') return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  }
  return v === '' ? null : v;
}

function stringValues(ds: DataSet, el: Element, vr: string, charsets: string[]): unknown[] {
  const bytes = rawBytes(ds, el);
  const text = TEXT_VRS.has(vr) ? decodeText(bytes, charsets, vr === 'PN') : latin1(bytes);
  const single = SINGLE_VALUE_TEXT.has(vr);
  if (single || !text.includes('\\')) return [stringValue(text, vr, single)];
  return text.split('\\').map((raw) => stringValue(raw, vr, false));
}

/**
 * Converts a parsed dataset into the DICOM JSON Model, decoding text by Specific Character Set
 * (items may override it). File meta (group 0002) and group lengths are left out.
 */
export function toDicomJson(ds: DataSet, charsets: string[], opts: DicomJsonOptions): DicomJson {
  const out: DicomJson = {};
  const own = ds.elements.x00080005;
  const cs = own ? parseCharsets(trimPadding(latin1(rawBytes(ds, own)))) : charsets;
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
      out[key] = uri ? { vr, BulkDataURI: uri } : { vr, InlineBinary: base64(rawBytes(ds, el)) };
      continue;
    }
    if (NUMBER_SIZES[vr]) {
      out[key] = { vr, Value: numbers(ds, el, vr) };
      continue;
    }
    const values = stringValues(ds, el, vr, cs);
    out[key] = allNull(values) ? { vr } : { vr, Value: values };
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
