import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Audit events are appended without a lock and sealed into the hash chain shortly after,
 * in batches, by one sealer at a time: a business transaction no longer waits for every
 * other auditing transaction to finish. `id` orders appends; `seq`/`prev_hash`/`hash` are
 * set once, by the sealer, and never again.
 */
export class AuditSealing1764500000000 implements MigrationInterface {
  name = 'AuditSealing1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update`);
    await q.query(`ALTER TABLE audit_event ADD COLUMN id bigint`);
    await q.query(`UPDATE audit_event SET id = seq`);
    await q.query(`ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update`);
    await q.query(`CREATE SEQUENCE audit_event_id_seq OWNED BY audit_event.id`);
    await q.query(
      `SELECT setval('audit_event_id_seq', coalesce((SELECT max(id) FROM audit_event), 0) + 1, false)`,
    );
    await q.query(
      `ALTER TABLE audit_event ALTER COLUMN id SET DEFAULT nextval('audit_event_id_seq'), ALTER COLUMN id SET NOT NULL`,
    );
    await q.query(`ALTER TABLE audit_event DROP CONSTRAINT audit_event_pkey`);
    await q.query(`ALTER TABLE audit_event ADD PRIMARY KEY (id)`);
    await q.query(
      `ALTER TABLE audit_event ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX audit_event_seq_uq ON audit_event(seq) WHERE seq IS NOT NULL`,
    );
    await q.query(`CREATE INDEX audit_event_unsealed_idx ON audit_event(id) WHERE seq IS NULL`);
    await q.query(`
      CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- The one change allowed: sealing an unsealed row, leaving its content as it was.
        IF TG_OP = 'UPDATE' AND OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.seq IS NOT NULL
           AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
          RETURN NEW;
        END IF;
        RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM audit_event WHERE seq IS NULL`);
    await q.query(`DROP INDEX IF EXISTS audit_event_unsealed_idx`);
    await q.query(`DROP INDEX IF EXISTS audit_event_seq_uq`);
    await q.query(`ALTER TABLE audit_event DROP CONSTRAINT audit_event_pkey`);
    await q.query(`ALTER TABLE audit_event DROP COLUMN id`);
    await q.query(
      `ALTER TABLE audit_event ALTER COLUMN seq SET NOT NULL, ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL`,
    );
    await q.query(`ALTER TABLE audit_event ADD PRIMARY KEY (seq)`);
  }
}
