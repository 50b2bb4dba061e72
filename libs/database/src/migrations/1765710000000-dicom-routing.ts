import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Routing studies on arrival (apps/imaging/src/routing). A rule forwards an organization's
 * studies (filtered by modality and calling AE) to one of its peers; each rule and study is one
 * forward job, the durable queue: nodes claim due jobs with FOR UPDATE SKIP LOCKED under a lease
 * (a node that dies leaves 'sending' with a lease that runs out, and another takes the job), and
 * each instance the destination acknowledged is kept, so a job picked up again sends only the rest.
 */
export class DicomRouting1765710000000 implements MigrationInterface {
  name = 'DicomRouting1765710000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE imaging_routing_rule (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
        modalities text[] NOT NULL DEFAULT '{}',
        calling_ae_titles text[] NOT NULL DEFAULT '{}',
        dimse_peer_id uuid REFERENCES imaging_dimse_peer(id) ON DELETE CASCADE,
        dicomweb_peer_id uuid REFERENCES imaging_dicomweb_peer(id) ON DELETE CASCADE,
        enabled boolean NOT NULL DEFAULT true,
        description text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (organization_id, name),
        CHECK ((dimse_peer_id IS NULL) <> (dicomweb_peer_id IS NULL))
      )`);
    await q.query(`
      CREATE TABLE imaging_forward_job (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        rule_id uuid NOT NULL REFERENCES imaging_routing_rule(id) ON DELETE CASCADE,
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE CASCADE,
        study_instance_uid text NOT NULL,
        state text NOT NULL CHECK (state IN ('queued', 'sending', 'done', 'dead')),
        attempts int NOT NULL DEFAULT 0,
        next_attempt_at timestamptz,
        lease_until timestamptz,
        claimed_by text,
        rearmed boolean NOT NULL DEFAULT false,
        last_error text,
        failures jsonb NOT NULL DEFAULT '[]',
        instances_total int NOT NULL DEFAULT 0,
        instances_sent int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        UNIQUE (rule_id, study_instance_uid)
      )`);
    await q.query(
      `CREATE INDEX imaging_forward_job_due ON imaging_forward_job (next_attempt_at) WHERE state = 'queued'`,
    );
    await q.query(
      `CREATE INDEX imaging_forward_job_lease ON imaging_forward_job (lease_until) WHERE state = 'sending'`,
    );
    await q.query(
      `CREATE INDEX imaging_forward_job_listing ON imaging_forward_job (organization_id, updated_at DESC)`,
    );
    await q.query(`
      CREATE TABLE imaging_forward_sent (
        job_id uuid NOT NULL REFERENCES imaging_forward_job(id) ON DELETE CASCADE,
        sop_instance_uid text NOT NULL,
        sent_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (job_id, sop_instance_uid)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE imaging_forward_sent`);
    await q.query(`DROP TABLE imaging_forward_job`);
    await q.query(`DROP TABLE imaging_routing_rule`);
  }
}
