import { TextDecoder } from 'node:util';
/**
 * Text of a DICOM element decoded by its Specific Character Set (0008,0005), including the
 * ISO 2022 code extensions (escape sequences switching G0/G1) that Chinese, Japanese and
 * Korean systems use. dicom-parser's .string() reads bytes as Latin-1 and garbles these.
 */

const SINGLE_BYTE: Record<string, string> = {
  '': 'ascii',
  ISO_IR_6: 'ascii',
  ISO_IR_100: 'latin1',
  ISO_IR_101: 'iso-8859-2',
  ISO_IR_109: 'iso-8859-3',
  ISO_IR_110: 'iso-8859-4',
  ISO_IR_144: 'iso-8859-5',
  ISO_IR_127: 'iso-8859-6',
  ISO_IR_126: 'iso-8859-7',
  ISO_IR_138: 'iso-8859-8',
  ISO_IR_148: 'iso-8859-9',
  ISO_IR_203: 'iso-8859-15',
  ISO_IR_13: 'shift_jis',
  ISO_IR_166: 'windows-874',
  ISO_IR_192: 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

const decoders = new Map<string, TextDecoder>();
function decoder(label: string): TextDecoder {
  let d = decoders.get(label);
  if (!d) {
    d =
      label === 'ascii' || label === 'latin1' ? new TextDecoder('latin1') : new TextDecoder(label);
    decoders.set(label, d);
  }
  return d;
}

/** Normalizes a Specific Character Set value list (as read, backslash-separated, blanks kept). */
export function parseCharsets(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return raw.split('\\').map((s) => s.trim().replace(/\s+/g, '_'));
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80 || bytes[i] === 0x1b) return false;
  return true;
}

/** Latin-1 text of a byte range without copying it (the common, plain-ASCII case). */
export function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one element's raw value bytes. `personName` enables the PN rule that ^ and = reset the
 * ISO 2022 state. Without a declared character set, non-ASCII bytes are tried as UTF-8 then
 * GB18030: undeclared Chinese text from local modalities is common and Latin-1 is never right for it.
 */
export function decodeText(bytes: Uint8Array, charsets: string[], personName = false): string {
  if (isAscii(bytes)) return latin1(bytes);
  const first = charsets[0] ?? '';
  const iso2022 = charsets.some((c) => c.startsWith('ISO_2022'));
  if (!iso2022) {
    const label = SINGLE_BYTE[first];
    if (label && label !== 'ascii') return decoder(label).decode(bytes);
    try {
      return utf8Fatal.decode(bytes);
    } catch {
      return decoder('gb18030').decode(bytes);
    }
  }
  return decodeIso2022(bytes, first, personName);
}

type G0 = 'ascii' | 'jisx0201-roman' | 'jisx0208' | 'jisx0212';
type G1 = null | 'katakana' | 'ksx1001' | 'gb2312' | string; // string: single-byte 8859 label

function initialState(first: string): { g0: G0; g1: G1 } {
  switch (first.replace(/^ISO_2022_/, 'ISO_')) {
    case 'ISO_IR_13':
      return { g0: 'jisx0201-roman', g1: 'katakana' };
    case 'ISO_IR_58':
      return { g0: 'ascii', g1: 'gb2312' };
    case 'ISO_IR_149':
      return { g0: 'ascii', g1: 'ksx1001' };
    case 'ISO_IR_87':
      return { g0: 'jisx0208', g1: null };
    default: {
      const label = SINGLE_BYTE[first.replace(/^ISO_2022_/, 'ISO_')];
      return { g0: 'ascii', g1: label && label !== 'ascii' && label !== 'utf-8' ? label : null };
    }
  }
}

const ESCAPES: { seq: number[]; apply: (s: { g0: G0; g1: G1 }) => void }[] = [
  { seq: [0x28, 0x42], apply: (s) => (s.g0 = 'ascii') }, // ESC ( B
  { seq: [0x28, 0x4a], apply: (s) => (s.g0 = 'jisx0201-roman') }, // ESC ( J
  { seq: [0x29, 0x49], apply: (s) => (s.g1 = 'katakana') }, // ESC ) I
  { seq: [0x24, 0x42], apply: (s) => (s.g0 = 'jisx0208') }, // ESC $ B
  { seq: [0x24, 0x28, 0x44], apply: (s) => (s.g0 = 'jisx0212') }, // ESC $ ( D
  { seq: [0x24, 0x29, 0x43], apply: (s) => (s.g1 = 'ksx1001') }, // ESC $ ) C
  { seq: [0x24, 0x29, 0x41], apply: (s) => (s.g1 = 'gb2312') }, // ESC $ ) A
  { seq: [0x2d, 0x41], apply: (s) => (s.g1 = 'latin1') }, // ESC - A  (IR 100)
  { seq: [0x2d, 0x42], apply: (s) => (s.g1 = 'iso-8859-2') },
  { seq: [0x2d, 0x43], apply: (s) => (s.g1 = 'iso-8859-3') },
  { seq: [0x2d, 0x44], apply: (s) => (s.g1 = 'iso-8859-4') },
  { seq: [0x2d, 0x4c], apply: (s) => (s.g1 = 'iso-8859-5') },
  { seq: [0x2d, 0x47], apply: (s) => (s.g1 = 'iso-8859-6') },
  { seq: [0x2d, 0x46], apply: (s) => (s.g1 = 'iso-8859-7') },
  { seq: [0x2d, 0x48], apply: (s) => (s.g1 = 'iso-8859-8') },
  { seq: [0x2d, 0x4d], apply: (s) => (s.g1 = 'iso-8859-9') },
  { seq: [0x2d, 0x54], apply: (s) => (s.g1 = 'windows-874') },
];

function decodeIso2022(bytes: Uint8Array, first: string, personName: boolean): string {
  const init = initialState(first);
  const state = { ...init };
  let out = '';
  let run: number[] = [];
  let runKind = '';
  const flush = () => {
    if (!run.length) return;
    const b = Uint8Array.from(run);
    switch (runKind) {
      case 'ascii':
      case 'jisx0201-roman':
        out += decoder('latin1').decode(b);
        break;
      case 'jisx0208':
        out += decoder('euc-jp').decode(b.map((x) => x | 0x80));
        break;
      case 'jisx0212': {
        const e: number[] = [];
        for (let i = 0; i + 1 < b.length; i += 2) e.push(0x8f, b[i] | 0x80, b[i + 1] | 0x80);
        out += decoder('euc-jp').decode(Uint8Array.from(e));
        break;
      }
      case 'katakana':
        out += decoder('shift_jis').decode(b);
        break;
      case 'ksx1001':
        out += decoder('euc-kr').decode(b);
        break;
      case 'gb2312':
        out += decoder('gb18030').decode(b);
        break;
      default:
        out += decoder(runKind || 'latin1').decode(b);
    }
    run = [];
  };
  const push = (kind: string, byte: number) => {
    if (kind !== runKind) {
      flush();
      runKind = kind;
    }
    run.push(byte);
  };
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === 0x1b) {
      const esc = ESCAPES.find((e) => e.seq.every((v, k) => bytes[i + 1 + k] === v));
      if (esc) {
        flush();
        esc.apply(state);
        i += esc.seq.length;
        continue;
      }
    }
    const singleByteG0 = state.g0 === 'ascii' || state.g0 === 'jisx0201-roman';
    if (c < 0x80) {
      const delimiter =
        c === 0x0d ||
        c === 0x0a ||
        c === 0x09 ||
        c === 0x0c ||
        c === 0x5c ||
        (personName && (c === 0x5e || c === 0x3d));
      if (delimiter && singleByteG0) {
        push('ascii', c);
        state.g0 = init.g0;
        state.g1 = init.g1;
        continue;
      }
      push(state.g0, c);
    } else {
      push(state.g1 ?? 'latin1', c);
    }
  }
  flush();
  return out;
}
