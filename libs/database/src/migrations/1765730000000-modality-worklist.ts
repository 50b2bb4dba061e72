import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Modality worklist from consultations (issue 23 point 2).
 *
 * consultation_requested_exam (consultations): the exam a township doctor asks for with a
 * request: modality and requested procedure, and the accession number the modality will carry
 * back in every image. Its own table rather than columns on consultation_request: most requests
 * ask for no exam, and the request's statements read its row whole.
 *
 * imaging_worklist_arrival (imaging): a study that arrived carrying a requested exam's
 * accession number, and what became of it: attached at once (its patient matched the
 * consultation's), or held for the requester (it did not), then confirmed (with the reason
 * they gave) or rejected. One row per study and consultation: later instances of a study add
 * nothing.
 */
export class ModalityWorklist1765730000000 implements MigrationInterface {
  name = 'ModalityWorklist1765730000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE consultation_accession_seq`);
    await q.query(`
      CREATE TABLE consultation_requested_exam (
        consultation_id uuid PRIMARY KEY REFERENCES consultation_request(id) ON DELETE CASCADE,
        modality text NOT NULL CHECK (modality ~ '^[A-Z]{2,4}$'),
        procedure text NOT NULL CHECK (length(procedure) BETWEEN 1 AND 64),
        accession_number text NOT NULL UNIQUE
          DEFAULT 'HZ' || lpad(nextval('consultation_accession_seq')::text, 10, '0')
          CHECK (length(accession_number) <= 16),
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE imaging_worklist_arrival (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consultation_id uuid NOT NULL,
        study_instance_uid text NOT NULL REFERENCES imaging_study(study_instance_uid) ON DELETE CASCADE,
        accession_number text NOT NULL,
        status text NOT NULL CHECK (status IN ('attached', 'held', 'confirmed', 'rejected')),
        mismatches text[] NOT NULL DEFAULT '{}',
        decided_by uuid,
        decision_reason text CHECK (length(decision_reason) <= 500),
        decided_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (consultation_id, study_instance_uid)
      )`);
    await q.query(
      `CREATE INDEX imaging_worklist_arrival_held_idx ON imaging_worklist_arrival(consultation_id) WHERE status = 'held'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE imaging_worklist_arrival`);
    await q.query(`DROP TABLE consultation_requested_exam`);
    await q.query(`DROP SEQUENCE consultation_accession_seq`);
  }
}
