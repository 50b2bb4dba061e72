import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@huizhen/platform-http';
import { AuthService } from './auth.service';

/** Global: every HTTP route needs a valid Bearer access token unless marked @Public(). */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // socket gateways authenticate their handshake
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()]))
      return true;
    await this.auth.authenticate(ctx.switchToHttp().getRequest());
    return true;
  }
}

/** The Bearer token of a socket.io handshake: `auth.token`, or an Authorization header. */
export function handshakeToken(handshake: {
  auth?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}): string {
  const fromAuth = handshake.auth?.token;
  if (typeof fromAuth === 'string') return fromAuth;
  const header = handshake.headers?.authorization;
  return typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7).trim() : '';
}
