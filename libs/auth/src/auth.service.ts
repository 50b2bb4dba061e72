import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Db } from '@huizhen/database';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DirectoryService, type Practitioner, type Role } from '@huizhen/directory';
import { AuditService } from '@huizhen/audit';
import { DomainError } from '@huizhen/kernel';
import { ACTOR_KEY, type Actor } from './actor';
import { LoginThrottle } from './login-throttle';
import { DECOY_PASSWORD_HASH, verifyPassword } from './password';
import { AuthStore } from './auth-store';
import { SessionRevocations } from './session-revocations';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

interface AccessClaims {
  sub: string;
  usr: string;
  name: string;
  org: string;
  roles: Role[];
  spc: string | null;
  /** The login session (refresh-token family) it was issued in; logout ends it. */
  sid?: string;
}

type VerifiedClaims = AccessClaims & { exp?: unknown; iat?: unknown };

const ACCESS_AUDIENCE = 'huizhen-api';

/**
 * Access tokens whose signature this process has checked, kept until they expire: a client
 * sends the same token with every request of its 15 minutes, and checking the HMAC and claims
 * each time was ~7 % of a short request's CPU. The token is the key (its bytes are what was
 * verified); expiry and the ended sessions (SessionRevocations, in memory on every node) are
 * still checked on every use, so logout and deactivation end a kept token at once too.
 */
const VERIFIED_TOKENS_KEPT = 10_000;

function copyOf(a: Actor): Actor {
  return { ...a, roles: [...a.roles] };
}

function invalidAccessToken(): DomainError {
  return new DomainError(
    'invalid_access_token',
    HttpStatus.UNAUTHORIZED,
    'access token is missing, invalid or expired',
  );
}

/** Same code as any refused token (clients refresh, then log in again), a message that says why. */
function sessionEnded(): DomainError {
  return new DomainError(
    'invalid_access_token',
    HttpStatus.UNAUTHORIZED,
    'this session has ended (logged out or the account was changed); log in again',
  );
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly store: AuthStore,
    private readonly jwt: JwtService,
    private readonly directory: DirectoryService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottle,
    private readonly revocations: SessionRevocations,
  ) {}

  private readonly verified = new Map<
    string,
    { actor: Actor; expiresAtMs: number; sid: string | undefined; iat: number }
  >();

  async login(
    username: string,
    password: string,
    client: { ip: string; userAgent?: string },
  ): Promise<TokenPair> {
    const wait = this.throttle.retryAfter(username, client.ip);
    if (wait > 0) {
      await this.audit.record({
        action: 'auth.login',
        actorUsername: username,
        outcome: 'denied',
        details: { reason: 'rate_limited' },
      });
      throw new DomainError(
        'login_rate_limited',
        HttpStatus.TOO_MANY_REQUESTS,
        `too many failed logins; try again in ${wait} s`,
        { retryAfterSeconds: wait },
      );
    }
    const p = await this.directory.practitionerByUsername(username);
    const ok = await verifyPassword(password, p?.passwordHash ?? DECOY_PASSWORD_HASH);
    if (!p || !ok || !p.active) {
      this.throttle.fail(username, client.ip);
      await this.audit.record({
        action: 'auth.login',
        actor: p ? { id: p.id, username: p.username, organizationId: p.organizationId } : null,
        actorUsername: username,
        outcome: 'failure',
        details: { reason: !p ? 'unknown_user' : !ok ? 'bad_password' : 'inactive' },
      });
      // One message for all three: do not reveal which usernames exist.
      throw new DomainError(
        'invalid_credentials',
        HttpStatus.UNAUTHORIZED,
        'username or password is incorrect',
      );
    }
    this.throttle.succeed(username, client.ip);
    const pair = await this.issue(p, randomUUID(), client);
    await this.audit.record({
      action: 'auth.login',
      actor: { id: p.id, username: p.username, organizationId: p.organizationId },
    });
    return pair;
  }

  /** Spends a refresh token for a new pair; reuse of a spent token revokes its whole family. */
  async refresh(token: string, client: { ip: string; userAgent?: string }): Promise<TokenPair> {
    const invalid = () =>
      new DomainError(
        'invalid_refresh_token',
        HttpStatus.UNAUTHORIZED,
        'refresh token is invalid or expired; log in again',
      );
    const outcome = await this.store.transaction(async (m) => {
      const row = await this.store.refreshTokenForUpdate(m, sha256(token));
      if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
      if (row.usedAt) return { reused: row };
      const p = await this.directory.findPractitioner(row.practitionerId, m);
      if (!p || !p.active) return null;
      await this.store.markUsed(m, row.id, new Date());
      return { pair: await this.issue(p, row.familyId, client, m) };
    });
    if (outcome && 'pair' in outcome && outcome.pair) return outcome.pair;
    if (outcome?.reused) {
      // Committed on its own: the revocation must stand although this request fails.
      const row = outcome.reused;
      await this.store.transaction(async (m) => {
        // The thief's (or the victim's) access tokens of that session end too.
        await this.revocations.revokeSessions([row.familyId], m);
        await this.audit.record(
          {
            action: 'auth.refresh_reuse',
            actor: null,
            resourceType: 'practitioner',
            resourceId: row.practitionerId,
            outcome: 'denied',
            details: { familyId: row.familyId },
          },
          m,
        );
      });
    }
    throw invalid();
  }

  /**
   * Ends the session of the refresh token and of the access token (either may be missing or
   * expired): its refresh tokens, and its access tokens on every node at once. Returns the actor
   * of a valid access token, if any.
   */
  async logout(
    refreshToken: string | undefined,
    accessToken: string | undefined,
  ): Promise<Actor | null> {
    const verified = accessToken ? await this.verify(accessToken).catch(() => null) : null;
    const actor = verified?.actor ?? null;
    const sessions = verified?.sid ? [verified.sid] : [];
    if (refreshToken) {
      const row = await this.store.refreshToken(sha256(refreshToken));
      if (row && (!actor || row.practitionerId === actor.id)) sessions.push(row.familyId);
    }
    await this.store.transaction(async (m) => {
      await this.revocations.revokeSessions(sessions, m);
      if (actor) await this.audit.record({ action: 'auth.logout', actor }, m);
    });
    return actor;
  }

  /**
   * Who is asking: the actor of the request's Bearer access token, recorded on the request. The
   * global guard and the direct routes both authenticate here.
   */
  async authenticate(req: { headers: { authorization?: string } }): Promise<Actor> {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const actor = await this.verifyAccessToken(token);
    (req as Record<string, unknown>)[ACTOR_KEY] = actor;
    return actor;
  }

  /** For every door that takes a Bearer token: HTTP guard, direct routes, socket.io handshakes, DICOMweb, uploads. */
  async verifyAccessToken(token: string): Promise<Actor> {
    return (await this.verify(token)).actor;
  }

  /**
   * The token's actor and session. Refused: a bad signature or audience, another algorithm (alg
   * none included), no `exp` or `iat` (a token that never expires is never accepted), expired,
   * or its session ended (logout, deactivation) on any node.
   */
  private async verify(token: string): Promise<{ actor: Actor; sid: string | undefined }> {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() >= known.expiresAtMs) this.verified.delete(token);
      else if (this.revocations.refuses(known.sid, known.actor.id, known.iat)) throw sessionEnded();
      else return { actor: copyOf(known.actor), sid: known.sid };
    }
    let c: VerifiedClaims;
    try {
      c = await this.jwt.verifyAsync<VerifiedClaims>(token, {
        audience: ACCESS_AUDIENCE,
        algorithms: ['HS256'],
      });
    } catch {
      throw invalidAccessToken();
    }
    if (
      typeof c.exp !== 'number' ||
      typeof c.iat !== 'number' ||
      typeof c.sub !== 'string' ||
      (c.sid !== undefined && typeof c.sid !== 'string')
    )
      throw invalidAccessToken();
    if (this.revocations.refuses(c.sid, c.sub, c.iat)) throw sessionEnded();
    const actor: Actor = {
      id: c.sub,
      username: c.usr,
      displayName: c.name,
      organizationId: c.org,
      roles: c.roles,
      specialty: c.spc,
    };
    // Oldest first out: Map keeps insertion order.
    if (this.verified.size >= VERIFIED_TOKENS_KEPT)
      this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, {
      actor: copyOf(actor),
      expiresAtMs: c.exp * 1000,
      sid: c.sid,
      iat: c.iat,
    });
    return { actor, sid: c.sid };
  }

  /**
   * Signs an access token for a practitioner (login, refresh, and tests that need one). `sid`
   * names the login session; without one, only ending all of the practitioner's sessions ends it.
   */
  signAccessToken(
    p: Pick<
      Practitioner,
      'id' | 'username' | 'displayName' | 'organizationId' | 'roles' | 'specialty'
    >,
    sid?: string,
  ): Promise<string> {
    const claims: AccessClaims = {
      sub: p.id,
      usr: p.username,
      name: p.displayName,
      org: p.organizationId,
      roles: p.roles,
      spc: p.specialty,
      ...(sid ? { sid } : {}),
    };
    return this.jwt.signAsync(claims, {
      audience: ACCESS_AUDIENCE,
      expiresIn: this.config.accessTokenTtlSeconds,
      algorithm: 'HS256',
    });
  }

  private async issue(
    p: Practitioner,
    familyId: string,
    client: { ip: string; userAgent?: string },
    m?: Db,
  ): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await this.store.insertRefreshToken(
      {
        practitionerId: p.id,
        familyId,
        tokenHash: sha256(refreshToken),
        expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 512) ?? null,
      },
      m,
    );
    return {
      accessToken: await this.signAccessToken(p, familyId),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.accessTokenTtlSeconds,
    };
  }
}
