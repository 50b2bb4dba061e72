import type { Role } from './roles';

/** Who is asking: the practitioner behind a verified access token, or a service account behind its key. */
export interface Actor {
  id: string;
  username: string;
  displayName: string;
  organizationId: string;
  roles: Role[];
  specialty: string | null;
  /**
   * Only a machine's actor (a service account's key) has scopes: what its key may do. A machine
   * acts for its organization, never as a person: it holds no role.
   */
  scopes?: readonly string[];
}

/** A machine (a service account) rather than a person. */
export function isMachine(actor: Actor): boolean {
  return actor.scopes !== undefined;
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
