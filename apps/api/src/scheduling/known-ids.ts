import { HttpStatus } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/platform-http';

type Db = Pick<DataSource | EntityManager, 'query'>;

// The directory's tables (practitioner, organization, consortium_member) as scheduling reads
// them, in one place: ids that must exist, and the facts a shift, a plan or a feed needs.

/**
 * Ids named in a path or a query must exist: an unknown one is 404, not an empty answer that
 * reads like "nothing scheduled" (a mistyped or stale id would otherwise look like a free week).
 */
export async function assertSpecialistExists(
  db: Db,
  id: string,
): Promise<{ organizationId: string }> {
  const [p]: { organization_id: string; roles: string[] }[] = await db.query(
    'SELECT organization_id, roles FROM practitioner WHERE id = $1',
    [id],
  );
  if (!p || !p.roles.includes('specialist'))
    throw new DomainError(
      'specialist_not_found',
      HttpStatus.NOT_FOUND,
      `specialist ${id} does not exist`,
    );
  return { organizationId: p.organization_id };
}

export async function assertOrganizationExists(db: Db, id: string): Promise<{ name: string }> {
  const [o]: { name: string }[] = await db.query('SELECT name FROM organization WHERE id = $1', [
    id,
  ]);
  if (!o)
    throw new DomainError(
      'organization_not_found',
      HttpStatus.NOT_FOUND,
      `organization ${id} does not exist`,
    );
  return o;
}

/** Every id a listing filters by, checked in one go (query parameters left out are skipped). */
export async function assertFilterIds(
  db: Db,
  q: { specialistId?: string; organizationIds?: (string | undefined)[] },
): Promise<void> {
  if (q.specialistId) await assertSpecialistExists(db, q.specialistId);
  for (const id of q.organizationIds ?? []) if (id) await assertOrganizationExists(db, id);
}

/** What a shift needs to know of its specialist (null when there is no such practitioner). */
export async function practitionerFacts(db: Db, id: string) {
  const [p]: {
    roles: string[];
    active: boolean;
    specialty: string | null;
    display_name: string;
    organization_id: string;
  }[] = await db.query(
    'SELECT roles, active, specialty, display_name, organization_id FROM practitioner WHERE id = $1',
    [id],
  );
  return p ?? null;
}

/** Those of `ids` that name an active organization. */
export async function activeOrganizationIds(db: Db, ids: string[]): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    'SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND active',
    [ids],
  );
  return rows.map((r) => r.id);
}

/** Active township health centres among `ids`. */
export async function activeTownships(db: Db, ids: string[]): Promise<string[]> {
  const rows: { id: string }[] = await db.query(
    `SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre' AND active`,
    [ids],
  );
  return rows.map((r) => r.id);
}

/** Township health centres among `ids` with their names, by region code and name. */
export async function townshipsIn(db: Db, ids: string[]): Promise<{ id: string; name: string }[]> {
  return db.query(
    `SELECT id, name FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre' ORDER BY region_code, name`,
    [ids],
  );
}

/** The hospitals these practitioners belong to. */
export async function hospitalsOf(db: Db, practitionerIds: string[]): Promise<string[]> {
  const rows: { organization_id: string }[] = await db.query(
    `SELECT DISTINCT organization_id FROM practitioner WHERE id = ANY($1::uuid[])`,
    [practitionerIds],
  );
  return rows.map((r) => r.organization_id);
}

/** A practitioner's name and organization, or null when there is no such practitioner. */
export async function practitionerCard(
  db: Db,
  id: string,
): Promise<{ displayName: string; organizationId: string } | null> {
  const [p]: { display_name: string; organization_id: string }[] = await db.query(
    'SELECT display_name, organization_id FROM practitioner WHERE id = $1',
    [id],
  );
  return p ? { displayName: p.display_name, organizationId: p.organization_id } : null;
}

/**
 * Active specialists of these specialties at these hospitals who share a consortium with one
 * of the townships, with the townships they reach.
 */
export async function specialistsReaching(
  db: Db,
  q: { specialties: string[]; townships: string[]; hospitals: string[] },
): Promise<{ id: string; name: string; specialty: string; reach: string[] }[]> {
  return db.query(
    `SELECT p.id, p.display_name AS name, p.specialty, array_agg(DISTINCT m2.organization_id) AS reach
       FROM practitioner p
       JOIN consortium_member m1 ON m1.organization_id = p.organization_id
       JOIN consortium_member m2 ON m2.consortium_id = m1.consortium_id
      WHERE p.active AND 'specialist' = ANY(p.roles) AND p.specialty = ANY($1::text[]) AND m2.organization_id = ANY($2::uuid[])
        AND p.organization_id = ANY($3::uuid[])
      GROUP BY p.id, p.display_name, p.specialty ORDER BY p.id`,
    [q.specialties, q.townships, q.hospitals],
  );
}
