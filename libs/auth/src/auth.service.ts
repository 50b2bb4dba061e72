import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DirectoryService, Practitioner, type Role } from '@huizhen/directory';
import { AuditService } from '@huizhen/audit';
import { DomainError } from '@huizhen/platform-http';
import { ACTOR_KEY, type Actor } from './actor';
import { LoginThrottle } from './login-throttle';
import { DECOY_PASSWORD_HASH, verifyPassword } from './password';
import { RefreshToken } from './refresh-token.entity';

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
}

const ACCESS_AUDIENCE = 'huizhen-api';

/**
 * Access tokens whose signature this process has checked, kept until they expire: a client
 * sends the same token with every request of its 15 minutes, and checking the HMAC and claims
 * each time was ~7 % of a short request's CPU. The token is the key (its bytes are what was
 * verified); expiry is still checked on every use. Access tokens are stateless either way
 * (deactivation ends the refresh family; the access token lives out its short TTL).
 */
const VERIFIED_TOKENS_KEPT = 10_000;

function copyOf(a: Actor): Actor {
  return { ...a, roles: [...a.roles] };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

@Injectable()
export class AuthService {
  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly jwt: JwtService,
    private readonly directory: DirectoryService,
    private readonly audit: AuditService,
    private readonly throttle: LoginThrottle,
  ) {}

  private readonly verified = new Map<string, { actor: Actor; expiresAtMs: number }>();

  async login(username: string, password: string, client: { ip: string; userAgent?: string }): Promise<TokenPair> {
    const wait = this.throttle.retryAfter(username, client.ip);
    if (wait > 0) {
      await this.audit.record({ action: 'auth.login', actorUsername: username, outcome: 'denied', details: { reason: 'rate_limited' } });
      throw new DomainError('login_rate_limited', HttpStatus.TOO_MANY_REQUESTS, `too many failed logins; try again in ${wait} s`, { retryAfterSeconds: wait });
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
      throw new DomainError('invalid_credentials', HttpStatus.UNAUTHORIZED, 'username or password is incorrect');
    }
    this.throttle.succeed(username, client.ip);
    const pair = await this.issue(p, randomUUID(), client);
    await this.audit.record({ action: 'auth.login', actor: { id: p.id, username: p.username, organizationId: p.organizationId } });
    return pair;
  }

  /** Spends a refresh token for a new pair; reuse of a spent token revokes its whole family. */
  async refresh(token: string, client: { ip: string; userAgent?: string }): Promise<TokenPair> {
    const invalid = () => new DomainError('invalid_refresh_token', HttpStatus.UNAUTHORIZED, 'refresh token is invalid or expired; log in again');
    const outcome = await this.db.transaction(async (m) => {
      const row = await m
        .getRepository(RefreshToken)
        .createQueryBuilder('t')
        .setLock('pessimistic_write')
        .where('t.token_hash = :h', { h: sha256(token) })
        .getOne();
      if (!row || row.revokedAt || row.expiresAt.getTime() <= Date.now()) return null;
      if (row.usedAt) return { reused: row };
      const p = await m.findOne(Practitioner, { where: { id: row.practitionerId } });
      if (!p || !p.active) return null;
      await m.update(RefreshToken, { id: row.id }, { usedAt: new Date() });
      return { pair: await this.issue(p, row.familyId, client, m) };
    });
    if (outcome && 'pair' in outcome && outcome.pair) return outcome.pair;
    if (outcome?.reused) {
      // Committed on its own: the revocation must stand although this request fails.
      const row = outcome.reused;
      await this.db.transaction(async (m) => {
        await m.update(RefreshToken, { familyId: row.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
        await this.audit.record({ action: 'auth.refresh_reuse', actor: null, resourceType: 'practitioner', resourceId: row.practitionerId, outcome: 'denied', details: { familyId: row.familyId } }, m);
      });
    }
    throw invalid();
  }

  async logout(refreshToken: string | undefined, actor: Actor | null): Promise<void> {
    if (refreshToken) {
      const row = await this.db.manager.findOne(RefreshToken, { where: { tokenHash: sha256(refreshToken) } });
      if (row && (!actor || row.practitionerId === actor.id)) {
        await this.db.manager.update(RefreshToken, { familyId: row.familyId, revokedAt: IsNull() }, { revokedAt: new Date() });
      }
    }
    if (actor) await this.audit.record({ action: 'auth.logout', actor });
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
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return copyOf(known.actor);
      this.verified.delete(token);
    }
    let c: AccessClaims & { exp?: number };
    try {
      c = await this.jwt.verifyAsync<AccessClaims & { exp?: number }>(token, { audience: ACCESS_AUDIENCE, algorithms: ['HS256'] });
    } catch {
      throw new DomainError('invalid_access_token', HttpStatus.UNAUTHORIZED, 'access token is missing, invalid or expired');
    }
    const actor: Actor = { id: c.sub, username: c.usr, displayName: c.name, organizationId: c.org, roles: c.roles, specialty: c.spc };
    if (typeof c.exp === 'number') {
      // Oldest first out: Map keeps insertion order.
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { actor: copyOf(actor), expiresAtMs: c.exp * 1000 });
    }
    return actor;
  }

  /** Signs an access token for a practitioner (login, refresh, and tests that need one). */
  signAccessToken(p: Pick<Practitioner, 'id' | 'username' | 'displayName' | 'organizationId' | 'roles' | 'specialty'>): Promise<string> {
    const claims: AccessClaims = { sub: p.id, usr: p.username, name: p.displayName, org: p.organizationId, roles: p.roles, spc: p.specialty };
    return this.jwt.signAsync(claims, { audience: ACCESS_AUDIENCE, expiresIn: this.config.accessTokenTtlSeconds, algorithm: 'HS256' });
  }

  private async issue(p: Practitioner, familyId: string, client: { ip: string; userAgent?: string }, m = this.db.manager): Promise<TokenPair> {
    const refreshToken = randomBytes(32).toString('base64url');
    await m.insert(RefreshToken, {
      practitionerId: p.id,
      familyId,
      tokenHash: sha256(refreshToken),
      expiresAt: new Date(Date.now() + this.config.refreshTokenTtlSeconds * 1000),
      ip: client.ip,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
    });
    return { accessToken: await this.signAccessToken(p), refreshToken, tokenType: 'Bearer', expiresIn: this.config.accessTokenTtlSeconds };
  }
}
