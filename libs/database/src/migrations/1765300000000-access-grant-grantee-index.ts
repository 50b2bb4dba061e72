import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Shares are found by their grantee. A QIDO-RS listing asks for "the studies shared with me or
 * my organization" on every request, and the only index was (resource_type, resource_id): each
 * listing read every study share in the province, revoked and expired ones included (they are
 * kept for the record). Measured: with 100,000 shares to someone else, an exact-accession
 * listing took 15 ms (PostgreSQL 12.8 ms of it) instead of 1.5. The two grantee columns are also
 * the foreign keys that cascade when a practitioner or an organization is deleted.
 */
export class AccessGrantGranteeIndex1765300000000 implements MigrationInterface {
  name = 'AccessGrantGranteeIndex1765300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX access_grant_practitioner_idx ON access_grant (grantee_practitioner_id, resource_type)`,
    );
    await q.query(
      `CREATE INDEX access_grant_organization_idx ON access_grant (grantee_organization_id, resource_type)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX access_grant_organization_idx`);
    await q.query(`DROP INDEX access_grant_practitioner_idx`);
  }
}
