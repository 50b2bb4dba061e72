import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * QIDO-RS identity keys (Accession Number, Patient ID) are always matched inside the reader's
 * organizations. With single-column indexes the planner combined them with the organization
 * index in a BitmapAnd that visits every study of the organization (1.7 ms at 10,000 studies);
 * keyed by organization first, the lookup is one index probe. They replace the single-column
 * indexes: no query matches these keys without an organization.
 */
export class ImagingIdentityKeys1764700000000 implements MigrationInterface {
  name = 'ImagingIdentityKeys1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX imaging_study_org_accession_idx ON imaging_study (organization_id, accession_number)`,
    );
    await q.query(
      `CREATE INDEX imaging_study_org_dicom_patient_idx ON imaging_study (organization_id, dicom_patient_id)`,
    );
    await q.query(`DROP INDEX IF EXISTS imaging_study_accession_idx`);
    await q.query(`DROP INDEX IF EXISTS imaging_study_dicom_patient_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS imaging_study_accession_idx ON imaging_study (accession_number)`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS imaging_study_dicom_patient_idx ON imaging_study (dicom_patient_id)`,
    );
    await q.query(`DROP INDEX IF EXISTS imaging_study_org_accession_idx`);
    await q.query(`DROP INDEX IF EXISTS imaging_study_org_dicom_patient_idx`);
  }
}
