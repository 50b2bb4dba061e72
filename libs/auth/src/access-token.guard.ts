import { type CanActivate, type ExecutionContext, Injectable, Optional } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { PUBLIC_ROUTE } from '@huizhen/platform-http';
import { AuthService } from './auth.service';
import type { Actor } from './actor';
import {
  ServiceAccountCredentials,
  type KeyedRequest,
} from './service-accounts/service-account-credentials';

/**
 * Global: every HTTP route needs a valid Bearer access token unless marked @Public(), or a
 * service account's key with the scope the route needs (where the app mounts
 * ServiceAccountsModule).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly auth: AuthService,
    @Optional() private readonly machines?: ServiceAccountCredentials,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true; // socket gateways authenticate their handshake
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [ctx.getHandler(), ctx.getClass()]))
      return true;
    await this.authenticate(ctx.switchToHttp().getRequest());
    return true;
  }

  /**
   * Who is asking, recorded on the request: a service account's key (with the scope the request
   * needs), else the Bearer access token. Also the app's RequestAuthenticator, so the direct
   * routes (QIDO-RS listings) take keys exactly as the routes behind this guard do.
   */
  async authenticate(req: KeyedRequest): Promise<Actor> {
    return (await this.machines?.authenticate(req)) ?? this.auth.authenticate(req);
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
