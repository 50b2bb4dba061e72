import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { prepared } from '@huizhen/database';
import type { DicomJson } from '@huizhen/dicom';
import { DomainError } from '@huizhen/platform-http';
import type { Level, QidoQuery } from './qido';

/**
 * Where a search looks: inside one study (and series), already checked and audited by the
 * caller; or a listing over the policy's owner scope (`owners`, from
 * AccessPolicyService.ownerReadScope), the actor's explicit grants and the `named` studies the
 * policy lets them read.
 */
export type QidoReach =
  { study: string; series?: string } | { actor: Actor; owners: string[]; named: string[] };

/**
 * A match as the statement answers it, whatever the level (`SELECT *` of the listing's CTE keeps
 * the same columns). Study level: the study's counts and modalities; series level: the series
 * and its count; instance level: the series and the instance's metadata.
 */
export interface QidoRow {
  study_instance_uid: string;
  organization_id: string;
  dicom_patient_id: string | null;
  study_json: DicomJson;
  /** The study's (study level) or the series' (series level) de-identified UID. */
  deid_uid?: string;
  study_deid?: string;
  modalities?: string[];
  number_of_series?: number;
  number_of_instances?: number;
  series_instance_uid?: string;
  series_deid?: string;
  series_json?: DicomJson;
  sop_instance_uid?: string;
  metadata?: DicomJson;
}

/**
 * QIDO-RS matching as SQL over the index (PS3.18 10.6): `parseQido`'s conditions, the reach,
 * the level's columns and order, a page; one named prepared statement per shape. A listing
 * reads `access_grant` for the actor's shares: the policy's owner scope plus its grants are
 * part of the statement (the read rule written as SQL, beside AccessPolicyService.decide), and
 * the listing's audit event for the reader's own organizations' studies is written by the
 * same statement.
 */
@Injectable()
export class QidoReadModel {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  /**
   * The matches, in the level's order. A listing with owners in scope audits, in the statement,
   * the owners' studies it found (always identified); studies of other organizations are left
   * to the caller to audit once their de-identification is decided.
   */
  async find(level: Level, qq: QidoQuery, reach: QidoReach): Promise<QidoRow[]> {
    const { where, params } = qq;
    if ('study' in reach) {
      params.push(reach.study);
      where.push(`st.study_instance_uid = $${params.length}`);
      if (reach.series) {
        params.push(reach.series);
        where.push(`se.series_instance_uid = $${params.length}`);
      }
    }
    // Listing (no study in the path): the actor's organizations, explicit grants, and (for named
    // studies) anything the policy allows.
    let ownCond = '';
    let sharedCond = '';
    let orgs: string[] = [];
    if ('owners' in reach) {
      orgs = reach.owners;
      // One organization (the usual clinician) as a plain equality, so the (organization, date, time) index returns rows in order.
      params.push(orgs.length === 1 ? orgs[0] : orgs);
      ownCond =
        orgs.length === 1
          ? `st.organization_id = $${params.length}::uuid`
          : `st.organization_id = ANY($${params.length}::uuid[])`;
      params.push(reach.actor.id, reach.actor.organizationId, reach.named);
      const n = params.length;
      // Driven from the (few) granted or named studies, looked up by primary key.
      sharedCond = `st.study_instance_uid = ANY(ARRAY(
          SELECT unnest($${n}::text[])
          UNION
          SELECT resource_id FROM access_grant WHERE resource_type = 'imaging_study' AND action IN ('read', '*') AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > now()) AND (grantee_practitioner_id = $${n - 2}::uuid OR grantee_organization_id = $${n - 1}::uuid)))`;
    }
    const and = (extra: string) => [...where, ...(extra ? [extra] : [])];
    const whereOf = (extra: string) =>
      and(extra).length ? `WHERE ${and(extra).join(' AND ')}` : '';
    const cond = whereOf(ownCond && sharedCond ? `(${ownCond} OR ${sharedCond})` : '');
    params.push(qq.limit, qq.offset);
    const lim = `LIMIT $${params.length - 1} OFFSET $${params.length}`;
    let sql: string;
    if (level === 'study') {
      if (where.some((w) => w.includes('se.'))) bad();
      const order =
        'ORDER BY st.study_date DESC NULLS LAST, st.study_time DESC NULLS LAST, st.study_instance_uid';
      const cols =
        'st.study_instance_uid, st.deid_uid, st.organization_id, st.dicom_patient_id, st.study_json, st.modalities, st.number_of_series, st.number_of_instances';
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
    const auditedInStatement = 'owners' in reach && orgs.length > 0;
    if (auditedInStatement) {
      params.push(orgs);
      sql = `WITH found AS MATERIALIZED (${sql}),
             logged AS (${this.ownStudiesRead(reach.actor, level, params, `$${params.length}`)})
             SELECT * FROM found`;
    }
    const rows: QidoRow[] = await this.db.query(prepared(sql), params);
    if (auditedInStatement) this.audit.appended();
    return rows;
  }

  /**
   * The audit event of a listing, as part of the search statement itself (see
   * AuditService.insertSelect): it names the listed studies of `organizationsParam` (the
   * reader's own organizations, always identified) from the statement's `found` rows.
   */
  private ownStudiesRead(
    actor: Actor,
    level: string,
    params: unknown[],
    organizationsParam: string,
  ): string {
    params.push(`search ${level}`);
    const what = `$${params.length}::text`;
    return this.audit.insertSelect(
      { action: 'imaging_study.read', actor, resourceType: 'imaging_study' },
      params,
      {
        from: `(SELECT array_agg(DISTINCT f.study_instance_uid) AS uids FROM found f WHERE f.organization_id = ANY(${organizationsParam}::uuid[])) own`,
        resourceId: 'CASE WHEN cardinality(own.uids) = 1 THEN own.uids[1] END',
        details: `jsonb_build_object('what', ${what}, 'deidentified', false, 'studyInstanceUids', to_jsonb(own.uids), 'deidentifiedStudyInstanceUids', '[]'::jsonb)`,
        when: 'own.uids IS NOT NULL',
      },
    );
  }
}

function bad(): never {
  throw new DomainError(
    'bad_query',
    HttpStatus.BAD_REQUEST,
    'series attributes cannot be matched at study level',
  );
}
