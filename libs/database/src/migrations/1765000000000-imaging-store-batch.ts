import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The index rows of a batch of received instances in one round trip. Each instance waits for
 * its commit (a modality sends the next only after the answer), and the batch used to cost a
 * BEGIN, six statements, the audit event and a COMMIT: nine round trips, about 4 ms of the
 * 6.7 ms each C-STORE took on the bench machine. As a function the statements run inside the
 * server; the caller puts it in one statement with the batch's audit event, which then commits
 * on its own (no BEGIN/COMMIT either).
 *
 * In: the studies (the first instance of each), the series (the first instance of each series
 * for each organization), the instances (every one, in request order `ord`, each with its
 * DICOM JSON as a slice of `metadata`). Out: what the caller needs to give every instance its
 * outcome exactly as if they had been stored one after another (ImagingStore.storeBatch),
 * and the audit details per uploader key `k`. Each statement sees what committed before it
 * (READ COMMITTED): a row another node inserted meanwhile is found by the lookups that follow.
 * Rows are written in key order, so concurrent batches cannot deadlock.
 */
export class ImagingStoreBatch1765000000000 implements MigrationInterface {
  name = 'ImagingStoreBatch1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION imaging_store_batch(p_studies jsonb, p_series jsonb, p_instances json, p_metadata bytea) RETURNS jsonb
      LANGUAGE plpgsql AS $fn$
      DECLARE
        v_owners jsonb;
        v_series jsonb;
        v_new_series text[];
        v_inserted text[];
        v_stored jsonb;
        v_audit jsonb;
      BEGIN
        -- 1. Studies: a new one is created, an existing one keeps its owner (who is returned).
        WITH up AS (
          INSERT INTO imaging_study (study_instance_uid, deid_uid, organization_id, patient_id, patient_name, patient_name_search, dicom_patient_id,
              patient_birth_date, patient_sex, study_date, study_time, accession_number, study_id, study_description, referring_physician_name, study_json)
          SELECT v.study_instance_uid, v.deid_uid, v.organization_id,
              (SELECT id FROM patient WHERE organization_id = v.organization_id AND name = ANY(v.name_candidates) AND birth_date = v.birth_date_iso ORDER BY created_at LIMIT 1),
              v.patient_name, COALESCE(v.patient_name_search, ''), v.dicom_patient_id, v.patient_birth_date, v.patient_sex, v.study_date, v.study_time,
              v.accession_number, v.study_id, v.study_description, v.referring_physician_name, v.study_json
            FROM jsonb_to_recordset(p_studies) AS v(study_instance_uid text, deid_uid text, organization_id uuid, patient_name text, patient_name_search text,
              dicom_patient_id text, patient_birth_date text, patient_sex text, study_date text, study_time text, accession_number text, study_id text,
              study_description text, referring_physician_name text, study_json jsonb, name_candidates text[], birth_date_iso date)
           ORDER BY v.study_instance_uid
          ON CONFLICT (study_instance_uid) DO UPDATE SET updated_at = now()
          RETURNING study_instance_uid, organization_id)
        SELECT COALESCE(jsonb_object_agg(study_instance_uid, organization_id), '{}') INTO v_owners FROM up;

        -- 2. Series, for instances admitted to their study (the first such instance of each series supplies the row).
        WITH v AS (
          SELECT * FROM jsonb_to_recordset(p_series) AS v(ord int, organization_id uuid, series_instance_uid text, study_instance_uid text, deid_uid text,
              modality text, series_number int, series_description text, series_date text, series_json jsonb)),
        pick AS (
          SELECT DISTINCT ON (v.series_instance_uid) v.* FROM v
           WHERE v_owners ->> v.study_instance_uid = v.organization_id::text ORDER BY v.series_instance_uid, v.ord),
        ins AS (
          INSERT INTO imaging_series (series_instance_uid, study_instance_uid, deid_uid, modality, series_number, series_description, series_date, series_json)
          SELECT series_instance_uid, study_instance_uid, deid_uid, modality, series_number, series_description, series_date, series_json
            FROM pick ORDER BY series_instance_uid
          ON CONFLICT (series_instance_uid) DO NOTHING RETURNING series_instance_uid, study_instance_uid)
        SELECT COALESCE(array_agg(series_instance_uid), '{}'), COALESCE(jsonb_object_agg(series_instance_uid, study_instance_uid), '{}')
          INTO v_new_series, v_series FROM ins;
        -- ... and the study of every other series the batch names (stored before, or by another node meanwhile).
        SELECT v_series || COALESCE(jsonb_object_agg(s.series_instance_uid, s.study_instance_uid), '{}') INTO v_series
          FROM imaging_series s
         WHERE s.series_instance_uid IN (SELECT x ->> 'series_instance_uid' FROM jsonb_array_elements(p_series) AS x)
           AND NOT (s.series_instance_uid = ANY(v_new_series));

        -- 3. Instances admitted to their study and series: the first of each SOP Instance UID is inserted.
        WITH v AS (
          SELECT * FROM json_to_recordset(p_instances) AS v(ord int, organization_id uuid, sop_instance_uid text, series_instance_uid text, study_instance_uid text,
              deid_uid text, sop_class_uid text, instance_number int, transfer_syntax_uid text, content_sha256 text, size_bytes bigint, rows int, columns int,
              number_of_frames int, burned_in_annotation boolean, pixel_layout json, received_via text, metadata_at int, metadata_bytes int)),
        first AS (
          SELECT DISTINCT ON (v.sop_instance_uid) v.* FROM v
           WHERE v_owners ->> v.study_instance_uid = v.organization_id::text AND v_series ->> v.series_instance_uid = v.study_instance_uid
           ORDER BY v.sop_instance_uid, v.ord),
        ins AS (
          INSERT INTO imaging_instance (sop_instance_uid, series_instance_uid, study_instance_uid, deid_uid, sop_class_uid, instance_number, transfer_syntax_uid,
              content_sha256, size_bytes, rows, columns, number_of_frames, burned_in_annotation, pixel_layout, metadata, received_via)
          SELECT f.sop_instance_uid, f.series_instance_uid, f.study_instance_uid, f.deid_uid, f.sop_class_uid, f.instance_number, f.transfer_syntax_uid,
              f.content_sha256, f.size_bytes, f.rows, f.columns, f.number_of_frames, f.burned_in_annotation, f.pixel_layout::jsonb,
              convert_from(substring(p_metadata FROM f.metadata_at + 1 FOR f.metadata_bytes), 'UTF8')::json, f.received_via
            FROM first f ORDER BY f.sop_instance_uid
          ON CONFLICT (sop_instance_uid) DO NOTHING RETURNING sop_instance_uid)
        SELECT COALESCE(array_agg(sop_instance_uid), '{}') INTO v_inserted FROM ins;

        -- The stored content of every other admitted instance (a duplicate, or a conflict when it differs).
        WITH v AS (
          SELECT * FROM json_to_recordset(p_instances) AS v(organization_id uuid, sop_instance_uid text, series_instance_uid text, study_instance_uid text)),
        adm AS (
          SELECT v.sop_instance_uid FROM v
           WHERE v_owners ->> v.study_instance_uid = v.organization_id::text AND v_series ->> v.series_instance_uid = v.study_instance_uid)
        SELECT COALESCE(jsonb_object_agg(i.sop_instance_uid, i.content_sha256), '{}') INTO v_stored
          FROM imaging_instance i
         WHERE i.sop_instance_uid IN (SELECT sop_instance_uid FROM adm GROUP BY sop_instance_uid HAVING count(*) > 1 OR NOT (sop_instance_uid = ANY(v_inserted)));

        -- 4. Counters of the new rows, and what each uploader key stored (in request order) for its audit event.
        WITH v AS (
          SELECT * FROM json_to_recordset(p_instances) AS v(ord int, k int, organization_id uuid, sop_instance_uid text, series_instance_uid text,
              study_instance_uid text, modality text, received_via text)),
        new AS (
          SELECT DISTINCT ON (v.sop_instance_uid) v.* FROM v
           WHERE v.sop_instance_uid = ANY(v_inserted)
             AND v_owners ->> v.study_instance_uid = v.organization_id::text AND v_series ->> v.series_instance_uid = v.study_instance_uid
           ORDER BY v.sop_instance_uid, v.ord),
        per_series AS (
          UPDATE imaging_series s SET number_of_instances = s.number_of_instances + c.n
            FROM (SELECT series_instance_uid AS uid, count(*)::int AS n FROM new GROUP BY 1) c
           WHERE s.series_instance_uid = c.uid),
        mods AS (
          SELECT study_instance_uid AS uid, array_agg(modality ORDER BY o) AS mods
            FROM (SELECT study_instance_uid, modality, min(ord) AS o FROM new WHERE modality IS NOT NULL GROUP BY 1, 2) m GROUP BY 1),
        per_study AS (
          UPDATE imaging_study st SET number_of_instances = st.number_of_instances + c.n,
              number_of_series = st.number_of_series + c.new_series,
              modalities = st.modalities || ARRAY(SELECT u.x FROM unnest(COALESCE(mods.mods, '{}')) WITH ORDINALITY AS u(x, o) WHERE NOT (u.x = ANY(st.modalities)) ORDER BY u.o)
            FROM (SELECT study_instance_uid AS uid, count(*)::int AS n, count(DISTINCT series_instance_uid) FILTER (WHERE series_instance_uid = ANY(v_new_series))::int AS new_series
                    FROM new GROUP BY 1) c
            LEFT JOIN mods ON mods.uid = c.uid
           WHERE st.study_instance_uid = c.uid),
        by_study AS (
          SELECT k, study_instance_uid, jsonb_agg(sop_instance_uid ORDER BY ord) AS sops, min(ord) AS o, count(*) AS n,
                 min(received_via) AS via, min(organization_id::text) AS org
            FROM new GROUP BY k, study_instance_uid),
        per_key AS (
          SELECT k, count(*) AS studies, sum(n)::int AS n, min(study_instance_uid) AS one, min(via) AS via, min(org) AS org,
                 jsonb_object_agg(study_instance_uid, sops ORDER BY o) AS studies_json, (array_agg(sops))[1] AS sops
            FROM by_study GROUP BY k)
        SELECT COALESCE(jsonb_object_agg(k::text, jsonb_build_object(
                 'resourceId', CASE WHEN studies = 1 THEN one END,
                 'details', jsonb_build_object('instances', n)
                   || CASE WHEN studies = 1 THEN jsonb_build_object('sopInstanceUids', sops) ELSE jsonb_build_object('studies', studies_json) END
                   || jsonb_build_object('via', via, 'organizationId', org))), '{}')
          INTO v_audit FROM per_key;

        RETURN jsonb_build_object('owners', v_owners, 'series', v_series, 'newSeries', to_jsonb(v_new_series), 'inserted', to_jsonb(v_inserted),
                                  'stored', v_stored, 'audit', v_audit);
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS imaging_store_batch(jsonb, jsonb, json, bytea)`);
  }
}
