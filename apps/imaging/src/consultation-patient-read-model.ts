import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { sql } from '@huizhen/database';
import {
  dicomPatientHeader,
  type DicomJson,
  type DicomPatientHeader,
  type RegisteredPatient,
} from '@huizhen/dicom';
import { NationalIdVault } from '@huizhen/directory';

const PATIENT_AND_HEADER = sql(
  {
    name: 'text',
    sex: 'text',
    birth_date: 'text',
    national_id_cipher: 'bytea?',
    study_json: 'json',
  },
  `SELECT p.name, p.sex, p.birth_date::text AS birth_date, p.national_id_cipher, s.study_json
     FROM consultation_request c JOIN patient p ON p.id = c.patient_id, imaging_study s
    WHERE c.id = $1 AND s.study_instance_uid = $2`,
).takes<[consultationId: string, studyUid: string]>();

/**
 * The image check at the door from the study's side (POST /api/imaging/studies/{uid}/consultations):
 * the consultation's patient, national ID opened, and the study's header, as the api's
 * StudyPatientCheck compares them when attaching from the consultation's side. Read after the
 * access checks; a standalone imaging node reads the same shared tables.
 */
@Injectable()
export class ConsultationPatientReadModel {
  private readonly vault: NationalIdVault;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) config: HuizhenConfig,
  ) {
    this.vault = new NationalIdVault(config.dataEncryptionKey);
  }

  async patientAndHeader(
    consultationId: string,
    studyUid: string,
  ): Promise<{ patient: RegisteredPatient; header: DicomPatientHeader } | null> {
    const row = await PATIENT_AND_HEADER.first(this.db.manager, [consultationId, studyUid]);
    if (!row) return null;
    return {
      patient: {
        name: row.name,
        sex: row.sex as RegisteredPatient['sex'],
        birthDate: row.birth_date,
        nationalId: row.national_id_cipher ? this.vault.open(row.national_id_cipher) : null,
      },
      header: dicomPatientHeader(row.study_json as DicomJson),
    };
  }
}
