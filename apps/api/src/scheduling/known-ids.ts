import { HttpStatus } from '@nestjs/common';
import { DomainError } from '@huizhen/platform-http';
import { sql, type Db } from '@huizhen/database';

// The directory's tables (practitioner, organization, consortium_member) as scheduling reads
// them, in one place: ids that must exist, and the facts a shift, a plan or a feed needs.

const SPECIALIST = sql(
  { organization_id: 'uuid', roles: 'text[]' },
  'SELECT organization_id, roles FROM practitioner WHERE id = $1',
).takes<[id: string]>();
const ORGANIZATION_NAME = sql(
  { name: 'text' },
  'SELECT name FROM organization WHERE id = $1',
).takes<[id: string]>();
const PRACTITIONER_FACTS = sql(
  {
    roles: 'text[]',
    active: 'bool',
    specialty: 'text?',
    display_name: 'text',
    organization_id: 'uuid',
  },
  'SELECT roles, active, specialty, display_name, organization_id FROM practitioner WHERE id = $1',
).takes<[id: string]>();
const PRACTITIONER_CARD = sql(
  { display_name: 'text', organization_id: 'uuid' },
  'SELECT display_name, organization_id FROM practitioner WHERE id = $1',
)
  .takes<[id: string]>()
  .map((p) => ({ displayName: p.display_name, organizationId: p.organization_id }));
const ACTIVE_ORGANIZATIONS = sql(
  { id: 'uuid' },
  'SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND active',
)
  .takes<[ids: string[]]>()
  .map((r) => r.id);
const ACTIVE_TOWNSHIPS = sql(
  { id: 'uuid' },
  `SELECT id FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre' AND active`,
)
  .takes<[ids: string[]]>()
  .map((r) => r.id);
const TOWNSHIPS = sql(
  { id: 'uuid', name: 'text' },
  `SELECT id, name FROM organization WHERE id = ANY($1::uuid[]) AND level = 'township_health_centre'
    ORDER BY region_code, name`,
).takes<[ids: string[]]>();
const HOSPITALS_OF = sql(
  { organization_id: 'uuid' },
  'SELECT DISTINCT organization_id FROM practitioner WHERE id = ANY($1::uuid[])',
)
  .takes<[practitionerIds: string[]]>()
  .map((r) => r.organization_id);
const SPECIALISTS_REACHING = sql(
  { id: 'uuid', name: 'text', specialty: 'text', reach: 'uuid[]' },
  `SELECT p.id, p.display_name AS name, p.specialty, array_agg(DISTINCT m2.organization_id) AS reach
     FROM practitioner p
     JOIN consortium_member m1 ON m1.organization_id = p.organization_id
     JOIN consortium_member m2 ON m2.consortium_id = m1.consortium_id
    WHERE p.active AND 'specialist' = ANY(p.roles) AND p.specialty = ANY($1::text[]) AND m2.organization_id = ANY($2::uuid[])
      AND p.organization_id = ANY($3::uuid[])
    GROUP BY p.id, p.display_name, p.specialty ORDER BY p.id`,
).takes<[specialties: string[], townships: string[], hospitals: string[]]>();

/**
 * Ids named in a path or a query must exist: an unknown one is 404, not an empty answer that
 * reads like "nothing scheduled" (a mistyped or stale id would otherwise look like a free week).
 */
export async function assertSpecialistExists(
  db: Db,
  id: string,
): Promise<{ organizationId: string }> {
  const p = await SPECIALIST.first(db, [id]);
  if (!p || !p.roles.includes('specialist'))
    throw new DomainError(
      'specialist_not_found',
      HttpStatus.NOT_FOUND,
      `specialist ${id} does not exist`,
    );
  return { organizationId: p.organization_id };
}

export async function assertOrganizationExists(db: Db, id: string): Promise<{ name: string }> {
  const o = await ORGANIZATION_NAME.first(db, [id]);
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
  return (await PRACTITIONER_FACTS.first(db, [id])) ?? null;
}

/** A practitioner's name and organization, or null when there is no such practitioner. */
export async function practitionerCard(
  db: Db,
  id: string,
): Promise<{ displayName: string; organizationId: string } | null> {
  return (await PRACTITIONER_CARD.first(db, [id])) ?? null;
}

/** Those of `ids` that name an active organization. */
export function activeOrganizationIds(db: Db, ids: string[]): Promise<string[]> {
  return ACTIVE_ORGANIZATIONS.all(db, [ids]);
}

/** Active township health centres among `ids`. */
export function activeTownships(db: Db, ids: string[]): Promise<string[]> {
  return ACTIVE_TOWNSHIPS.all(db, [ids]);
}

/** Township health centres among `ids` with their names, by region code and name. */
export function townshipsIn(db: Db, ids: string[]): Promise<{ id: string; name: string }[]> {
  return TOWNSHIPS.all(db, [ids]);
}

/** The hospitals these practitioners belong to. */
export function hospitalsOf(db: Db, practitionerIds: string[]): Promise<string[]> {
  return HOSPITALS_OF.all(db, [practitionerIds]);
}

/**
 * Active specialists of these specialties at these hospitals who share a consortium with one
 * of the townships, with the townships they reach.
 */
export function specialistsReaching(
  db: Db,
  q: { specialties: string[]; townships: string[]; hospitals: string[] },
): Promise<{ id: string; name: string; specialty: string; reach: string[] }[]> {
  return SPECIALISTS_REACHING.all(db, [q.specialties, q.townships, q.hospitals]);
}
