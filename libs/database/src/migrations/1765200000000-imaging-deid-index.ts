import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['imaging_study', 'imaging_series', 'imaging_instance'];

/**
 * The de-identified UIDs are indexed, no longer UNIQUE. Each is a keyed hash of its row's own
 * UID (the primary key), so they are distinct by construction; but a UNIQUE index outside ON
 * CONFLICT's target made two batches inserting the same new study at once (two committers, or
 * two nodes) end in a unique violation instead of one waiting for the other: the later batch
 * failed whole and every instance in it was answered "try again" (seen in the bench's 1 GB
 * ingest, where four clients start each study together).
 */
export class ImagingDeidIndex1765200000000 implements MigrationInterface {
  name = 'ImagingDeidIndex1765200000000';

  async up(q: QueryRunner): Promise<void> {
    for (const t of TABLES) {
      await q.query(`CREATE INDEX ${t}_deid_uid_idx ON ${t} (deid_uid)`);
      await q.query(`ALTER TABLE ${t} DROP CONSTRAINT ${t}_deid_uid_key`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of TABLES) {
      await q.query(`ALTER TABLE ${t} ADD CONSTRAINT ${t}_deid_uid_key UNIQUE (deid_uid)`);
      await q.query(`DROP INDEX ${t}_deid_uid_idx`);
    }
  }
}
