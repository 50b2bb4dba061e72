/**
 * What a C-GET or C-MOVE (PS3.4 C.4.2, C.4.3) sends: the instances its identifier names (study,
 * series or instance UIDs; at PATIENT level the patient's studies), each study read through
 * ImagingAccess.readStudy as WADO-RS reads it (the access policy decides, the read is audited,
 * a reader outside the patient's consortium gets the de-identified copy), the bytes as stored.
 */
import { deidentifyPart10, type DicomJson } from '@huizhen/dicom';
import type { ImagingAccess } from '../access/imaging-access.service';
import { patientPseudonym } from '../dicomweb/outsider-json';
import type { QidoSearch } from '../dicomweb/qido-search.service';
import type { ImagingStore, InstanceRow } from '../imaging-store';
import type { InstanceStore } from '../storage/instance-store';
import { FindRefusal, FIND_STATUS, levelOf } from './dimse-query';
import { matchValue } from './identifier';
import { type DimsePeerIdentity, peerActor } from './peer-actor';
import type { QrModel } from './sop-classes';

/** C-GET / C-MOVE status codes (PS3.4 C.4.2.1.5, C.4.3.1.5). */
export const RETRIEVE_STATUS = {
  success: 0x0000,
  pending: 0xff00,
  cancel: 0xfe00,
  subOperationsFailed: 0xb000,
  tooManyMatches: 0xa701,
  unableToPerformSubOperations: 0xa702,
  moveDestinationUnknown: 0xa801,
  identifierDoesNotMatchSopClass: 0xa900,
  unableToProcess: 0xc000,
  notAuthorized: 0x0124,
} as const;

/** One sub-operation: an instance to send, its data set read when it is its turn. */
export interface RetrieveItem {
  sopClass: string;
  sopInstance: string;
  transferSyntax: string;
  /** The data set as stored (de-identified for an outsider), without preamble and file meta. */
  dataSet(): Promise<Buffer>;
}

export type RetrievePlan = { items: RetrieveItem[] } | { status: number; comment: string };

const MAX_RETRIEVE_INSTANCES = 20000;

/** The data set of a Part 10 file: what follows the preamble, "DICM" and the group 0002 elements. */
export function dataSetOf(part10: Buffer): Buffer {
  let at = 132;
  while (at + 8 <= part10.length && part10.readUInt16LE(at) === 0x0002) {
    const vr = part10.toString('latin1', at + 4, at + 6);
    const long = ['OB', 'OW', 'OF', 'SQ', 'UT', 'UN'].includes(vr);
    const len = long ? part10.readUInt32LE(at + 8) : part10.readUInt16LE(at + 6);
    at += (long ? 12 : 8) + len;
  }
  return part10.subarray(at);
}

function uids(identifier: DicomJson, tag: string): string[] {
  const v = matchValue(identifier[tag]);
  return v ? v.split('\\').filter(Boolean) : [];
}

export interface RetrieveParts {
  qido: QidoSearch;
  access: ImagingAccess;
  store: ImagingStore;
  files: InstanceStore;
  deidentificationKey: () => Buffer;
}

export class DimseRetrieve {
  constructor(private readonly parts: RetrieveParts) {}

  /** The instances to send, or why the request is refused. */
  async plan(
    peer: DimsePeerIdentity,
    model: QrModel,
    identifier: DicomJson,
  ): Promise<RetrievePlan> {
    try {
      const level = levelOf(identifier, model);
      const actor = peerActor(peer);
      let studies = uids(identifier, '0020000D');
      const series = level === 'SERIES' || level === 'IMAGE' ? uids(identifier, '0020000E') : [];
      const instances = level === 'IMAGE' ? uids(identifier, '00080018') : [];
      if (level === 'PATIENT') {
        const patient = matchValue(identifier['00100020']);
        if (!patient) throw missing('Patient ID (0010,0020)');
        const found = await this.parts.qido.search(
          actor,
          'study',
          { '00100020': patient, limit: String(MAX_RETRIEVE_INSTANCES) },
          '',
        );
        studies = found.map((s) => String(s['0020000D']?.Value?.[0]));
      } else if (!studies.length) throw missing('Study Instance UID (0020,000D)');
      if (level === 'SERIES' && !series.length) throw missing('Series Instance UID (0020,000E)');
      if (level === 'IMAGE' && !instances.length) throw missing('SOP Instance UID (0008,0018)');
      const items: RetrieveItem[] = [];
      for (const uid of studies) {
        items.push(...(await this.ofStudy(peer, uid, series, instances)));
        if (items.length > MAX_RETRIEVE_INSTANCES)
          return {
            status: RETRIEVE_STATUS.tooManyMatches,
            comment: `more than ${MAX_RETRIEVE_INSTANCES} instances`,
          };
      }
      return { items };
    } catch (e) {
      if (e instanceof FindRefusal) {
        const status =
          e.status === FIND_STATUS.identifierDoesNotMatchSopClass
            ? RETRIEVE_STATUS.identifierDoesNotMatchSopClass
            : RETRIEVE_STATUS.unableToProcess;
        return { status, comment: e.message };
      }
      throw e;
    }
  }

  /**
   * A study's instances (narrowed to series and instances) if the policy lets the peer read it;
   * none when the study is unknown or not the peer's to read (no difference shown).
   */
  private async ofStudy(
    peer: DimsePeerIdentity,
    uid: string,
    series: string[],
    instances: string[],
  ): Promise<RetrieveItem[]> {
    let access;
    try {
      access = await this.parts.access.readStudy(peerActor(peer), uid, 'dimse retrieve');
    } catch (e) {
      const status = (e as { status?: number }).status;
      if (status === 403 || status === 404) return [];
      throw e;
    }
    const study = access.study.study_instance_uid;
    const rows: InstanceRow[] = [];
    const seriesList = series.length ? series : [undefined];
    const instanceList = instances.length ? instances : [undefined];
    for (const s of seriesList)
      for (const i of instanceList)
        rows.push(...(await this.parts.store.instances({ study, series: s, instance: i })));
    const key = this.parts.deidentificationKey();
    const pseudonym = patientPseudonym(
      key,
      access.study.organization_id,
      access.study.dicom_patient_id,
    );
    const files = this.parts.files;
    const seen = new Set<string>();
    return rows
      .filter((r) => !seen.has(r.sop_instance_uid) && !!seen.add(r.sop_instance_uid))
      .map((r) => ({
        sopClass: r.sop_class_uid,
        sopInstance: access.deidentify ? r.deid_uid : r.sop_instance_uid,
        transferSyntax: r.transfer_syntax_uid,
        dataSet: async () => {
          const bytes = await files.read(r.content_sha256);
          return dataSetOf(
            access.deidentify
              ? deidentifyPart10(bytes, { key, patientPseudonym: pseudonym })
              : bytes,
          );
        },
      }));
  }
}

function missing(what: string): FindRefusal {
  return new FindRefusal(
    FIND_STATUS.identifierDoesNotMatchSopClass,
    `the identifier names no ${what}`,
  );
}
