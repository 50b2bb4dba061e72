import { Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Actor } from '@huizhen/auth';
import type { DicomJson } from '@huizhen/dicom';
import { ImagingAccess, type StudyAccess } from '../access/imaging-access.service';
import { ImagingStore } from '../imaging-store';
import { IngestService } from '../ingest/ingest.service';
import { outsiderJson } from './outsider-json';
import { type Level, parseQido } from './qido';
import { QidoReadModel, type QidoReach } from './qido-read-model';

/** Where a search looks: everything the actor may list, or inside one study (and series) already checked. */
export interface QidoScope {
  study?: StudyAccess;
  series?: string;
}

/**
 * QIDO-RS search (PS3.18 10.6), shared by the controller's routes and the direct ones: who may
 * see what, de-identification and the audit; the matching SQL is QidoReadModel's.
 */
@Injectable()
export class QidoSearch {
  constructor(
    private readonly store: ImagingStore,
    private readonly read: QidoReadModel,
    private readonly access: ImagingAccess,
    private readonly ingest: IngestService,
  ) {}

  /**
   * The matches the actor may see, as DICOM JSON (de-identified where the reader is outside the
   * patient's consortium). A listing (no study in scope) is limited to the actor's organizations,
   * explicit grants and named studies the policy allows, and audited; a search inside one study
   * was checked and audited by ImagingAccess.readStudy. `base` is the URL retrieve links start with.
   */
  async search(
    actor: Actor,
    level: Level,
    q: Record<string, unknown>,
    base: string,
    scope: QidoScope = {},
  ): Promise<DicomJson[]> {
    const qq = parseQido(q, level);
    let orgs: string[] = [];
    let reach: QidoReach;
    if (scope.study) {
      reach = { study: scope.study.study.study_instance_uid, series: scope.series };
    } else {
      orgs = await this.access.searchableOrganizations(actor);
      const named: string[] = [];
      if (qq.uidFilter) {
        for (const uid of qq.uidFilter.slice(0, 50)) {
          const s = await this.store.findStudy(uid);
          if (s && (await this.access.canRead(actor, s))) named.push(s.study_instance_uid);
        }
      }
      reach = { actor, owners: orgs, named };
    }
    const rows = await this.read.find(level, qq, reach);
    // The read model audited the listing's own organizations' studies in its statement.
    const auditedInStatement = !scope.study && orgs.length > 0;
    const ownOrgs = new Set(auditedInStatement ? orgs : []);
    const deidByOrg = new Map<string, boolean>();
    const out: DicomJson[] = [];
    const studies = new Map<string, boolean>();
    for (const r of rows) {
      let deid = scope.study?.deidentify;
      if (deid === undefined) {
        deid = deidByOrg.get(r.organization_id);
        if (deid === undefined)
          deidByOrg.set(
            r.organization_id,
            (deid = await this.access.mustDeidentify(actor, r.organization_id)),
          );
      }
      if (deid && qq.identityFilter) continue;
      if (!ownOrgs.has(r.organization_id)) studies.set(r.study_instance_uid, deid);
      let json: DicomJson;
      const studyUrl = `${base}/dicom-web/studies/${r.study_instance_uid}`;
      if (level === 'study') {
        json = { ...r.study_json };
        json['00080061'] = { vr: 'CS', Value: r.modalities };
        json['00201206'] = { vr: 'IS', Value: [r.number_of_series] };
        json['00201208'] = { vr: 'IS', Value: [r.number_of_instances] };
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = { vr: 'UR', Value: [studyUrl] };
      } else if (level === 'series') {
        json = {
          ...(qq.includeAll || !scope.study ? pickStudy(r.study_json) : {}),
          ...r.series_json,
        };
        json['0020000D'] = { vr: 'UI', Value: [r.study_instance_uid] };
        json['00201209'] = { vr: 'IS', Value: [r.number_of_instances] };
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = { vr: 'UR', Value: [`${studyUrl}/series/${r.series_instance_uid}`] };
      } else {
        const m = r.metadata as DicomJson;
        json = {};
        for (const t of INSTANCE_FIELDS) if (m[t]) json[t] = m[t];
        if (qq.includeAll) Object.assign(json, m);
        for (const t of qq.includeFields) if (m[t]) json[t] = m[t];
        json['00080056'] = { vr: 'CS', Value: ['ONLINE'] };
        json['00081190'] = {
          vr: 'UR',
          Value: [`${studyUrl}/series/${r.series_instance_uid}/instances/${r.sop_instance_uid}`],
        };
      }
      out.push(
        deid
          ? outsiderJson(
              json,
              this.ingest.deidentificationKey,
              r.organization_id,
              r.dicom_patient_id,
            )
          : json,
      );
    }
    // A search inside one study was audited by readStudy; a listing's other organizations' studies once, here.
    if (!scope.study) await this.access.auditSearch(actor, level, studies);
    return out;
  }
}

/** A QIDO-RS answer: the matches as application/dicom+json, or 204 when there are none. */
export function sendQidoResult(res: ServerResponse, matches: DicomJson[]): void {
  if (!matches.length) {
    res.statusCode = 204;
    res.end();
    return;
  }
  const text = JSON.stringify(matches);
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/dicom+json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

const INSTANCE_FIELDS = [
  '00080016',
  '00080018',
  '00080060',
  '0020000D',
  '0020000E',
  '00200013',
  '00280010',
  '00280011',
  '00280008',
  '00280100',
  '00083002',
];

function pickStudy(json: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const t of ['00080020', '00080030', '00080050', '00100010', '00100020', '0020000D'])
    if (json[t]) out[t] = json[t];
  return out;
}
