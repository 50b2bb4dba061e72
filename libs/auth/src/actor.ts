import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '@huizhen/kernel';

// Who acts is a kernel word (libs/kernel); exported here too for the guard's users.
export { actorOf, hasRole, isMachine, type Actor, type Role } from '@huizhen/kernel';

export const ACTOR_KEY = 'huizhenActor';

/** The Actor of the current HTTP request (set by the access-token guard). */
export const CurrentActor = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest();
  return req[ACTOR_KEY];
});
