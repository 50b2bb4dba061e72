import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The video record of a consultation: who joined and left its live room and when, and when the
 * host ended it, as the media node reported (the room token's subject is the practitioner).
 * Append-only; `event_id` makes a redelivered event count once.
 */
export class ConsultationCalls1764900000000 implements MigrationInterface {
  name = 'ConsultationCalls1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consultation_call_event (
        id bigserial PRIMARY KEY,
        event_id uuid NOT NULL UNIQUE,
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('joined','left','ended')),
        practitioner_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        room_role text NOT NULL,
        occurred_at timestamptz NOT NULL,
        media_node text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX consultation_call_event_consultation_idx ON consultation_call_event (consultation_id, occurred_at, id)`,
    );
    // The hub's figures: calls that started in a period.
    await q.query(
      `CREATE INDEX consultation_call_event_joined_idx ON consultation_call_event (occurred_at) WHERE kind = 'joined'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE consultation_call_event');
  }
}
