import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * DICOM peers become data an admin manages (apps/imaging/src/peers): a DIMSE peer gets an id,
 * the address we call it at (host, port: needed to be a C-MOVE destination), what it may do
 * with us (directions) and a switch. Rows from before keep working as they did: they sent and
 * may now also query (store + query), enabled.
 */
export class DimsePeerDirections1765610000000 implements MigrationInterface {
  name = 'DimsePeerDirections1765610000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE imaging_dimse_peer
        ADD COLUMN id uuid NOT NULL DEFAULT gen_random_uuid(),
        ADD COLUMN host text CHECK (host IS NULL OR length(host) BETWEEN 1 AND 253),
        ADD COLUMN port integer CHECK (port IS NULL OR port BETWEEN 1 AND 65535),
        ADD COLUMN directions text[] NOT NULL DEFAULT '{store,query}'
          CHECK (cardinality(directions) > 0
            AND directions <@ ARRAY['store', 'query', 'retrieve_destination', 'worklist']),
        ADD COLUMN enabled boolean NOT NULL DEFAULT true,
        ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
        ADD CONSTRAINT imaging_dimse_peer_id_key UNIQUE (id),
        ADD CONSTRAINT imaging_dimse_peer_destination_address CHECK (
          NOT ('retrieve_destination' = ANY (directions)) OR (host IS NOT NULL AND port IS NOT NULL))`);
    await q.query(
      `CREATE INDEX imaging_dimse_peer_organization_idx ON imaging_dimse_peer (organization_id, ae_title)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX imaging_dimse_peer_organization_idx`);
    await q.query(`
      ALTER TABLE imaging_dimse_peer
        DROP CONSTRAINT imaging_dimse_peer_destination_address,
        DROP CONSTRAINT imaging_dimse_peer_id_key,
        DROP COLUMN updated_at, DROP COLUMN enabled, DROP COLUMN directions,
        DROP COLUMN port, DROP COLUMN host, DROP COLUMN id`);
  }
}
