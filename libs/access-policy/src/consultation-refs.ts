import type { EntityManager } from 'typeorm';
import { prepared } from '@huizhen/database';
import type { ResourceRef } from './policy-terms';

/** The columns of a consultation request the policy decides on. */
export interface ConsultationAccessFacts {
  id: string;
  requesting_organization_id: string;
  assigned_organization_id: string | null;
  status: string;
  routed_organization_ids: string[];
  specialty: string | null;
  declined_by: string[];
}

type Queryable = Pick<EntityManager, 'query'>;

/**
 * The policy's view of a consultation request. Its queue confers access only while the request
 * waits in it, except to claim (a late claimer gets 409, not 403); never to a specialist who
 * declined it. The assigned organization is one of its organizations (a hub covering it sees the
 * clinical content).
 */
export function consultationRef(
  c: ConsultationAccessFacts,
  participantIds: string[],
  purpose?: string,
): ResourceRef {
  const inQueue = c.status === 'submitted' || purpose === 'claim';
  return {
    type: 'consultation',
    id: c.id,
    organizationId: c.requesting_organization_id,
    organizationIds: c.assigned_organization_id ? [c.assigned_organization_id] : [],
    participantIds,
    routedTo:
      inQueue && c.routed_organization_ids.length
        ? {
            organizationIds: c.routed_organization_ids,
            specialty: c.specialty,
            declinedBy: c.declined_by ?? [],
          }
        : undefined,
  };
}

const FACTS = `c.id, c.requesting_organization_id, c.assigned_organization_id, c.status, c.routed_organization_ids, c.specialty, c.declined_by,
       ARRAY(SELECT p.practitioner_id::text FROM consultation_participant p
              WHERE p.consultation_id = c.id AND p.active ORDER BY p.added_at, p.practitioner_id) AS participant_ids`;

// One round trip for the consultations (linked, or attaching the study) and their active people:
// imaging asks this on every DICOMweb read of a study. The ids are collected first, so the
// requests are found by primary key (an OR across both would scan every request).
const REFS_SQL = `SELECT ${FACTS}
  FROM consultation_request c
 WHERE c.id = ANY(ARRAY(SELECT unnest($1::uuid[]) UNION SELECT a.consultation_id FROM consultation_attachment a WHERE a.study_instance_uid = $2))
 ORDER BY c.created_at`;

/**
 * The consultations through which a study can be read, as refs read from their tables: those
 * that attached it by Study Instance UID (consultation side) and those it was linked to (imaging
 * side, `linkedIds`). Every process that shares the database decides alike: the api, and an
 * imaging node deciding on a study (no call to the api needed, none to go stale).
 */
export async function consultationRefsOfStudy(
  db: Queryable,
  studyInstanceUid: string,
  linkedIds: string[] = [],
): Promise<ResourceRef[]> {
  const rows: (ConsultationAccessFacts & { participant_ids: string[] })[] = await db.query(
    prepared(REFS_SQL),
    [linkedIds, studyInstanceUid],
  );
  return rows.map((c) => consultationRef(c, c.participant_ids));
}

/** One consultation request as the policy sees it, or null when there is none (for a door that names it in a body). */
export async function consultationRefById(db: Queryable, id: string): Promise<ResourceRef | null> {
  const rows: (ConsultationAccessFacts & { participant_ids: string[] })[] = await db.query(
    `SELECT ${FACTS} FROM consultation_request c WHERE c.id = $1`,
    [id],
  );
  return rows[0] ? consultationRef(rows[0], rows[0].participant_ids) : null;
}

/**
 * A stored study as the policy sees it (its owning organization, the consultations it can be
 * read through), or null when no study has that UID. The api asks this before a request names a
 * study in a body (attaching it); imaging asks the same through its index.
 */
export async function studyRef(
  db: Queryable,
  studyInstanceUid: string,
): Promise<ResourceRef | null> {
  const rows: { organization_id: string; linked: string[] }[] = await db.query(
    `SELECT s.organization_id, ARRAY(SELECT l.consultation_id::text FROM imaging_study_link l WHERE l.study_instance_uid = s.study_instance_uid) AS linked
       FROM imaging_study s WHERE s.study_instance_uid = $1`,
    [studyInstanceUid],
  );
  if (!rows[0]) return null;
  const via = await consultationRefsOfStudy(db, studyInstanceUid, rows[0].linked);
  return {
    type: 'imaging_study',
    id: studyInstanceUid,
    organizationId: rows[0].organization_id,
    via,
  };
}
