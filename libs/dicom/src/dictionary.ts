import dcmjs from 'dcmjs';

const dictionary = (dcmjs as any).data.DicomMetaDictionary.dictionary as Record<
  string,
  { vr: string; name: string } | undefined
>;
const cache = new Map<string, string>();

/** VR of a tag ('xggggeeee') from the standard dictionary, for implicit-VR datasets. Private and unknown tags are UN. */
export function vrOfTag(tag: string): string {
  const hit = cache.get(tag);
  if (hit) return hit;
  const g = tag.slice(1, 5).toUpperCase();
  const e = tag.slice(5, 9).toUpperCase();
  let vr: string;
  if (e === '0000') vr = 'UL';
  else if (parseInt(g, 16) % 2 === 1) vr = e <= '00FF' ? 'LO' : 'UN';
  else {
    const entry =
      dictionary[`(${g},${e})`] ??
      dictionary[`(${g.slice(0, 2)}xx,${e})`] ??
      dictionary[`(${g},${e.slice(0, 2)}xx)`] ??
      dictionary[`(${g},${e.slice(0, 3)}x)`];
    vr = entry?.vr ?? 'UN';
    // Dictionary entries like "US or SS" / "OB or OW": pick the first; pixel data handled by callers.
    if (vr.includes(' ')) vr = vr.split(' ')[0];
  }
  cache.set(tag, vr);
  return vr;
}

/** Keyword (e.g. PatientName) to tag ('xggggeeee'), for QIDO parameters given by name. */
export function tagOfKeyword(keyword: string): string | undefined {
  const nameMap = (dcmjs as any).data.DicomMetaDictionary.nameMap as Record<
    string,
    { tag: string } | undefined
  >;
  const entry = nameMap[keyword];
  if (!entry) return undefined;
  const m = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
  return m ? `x${m[1]}${m[2]}`.toLowerCase() : undefined;
}

export function keywordOfTag(tag: string): string | undefined {
  const g = tag.slice(1, 5).toUpperCase();
  const e = tag.slice(5, 9).toUpperCase();
  return dictionary[`(${g},${e})`]?.name;
}
