import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DICOMweb peers (apps/imaging/src/peers): archives reached over DICOMweb, for an organization.
 * Inbound, the service account whose key the peer calls us with; outbound, the name of the
 * secret (held outside the database: an environment variable or a file) we call it with. Never a
 * secret itself: the base URL carries no credentials either.
 */
export class DicomwebPeers1765630000000 implements MigrationInterface {
  name = 'DicomwebPeers1765630000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imaging_dicomweb_peer (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        base_url text NOT NULL CHECK (base_url ~ '^https?://[^/@\\s]+(/\\S*)?$'),
        service_account_id uuid REFERENCES service_account(id) ON DELETE SET NULL,
        credentials_ref text CHECK (credentials_ref ~ '^[A-Z][A-Z0-9_]{0,63}$'),
        enabled boolean NOT NULL DEFAULT true,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, name)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE imaging_dicomweb_peer`);
  }
}
