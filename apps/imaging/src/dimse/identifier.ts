/**
 * A query/retrieve identifier (the data set of a C-FIND, C-MOVE or C-GET request, PS3.4 C.4) read
 * into the DICOM JSON model QIDO-RS speaks, and a match written back as a data set in the
 * context's transfer syntax (implicit or explicit VR little endian). Text goes out as UTF-8
 * (Specific Character Set ISO_IR 192 when any of it is not ASCII).
 */
import dicomParser from 'dicom-parser';
import {
  type DicomJson,
  type DicomJsonElement,
  type PersonNameJson,
  parseCharsets,
  part10Header,
  toDicomJson,
  vrOfTag,
} from '@huizhen/dicom';
import { IMPLICIT_LITTLE } from './association-negotiation';

/** The identifier as DICOM JSON (empty elements have no Value: the keys to return). */
export function readIdentifier(data: Buffer, transferSyntax: string, sopClass: string): DicomJson {
  const bytes = Buffer.concat([part10Header(sopClass, '1.2.3', transferSyntax), data]);
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      vrCallback: vrOfTag as unknown as (tag: string) => void,
    });
  } catch (e) {
    throw new Error(`identifier cannot be read: ${e instanceof Error ? e.message : String(e)}`);
  }
  const json = toDicomJson(ds, parseCharsets(ds.string('x00080005')), { inlineBinaryLimit: 0 });
  delete json['00080005'];
  return json;
}

/** A matching key's value as QIDO-RS takes it in a query parameter; null for universal matching. */
export function matchValue(e: DicomJsonElement | undefined): string | null {
  const values = (e?.Value ?? []).filter((v) => v !== null && v !== undefined);
  if (!values.length) return null;
  const text = values
    .map((v) => {
      if (typeof v === 'object') {
        const pn = v as PersonNameJson;
        return pn.Alphabetic ?? pn.Ideographic ?? pn.Phonetic ?? '';
      }
      return String(v);
    })
    .join('\\');
  // A lone '*' is universal matching (PS3.4 C.2.2.2.4); so is a value of only spaces.
  if (text.trim() === '' || text === '*') return null;
  return text;
}

const LONG_LENGTH = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT']);
const NUMERIC: Record<string, [size: number, write: (b: Buffer, v: number, at: number) => void]> = {
  US: [2, (b, v, at) => b.writeUInt16LE(v, at)],
  SS: [2, (b, v, at) => b.writeInt16LE(v, at)],
  UL: [4, (b, v, at) => b.writeUInt32LE(v, at)],
  SL: [4, (b, v, at) => b.writeInt32LE(v, at)],
  FL: [4, (b, v, at) => b.writeFloatLE(v, at)],
  FD: [8, (b, v, at) => b.writeDoubleLE(v, at)],
};

function personNameText(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === null ? '' : String(v);
  const pn = v as PersonNameJson;
  const parts = [pn.Alphabetic ?? '', pn.Ideographic ?? '', pn.Phonetic ?? ''];
  while (parts.length > 1 && parts[parts.length - 1] === '') parts.pop();
  return parts.join('=');
}

function valueBytes(e: DicomJsonElement, explicit: boolean): Buffer {
  const values = e.Value ?? [];
  if (e.vr === 'SQ') {
    return Buffer.concat(
      values.map((item) => {
        const body = writeDataSet((item ?? {}) as DicomJson, explicit);
        const h = Buffer.alloc(8);
        h.writeUInt16LE(0xfffe, 0);
        h.writeUInt16LE(0xe000, 2);
        h.writeUInt32LE(body.length, 4);
        return Buffer.concat([h, body]);
      }),
    );
  }
  const numeric = NUMERIC[e.vr];
  if (numeric) {
    const [size, write] = numeric;
    const b = Buffer.alloc(size * values.length);
    values.forEach((v, i) => write(b, Number(v), i * size));
    return b;
  }
  if (e.InlineBinary) return Buffer.from(e.InlineBinary, 'base64');
  if (['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN'].includes(e.vr)) return Buffer.alloc(0);
  const text = values
    .map((v) => (e.vr === 'PN' ? personNameText(v) : v === null ? '' : String(v)))
    .join('\\');
  return Buffer.from(text, 'utf8');
}

function element(tag: string, e: DicomJsonElement, explicit: boolean): Buffer {
  let value = valueBytes(e, explicit);
  if (value.length % 2) value = Buffer.concat([value, Buffer.from(e.vr === 'UI' ? '\0' : ' ')]);
  const group = parseInt(tag.slice(0, 4), 16);
  const el = parseInt(tag.slice(4), 16);
  let h: Buffer;
  if (!explicit) {
    h = Buffer.alloc(8);
    h.writeUInt32LE(value.length, 4);
  } else if (LONG_LENGTH.has(e.vr)) {
    h = Buffer.alloc(12);
    h.write(e.vr, 4, 'latin1');
    h.writeUInt32LE(value.length, 8);
  } else {
    h = Buffer.alloc(8);
    h.write(e.vr, 4, 'latin1');
    h.writeUInt16LE(value.length, 6);
  }
  h.writeUInt16LE(group, 0);
  h.writeUInt16LE(el, 2);
  return Buffer.concat([h, value]);
}

function writeDataSet(json: DicomJson, explicit: boolean): Buffer {
  return Buffer.concat(
    Object.keys(json)
      .sort()
      .map((tag) => element(tag, json[tag], explicit)),
  );
}

function hasNonAscii(json: DicomJson): boolean {
  // JSON.stringify escapes control characters, so any code unit above 0x7f is real text.
  const text = JSON.stringify(json);
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return true;
  return false;
}

/**
 * A data set of the given elements in the transfer syntax (implicit or explicit VR little
 * endian), tags in order; Specific Character Set set to UTF-8 when some text needs it.
 */
export function writeIdentifier(json: DicomJson, transferSyntax: string): Buffer {
  const out: DicomJson = { ...json };
  if (hasNonAscii(json)) out['00080005'] = { vr: 'CS', Value: ['ISO_IR 192'] };
  return writeDataSet(out, transferSyntax !== IMPLICIT_LITTLE);
}

/** An empty element for a return key the match has no value for (its VR from the request or the dictionary). */
export function emptyElement(tag: string, requested?: DicomJsonElement): DicomJsonElement {
  return { vr: requested?.vr ?? vrOfTag(`x${tag.toLowerCase()}`) };
}
