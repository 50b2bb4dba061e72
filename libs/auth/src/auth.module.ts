import { Global, Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DirectoryModule } from '@huizhen/directory';
import { REQUEST_AUTHENTICATOR } from '@huizhen/platform-http';
import { AccessTokenGuard } from './access-token.guard';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { AuthStore } from './auth-store';
import { LoginThrottle } from './login-throttle';
import { SessionRevocations } from './session-revocations';

/** Token verification and the global guard: every app process that serves people imports it. */
@Global()
@Module({
  imports: [
    DirectoryModule,
    JwtModule.registerAsync({
      inject: [HUIZHEN_CONFIG],
      // A KeyObject, not the string: given a string, jsonwebtoken first tries (and fails) to
      // parse it as a public key on every single verify.
      useFactory: (config: HuizhenConfig) => ({
        secret: createSecretKey(Buffer.from(config.jwtSecret, 'utf8')),
        signOptions: { algorithm: 'HS256' },
      }),
    }),
  ],
  providers: [
    AuthStore,
    AuthService,
    LoginThrottle,
    SessionRevocations,
    AccessTokenGuard,
    { provide: APP_GUARD, useExisting: AccessTokenGuard },
    // The guard's check (keys, then access tokens) for the direct routes too.
    { provide: REQUEST_AUTHENTICATOR, useExisting: AccessTokenGuard },
  ],
  exports: [AuthService, SessionRevocations, REQUEST_AUTHENTICATOR],
})
export class AuthModule {}

/** Login, refresh, logout and /api/me: mounted by the api app. */
@Module({ imports: [AuthModule, DirectoryModule], controllers: [AuthController] })
export class AuthHttpModule {}
