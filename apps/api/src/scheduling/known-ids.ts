import { HttpStatus } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/platform-http';

type Db = DataSource | EntityManager;

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
