import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Consultation requests (FHIR ServiceRequest), their status history, participants, thread,
 * attachments, signed reports (DiagnosticReport) with the specialists' signing keys, and
 * referrals. Indexes are shaped by the worklists: the queue (submitted, by specialty and
 * deadline), a requesting organization's sent box, a specialist's own cases, a hub's view.
 */
export class Consultations1764200000000 implements MigrationInterface {
  name = 'Consultations1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE consultation_request (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        requesting_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        requester_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        patient_id uuid NOT NULL REFERENCES patient(id) ON DELETE RESTRICT,
        specialty text NOT NULL,
        urgency text NOT NULL CHECK (urgency IN ('routine','urgent','emergency')),
        mode text NOT NULL CHECK (mode IN ('imaging_read','live_video','both')),
        clinical_question text NOT NULL,
        history text,
        preferred_practitioner_id uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        preferred_organization_id uuid REFERENCES organization(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'draft'
          CHECK (status IN ('draft','submitted','claimed','scheduled','in_session','reported','closed','cancelled','expired')),
        routed_organization_ids uuid[] NOT NULL DEFAULT '{}',
        routed_level text CHECK (routed_level IN ('county_hospital','city_hospital','province_hub')),
        deadline_at timestamptz,
        escalation_count int NOT NULL DEFAULT 0,
        decline_count int NOT NULL DEFAULT 0,
        declined_by uuid[] NOT NULL DEFAULT '{}',
        assigned_specialist_id uuid REFERENCES practitioner(id) ON DELETE RESTRICT,
        assigned_organization_id uuid REFERENCES organization(id) ON DELETE RESTRICT,
        scheduled_start timestamptz,
        submitted_at timestamptz,
        claimed_at timestamptz,
        reported_at timestamptz,
        closed_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((assigned_specialist_id IS NULL) = (assigned_organization_id IS NULL))
      )`);
    // The queue: only submitted rows, found by specialty and routed organization, oldest deadline first.
    await q.query(
      `CREATE INDEX consultation_queue_idx ON consultation_request (specialty, deadline_at, id) WHERE status = 'submitted'`,
    );
    await q.query(
      `CREATE INDEX consultation_queue_orgs_idx ON consultation_request USING gin (routed_organization_ids) WHERE status = 'submitted'`,
    );
    await q.query(
      `CREATE INDEX consultation_deadline_idx ON consultation_request (deadline_at) WHERE status = 'submitted'`,
    );
    await q.query(
      `CREATE INDEX consultation_requesting_org_idx ON consultation_request (requesting_organization_id, created_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX consultation_assigned_idx ON consultation_request (assigned_specialist_id, created_at DESC, id DESC) WHERE assigned_specialist_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX consultation_assigned_org_idx ON consultation_request (assigned_organization_id, created_at DESC, id DESC) WHERE assigned_organization_id IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX consultation_created_idx ON consultation_request (created_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX consultation_patient_idx ON consultation_request (patient_id)`);

    await q.query(`
      CREATE TABLE consultation_status_history (
        id bigserial PRIMARY KEY,
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        transition text NOT NULL,
        from_status text NOT NULL,
        to_status text NOT NULL,
        actor_id uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        reason text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        at timestamptz NOT NULL
      )`);
    await q.query(
      `CREATE INDEX consultation_history_idx ON consultation_status_history (consultation_id, id)`,
    );

    await q.query(`
      CREATE TABLE consultation_participant (
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        practitioner_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        role text NOT NULL CHECK (role IN ('requester','assigned_specialist','guest_specialist','observer')),
        active boolean NOT NULL DEFAULT true,
        added_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consultation_id, practitioner_id)
      )`);
    await q.query(
      `CREATE INDEX consultation_participant_practitioner_idx ON consultation_participant (practitioner_id)`,
    );

    await q.query(`
      CREATE TABLE consultation_message (
        id bigserial PRIMARY KEY,
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        author_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        body text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX consultation_message_idx ON consultation_message (consultation_id, id)`,
    );
    await q.query(`
      CREATE TABLE consultation_read_receipt (
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        practitioner_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE CASCADE,
        last_read_message_id bigint NOT NULL REFERENCES consultation_message(id) ON DELETE CASCADE,
        read_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consultation_id, practitioner_id)
      )`);

    await q.query(`
      CREATE TABLE consultation_attachment (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind IN ('imaging_study','document','photo')),
        study_instance_uid text CHECK (study_instance_uid ~ '^[0-2](\\.(0|[1-9][0-9]*))+$' AND length(study_instance_uid) <= 64),
        file_ref text,
        file_name text,
        media_type text,
        size_bytes bigint,
        sha256 text,
        message_id bigint REFERENCES consultation_message(id) ON DELETE SET NULL,
        added_by uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((kind = 'imaging_study') = (study_instance_uid IS NOT NULL)),
        CHECK ((kind = 'imaging_study') = (file_ref IS NULL))
      )`);
    await q.query(
      `CREATE INDEX consultation_attachment_consultation_idx ON consultation_attachment (consultation_id)`,
    );
    await q.query(
      `CREATE INDEX consultation_attachment_study_idx ON consultation_attachment (study_instance_uid) WHERE study_instance_uid IS NOT NULL`,
    );
    await q.query(
      `CREATE UNIQUE INDEX consultation_attachment_study_uq ON consultation_attachment (consultation_id, study_instance_uid) WHERE study_instance_uid IS NOT NULL`,
    );

    // One key pair per specialist (rotatable: a retired key still verifies what it signed).
    await q.query(`
      CREATE TABLE practitioner_signing_key (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        practitioner_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        algorithm text NOT NULL CHECK (algorithm = 'Ed25519'),
        public_key bytea NOT NULL,
        private_key_cipher bytea NOT NULL,
        fingerprint text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX practitioner_signing_key_current_uq ON practitioner_signing_key (practitioner_id) WHERE retired_at IS NULL`,
    );

    await q.query(`
      CREATE TABLE consultation_report (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE RESTRICT,
        kind text NOT NULL CHECK (kind IN ('report','addendum')),
        amends_report_id uuid REFERENCES consultation_report(id) ON DELETE RESTRICT,
        patient_id uuid NOT NULL REFERENCES patient(id) ON DELETE RESTRICT,
        author_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        findings text NOT NULL DEFAULT '',
        impression text NOT NULL DEFAULT '',
        recommendation text CHECK (recommendation IN ('treat_locally','follow_up_township','refer_up','refer_to_named_hospital')),
        referral_organization_id uuid REFERENCES organization(id) ON DELETE RESTRICT,
        free_text text NOT NULL DEFAULT '',
        studies text[] NOT NULL DEFAULT '{}',
        signed_at timestamptz,
        signature bytea,
        signing_key_id uuid REFERENCES practitioner_signing_key(id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((signed_at IS NULL) = (signature IS NULL) AND (signed_at IS NULL) = (signing_key_id IS NULL)),
        CHECK ((kind = 'addendum') = (amends_report_id IS NOT NULL)),
        CHECK (recommendation IS DISTINCT FROM 'refer_to_named_hospital' OR referral_organization_id IS NOT NULL)
      )`);
    await q.query(
      `CREATE UNIQUE INDEX consultation_report_main_uq ON consultation_report (consultation_id) WHERE kind = 'report'`,
    );
    await q.query(
      `CREATE INDEX consultation_report_consultation_idx ON consultation_report (consultation_id, created_at)`,
    );
    // A signed report is a legal record: no UPDATE or DELETE once signed; corrections are signed addenda.
    await q.query(`
      CREATE FUNCTION consultation_report_signed_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF OLD.signed_at IS NOT NULL THEN
          RAISE EXCEPTION 'consultation_report % is signed and cannot change; add a signed addendum', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
      END $$`);
    await q.query(
      `CREATE TRIGGER consultation_report_final BEFORE UPDATE OR DELETE ON consultation_report FOR EACH ROW EXECUTE FUNCTION consultation_report_signed_is_final()`,
    );

    await q.query(`
      CREATE TABLE referral (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        consultation_id uuid NOT NULL REFERENCES consultation_request(id) ON DELETE RESTRICT,
        report_id uuid REFERENCES consultation_report(id) ON DELETE RESTRICT,
        follows_referral_id uuid REFERENCES referral(id) ON DELETE RESTRICT,
        patient_id uuid NOT NULL REFERENCES patient(id) ON DELETE RESTRICT,
        direction text NOT NULL CHECK (direction IN ('up','down')),
        from_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        to_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        specialty text,
        green_channel boolean NOT NULL DEFAULT false,
        reason text NOT NULL,
        follow_up_plan text,
        status text NOT NULL DEFAULT 'requested' CHECK (status IN ('requested','accepted','declined','cancelled')),
        created_by uuid NOT NULL REFERENCES practitioner(id) ON DELETE RESTRICT,
        answered_by uuid REFERENCES practitioner(id) ON DELETE RESTRICT,
        answered_at timestamptz,
        answer_note text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (from_organization_id <> to_organization_id),
        CHECK (direction = 'up' OR follow_up_plan IS NOT NULL)
      )`);
    await q.query(
      `CREATE INDEX referral_incoming_idx ON referral (to_organization_id, status, green_channel DESC, created_at)`,
    );
    await q.query(
      `CREATE INDEX referral_outgoing_idx ON referral (from_organization_id, created_at DESC)`,
    );
    await q.query(`CREATE INDEX referral_consultation_idx ON referral (consultation_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'referral',
      'consultation_report',
      'practitioner_signing_key',
      'consultation_attachment',
      'consultation_read_receipt',
      'consultation_message',
      'consultation_participant',
      'consultation_status_history',
      'consultation_request',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS consultation_report_signed_is_final()`);
  }
}
