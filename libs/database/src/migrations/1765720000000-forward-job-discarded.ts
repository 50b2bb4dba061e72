import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A dead letter an admin discards keeps its row, marked, out of the listings: a start-up catch-up
 * of arrivals that were never armed (apps/imaging/src/routing, RoutingStore.missedArrivals) must
 * not bring back a study its admin gave up on.
 */
export class ForwardJobDiscarded1765720000000 implements MigrationInterface {
  name = 'ForwardJobDiscarded1765720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE imaging_forward_job ADD COLUMN discarded_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE imaging_forward_job DROP COLUMN discarded_at`);
  }
}
