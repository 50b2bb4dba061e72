import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DICOM archive index: one row per study, series and instance, with what QIDO-RS matches on in
 * columns and each instance's DICOM JSON (bulk data left out) in jsonb, so metadata requests
 * never open files. Instance files are content-addressed by SHA-256 under DATA_DIR/dicom.
 */
export class Imaging1764100000000 implements MigrationInterface {
  name = 'Imaging1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imaging_study (
        study_instance_uid text PRIMARY KEY,
        deid_uid text NOT NULL UNIQUE,
        organization_id uuid NOT NULL,
        patient_id uuid REFERENCES patient(id) ON DELETE SET NULL,
        patient_name text,
        patient_name_search text NOT NULL DEFAULT '',
        dicom_patient_id text,
        patient_birth_date text,
        patient_sex text,
        study_date text,
        study_time text,
        accession_number text,
        study_id text,
        study_description text,
        referring_physician_name text,
        modalities text[] NOT NULL DEFAULT '{}',
        number_of_series int NOT NULL DEFAULT 0,
        number_of_instances int NOT NULL DEFAULT 0,
        study_json jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX imaging_study_org_idx ON imaging_study(organization_id, study_date)`,
    );
    await q.query(`CREATE INDEX imaging_study_date_idx ON imaging_study(study_date)`);
    await q.query(`CREATE INDEX imaging_study_accession_idx ON imaging_study(accession_number)`);
    await q.query(
      `CREATE INDEX imaging_study_dicom_patient_idx ON imaging_study(dicom_patient_id)`,
    );
    await q.query(
      `CREATE INDEX imaging_study_patient_idx ON imaging_study(patient_id) WHERE patient_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX imaging_study_name_trgm_idx ON imaging_study USING gin (patient_name_search gin_trgm_ops)`,
    );
    await q.query(
      `CREATE INDEX imaging_study_name_prefix_idx ON imaging_study(patient_name_search text_pattern_ops)`,
    );
    await q.query(`CREATE INDEX imaging_study_created_idx ON imaging_study(created_at)`);

    await q.query(`
      CREATE TABLE imaging_series (
        series_instance_uid text PRIMARY KEY,
        study_instance_uid text NOT NULL REFERENCES imaging_study(study_instance_uid) ON DELETE CASCADE,
        deid_uid text NOT NULL UNIQUE,
        modality text,
        series_number int,
        series_description text,
        series_date text,
        number_of_instances int NOT NULL DEFAULT 0,
        series_json jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX imaging_series_study_idx ON imaging_series(study_instance_uid, series_number)`,
    );
    await q.query(`CREATE INDEX imaging_series_modality_idx ON imaging_series(modality)`);

    await q.query(`
      CREATE TABLE imaging_instance (
        sop_instance_uid text PRIMARY KEY,
        series_instance_uid text NOT NULL REFERENCES imaging_series(series_instance_uid) ON DELETE CASCADE,
        study_instance_uid text NOT NULL REFERENCES imaging_study(study_instance_uid) ON DELETE CASCADE,
        deid_uid text NOT NULL UNIQUE,
        sop_class_uid text NOT NULL,
        instance_number int,
        transfer_syntax_uid text NOT NULL,
        content_sha256 text NOT NULL,
        size_bytes bigint NOT NULL,
        rows int,
        columns int,
        number_of_frames int,
        burned_in_annotation boolean NOT NULL DEFAULT false,
        pixel_layout jsonb,
        metadata jsonb NOT NULL,
        received_via text NOT NULL CHECK (received_via IN ('stow','dimse','upload')),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX imaging_instance_series_idx ON imaging_instance(series_instance_uid, instance_number)`,
    );
    await q.query(
      `CREATE INDEX imaging_instance_study_idx ON imaging_instance(study_instance_uid)`,
    );
    await q.query(`CREATE INDEX imaging_instance_sha_idx ON imaging_instance(content_sha256)`);

    // Which consultations a study is attached to: reading through a consultation confers access.
    await q.query(`
      CREATE TABLE imaging_study_link (
        study_instance_uid text NOT NULL REFERENCES imaging_study(study_instance_uid) ON DELETE CASCADE,
        consultation_id uuid NOT NULL,
        linked_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (study_instance_uid, consultation_id)
      )`);
    await q.query(
      `CREATE INDEX imaging_study_link_consultation_idx ON imaging_study_link(consultation_id)`,
    );

    // Modalities and archives allowed to push over DIMSE, and the organization their instances belong to.
    await q.query(`
      CREATE TABLE imaging_dimse_peer (
        ae_title text PRIMARY KEY CHECK (length(ae_title) BETWEEN 1 AND 16),
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        description text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'imaging_dimse_peer',
      'imaging_study_link',
      'imaging_instance',
      'imaging_series',
      'imaging_study',
    ])
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
  }
}
