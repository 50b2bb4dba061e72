import { HttpStatus, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Actor } from '@huizhen/auth';
import type { DicomJson } from '@huizhen/dicom';
import { prepared } from '@huizhen/database';
import { DomainError } from '@huizhen/platform-http';
import { ImagingAccess, type StudyAccess } from '../access/imaging-access.service';
import { ImagingIndex } from '../imaging-index.service';
import { IngestService } from '../ingest/ingest.service';
import { outsiderJson } from './outsider-json';
import { type Level, parseQido } from './qido';

/** Where a search looks: everything the actor may list, or inside one study (and series) already checked. */
export interface QidoScope {
  study?: StudyAccess;
  series?: string;
}

/** QIDO-RS matching over the index (PS3.18 10.6), shared by the controller's routes and the direct ones. */
@Injectable()
export class QidoSearch {
  constructor(
    private readonly index: ImagingIndex,
    private readonly access: ImagingAccess,
    private readonly ingest: IngestService,
  ) {}

  /**
   * The matches the actor may see, as DICOM JSON (de-identified where the reader is outside the
   * patient's consortium). A listing (no study in scope) is limited to the actor's organizations,
   * explicit grants and named studies the policy allows, and audited; a search inside one study
   * was checked and audited by ImagingAccess.readStudy. `base` is the URL retrieve links start with.
   */
  async search(actor: Actor, level: Level, q: Record<string, unknown>, base: string, scope: QidoScope = {}): Promise<DicomJson[]> {
    const qq = parseQido(q, level);
    const { where, params } = qq;
    if (scope.study) {
      params.push(scope.study.study.study_instance_uid);
      where.push(`st.study_instance_uid = $${params.length}`);
      if (scope.series) {
        params.push(scope.series);
        where.push(`se.series_instance_uid = $${params.length}`);
      }
    }
    // Listing (no study in the path): the actor's organizations, explicit grants, and (for named
    // studies) anything the policy allows.
    let ownCond = '';
    let sharedCond = '';
    let orgs: string[] = [];
    if (!scope.study) {
      orgs = await this.access.searchableOrganizations(actor);
      const extra: string[] = [];
      if (qq.uidFilter) {
        for (const uid of qq.uidFilter.slice(0, 50)) {
          const s = await this.index.findStudy(uid);
          if (s && (await this.access.canRead(actor, s))) extra.push(s.study_instance_uid);
        }
      }
      // One organization (the usual clinician) as a plain equality, so the (organization, date, time) index returns rows in order.
      params.push(orgs.length === 1 ? orgs[0] : orgs);
      ownCond = orgs.length === 1 ? `st.organization_id = $${params.length}::uuid` : `st.organization_id = ANY($${params.length}::uuid[])`;
      params.push(actor.id, actor.organizationId, extra);
      const n = params.length;
      // Driven from the (few) granted or named studies, looked up by primary key.
      sharedCond = `st.study_instance_uid = ANY(ARRAY(
          SELECT unnest($${n}::text[])
          UNION
          SELECT resource_id FROM access_grant WHERE resource_type = 'imaging_study' AND action IN ('read', '*') AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > now()) AND (grantee_practitioner_id = $${n - 2}::uuid OR grantee_organization_id = $${n - 1}::uuid)))`;
    }
    const and = (extra: string) => [...where, ...(extra ? [extra] : [])];
    const whereOf = (extra: string) => (and(extra).length ? `WHERE ${and(extra).join(' AND ')}` : '');
    const cond = whereOf(ownCond && sharedCond ? `(${ownCond} OR ${sharedCond})` : '');
    params.push(qq.limit, qq.offset);
    const lim = `LIMIT $${params.length - 1} OFFSET $${params.length}`;
    let sql: string;
    if (level === 'study') {
      if (where.some((w) => w.includes('se.'))) bad();
      const order = 'ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.study_instance_uid';
      const cols = 'st.study_instance_uid, st.deid_uid, st.organization_id, st.dicom_patient_id, st.study_json, st.modalities, st.number_of_series, st.number_of_instances';
      if (ownCond) {
        // Own studies and shared ones as two ordered, limited branches (each can walk an index
        // in order and stop), merged: an OR across both would scan and sort every visible study.
        const top = `LIMIT ($${params.length - 1}::int + $${params.length}::int)`;
        sql = `SELECT ${cols} FROM imaging_study st WHERE st.study_instance_uid = ANY(ARRAY(
                 (SELECT st.study_instance_uid FROM imaging_study st ${whereOf(ownCond)} ${order} ${top})
                 UNION
                 (SELECT st.study_instance_uid FROM imaging_study st ${whereOf(sharedCond)} ${order} ${top})))
               ${order} ${lim}`;
      } else {
        sql = `SELECT ${cols} FROM imaging_study st ${cond} ${order} ${lim}`;
      }
    } else if (level === 'series') {
      sql = `SELECT st.study_instance_uid, st.deid_uid AS study_deid, st.organization_id, st.dicom_patient_id, st.study_json, se.series_instance_uid, se.deid_uid, se.series_json, se.number_of_instances
               FROM imaging_series se JOIN imaging_study st ON st.study_instance_uid = se.study_instance_uid ${cond}
              ORDER BY st.study_instance_uid, se.series_number NULLS LAST, se.series_instance_uid ${lim}`;
    } else {
      sql = `SELECT st.study_instance_uid, st.deid_uid AS study_deid, st.organization_id, st.dicom_patient_id, st.study_json, se.series_instance_uid, se.deid_uid AS series_deid, se.series_json,
                    i.sop_instance_uid, i.metadata
               FROM imaging_instance i JOIN imaging_series se ON se.series_instance_uid = i.series_instance_uid JOIN imaging_study st ON st.study_instance_uid = i.study_instance_uid ${cond}
              ORDER BY se.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST ${lim}`;
    }
    // A listing audits the reader's own organizations' studies in the same statement (one round
    // trip; the event exists exactly when the rows were read). The CTE is materialized and read
    // back in its order.
    const auditedInStatement = !scope.study && orgs.length > 0;
    if (auditedInStatement) {
      params.push(orgs);
      sql = `WITH found AS MATERIALIZED (${sql}),
             logged AS (${this.access.searchAuditStatement(actor, level, params, `$${params.length}`)})
             SELECT * FROM found`;
    }
    const rows: any[] = await this.index.db.query(prepared(sql), params);
    if (auditedInStatement) this.access.searchAudited();
    const ownOrgs = new Set(auditedInStatement ? orgs : []);
    const deidByOrg = new Map<string, boolean>();
    const out: DicomJson[] = [];
    const studies = new Map<string, boolean>();
    for (const r of rows) {
      let deid = scope.study?.deidentify;
      if (deid === undefined) {
        deid = deidByOrg.get(r.organization_id);
        if (deid === undefined) deidByOrg.set(r.organization_id, (deid = await this.access.mustDeidentify(actor, r.organization_id)));
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
        json = { ...(qq.includeAll || !scope.study ? pickStudy(r.study_json) : {}), ...r.series_json };
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
        json['00081190'] = { vr: 'UR', Value: [`${studyUrl}/series/${r.series_instance_uid}/instances/${r.sop_instance_uid}`] };
      }
      out.push(deid ? outsiderJson(json, this.ingest.deidentificationKey, r.organization_id, r.dicom_patient_id) : json);
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

const INSTANCE_FIELDS = ['00080016', '00080018', '00080060', '0020000D', '0020000E', '00200013', '00280010', '00280011', '00280008', '00280100', '00083002'];

function pickStudy(json: DicomJson): DicomJson {
  const out: DicomJson = {};
  for (const t of ['00080020', '00080030', '00080050', '00100010', '00100020', '0020000D']) if (json[t]) out[t] = json[t];
  return out;
}

function bad(): never {
  throw new DomainError('bad_query', HttpStatus.BAD_REQUEST, 'series attributes cannot be matched at study level');
}

