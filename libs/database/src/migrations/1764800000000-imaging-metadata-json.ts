import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each instance's DICOM JSON is written once and read back whole (WADO-RS metadata, QIDO
 * includefield) and, for one attribute, by path. jsonb paid for that twice: parsing and
 * re-encoding on insert, re-serializing on every read. Measured here with 20 CT instances
 * (13 KB of DICOM JSON each): insert 12.9 ms as jsonb/pglz, 4.7 ms as json/lz4; reading 50
 * back as text 4.5-7 ms as jsonb, 1.1-1.5 ms as json. lz4 is used where the server has it
 * (PostgreSQL 14+ built with lz4; PGlite keeps its default).
 */
export class ImagingMetadataJson1764800000000 implements MigrationInterface {
  name = 'ImagingMetadataJson1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE imaging_instance ALTER COLUMN metadata TYPE json USING metadata::json`,
    );
    await setCompression(q, 'lz4');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE imaging_instance ALTER COLUMN metadata TYPE jsonb USING metadata::jsonb`,
    );
    await setCompression(q, 'default');
  }
}

async function setCompression(q: QueryRunner, method: 'lz4' | 'default'): Promise<void> {
  // A server without lz4 (or without per-column compression) keeps its default: same data, slower.
  await q.query(`DO $$ BEGIN
      EXECUTE 'ALTER TABLE imaging_instance ALTER COLUMN metadata SET COMPRESSION ${method}';
    EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN NULL;
    END $$`);
}
