import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A fourth kind of call event, `lost`: written by the api (not a media node) when the media node
 * holding someone's connection stopped reporting, dated at its last sign of life. Without it a
 * node killed outright left its calls open for a day (see ConsultationCalls.closeLostCalls).
 */
export class CallEventLost1765100000000 implements MigrationInterface {
  name = 'CallEventLost1765100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE consultation_call_event DROP CONSTRAINT consultation_call_event_kind_check`,
    );
    await q.query(
      `ALTER TABLE consultation_call_event ADD CONSTRAINT consultation_call_event_kind_check CHECK (kind IN ('joined','left','ended','lost'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM consultation_call_event WHERE kind = 'lost'`);
    await q.query(
      `ALTER TABLE consultation_call_event DROP CONSTRAINT consultation_call_event_kind_check`,
    );
    await q.query(
      `ALTER TABLE consultation_call_event ADD CONSTRAINT consultation_call_event_kind_check CHECK (kind IN ('joined','left','ended'))`,
    );
  }
}
