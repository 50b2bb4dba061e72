import { HttpStatus, Inject, Injectable, Logger } from '@nestjs/common';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import type { ServiceAccountScope } from '@huizhen/contract';
import { DomainError, type Actor } from '@huizhen/kernel';
import { ACTOR_KEY } from '../actor';
import { keyHashingKey, looksLikeKey, parseKey, secretMatches } from './service-account-key';
import { isActive, type ServiceAccount } from './service-account-model';
import { ServiceAccountStore } from './service-account-store';

/** How often a node writes an account's last use (the statement itself also skips within a minute). */
const TOUCH_EVERY_MS = 60_000;

export interface KeyedRequest {
  headers: { authorization?: string };
  method?: string;
  url?: string;
  originalUrl?: string;
}

function refused(message: string): DomainError {
  return new DomainError('invalid_access_token', HttpStatus.UNAUTHORIZED, message);
}

/**
 * The key a request carries, or null: `Authorization: Bearer hz_sk_…`, or Basic with the key as
 * the password (what Orthanc's DICOMweb client and most HTTP clients of archives can send).
 */
export function keyOf(header: string | undefined): string | null {
  if (!header) return null;
  if (header.startsWith('Bearer ')) {
    const token = header.slice(7).trim();
    return looksLikeKey(token) ? token : null;
  }
  if (header.startsWith('Basic ')) {
    const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
    const password = decoded.slice(decoded.indexOf(':') + 1);
    return looksLikeKey(password) ? password : null;
  }
  return null;
}

/** The scope a request needs: reads and writes of DICOMweb and of the API; nothing else is a machine's. */
export function scopeFor(method: string, path: string): ServiceAccountScope | null {
  const read = method === 'GET' || method === 'HEAD';
  if (/^\/dicom-web(\/|\?|$)/i.test(path)) return read ? 'dicomweb:read' : 'dicomweb:write';
  if (/^\/api(\/|\?|$)/i.test(path)) return read ? 'api:read' : 'api:write';
  return null;
}

/** A service account as the actor of a request: its organization's machine, with its scopes and no role. */
export function machineActor(a: ServiceAccount): Actor {
  return {
    id: a.id,
    username: `service-account:${a.name}`,
    displayName: a.name,
    organizationId: a.organizationId,
    roles: [],
    specialty: null,
    scopes: [...a.scopes],
  };
}

/**
 * The door for machines: checks a service account's key on every request (one primary-key read,
 * no cache, so revoking stops a key on its next request on every node), and the scope the
 * request needs.
 */
@Injectable()
export class ServiceAccountCredentials {
  private readonly logger = new Logger('ServiceAccounts');
  private readonly hashingKey: Buffer;
  private readonly touched = new Map<string, number>();

  constructor(
    @Inject(HUIZHEN_CONFIG) config: HuizhenConfig,
    private readonly store: ServiceAccountStore,
  ) {
    this.hashingKey = keyHashingKey(config.jwtSecret);
  }

  get secretHashingKey(): Buffer {
    return this.hashingKey;
  }

  /**
   * The machine actor of the request's key, recorded on the request, or null when the request
   * carries no key (the access-token check follows). A key that is wrong, revoked or expired, or
   * a scope the key lacks, is refused.
   */
  async authenticate(req: KeyedRequest): Promise<Actor | null> {
    const key = keyOf(req.headers.authorization);
    if (!key) return null;
    const actor = await this.verifyKey(key);
    const scope = scopeFor((req.method ?? 'GET').toUpperCase(), req.originalUrl ?? req.url ?? '/');
    if (!scope || !actor.scopes?.includes(scope))
      throw new DomainError(
        'service_account_scope',
        HttpStatus.FORBIDDEN,
        scope
          ? `this key is not granted ${scope}`
          : 'a service account key is accepted on /api and /dicom-web only',
        { required: scope },
      );
    (req as unknown as Record<string, unknown>)[ACTOR_KEY] = actor;
    return actor;
  }

  /** The actor of a key, or 401 (one message for every refusal but the revoked and expired). */
  async verifyKey(key: string): Promise<Actor> {
    const parsed = parseKey(key);
    const account = parsed ? await this.store.credential(parsed.accountId) : null;
    if (!parsed || !account || !secretMatches(this.hashingKey, parsed.secret, account.secretHash))
      throw refused('the service account key is invalid');
    if (!isActive(account, new Date()))
      throw refused('this service account key has been revoked or has expired');
    this.touch(account.id);
    return machineActor(account);
  }

  private touch(id: string): void {
    const now = Date.now();
    if (now - (this.touched.get(id) ?? 0) < TOUCH_EVERY_MS) return;
    this.touched.set(id, now);
    if (this.touched.size > 10_000) this.touched.delete(this.touched.keys().next().value as string);
    this.store.touch(id).catch((err: unknown) => this.logger.warn(`last use not written: ${err}`));
  }
}
