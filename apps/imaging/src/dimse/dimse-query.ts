/**
 * C-FIND (PS3.4 C.4.1) answered by QIDO-RS's search: the identifier's matching keys become the
 * QIDO query parameters of the same level, so matching (wildcards, date ranges, UID lists, the
 * case rules), the access scope (the calling peer's organization through the access policy),
 * de-identification and the audit are QidoSearch's; this file only translates.
 */
import type { DicomJson } from '@huizhen/dicom';
import type { Level } from '../dicomweb/qido';
import { parseQido } from '../dicomweb/qido';
import type { QidoSearch } from '../dicomweb/qido-search.service';
import { emptyElement, matchValue } from './identifier';
import { type DimsePeerIdentity, peerActor } from './peer-actor';
import type { QrModel } from './sop-classes';

/** C-FIND status codes (PS3.4 C.4.1.1.4). */
export const FIND_STATUS = {
  success: 0x0000,
  pending: 0xff00,
  cancel: 0xfe00,
  outOfResources: 0xa700,
  identifierDoesNotMatchSopClass: 0xa900,
  unableToProcess: 0xc000,
  /** PS3.7 C.5: the peer is not allowed this service. */
  notAuthorized: 0x0124,
} as const;

export type QrLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';
const QIDO_LEVEL: Record<QrLevel, Level> = {
  PATIENT: 'study',
  STUDY: 'study',
  SERIES: 'series',
  IMAGE: 'instance',
};
/** Patient-level matching keys (PS3.4 C.6.1.1.2): a PATIENT query matches on these only. */
const PATIENT_KEYS = new Set(['00100010', '00100020', '00100030']);
/** Patient attributes a PATIENT-level match answers with, from its studies. */
const PATIENT_ATTRIBUTES = ['00100010', '00100020', '00100021', '00100030', '00100040'];

const QUERY_RETRIEVE_LEVEL = '00080052';
const RETRIEVE_AE_TITLE = '00080054';
/** Elements of the identifier that are not keys to match or return. */
const NOT_KEYS = new Set([QUERY_RETRIEVE_LEVEL, '00080005']);

export type FindAnswer = { matches: DicomJson[] } | { status: number; comment: string };

export class FindRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The Query/Retrieve Level of an identifier, checked against the information model. */
export function levelOf(identifier: DicomJson, model: QrModel): QrLevel {
  const level = String(identifier[QUERY_RETRIEVE_LEVEL]?.Value?.[0] ?? '').trim();
  if (!['PATIENT', 'STUDY', 'SERIES', 'IMAGE'].includes(level)) {
    throw new FindRefusal(
      FIND_STATUS.identifierDoesNotMatchSopClass,
      `Query/Retrieve Level (0008,0052) "${level}" is not PATIENT, STUDY, SERIES or IMAGE`,
    );
  }
  if (level === 'PATIENT' && model === 'study') {
    throw new FindRefusal(
      FIND_STATUS.identifierDoesNotMatchSopClass,
      'the Study Root model has no PATIENT level',
    );
  }
  return level as QrLevel;
}

/** Whether QIDO-RS matches on this attribute at this level (its parser refuses the key otherwise). */
function matchable(tag: string, level: Level): boolean {
  try {
    parseQido({ [tag]: '' }, level);
    return true;
  } catch {
    return false;
  }
}

/**
 * The identifier as QIDO-RS query parameters: its matching keys with a value (a lone `*` or an
 * empty value is universal matching), and at IMAGE level every key as an includefield (the
 * instance listing answers only its own attributes otherwise). Keys QIDO-RS does not match on
 * are return keys only, as PS3.4 lets an SCP treat optional keys it does not support.
 */
export function qidoQueryOf(
  identifier: DicomJson,
  level: QrLevel,
  limit: number,
): Record<string, unknown> {
  const qidoLevel = QIDO_LEVEL[level];
  const query: Record<string, unknown> = { limit: String(limit) };
  const include: string[] = [];
  for (const [tag, e] of Object.entries(identifier)) {
    if (NOT_KEYS.has(tag) || tag.startsWith('0000') || tag.startsWith('0002')) continue;
    include.push(tag);
    if (level === 'PATIENT' && !PATIENT_KEYS.has(tag)) continue;
    if (!matchable(tag, qidoLevel)) continue;
    const value = matchValue(e);
    if (value !== null) query[tag] = value;
  }
  if (level === 'IMAGE' && include.length) query.includefield = include.join(',');
  return query;
}

/** Studies of the same patient (Patient ID and issuer) as one PATIENT-level match, with its counts. */
function patientsOf(studies: DicomJson[]): DicomJson[] {
  const patients = new Map<
    string,
    { json: DicomJson; studies: number; series: number; instances: number }
  >();
  for (const s of studies) {
    const key = JSON.stringify([s['00100020']?.Value ?? null, s['00100021']?.Value ?? null]);
    let p = patients.get(key);
    if (!p) {
      const json: DicomJson = {};
      for (const t of PATIENT_ATTRIBUTES) if (s[t]) json[t] = s[t];
      p = { json, studies: 0, series: 0, instances: 0 };
      patients.set(key, p);
    }
    p.studies++;
    p.series += Number(s['00201206']?.Value?.[0] ?? 0);
    p.instances += Number(s['00201208']?.Value?.[0] ?? 0);
  }
  return [...patients.values()].map((p) => ({
    ...p.json,
    '00201200': { vr: 'IS', Value: [p.studies] },
    '00201202': { vr: 'IS', Value: [p.series] },
    '00201204': { vr: 'IS', Value: [p.instances] },
  }));
}

/**
 * One C-FIND: what the peer may see that matches, each match shaped as the answer's identifier
 * (the requested keys, with a value where the match has one, the level and our AE title to
 * retrieve from), or the refusal's status. More matches than `maxMatches` is refused (out of
 * resources: narrow the query), as dcm4chee does, rather than a silently cut list.
 */
export class DimseQuery {
  constructor(
    private readonly qido: QidoSearch,
    private readonly settings: { aeTitle: string; maxMatches: number },
  ) {}

  async find(peer: DimsePeerIdentity, model: QrModel, identifier: DicomJson): Promise<FindAnswer> {
    try {
      const level = levelOf(identifier, model);
      // A PATIENT match is made of studies: read up to QIDO-RS's own ceiling of them.
      const limit = level === 'PATIENT' ? 10000 : this.settings.maxMatches + 1;
      const query = qidoQueryOf(identifier, level, limit);
      let found = await this.qido.search(peerActor(peer), QIDO_LEVEL[level], query, '');
      if (level === 'PATIENT') {
        if (found.length >= limit) throw tooMany(limit);
        found = patientsOf(found);
      }
      if (found.length > this.settings.maxMatches) throw tooMany(this.settings.maxMatches);
      return { matches: found.map((m) => this.answer(identifier, level, m)) };
    } catch (e) {
      if (e instanceof FindRefusal) return { status: e.status, comment: e.message };
      // QIDO-RS's refusal of a malformed value (a date that is no date, a number that is none).
      if (e instanceof Error && (e as { code?: string }).code === 'bad_query')
        return { status: FIND_STATUS.unableToProcess, comment: e.message };
      throw e;
    }
  }

  private answer(identifier: DicomJson, level: QrLevel, match: DicomJson): DicomJson {
    const out: DicomJson = {};
    for (const [tag, e] of Object.entries(identifier)) {
      if (NOT_KEYS.has(tag) || tag.startsWith('0000') || tag.startsWith('0002')) continue;
      out[tag] = match[tag] ?? emptyElement(tag, e);
    }
    out[QUERY_RETRIEVE_LEVEL] = { vr: 'CS', Value: [level] };
    out[RETRIEVE_AE_TITLE] = { vr: 'AE', Value: [this.settings.aeTitle] };
    return out;
  }
}

function tooMany(limit: number): FindRefusal {
  return new FindRefusal(
    FIND_STATUS.outOfResources,
    `more than ${limit} matches: narrow the query`,
  );
}
