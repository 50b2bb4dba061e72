import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Service accounts (libs/auth/src/service-accounts): long-lived, scoped, revocable keys for
 * machines (another archive, an AI node, a HIS), bound to an organization. Only a keyed hash of
 * the secret is stored; revoked accounts are kept for the record (the audit trail names them).
 */
export class ServiceAccounts1765620000000 implements MigrationInterface {
  name = 'ServiceAccounts1765620000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE service_account (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        scopes text[] NOT NULL CHECK (cardinality(scopes) > 0
          AND scopes <@ ARRAY['dicomweb:read', 'dicomweb:write', 'api:read', 'api:write']),
        secret_hash bytea NOT NULL,
        created_by uuid,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz,
        revoked_by uuid
      )`);
    await q.query(
      `CREATE INDEX service_account_organization_idx ON service_account (organization_id, created_at DESC)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE service_account`);
  }
}
