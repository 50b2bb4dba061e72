import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * QIDO-RS lists studies newest first (study date, time, UID) with a limit. Indexes in exactly
 * that order let the query walk the index and stop after `limit` rows instead of sorting every
 * visible study: per organization (a clinician's own studies) and overall (hubs, date ranges).
 * They replace the (organization_id, study_date) and (study_date) indexes, whose uses they cover.
 */
export class ImagingStudyOrder1764610000000 implements MigrationInterface {
  name = 'ImagingStudyOrder1764610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX imaging_study_org_order_idx ON imaging_study (organization_id, study_date DESC NULLS LAST, study_time DESC NULLS LAST, study_instance_uid)`,
    );
    await q.query(
      `CREATE INDEX imaging_study_order_idx ON imaging_study (study_date DESC NULLS LAST, study_time DESC NULLS LAST, study_instance_uid)`,
    );
    await q.query(`DROP INDEX IF EXISTS imaging_study_org_idx`);
    await q.query(`DROP INDEX IF EXISTS imaging_study_date_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS imaging_study_org_idx ON imaging_study(organization_id, study_date)`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS imaging_study_date_idx ON imaging_study(study_date)`);
    await q.query(`DROP INDEX IF EXISTS imaging_study_org_order_idx`);
    await q.query(`DROP INDEX IF EXISTS imaging_study_order_idx`);
  }
}
