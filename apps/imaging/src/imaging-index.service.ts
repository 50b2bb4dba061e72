import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
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

/** The archive's rows. Only imaging code touches these tables; other modules use ImagingService. */
@Injectable()
export class ImagingIndex {
  constructor(@InjectDataSource() readonly db: DataSource) {}

  /** Inserts one instance's rows inside the caller's transaction; never throws for a business conflict. */
  async insertInstance(m: EntityManager, p: PendingInstance, deid: { study: string; series: string; instance: string }): Promise<CommitOutcome & { newFile?: boolean }> {
    const s = p.study;
    const studyRows: { organization_id: string }[] = await m.query(
      `INSERT INTO imaging_study (study_instance_uid, deid_uid, organization_id, patient_id, patient_name, patient_name_search, dicom_patient_id,
          patient_birth_date, patient_sex, study_date, study_time, accession_number, study_id, study_description, referring_physician_name, study_json)
       VALUES ($1, $2, $3,
          (SELECT id FROM patient WHERE organization_id = $3 AND name = ANY($16::text[]) AND birth_date = $17::date ORDER BY created_at LIMIT 1),
          $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (study_instance_uid) DO UPDATE SET updated_at = now()
       RETURNING organization_id`,
      [p.studyUid, deid.study, p.organizationId, s.patientName, s.patientNameSearch, s.dicomPatientId, s.birthDate, s.sex, s.studyDate, s.studyTime, s.accessionNumber, s.studyId, s.studyDescription, s.referringPhysicianName, p.studyJson, s.patientNameCandidates, s.birthDateIso],
    );
    if (studyRows[0].organization_id !== p.organizationId) {
      return { ok: false, code: 'not_authorized', message: `study ${p.studyUid} belongs to another organization` };
    }
    const seriesInserted: unknown[] = await m.query(
      `INSERT INTO imaging_series (series_instance_uid, study_instance_uid, deid_uid, modality, series_number, series_description, series_date, series_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (series_instance_uid) DO NOTHING RETURNING 1`,
      [p.seriesUid, p.studyUid, deid.series, p.modality, p.seriesNumber, p.seriesDescription, p.seriesDate, p.seriesJson],
    );
    if (!seriesInserted.length) {
      const [row]: { study_instance_uid: string }[] = await m.query('SELECT study_instance_uid FROM imaging_series WHERE series_instance_uid = $1', [p.seriesUid]);
      if (row.study_instance_uid !== p.studyUid) {
        return { ok: false, code: 'study_mismatch', message: `series ${p.seriesUid} already belongs to study ${row.study_instance_uid}` };
      }
    }
    const inserted: unknown[] = await m.query(
      `INSERT INTO imaging_instance (sop_instance_uid, series_instance_uid, study_instance_uid, deid_uid, sop_class_uid, instance_number, transfer_syntax_uid,
          content_sha256, size_bytes, rows, columns, number_of_frames, burned_in_annotation, pixel_layout, metadata, received_via)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
       ON CONFLICT (sop_instance_uid) DO NOTHING RETURNING 1`,
      [p.sopUid, p.seriesUid, p.studyUid, deid.instance, p.sopClassUid, p.instanceNumber, p.transferSyntaxUid, p.staged.sha256, p.staged.size, p.rows, p.columns, p.frames, p.burnedIn, p.pixelLayout ? JSON.stringify(p.pixelLayout) : null, p.metadata, p.via],
    );
    if (!inserted.length) {
      const [row]: { content_sha256: string; study_instance_uid: string }[] = await m.query('SELECT content_sha256, study_instance_uid FROM imaging_instance WHERE sop_instance_uid = $1', [p.sopUid]);
      if (row.content_sha256 === p.staged.sha256) return { ok: true, duplicate: true };
      return { ok: false, code: 'duplicate_conflict', message: `SOP Instance ${p.sopUid} is already stored with different content` };
    }
    await m.query('UPDATE imaging_series SET number_of_instances = number_of_instances + 1 WHERE series_instance_uid = $1', [p.seriesUid]);
    await m.query(
      `UPDATE imaging_study SET number_of_instances = number_of_instances + 1,
          number_of_series = number_of_series + $2,
          modalities = CASE WHEN $3::text IS NULL OR $3::text = ANY(modalities) THEN modalities ELSE array_append(modalities, $3::text) END
        WHERE study_instance_uid = $1`,
      [p.studyUid, seriesInserted.length ? 1 : 0, p.modality],
    );
    return { ok: true, duplicate: false, newFile: true };
  }

  async referencedHashes(shas: string[]): Promise<Set<string>> {
    const rows: { content_sha256: string }[] = await this.db.query('SELECT DISTINCT content_sha256 FROM imaging_instance WHERE content_sha256 = ANY($1)', [shas]);
    return new Set(rows.map((r) => r.content_sha256));
  }

  /** A study by its UID or by its de-identified UID. */
  async findStudy(uid: string): Promise<StudyRow | null> {
    const rows: StudyRow[] = await this.db.query(
      'SELECT study_instance_uid, deid_uid, organization_id, patient_id, dicom_patient_id FROM imaging_study WHERE study_instance_uid = $1 OR deid_uid = $1 LIMIT 1',
      [uid],
    );
    return rows[0] ?? null;
  }

  async consultationsOf(studyUid: string): Promise<string[]> {
    const rows: { consultation_id: string }[] = await this.db.query('SELECT consultation_id FROM imaging_study_link WHERE study_instance_uid = $1', [studyUid]);
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

  async instances(where: { study: string; series?: string; instance?: string }): Promise<InstanceRow[]> {
    const params: unknown[] = [where.study];
    let sql = `SELECT i.sop_instance_uid, i.series_instance_uid, i.study_instance_uid, i.deid_uid, i.sop_class_uid, i.transfer_syntax_uid, i.content_sha256,
                      i.size_bytes, i.number_of_frames, i.burned_in_annotation, i.pixel_layout
                 FROM imaging_instance i
                 JOIN imaging_series s ON s.series_instance_uid = i.series_instance_uid
                WHERE i.study_instance_uid = $1`;
    if (where.series) {
      params.push(where.series);
      sql += ` AND (i.series_instance_uid = $${params.length} OR s.deid_uid = $${params.length})`;
    }
    if (where.instance) {
      params.push(where.instance);
      sql += ` AND (i.sop_instance_uid = $${params.length} OR i.deid_uid = $${params.length})`;
    }
    sql += ' ORDER BY s.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST, i.sop_instance_uid';
    return this.db.query(sql, params);
  }

  /** Instance metadata as stored JSON text (no parse/serialize round trip). */
  async metadataText(where: { study: string; series?: string; instance?: string }): Promise<string[]> {
    const params: unknown[] = [where.study];
    let sql = `SELECT i.metadata::text AS m FROM imaging_instance i JOIN imaging_series s ON s.series_instance_uid = i.series_instance_uid WHERE i.study_instance_uid = $1`;
    if (where.series) {
      params.push(where.series);
      sql += ` AND (i.series_instance_uid = $${params.length} OR s.deid_uid = $${params.length})`;
    }
    if (where.instance) {
      params.push(where.instance);
      sql += ` AND (i.sop_instance_uid = $${params.length} OR i.deid_uid = $${params.length})`;
    }
    sql += ' ORDER BY s.series_number NULLS LAST, i.series_instance_uid, i.instance_number NULLS LAST';
    const rows: { m: string }[] = await this.db.query(sql, params);
    return rows.map((r) => r.m);
  }
}
