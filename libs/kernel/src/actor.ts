import type { Role } from './roles';

/** Who is asking: the practitioner behind a verified access token. */
export interface Actor {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  specialty: string | null;
}

/** A practitioner as the Actor acting (for work the server does on their behalf, e.g. a reported join). */
export function actorOf(p: Actor): Actor {
  return {
    id: p.id,
    username: p.username,
    displayName: p.displayName,
    organizationId: p.organizationId,
    roles: p.roles,
    specialty: p.specialty,
  };
}

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((r) => actor.roles.includes(r));
}
