import { HttpStatus } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/platform-http';

type Db = Pick<DataSource | EntityManager, 'query'>;

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
