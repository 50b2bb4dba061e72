import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Ended sessions, so an access token stops at once on every node (libs/auth SessionRevocations):
 * a session (refresh-token family, the access token's `sid`) ended by logout or theft, or a
 * practitioner's "no access token issued before this" (deactivation, new password). Each node
 * keeps the unexpired rows in memory; a row is useless once every token it refuses has expired.
 */
export class AccessRevocation1765430000000 implements MigrationInterface {
  name = 'AccessRevocation1765430000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE access_revocation (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        session_id uuid,
        practitioner_id uuid,
        not_before timestamptz,
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT access_revocation_one_subject CHECK (
          (session_id IS NOT NULL AND practitioner_id IS NULL AND not_before IS NULL)
          OR (session_id IS NULL AND practitioner_id IS NOT NULL AND not_before IS NOT NULL)
        )
      )`);
    await q.query(`CREATE INDEX access_revocation_expires_idx ON access_revocation (expires_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE access_revocation`);
  }
}
