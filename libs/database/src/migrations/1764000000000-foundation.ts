import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Directory, authentication, explicit shares and the audit chain. */
export class Foundation1764000000000 implements MigrationInterface {
  name = 'Foundation1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await q.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);

    await q.query(`
      CREATE TABLE organization (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL,
        level text NOT NULL CHECK (level IN ('province_hub','city_hospital','county_hospital','township_health_centre','village_clinic')),
        parent_id uuid REFERENCES organization(id) ON DELETE RESTRICT,
        region_code char(6) NOT NULL CHECK (region_code ~ '^[0-9]{6}$'),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (parent_id IS DISTINCT FROM id)
      )`);
    await q.query(`CREATE INDEX organization_parent_idx ON organization(parent_id)`);
    await q.query(
      `CREATE UNIQUE INDEX organization_name_parent_uq ON organization(name, coalesce(parent_id, '00000000-0000-0000-0000-000000000000'::uuid))`,
    );

    await q.query(`
      CREATE TABLE consortium (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('urban_medical_group','county_medical_community','specialty_alliance','telemedicine_network')),
        lead_organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE consortium_member (
        consortium_id uuid NOT NULL REFERENCES consortium(id) ON DELETE CASCADE,
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        joined_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (consortium_id, organization_id)
      )`);
    await q.query(`CREATE INDEX consortium_member_org_idx ON consortium_member(organization_id)`);

    await q.query(`
      CREATE TABLE practitioner (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        username text NOT NULL CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
        display_name text NOT NULL,
        password_hash text NOT NULL,
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY['township_doctor','specialist','hub_coordinator','admin']::text[]),
        specialty text,
        title text CHECK (title IN ('resident','attending','associate_chief','chief')),
        active boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX practitioner_username_uq ON practitioner(lower(username))`);
    await q.query(`CREATE INDEX practitioner_org_idx ON practitioner(organization_id)`);
    await q.query(
      `CREATE INDEX practitioner_specialty_idx ON practitioner(specialty) WHERE specialty IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE patient (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        organization_id uuid NOT NULL REFERENCES organization(id) ON DELETE RESTRICT,
        name text NOT NULL,
        sex text NOT NULL CHECK (sex IN ('male','female','other','unknown')),
        birth_date date NOT NULL,
        national_id_hmac bytea,
        national_id_cipher bytea,
        phone text,
        address text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX patient_org_idx ON patient(organization_id)`);
    await q.query(
      `CREATE UNIQUE INDEX patient_national_id_uq ON patient(organization_id, national_id_hmac) WHERE national_id_hmac IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX patient_national_id_idx ON patient(national_id_hmac) WHERE national_id_hmac IS NOT NULL`,
    );
    await q.query(`CREATE INDEX patient_name_trgm_idx ON patient USING gin (name gin_trgm_ops)`);

    await q.query(`
      CREATE TABLE refresh_token (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        practitioner_id uuid NOT NULL REFERENCES practitioner(id) ON DELETE CASCADE,
        family_id uuid NOT NULL,
        token_hash bytea NOT NULL UNIQUE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        ip text,
        user_agent text
      )`);
    await q.query(`CREATE INDEX refresh_token_family_idx ON refresh_token(family_id)`);

    await q.query(`
      CREATE TABLE access_grant (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        resource_type text NOT NULL,
        resource_id text NOT NULL,
        action text NOT NULL,
        grantee_practitioner_id uuid REFERENCES practitioner(id) ON DELETE CASCADE,
        grantee_organization_id uuid REFERENCES organization(id) ON DELETE CASCADE,
        granted_by uuid REFERENCES practitioner(id) ON DELETE SET NULL,
        reason text,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((grantee_practitioner_id IS NULL) <> (grantee_organization_id IS NULL))
      )`);
    await q.query(
      `CREATE INDEX access_grant_resource_idx ON access_grant(resource_type, resource_id)`,
    );

    await q.query(`
      CREATE TABLE audit_event (
        seq bigint PRIMARY KEY,
        occurred_at timestamptz NOT NULL,
        actor_id uuid,
        actor_username text,
        actor_organization_id uuid,
        action text NOT NULL,
        resource_type text,
        resource_id text,
        outcome text NOT NULL CHECK (outcome IN ('success','denied','failure')),
        ip text,
        user_agent text,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}'::jsonb,
        prev_hash text NOT NULL,
        hash text NOT NULL
      )`);
    await q.query(
      `CREATE INDEX audit_event_resource_idx ON audit_event(resource_type, resource_id)`,
    );
    await q.query(`CREATE INDEX audit_event_actor_idx ON audit_event(actor_id, occurred_at)`);
    // Append-only in the ordinary course; a superuser can still tamper, which the hash chain reveals.
    await q.query(`
      CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(
      `CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()`,
    );
    await q.query(
      `CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'audit_event',
      'access_grant',
      'refresh_token',
      'patient',
      'practitioner',
      'consortium_member',
      'consortium',
      'organization',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP FUNCTION IF EXISTS audit_event_append_only()`);
  }
}
