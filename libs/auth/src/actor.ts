import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Practitioner, Role } from '@huizhen/directory';

export type { Role } from '@huizhen/directory';

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
export function actorOf(p: Pick<Practitioner, 'id' | 'username' | 'displayName' | 'organizationId' | 'roles' | 'specialty'>): Actor {
  return { id: p.id, username: p.username, displayName: p.displayName, organizationId: p.organizationId, roles: p.roles, specialty: p.specialty };
}

export const ACTOR_KEY = 'huizhenActor';

/** The Actor of the current HTTP request (set by the access-token guard). */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest();
  return req[ACTOR_KEY];
});

export function hasRole(actor: Actor, ...roles: Role[]): boolean {
  return roles.some((r) => actor.roles.includes(r));
}
