/**
 * Modality Worklist C-FIND (PS3.4 K.6, SOP class 1.2.840.10008.5.1.4.31): a township's modality
 * asks what exams are scheduled for it and gets the consultations' requested exams, with the
 * patient's name, ID, sex and birth date and the accession number it writes into the images. So
 * nobody types a name at the console, and the images find their request by themselves
 * (WorklistArrivals).
 *
 * Who sees what: a registered, enabled AE of the centre with the `worklist` direction sees the
 * open requests of its own organization (another centre's modality sees none of them; a
 * stranger is refused at association); each answer is audited as a PHI read by `dimse:<AE>`.
 */
import { Injectable } from '@nestjs/common';
import { AuditService } from '@huizhen/audit';
import type { DicomJson, DicomJsonElement } from '@huizhen/dicom';
import { emptyElement, matchValue } from '../dimse/identifier';
import { type DimsePeerIdentity, peerActor } from '../dimse/peer-actor';
import { FIND_STATUS, type FindAnswer } from '../dimse/dimse-query';
import { type ProcedureStep, ProcedureStepStore } from './procedure-step-store';

const TAG = {
  charset: '00080005',
  accession: '00080050',
  referringPhysician: '00080090',
  modality: '00080060',
  patientName: '00100010',
  patientId: '00100020',
  birthDate: '00100030',
  sex: '00100040',
  studyUid: '0020000D',
  requestingPhysician: '00321032',
  requestedProcedureDescription: '00321060',
  sps: '00400100',
  stationAe: '00400001',
  spsStartDate: '00400002',
  spsStartTime: '00400003',
  spsDescription: '00400007',
  spsId: '00400009',
  spsStatus: '00400020',
  requestedProcedureId: '00401001',
  priority: '00401003',
} as const;

/** The most steps one C-FIND answers (more is refused: narrow the query). */
const MAX_STEPS = 500;

const DICOM_SEX: Record<string, string> = { male: 'M', female: 'F', other: 'O' };
/** Our sex as DICOM writes it (empty when unknown). */
const dicomSex = (sex: string): string => DICOM_SEX[sex] ?? '';

const PRIORITY: Record<string, string> = { routine: 'ROUTINE', urgent: 'HIGH', emergency: 'STAT' };

/** The exam's scheduled start as the township's clock reads it (China Standard Time, no DST). */
function chinaDateTime(at: Date): { date: string; time: string } {
  const t = new Date(at.getTime() + 8 * 3_600_000).toISOString();
  return {
    date: t.slice(0, 10).replace(/-/g, ''),
    time: t.slice(11, 19).replace(/:/g, ''),
  };
}

/**
 * The Study Instance UID the modality is asked to use for the exam: derived from the
 * consultation's id (the 2.25 UUID arc, PS3.5 B.2), so every answer names the same study.
 */
export function studyUidOf(consultationId: string): string {
  return `2.25.${BigInt(`0x${consultationId.replace(/-/g, '')}`).toString()}`;
}

const text = (vr: string, v: string): DicomJsonElement => (v ? { vr, Value: [v] } : { vr });
const person = (name: string): DicomJsonElement =>
  name ? { vr: 'PN', Value: [{ Alphabetic: name }] } : { vr: 'PN' };

/** A step as a complete worklist item; the answer picks the requested keys from it. */
export function worklistItem(step: ProcedureStep, stationAe: string): DicomJson {
  const start = chinaDateTime(step.requestedAt);
  return {
    [TAG.accession]: text('SH', step.accessionNumber),
    [TAG.referringPhysician]: person(step.requesterName),
    [TAG.patientName]: person(step.patient.name),
    [TAG.patientId]: text('LO', step.patient.id),
    [TAG.birthDate]: text('DA', step.patient.birthDate),
    [TAG.sex]: text('CS', dicomSex(step.patient.sex)),
    [TAG.studyUid]: text('UI', studyUidOf(step.consultationId)),
    [TAG.requestingPhysician]: person(step.requesterName),
    [TAG.requestedProcedureDescription]: text('LO', step.procedure),
    [TAG.requestedProcedureId]: text('SH', step.accessionNumber),
    [TAG.priority]: text('SH', PRIORITY[step.urgency] ?? 'ROUTINE'),
    [TAG.sps]: {
      vr: 'SQ',
      Value: [
        {
          [TAG.modality]: text('CS', step.modality),
          // Steps are the centre's, not one machine's: the asking station is named.
          [TAG.stationAe]: text('AE', stationAe),
          [TAG.spsStartDate]: text('DA', start.date),
          [TAG.spsStartTime]: text('TM', start.time),
          [TAG.spsDescription]: text('LO', step.procedure),
          [TAG.spsId]: text('SH', step.accessionNumber),
          [TAG.spsStatus]: text('CS', 'SCHEDULED'),
        },
      ],
    },
  };
}

/** Single value matching with `*` and `?` (PS3.4 C.2.2.2.4), names without case. */
function wildcardMatch(pattern: string, value: string, vr: string): boolean {
  const fold = (s: string) => (vr === 'PN' ? s.toLowerCase() : s);
  if (!/[*?]/.test(pattern)) return fold(pattern.trim()) === fold(value.trim());
  const re = fold(pattern)
    .split('')
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, 's').test(fold(value));
}

/** Range matching of a date (PS3.4 C.2.2.2.5): `A-B`, `A-`, `-B` or one date. */
function dateMatch(query: string, value: string): boolean {
  if (!value) return false;
  const dash = query.indexOf('-');
  if (dash < 0) return query === value;
  const from = query.slice(0, dash);
  const to = query.slice(dash + 1);
  return (!from || value >= from) && (!to || value <= to);
}

function plainValue(e: DicomJsonElement | undefined): string {
  const v = e?.Value?.[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') {
    const pn = v as { Alphabetic?: string; Ideographic?: string };
    return pn.Alphabetic ?? pn.Ideographic ?? '';
  }
  return String(v);
}

/** Whether an item answers the query's matching keys (universal keys match everything). */
export function itemMatches(query: DicomJson, item: DicomJson): boolean {
  for (const [tag, q] of Object.entries(query)) {
    if (tag === TAG.charset || tag === TAG.stationAe) continue;
    if (q.vr === 'SQ') {
      const sub = q.Value?.[0] as DicomJson | undefined;
      const ours = (item[tag]?.Value?.[0] as DicomJson | undefined) ?? {};
      if (sub && !itemMatches(sub, ours)) return false;
      continue;
    }
    const wanted = matchValue(q);
    if (wanted === null) continue;
    const value = plainValue(item[tag]);
    const ok = q.vr === 'DA' ? dateMatch(wanted, value) : wildcardMatch(wanted, value, q.vr);
    if (!ok) return false;
  }
  return true;
}

/** The requested keys of an item: a sequence answers its requested item keys (all of them when it asked for none). */
export function requestedKeys(query: DicomJson, item: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const [tag, q] of Object.entries(query)) {
    if (tag === TAG.charset || tag.startsWith('0000') || tag.startsWith('0002')) continue;
    const ours = item[tag];
    if (q.vr === 'SQ' && ours?.vr === 'SQ') {
      const sub = q.Value?.[0] as DicomJson | undefined;
      out[tag] = {
        vr: 'SQ',
        Value: (ours.Value ?? []).map((i) =>
          sub && Object.keys(sub).length ? requestedKeys(sub, i as DicomJson) : i,
        ),
      };
      continue;
    }
    out[tag] = ours ?? emptyElement(tag, q);
  }
  return out;
}

/** The query's single-valued key without wildcards, for the SQL to narrow by; null otherwise. */
function exactKey(e: DicomJsonElement | undefined): string | null {
  const v = matchValue(e);
  return v !== null && !/[*?\\]/.test(v) ? v.trim() : null;
}

@Injectable()
export class ModalityWorklist {
  constructor(
    private readonly steps: ProcedureStepStore,
    private readonly audit: AuditService,
  ) {}

  /** One worklist C-FIND from a peer allowed the `worklist` direction. */
  async find(peer: DimsePeerIdentity, query: DicomJson): Promise<FindAnswer> {
    const sps = query[TAG.sps]?.Value?.[0] as DicomJson | undefined;
    const found = await this.steps.scheduled(
      peer.organizationId,
      { modality: exactKey(sps?.[TAG.modality]), accessionNumber: exactKey(query[TAG.accession]) },
      MAX_STEPS + 1,
    );
    if (found.length > MAX_STEPS)
      return {
        status: FIND_STATUS.outOfResources,
        comment: `more than ${MAX_STEPS} scheduled steps: narrow the query`,
      };
    const hits = found
      .map((step) => ({ step, item: worklistItem(step, peer.aeTitle) }))
      .filter(({ item }) => itemMatches(query, item));
    if (hits.length) {
      // The modality now holds these patients' names, IDs, sex and birth dates: a PHI read.
      await this.audit.record({
        action: 'imaging_worklist.read',
        actor: peerActor(peer),
        resourceType: 'consultation',
        resourceId: hits.length === 1 ? hits[0].step.consultationId : undefined,
        details: {
          aeTitle: peer.aeTitle,
          consultationIds: hits.map((h) => h.step.consultationId),
          patientIds: hits.map((h) => h.step.patient.id),
        },
      });
    }
    return { matches: hits.map(({ item }) => requestedKeys(query, item)) };
  }
}
