import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A booking is for a real consultation request: booking.consultation_request_id gets its
 * foreign key (scheduling and consultations were built apart; until now it was a bare uuid).
 *
 * A fresh database has no bookings. A database that ran the stand-in (bookings for made-up
 * request ids) keeps those rows: the key is then added NOT VALID, so every new or changed row
 * is checked while the old ones stay readable; `ALTER TABLE booking VALIDATE CONSTRAINT
 * booking_consultation_request_fk` once they are cleaned up. Nothing is deleted here.
 */
export class BookingConsultationLink1764400000000 implements MigrationInterface {
  name = 'BookingConsultationLink1764400000000';

  async up(q: QueryRunner): Promise<void> {
    const [{ orphans }]: { orphans: number }[] = await q.query(
      `SELECT count(*)::int AS orphans FROM booking b WHERE NOT EXISTS (SELECT 1 FROM consultation_request c WHERE c.id = b.consultation_request_id)`,
    );
    await q.query(
      `ALTER TABLE booking ADD CONSTRAINT booking_consultation_request_fk
         FOREIGN KEY (consultation_request_id) REFERENCES consultation_request(id) ON DELETE RESTRICT ${orphans ? 'NOT VALID' : ''}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE booking DROP CONSTRAINT IF EXISTS booking_consultation_request_fk`);
  }
}
