import type { EntityManager } from 'typeorm';
import { prepared } from '@huizhen/database';
import type { ResourceRef } from './policy-terms';

/** The columns of a consultation request the policy decides on. */
export interface ConsultationAccessFacts {
  id: string;
  requesting_organization_id: string;
  status: string;
  routed_organization_ids: string[];
  specialty: string | null;
}

type Queryable = Pick<EntityManager, 'query'>;

/**
 * The policy's view of a consultation request. Its queue confers access only while the request
 * waits in it, except to claim (a late claimer gets 409, not 403).
 */
export function consultationRef(c: ConsultationAccessFacts, participantIds: string[], purpose?: string): ResourceRef {
  const inQueue = c.status === 'submitted' || purpose === 'claim';
  return {
    type: 'consultation',
    id: c.id,
    organizationId: c.requesting_organization_id,
    participantIds,
    routedTo: inQueue && c.routed_organization_ids.length ? { organizationIds: c.routed_organization_ids, specialty: c.specialty } : undefined,
  };
}

/**
 * These consultations as refs, read from their tables. Every process that shares the database
 * decides alike: the api, and an imaging node deciding on a study reached through its
 * consultations (no call to the api needed, none to go stale).
 */
export async function consultationRefs(db: Queryable, consultationIds: string[]): Promise<ResourceRef[]> {
  if (!consultationIds.length) return [];
  const rows: ConsultationAccessFacts[] = await db.query(
    prepared(`SELECT id, requesting_organization_id, status, routed_organization_ids, specialty FROM consultation_request WHERE id = ANY($1::uuid[]) ORDER BY created_at`),
    [consultationIds],
  );
  if (!rows.length) return [];
  const people: { consultation_id: string; practitioner_id: string }[] = await db.query(
    prepared(`SELECT consultation_id, practitioner_id FROM consultation_participant WHERE consultation_id = ANY($1::uuid[]) AND active ORDER BY added_at, practitioner_id`),
    [rows.map((r) => r.id)],
  );
  return rows.map((c) =>
    consultationRef(
      c,
      people.filter((p) => p.consultation_id === c.id).map((p) => p.practitioner_id),
    ),
  );
}

/**
 * The consultations through which a study can be read: those that attached it by Study Instance
 * UID (consultation side) and those it was linked to (imaging side, `linkedIds`).
 */
export async function consultationRefsOfStudy(db: Queryable, studyInstanceUid: string, linkedIds: string[] = []): Promise<ResourceRef[]> {
  const attached: { consultation_id: string }[] = await db.query(prepared(`SELECT DISTINCT consultation_id FROM consultation_attachment WHERE study_instance_uid = $1`), [studyInstanceUid]);
  const ids = [...new Set([...attached.map((r) => r.consultation_id), ...linkedIds.filter((id) => UUID.test(id))])];
  return consultationRefs(db, ids);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
