import { HttpStatus } from '@nestjs/common';
import { tagOfKeyword } from '@huizhen/dicom';
import { DomainError } from '@huizhen/platform-http';

export type Level = 'study' | 'series' | 'instance';
type Kind = 'pn' | 'str' | 'code' | 'istr' | 'date' | 'uid' | 'modality' | 'int';

/** Attributes QIDO-RS matches on, per level, and the column (alias.column) each lives in. */
const MATCHABLE: Record<string, { level: Level; col: string; kind: Kind; identity?: boolean }> = {
  '00100010': { level: 'study', col: 'st.patient_name_search', kind: 'pn', identity: true },
  '00100020': { level: 'study', col: 'st.dicom_patient_id', kind: 'str', identity: true },
  '00100030': { level: 'study', col: 'st.patient_birth_date', kind: 'date', identity: true },
  '00080050': { level: 'study', col: 'st.accession_number', kind: 'str', identity: true },
  '00080090': { level: 'study', col: 'st.referring_physician_name', kind: 'istr', identity: true },
  '00080020': { level: 'study', col: 'st.study_date', kind: 'date' },
  '00080030': { level: 'study', col: 'st.study_time', kind: 'str' },
  '00081030': { level: 'study', col: 'st.study_description', kind: 'istr' },
  '00200010': { level: 'study', col: 'st.study_id', kind: 'str' },
  '0020000D': { level: 'study', col: 'st.study_instance_uid', kind: 'uid' },
  '00080061': { level: 'study', col: 'st.modalities', kind: 'modality' },
  '00080060': { level: 'series', col: 'se.modality', kind: 'code' },
  '0020000E': { level: 'series', col: 'se.series_instance_uid', kind: 'uid' },
  '00200011': { level: 'series', col: 'se.series_number', kind: 'int' },
  '0008103E': { level: 'series', col: 'se.series_description', kind: 'istr' },
  '00080021': { level: 'series', col: 'se.series_date', kind: 'date' },
  '00080016': { level: 'instance', col: 'i.sop_class_uid', kind: 'uid' },
  '00080018': { level: 'instance', col: 'i.sop_instance_uid', kind: 'uid' },
  '00200013': { level: 'instance', col: 'i.instance_number', kind: 'int' },
};

const RESERVED = new Set(['limit', 'offset', 'includefield', 'fuzzymatching', 'fuzzyMatching']);
const LEVEL_ORDER: Level[] = ['study', 'series', 'instance'];

export interface QidoQuery {
  where: string[];
  params: unknown[];
  limit: number;
  offset: number;
  includeAll: boolean;
  includeFields: string[];
  /** The query names the patient (name, id, birth date, accession): never answered from de-identified rows. */
  identityFilter: boolean;
  uidFilter: string[] | null;
}

function toTag(key: string): string | null {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return key.toUpperCase();
  const t = tagOfKeyword(key);
  return t ? t.slice(1).toUpperCase() : null;
}

function likePattern(v: string): string {
  return v
    .replace(/[\\%_]/g, (c) => '\\' + c)
    .replace(/\*/g, '%')
    .replace(/\?/g, '_');
}

/**
 * The values of a multi-valued key (PS3.4 C.2.2.2.8 multiple value matching; PS3.18 8.3.4.1):
 * backslash-separated as C-FIND sends them, comma-separated as QIDO-RS writes them, or the
 * parameter repeated. A match of any value is a match (the union).
 */
function valueList(raw: unknown): string[] {
  return ([] as unknown[])
    .concat(raw)
    .flatMap((v) => String(v).split(/[\\,]/))
    .map((s) => s.trim())
    .filter(Boolean);
}

function bad(message: string): never {
  throw new DomainError('bad_query', HttpStatus.BAD_REQUEST, message);
}

/** Builds WHERE clauses from QIDO-RS query parameters (PS3.18 8.3.4): exact, wildcard, range, UID list, fuzzy names. */
export function parseQido(
  query: Record<string, unknown>,
  level: Level,
  params: unknown[] = [],
): QidoQuery {
  const where: string[] = [];
  let identityFilter = false;
  let uidFilter: string[] | null = null;
  const fuzzy = String(query.fuzzymatching ?? query.fuzzyMatching ?? 'false') === 'true';
  const includeFields: string[] = [];
  let includeAll = false;
  const limitRaw = query.limit === undefined ? 1000 : Number(query.limit);
  const offsetRaw = query.offset === undefined ? 0 : Number(query.offset);
  if (!Number.isInteger(limitRaw) || limitRaw < 0) bad('limit should be a whole number');
  if (!Number.isInteger(offsetRaw) || offsetRaw < 0) bad('offset should be a whole number');
  for (const inc of ([] as unknown[]).concat(query.includefield ?? [])) {
    for (const f of String(inc).split(',')) {
      if (f === 'all') includeAll = true;
      else if (f) includeFields.push(toTag(f) ?? bad(`unknown includefield ${f}`));
    }
  }
  for (const [key, raw] of Object.entries(query)) {
    if (RESERVED.has(key)) continue;
    const tag = toTag(key);
    if (!tag) bad(`unknown query attribute ${key}`);
    const m = MATCHABLE[tag];
    if (!m) bad(`attribute ${key} is not a matching key here`);
    if (LEVEL_ORDER.indexOf(m.level) > LEVEL_ORDER.indexOf(level))
      bad(`attribute ${key} cannot be matched at ${level} level`);
    const value = String(Array.isArray(raw) ? raw[0] : raw);
    if (value === '' && !valueList(raw).length) continue;
    if (m.identity) identityFilter = true;
    const p = (v: unknown) => {
      params.push(v);
      return `$${params.length}`;
    };
    const wild = /[*?]/.test(value);
    switch (m.kind) {
      case 'uid': {
        const list = valueList(raw);
        if (!list.length) break;
        if (m.col === 'st.study_instance_uid') {
          uidFilter = list;
          where.push(
            `(st.study_instance_uid = ANY(${p(list)}) OR st.deid_uid = ANY($${params.length}))`,
          );
        } else if (m.col === 'se.series_instance_uid')
          where.push(
            `(se.series_instance_uid = ANY(${p(list)}) OR se.deid_uid = ANY($${params.length}))`,
          );
        else if (m.col === 'i.sop_instance_uid')
          where.push(
            `(i.sop_instance_uid = ANY(${p(list)}) OR i.deid_uid = ANY($${params.length}))`,
          );
        else where.push(`${m.col} = ANY(${p(list)})`);
        break;
      }
      case 'pn': {
        const v = value.toLowerCase();
        if (fuzzy) {
          const plain = v.replace(/[*?]/g, '');
          where.push(
            `(${m.col} LIKE ${p('%|' + likePattern(plain) + '%')} OR word_similarity(${p(plain)}, ${m.col}) > 0.4)`,
          );
        } else if (wild) {
          where.push(
            `${m.col} LIKE ${p('%|' + likePattern(v) + (v.endsWith('*') ? '' : '|') + '%')}`,
          );
        } else {
          where.push(`${m.col} LIKE ${p('%|' + likePattern(v) + '|%')}`);
        }
        break;
      }
      case 'str':
        where.push(wild ? `${m.col} LIKE ${p(likePattern(value))}` : `${m.col} = ${p(value)}`);
        break;
      case 'istr':
        where.push(
          wild ? `${m.col} ILIKE ${p(likePattern(value))}` : `lower(${m.col}) = lower(${p(value)})`,
        );
        break;
      case 'int':
        if (!/^-?\d+$/.test(value)) bad(`${key} should be a whole number`);
        where.push(`${m.col} = ${p(Number(value))}`);
        break;
      case 'code': {
        // Code strings (Modality): a list of values or one value with wildcards.
        const list = valueList(raw);
        if (list.length > 1 && list.some((v) => /[*?]/.test(v)))
          bad(`${key}: wildcards cannot be combined with a list of values`);
        if (list.length > 1) where.push(`${m.col} = ANY(${p(list)})`);
        else if (list.length)
          where.push(
            /[*?]/.test(list[0])
              ? `${m.col} LIKE ${p(likePattern(list[0]))}`
              : `${m.col} = ${p(list[0])}`,
          );
        break;
      }
      case 'modality': {
        // Modalities in Study: studies holding any of the listed modalities.
        const list = valueList(raw);
        if (list.some((v) => /[*?]/.test(v)))
          bad(`${key}: modalities are matched by value, without wildcards`);
        if (list.length) where.push(`${m.col} && ${p(list)}::text[]`);
        break;
      }
      case 'date': {
        const range = /^(\d{8})?-(\d{8})?$/.exec(value);
        if (range && (range[1] || range[2])) {
          if (range[1]) where.push(`${m.col} >= ${p(range[1])}`);
          if (range[2]) where.push(`${m.col} <= ${p(range[2])}`);
        } else if (/^\d{8}$/.test(value)) where.push(`${m.col} = ${p(value)}`);
        else bad(`${key}=${value} should be YYYYMMDD or a range YYYYMMDD-YYYYMMDD`);
        break;
      }
    }
  }
  return {
    where,
    params,
    limit: Math.min(limitRaw, 10000),
    offset: offsetRaw,
    includeAll,
    includeFields,
    identityFilter,
    uidFilter,
  };
}
