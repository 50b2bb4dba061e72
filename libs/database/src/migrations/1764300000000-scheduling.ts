import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Scheduling: specialists' availability, rotation shifts (FHIR Schedule) with their
 * materialized occurrences, slots (FHIR Slot), bookings (FHIR Appointment), rotation plans and
 * calendar feed tokens.
 *
 * The two promises the issue makes are kept by PostgreSQL, not by the application:
 * - a specialist is never in two shifts at once: `shift_occurrence_no_overlap`;
 * - a specialist is never booked twice for the same time: `booking_no_double_booking`
 *   (per seat: a slot of capacity n has seats 1..n, and a seat is one appointment at a time).
 * Both need btree_gist (uuid/int equality inside a GiST index), installed by the foundation.
 */
export class Scheduling1764300000000 implements MigrationInterface {
  name = 'Scheduling1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);

    await q.query(`
      CREATE TABLE specialist_working_hours (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE CASCADE,
        weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
        start_local time NOT NULL,
        end_local time NOT NULL,
        time_zone text NOT NULL,
        CHECK (end_local > start_local)
      )`);
    await q.query(
      `CREATE INDEX specialist_working_hours_specialist_idx ON specialist_working_hours(specialist_id, weekday)`,
    );

    await q.query(`
      CREATE TABLE specialist_unavailability (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('leave','commitment')),
        period tstzrange NOT NULL CHECK (NOT isempty(period) AND NOT lower_inf(period) AND NOT upper_inf(period)),
        time_zone text NOT NULL,
        reason text,
        created_by uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX specialist_unavailability_period_idx ON specialist_unavailability USING gist (specialist_id, period)`,
    );

    await q.query(`
      CREATE TABLE rotation_plan (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed','accepted','discarded')),
        created_by uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        hub_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        horizon_start date NOT NULL,
        horizon_end date NOT NULL,
        time_zone text NOT NULL,
        input jsonb NOT NULL,
        proposal jsonb NOT NULL,
        metrics jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        decided_at timestamptz,
        decided_by uuid REFERENCES practitioner(id) ON DELETE SET NULL
      )`);

    await q.query(`
      CREATE TABLE rotation_shift (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        specialty text,
        host_organization_ids uuid[] NOT NULL CHECK (cardinality(host_organization_ids) BETWEEN 1 AND 50),
        mode text NOT NULL CHECK (mode IN ('remote_block','on_site_visit')),
        time_zone text NOT NULL,
        start_local timestamp NOT NULL,
        duration_minutes int NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
        rrule text,
        exdates text[] NOT NULL DEFAULT '{}',
        slot_minutes int NOT NULL CHECK (slot_minutes BETWEEN 5 AND 480),
        slot_capacity int NOT NULL CHECK (slot_capacity BETWEEN 1 AND 50),
        buffer_before_minutes int NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 720),
        buffer_after_minutes int NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 720),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active','cancelled')),
        note text,
        plan_id uuid REFERENCES rotation_plan(id) ON DELETE SET NULL,
        version int NOT NULL DEFAULT 1,
        created_by uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz,
        cancel_reason text
      )`);
    await q.query(`CREATE INDEX rotation_shift_specialist_idx ON rotation_shift(specialist_id)`);
    await q.query(
      `CREATE INDEX rotation_shift_hosts_idx ON rotation_shift USING gin (host_organization_ids)`,
    );

    await q.query(`
      CREATE TABLE shift_occurrence (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        shift_id uuid NOT NULL REFERENCES rotation_shift(id) ON DELETE CASCADE,
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        mode text NOT NULL CHECK (mode IN ('remote_block','on_site_visit')),
        period tstzrange NOT NULL CHECK (NOT isempty(period)),
        blocked tstzrange NOT NULL,
        local_date date NOT NULL,
        status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled','cancelled')),
        CHECK (blocked @> period),
        CONSTRAINT shift_occurrence_no_overlap EXCLUDE USING gist (specialist_id WITH =, blocked WITH &&) WHERE (status = 'scheduled')
      )`);
    await q.query(
      `CREATE INDEX shift_occurrence_shift_idx ON shift_occurrence(shift_id, lower(period))`,
    );
    await q.query(
      `CREATE INDEX shift_occurrence_onsite_idx ON shift_occurrence(specialist_id, local_date) WHERE mode = 'on_site_visit' AND status = 'scheduled'`,
    );
    await q.query(
      `CREATE INDEX shift_occurrence_start_idx ON shift_occurrence(lower(period)) WHERE status = 'scheduled'`,
    );

    await q.query(`
      CREATE TABLE slot (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        occurrence_id uuid NOT NULL REFERENCES shift_occurrence(id) ON DELETE CASCADE,
        shift_id uuid NOT NULL REFERENCES rotation_shift(id) ON DELETE CASCADE,
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        specialty text,
        mode text NOT NULL,
        host_organization_ids uuid[] NOT NULL,
        period tstzrange NOT NULL CHECK (NOT isempty(period)),
        start_at timestamptz NOT NULL,
        capacity int NOT NULL CHECK (capacity >= 1),
        booked_count int NOT NULL DEFAULT 0 CHECK (booked_count >= 0 AND booked_count <= capacity),
        status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','cancelled')),
        CHECK (start_at = lower(period))
      )`);
    // Free-slot search: by time, by specialty and time, by specialist, by host organization.
    await q.query(
      `CREATE INDEX slot_free_start_idx ON slot(start_at) WHERE status = 'open' AND booked_count < capacity`,
    );
    await q.query(
      `CREATE INDEX slot_free_specialty_idx ON slot(specialty, start_at) WHERE status = 'open' AND booked_count < capacity`,
    );
    await q.query(
      `CREATE INDEX slot_free_hosts_idx ON slot USING gin (host_organization_ids) WHERE status = 'open' AND booked_count < capacity`,
    );
    await q.query(`CREATE INDEX slot_specialist_idx ON slot(specialist_id, start_at)`);
    await q.query(`CREATE INDEX slot_occurrence_idx ON slot(occurrence_id)`);
    await q.query(`CREATE INDEX slot_shift_idx ON slot(shift_id, start_at)`);

    await q.query(`
      CREATE TABLE booking (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        slot_id uuid NOT NULL REFERENCES slot(id) ON DELETE RESTRICT,
        shift_id uuid NOT NULL REFERENCES rotation_shift(id) ON DELETE RESTRICT,
        specialist_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        period tstzrange NOT NULL CHECK (NOT isempty(period)),
        seat int NOT NULL,
        capacity int NOT NULL,
        -- No foreign key yet: consultation_request arrives with the consultations feature.
        consultation_request_id uuid NOT NULL,
        requesting_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        specialty text,
        booked_by uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        idempotency_key text CHECK (idempotency_key IS NULL OR length(idempotency_key) BETWEEN 1 AND 200),
        status text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked','rescheduled','cancelled','fulfilled','no_show')),
        reason text,
        cancelled_by uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        cancelled_at timestamptz,
        rescheduled_from uuid REFERENCES booking(id) ON DELETE SET NULL,
        reminder_sent_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (seat BETWEEN 1 AND capacity),
        CONSTRAINT booking_no_double_booking EXCLUDE USING gist (specialist_id WITH =, seat WITH =, period WITH &&)
          WHERE (status IN ('booked','fulfilled','no_show'))
      )`);
    await q.query(
      `CREATE UNIQUE INDEX booking_idempotency_uq ON booking(booked_by, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX booking_one_per_request_uq ON booking(consultation_request_id) WHERE status = 'booked'`,
    );
    await q.query(`CREATE INDEX booking_slot_idx ON booking(slot_id)`);
    await q.query(
      `CREATE INDEX booking_org_idx ON booking(requesting_organization_id, lower(period))`,
    );
    await q.query(`CREATE INDEX booking_specialist_idx ON booking(specialist_id, lower(period))`);
    await q.query(`CREATE INDEX booking_request_idx ON booking(consultation_request_id)`);
    await q.query(
      `CREATE INDEX booking_reminder_due_idx ON booking(lower(period)) WHERE status = 'booked' AND reminder_sent_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE calendar_feed_token (
        specialist_id uuid PRIMARY KEY REFERENCES practitioner(id) ON DELETE CASCADE,
        token_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'calendar_feed_token',
      'booking',
      'slot',
      'shift_occurrence',
      'rotation_shift',
      'rotation_plan',
      'specialist_unavailability',
      'specialist_working_hours',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
  }
}
