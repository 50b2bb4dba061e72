import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { sql } from '@huizhen/database';
import { dicomPatientHeader, type DicomJson, type DicomPatientHeader } from '@huizhen/dicom';

/**
 * The patient module of stored studies, as their first instance's header said it (imaging keeps the
 * study-level DICOM JSON, decoded by its character set, beside the study row): what the image check
 * at the door compares with the consultation's patient.
 */
const STUDY_HEADERS = sql(
  { uid: 'text', study_json: 'json' },
  `SELECT study_instance_uid AS uid, study_json FROM imaging_study WHERE study_instance_uid = ANY($1::text[])`,
)
  .takes<[uids: string[]]>()
  .map((r) => [r.uid, dicomPatientHeader(r.study_json as DicomJson)] as const);

@Injectable()
export class StudyHeaderReadModel {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async patientHeaders(uids: string[]): Promise<Map<string, DicomPatientHeader>> {
    if (uids.length === 0) return new Map();
    return new Map(await STUDY_HEADERS.all(this.db.manager, [uids]));
  }
}
