import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Two more kinds of call event from the media node: `media_failed` (a participant was in the room
 * for 10 s and no RTP moved between them and the node: blocked ICE, a firewall, an unreachable
 * announced address) and `media_flowing` (it moved after all). A call with a participant whose
 * media never flowed is recorded as failed instead of as a normal call (ConsultationCalls).
 */
export class CallEventMedia1765500000000 implements MigrationInterface {
  name = 'CallEventMedia1765500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE consultation_call_event DROP CONSTRAINT consultation_call_event_kind_check`,
    );
    await q.query(
      `ALTER TABLE consultation_call_event ADD CONSTRAINT consultation_call_event_kind_check CHECK (kind IN ('joined','left','ended','lost','media_failed','media_flowing'))`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DELETE FROM consultation_call_event WHERE kind IN ('media_failed','media_flowing')`,
    );
    await q.query(
      `ALTER TABLE consultation_call_event DROP CONSTRAINT consultation_call_event_kind_check`,
    );
    await q.query(
      `ALTER TABLE consultation_call_event ADD CONSTRAINT consultation_call_event_kind_check CHECK (kind IN ('joined','left','ended','lost'))`,
    );
  }
}
