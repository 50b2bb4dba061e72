import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import {
  consultationRefById,
  consultationRefsOfStudy,
  type ResourceRef,
} from '@huizhen/access-policy';
import { command, prepared, sql } from '@huizhen/database';
import type { CommitOutcome, PendingInstance } from './ingest/pending-instance';

export interface StudyRow {
  study_instance_uid: string;
  deid_uid: string;
  organization_id: string;
  patient_id: string | null;
  dicom_patient_id: string | null;
}

export interface InstanceRow {
  sop_instance_uid: string;
  series_instance_uid: string;
  study_instance_uid: string;
  deid_uid: string;
  sop_class_uid: string;
  transfer_syntax_uid: string;
  content_sha256: string;
  size_bytes: string;
  number_of_frames: number | null;
  burned_in_annotation: boolean;
  pixel_layout: import('@huizhen/dicom').PixelLayout | null;
}

/** A stored study as other modules see it (ImagingService.studySummary). */
export interface ImagingStudySummary {
  studyInstanceUid: string;
  organizationId: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  modalities: string[];
  numberOfSeries: number;
  numberOfInstances: number;
}

const STUDY_SUMMARY = sql(
  {
    study_instance_uid: 'text',
    organization_id: 'uuid',
    patient_id: 'uuid?',
    patient_name: 'text?',
    study_date: 'text?',
    study_description: 'text?',
    modalities: 'text[]',
    number_of_series: 'int',
    number_of_instances: 'int',
  },
  `SELECT study_instance_uid, organization_id, patient_id, patient_name, study_date, study_description, modalities, number_of_series, number_of_instances
     FROM imaging_study WHERE study_instance_uid = $1`,
)
  .takes<[studyUid: string]>()
  .map((r): ImagingStudySummary => ({
    studyInstanceUid: r.study_instance_uid,
    organizationId: r.organization_id,
    patientId: r.patient_id,
    patientName: r.patient_name,
    studyDate: r.study_date,
    studyDescription: r.study_description,
    modalities: r.modalities,
    numberOfSeries: r.number_of_series,
    numberOfInstances: r.number_of_instances,
  }));

const LINK_STUDY = command<[studyUid: string, consultationId: string, linkedBy: string | null]>(
  'INSERT INTO imaging_study_link (study_instance_uid, consultation_id, linked_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
);

const STUDIES_OF_CONSULTATION = sql(
  { study_instance_uid: 'text' },
  'SELECT study_instance_uid FROM imaging_study_link WHERE consultation_id = $1 ORDER BY created_at',
)
  .takes<[consultationId: string]>()
  .map((r) => r.study_instance_uid);

/**
 * The archive's rows: studies, series, instances and their links to consultations (the DICOM
 * peers are PeerStore's, peers/). The only class in imaging holding the DataSource besides the QIDO-RS read model
 * (dicomweb/qido-read-model.ts); other modules use ImagingService.
 */
@Injectable()
export class ImagingStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Stores a batch of instances' rows in one statement, which commits on its own: the
   * imaging_store_batch function (migration 1765000000000) writes studies, series, instances and
   * counters, and `audits` add the batch's audit events beside it (each builds an INSERT … SELECT
   * over `r.out`, the function's answer; see AuditService.insertSelect). Never throws for a
   * business conflict: each instance gets its own outcome, in input order, exactly as if they had
   * been stored one after another. `k` says whose audit event an instance belongs to.
   */
  async storeBatch(
    batch: { p: PendingInstance; k: number }[],
    audits: (params: unknown[]) => string[],
  ): Promise<CommitOutcome[]> {
    const studies = new Map<string, PendingInstance>();
    const series = new Map<string, { p: PendingInstance; ord: number }>();
    batch.forEach(({ p }, ord) => {
      if (!studies.has(p.studyUid)) studies.set(p.studyUid, p);
      const key = `${p.seriesUid} ${p.organizationId}`;
      if (!series.has(key)) series.set(key, { p, ord });
    });
    const studyRows = [...studies.values()].map((p) => ({
      study_instance_uid: p.studyUid,
      deid_uid: p.deid.study,
      organization_id: p.organizationId,
      patient_name: p.study.patientName,
      patient_name_search: p.study.patientNameSearch,
      dicom_patient_id: p.study.dicomPatientId,
      patient_birth_date: p.study.birthDate,
      patient_sex: p.study.sex,
      study_date: p.study.studyDate,
      study_time: p.study.studyTime,
      accession_number: p.study.accessionNumber,
      study_id: p.study.studyId,
      study_description: p.study.studyDescription,
      referring_physician_name: p.study.referringPhysicianName,
      study_json: p.studyJson,
      name_candidates: p.study.patientNameCandidates,
      birth_date_iso: p.study.birthDateIso,
    }));
    const seriesRows = [...series.values()].map(({ p, ord }) => ({
      ord,
      organization_id: p.organizationId,
      series_instance_uid: p.seriesUid,
      study_instance_uid: p.studyUid,
      deid_uid: p.deid.series,
      modality: p.modality,
      series_number: p.seriesNumber,
      series_description: p.seriesDescription,
      series_date: p.seriesDate,
      series_json: p.seriesJson,
    }));
    // Each instance's DICOM JSON (serialized once, on a digest thread) travels as a slice of one
    // binary parameter, not inside the rows' JSON: PostgreSQL then checks it once as json instead
    // of parsing the whole batch document and the value again (40 CT instances, 550 KB of JSON:
    // 8.5 -> 4.3 ms).
    const texts = batch.map(({ p }) => Buffer.from(p.metadataJson));
    let offset = 0;
    const instanceRows = batch.map(({ p, k }, ord) => {
      const at = offset;
      offset += texts[ord].length;
      return {
        ord,
        k,
        organization_id: p.organizationId,
        sop_instance_uid: p.sopUid,
        series_instance_uid: p.seriesUid,
        study_instance_uid: p.studyUid,
        deid_uid: p.deid.instance,
        sop_class_uid: p.sopClassUid,
        instance_number: p.instanceNumber,
        transfer_syntax_uid: p.transferSyntaxUid,
        content_sha256: p.staged.sha256,
        size_bytes: p.staged.size,
        rows: p.rows,
        columns: p.columns,
        number_of_frames: p.frames,
        burned_in_annotation: p.burnedIn,
        pixel_layout: p.pixelLayout,
        modality: p.modality,
        received_via: p.via,
        metadata_at: at,
        metadata_bytes: texts[ord].length,
      };
    });
    const params: unknown[] = [
      JSON.stringify(studyRows),
      JSON.stringify(seriesRows),
      JSON.stringify(instanceRows),
      Buffer.concat(texts, offset),
    ];
    const events = audits(params);
    const sql = `WITH r AS MATERIALIZED (SELECT imaging_store_batch($1::jsonb, $2::jsonb, $3::json, $4::bytea) AS out)${events.map((e, i) => `, audit_${i} AS (${e})`).join('')}
      SELECT r.out FROM r`;
    const [{ out }]: { out: StoredBatch }[] = await this.db.query(prepared(sql), params);
    return outcomesOf(
      batch.map(({ p }) => p),
      out,
    );
  }

  /**
   * Puts a received instance's content in place of the stored one of the same SOP Instance UID
   * (IMAGING_DUPLICATE_POLICY=replace): only when the stored row still holds `previousSha` and
   * the same series (an instance moving to another series or study is refused instead). The
   * counters do not change: it is the same instance. False when the row did not match.
   */
  async replaceInstance(p: PendingInstance, previousSha: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      prepared(`UPDATE imaging_instance SET sop_class_uid = $3, instance_number = $4, transfer_syntax_uid = $5,
             content_sha256 = $6, size_bytes = $7, rows = $8, columns = $9, number_of_frames = $10,
             burned_in_annotation = $11, pixel_layout = $12::jsonb, metadata = $13::json, received_via = $14
       WHERE sop_instance_uid = $1 AND series_instance_uid = $2 AND study_instance_uid = $15 AND content_sha256 = $16
       RETURNING sop_instance_uid`),
      [
        p.sopUid,
        p.seriesUid,
        p.sopClassUid,
        p.instanceNumber,
        p.transferSyntaxUid,
        p.staged.sha256,
        p.staged.size,
        p.rows,
        p.columns,
        p.frames,
        p.burnedIn,
        p.pixelLayout === null ? null : JSON.stringify(p.pixelLayout),
        Buffer.from(p.metadataJson).toString('utf8'),
        p.via,
        p.studyUid,
        previousSha,
      ],
    );
    return rows.length > 0;
  }

  async referencedHashes(shas: string[]): Promise<Set<string>> {
    const rows: { content_sha256: string }[] = await this.db.query(
      'SELECT DISTINCT content_sha256 FROM imaging_instance WHERE content_sha256 = ANY($1)',
      [shas],
    );
    return new Set(rows.map((r) => r.content_sha256));
  }

  /** A study by its UID or by its de-identified UID. */
  async findStudy(uid: string): Promise<StudyRow | null> {
    const rows: StudyRow[] = await this.db.query(
      prepared(
        'SELECT study_instance_uid, deid_uid, organization_id, patient_id, dicom_patient_id FROM imaging_study WHERE study_instance_uid = $1 OR deid_uid = $1 LIMIT 1',
      ),
      [uid],
    );
    return rows[0] ?? null;
  }

  /** The study's summary for other modules (no DICOM JSON), or null when it is not stored. */
  studySummary(studyUid: string): Promise<ImagingStudySummary | null> {
    return STUDY_SUMMARY.first(this.db, [studyUid]);
  }

  /**
   * Links a study to a consultation, in the caller's transaction; a link already there stays.
   * `linkedBy` null: no person did (a worklist arrival attached it by its accession number).
   */
  async linkToConsultation(
    m: EntityManager,
    studyUid: string,
    consultationId: string,
    linkedBy: string | null,
  ): Promise<void> {
    await LINK_STUDY.run(m, [studyUid, consultationId, linkedBy]);
  }

  /** Studies linked to a consultation from the study's side, oldest link first. */
  studiesOfConsultation(consultationId: string): Promise<string[]> {
    return STUDIES_OF_CONSULTATION.all(this.db, [consultationId]);
  }

  /** A consultation as the access policy sees it (read through libs/access-policy, as the api does), or null. */
  consultationRef(consultationId: string): Promise<ResourceRef | null> {
    return consultationRefById(this.db.manager, consultationId);
  }

  /** The consultations a study can be read through (attached there, or `linked` here), as the policy sees them. */
  consultationRefsOfStudy(studyUid: string, linked: string[]): Promise<ResourceRef[]> {
    return consultationRefsOfStudy(this.db.manager, studyUid, linked);
  }

  /** Consultations the study is linked to from the study's side. */
  async consultationsOf(studyUid: string): Promise<string[]> {
    const rows: { consultation_id: string }[] = await this.db.query(
      prepared('SELECT consultation_id FROM imaging_study_link WHERE study_instance_uid = $1'),
      [studyUid],
    );
    return rows.map((r) => r.consultation_id);
  }

  /** Series UID as stored, given the original or the de-identified UID, within a study. */
  async resolveSeries(studyUid: string, uid: string): Promise<string | null> {
    const rows: { series_instance_uid: string }[] = await this.db.query(
      'SELECT series_instance_uid FROM imaging_series WHERE study_instance_uid = $1 AND (series_instance_uid = $2 OR deid_uid = $2)',
      [studyUid, uid],
    );
    return rows[0]?.series_instance_uid ?? null;
  }

  async instances(where: {
    study: string;
    series?: string;
    instance?: string;
  }): Promise<InstanceRow[]> {
    const params: unknown[] = [where.study];
    let sql = `SELECT i.sop_instance_uid, i.series_instance_uid, i.study_instance_uid, i.deid_uid, i.sop_class_uid, i.transfer_syntax_uid, i.content_sha256,
                      i.size_bytes, i.number_of_frames, i.burned_in_annotation, i.pixel_layout
                 FROM imaging_instance i
                 JOIN imaging_series s ON s.series_instance_uid = i.series_instance_uid
                WHERE i.study_instance_uid = $1`;
    sql += narrowTo(where, params);
    sql +=
      ' ORDER BY s.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST, i.sop_instance_uid';
    return this.db.query(prepared(sql), params);
  }

  /** Instance metadata as stored JSON text (no parse/serialize round trip). */
  async metadataText(where: {
    study: string;
    series?: string;
    instance?: string;
  }): Promise<string[]> {
    const params: unknown[] = [where.study];
    let sql = `SELECT i.metadata::text AS m FROM imaging_instance i JOIN imaging_series s ON s.series_instance_uid = i.series_instance_uid WHERE i.study_instance_uid = $1`;
    sql += narrowTo(where, params);
    sql +=
      ' ORDER BY s.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST';
    const rows: { m: string }[] = await this.db.query(prepared(sql), params);
    return rows.map((r) => r.m);
  }
}

/**
 * The conditions narrowing a study's instances (`i`, with its series `s`) to a series and an
 * instance, each by its original or de-identified UID; their values pushed onto `params`.
 */
function narrowTo(where: { series?: string; instance?: string }, params: unknown[]): string {
  let sql = '';
  if (where.series) {
    params.push(where.series);
    sql += ` AND (i.series_instance_uid = $${params.length} OR s.deid_uid = $${params.length})`;
  }
  if (where.instance) {
    params.push(where.instance);
    sql += ` AND (i.sop_instance_uid = $${params.length} OR i.deid_uid = $${params.length})`;
  }
  return sql;
}

/** What imaging_store_batch answers. */
export interface StoredBatch {
  /** Study UID -> owning organization, for every study of the batch. */
  owners: Record<string, string>;
  /** Series UID -> its study, for every series of the batch that is stored (or was just inserted). */
  series: Record<string, string>;
  newSeries: string[];
  /** SOP Instance UIDs inserted by this batch. */
  inserted: string[];
  /** Stored content hash of the other admitted instances (duplicates, conflicts, repeats within the batch). */
  stored: Record<string, string>;
  audit: Record<string, { resourceId: string | null; details: Record<string, unknown> }>;
}

/**
 * Each instance's outcome from what the batch's statement found and did, as if the instances had
 * been stored one after another: refused when its study belongs to another organization or its
 * series to another study; otherwise the first of its SOP Instance UID is new if the statement
 * inserted it, and every other one is a duplicate when its bytes match what is stored, a
 * conflict when they differ.
 */
export function outcomesOf(batch: PendingInstance[], out: StoredBatch): CommitOutcome[] {
  const inserted = new Set(out.inserted);
  const seen = new Set<string>();
  return batch.map((p): CommitOutcome => {
    if (out.owners[p.studyUid] !== p.organizationId)
      return {
        ok: false,
        code: 'not_authorized',
        message: `study ${p.studyUid} belongs to another organization`,
      };
    const owner = out.series[p.seriesUid];
    if (owner !== p.studyUid)
      return {
        ok: false,
        code: 'study_mismatch',
        message: `series ${p.seriesUid} already belongs to study ${owner}`,
      };
    if (!seen.has(p.sopUid)) {
      seen.add(p.sopUid);
      if (inserted.has(p.sopUid)) return { ok: true, duplicate: false };
    }
    if (out.stored[p.sopUid] === p.staged.sha256) return { ok: true, duplicate: true };
    return {
      ok: false,
      code: 'duplicate_conflict',
      // The reason first: a DIMSE error comment keeps 64 characters.
      message: `already stored with different content: SOP Instance ${p.sopUid}`,
      storedSha: out.stored[p.sopUid],
    };
  });
}
