import { pinyin } from 'pinyin-pro';

/**
 * Whether a DICOM Person Name (PS3.5 6.2: up to three component groups, alphabetic=ideographic=
 * phonetic, each family^given^middle^prefix^suffix) names the same person as a name registered
 * in Chinese. Township modalities write the same 王测试 as "王^测试", "WANG^CESHI",
 * "Wang Ce Shi", "wangceshi" or "WANG^CESHI=王^测试"; a name in Han characters is compared by its
 * characters, a Latin one with the pinyin readings of the registered characters (every reading of
 * a polyphonic character, and its surname reading, so 单 may be "shan" and 曾 "zeng").
 */
export type NameVerdict = 'match' | 'mismatch' | 'unknown';

const HAN = /\p{Script=Han}/u;
const HAN_ONLY = /[^\p{Script=Han}]/gu;
/** Separators and marks a registered or DICOM name may carry: ^ = spaces, dots (·), hyphens, apostrophes. */
const NOT_LETTER = /[^\p{L}]/gu;
/** More tokens than this are not reordered (a name has a family and a given part, rarely more). */
const MAX_REORDERED_TOKENS = 4;

export function compareNames(registered: string, header: string | null | undefined): NameVerdict {
  const groups = (header ?? '')
    .normalize('NFKC')
    .split('=')
    .map((g) => g.trim())
    .filter((g) => g.replace(NOT_LETTER, '') !== '');
  if (groups.length === 0) return 'unknown';
  const wanted = registered.normalize('NFKC').trim();
  if (wanted.replace(NOT_LETTER, '') === '') return 'unknown';
  return groups.some((g) => sameName(wanted, g)) ? 'match' : 'mismatch';
}

function sameName(registered: string, group: string): boolean {
  if (HAN.test(group)) {
    // A Han group is compared by its characters alone (separators, spaces and ^ aside).
    return HAN.test(registered) && group.replace(HAN_ONLY, '') === registered.replace(HAN_ONLY, '');
  }
  const tokens = group
    .split(/[\^\s]+/)
    .map(latinKey)
    .filter((t) => t !== '');
  if (!HAN.test(registered)) {
    // A name registered in Latin letters (a foreign patient): the same letters, in any part order.
    const key = latinKey(registered);
    return orderings(tokens).some((o) => o.join('') === key);
  }
  const readings = characterReadings(registered.replace(HAN_ONLY, ''));
  return orderings(tokens).some((o) => spells(o.join(''), readings));
}

/** Lower-case ASCII letters: tone marks dropped, ü written u (modalities write lü as LU, LV or LYU). */
function latinKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(NOT_LETTER, '')
    .replace(/([ln])(?:v|yu)/g, '$1u')
    .replace(/v/g, 'u');
}

/** Each character's possible readings without tones; the first also read as a surname. */
function characterReadings(han: string): string[][] {
  const chars = [...han];
  const asSurname = pinyin(han, { surname: 'head', toneType: 'none', type: 'array' });
  return chars.map((ch, i) => {
    const all = pinyin(ch, { multiple: true, toneType: 'none', type: 'array' });
    return [...new Set([...all, asSurname[i] ?? ''].map(latinKey).filter((r) => r !== ''))];
  });
}

/** Whether `key` is the readings of the characters in order, one reading each (a small dynamic programme). */
function spells(key: string, readings: string[][]): boolean {
  let ends = new Set([0]);
  for (const options of readings) {
    const next = new Set<number>();
    for (const at of ends)
      for (const r of options) if (key.startsWith(r, at)) next.add(at + r.length);
    if (next.size === 0) return false;
    ends = next;
  }
  return ends.has(key.length);
}

/**
 * The tokens in their order and, for a short name, every other order: foreign-made consoles
 * often take the given name first ("Ceshi Wang").
 */
function orderings(tokens: string[]): string[][] {
  if (tokens.length > MAX_REORDERED_TOKENS) return [tokens];
  if (tokens.length <= 1) return [tokens];
  return tokens.flatMap((t, i) =>
    orderings([...tokens.slice(0, i), ...tokens.slice(i + 1)]).map((rest) => [t, ...rest]),
  );
}
