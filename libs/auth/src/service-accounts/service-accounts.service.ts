import { HttpStatus, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { ServiceAccountView } from '@huizhen/contract';
import { DirectoryService } from '@huizhen/directory';
import { DomainError, type Actor } from '@huizhen/kernel';
import { ServiceAccountCredentials } from './service-account-credentials';
import { hashSecret, newKey } from './service-account-key';
import { isActive, type ServiceAccount } from './service-account-model';
import { ServiceAccountStore } from './service-account-store';
import type { CreateServiceAccountDto } from './service-accounts.dto';

export function serviceAccountView(a: ServiceAccount, now = new Date()): ServiceAccountView {
  return {
    id: a.id,
    organizationId: a.organizationId,
    name: a.name,
    scopes: a.scopes,
    createdBy: a.createdBy,
    createdAt: a.createdAt.toISOString(),
    lastUsedAt: a.lastUsedAt?.toISOString() ?? null,
    expiresAt: a.expiresAt?.toISOString() ?? null,
    revokedAt: a.revokedAt?.toISOString() ?? null,
    revokedBy: a.revokedBy,
    active: isActive(a, now),
  };
}

/** Admins create, list and revoke their organizations' service accounts; every change is audited. */
@Injectable()
export class ServiceAccountsService {
  constructor(
    private readonly store: ServiceAccountStore,
    private readonly credentials: ServiceAccountCredentials,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly directory: DirectoryService,
  ) {}

  /** One organization's accounts, or (none named) those of every organization the admin manages. */
  async list(actor: Actor, organizationId?: string): Promise<ServiceAccountView[]> {
    if (organizationId) {
      await this.directory.organization(organizationId);
      await this.policy.assert(actor, 'read', { type: 'service_account', organizationId });
      return (await this.store.ofOrganizations([organizationId])).map((a) => serviceAccountView(a));
    }
    await this.policy.assert(actor, 'read', {
      type: 'service_account',
      organizationId: actor.organizationId,
    });
    const scope = await this.policy.organizationScope(actor);
    return (await this.store.ofOrganizations(scope.organizationIds)).map((a) =>
      serviceAccountView(a),
    );
  }

  async get(actor: Actor, id: string): Promise<ServiceAccountView> {
    const a = await this.found(id);
    await this.policy.assert(actor, 'read', {
      type: 'service_account',
      id,
      organizationId: a.organizationId,
    });
    return serviceAccountView(a);
  }

  /** A new account and its key, which is never shown again. */
  async create(
    actor: Actor,
    dto: CreateServiceAccountDto,
  ): Promise<{ account: ServiceAccountView; key: string }> {
    await this.directory.organization(dto.organizationId);
    await this.policy.assert(actor, 'create', {
      type: 'service_account',
      organizationId: dto.organizationId,
    });
    const expiresAt = dto.expiresAt ? new Date(dto.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now())
      throw new DomainError(
        'service_account_expiry',
        HttpStatus.BAD_REQUEST,
        'a service account must expire in the future',
      );
    const id = randomUUID();
    const { key, secret } = newKey(id);
    const scopes = [...new Set(dto.scopes)];
    const account = await this.store.transaction(async (m) => {
      const created = await this.store.create(
        {
          id,
          organizationId: dto.organizationId,
          name: dto.name.trim(),
          scopes,
          expiresAt,
          secretHash: hashSecret(this.credentials.secretHashingKey, secret),
          createdBy: actor.id,
        },
        m,
      );
      await this.audit.record(
        {
          action: 'service_account.create',
          actor,
          resourceType: 'service_account',
          resourceId: id,
          details: {
            organizationId: dto.organizationId,
            name: created.name,
            scopes,
            expiresAt: expiresAt?.toISOString() ?? null,
          },
        },
        m,
      );
      return created;
    });
    return { account: serviceAccountView(account), key };
  }

  /** Ends the key at once, on every node (the door reads the account on every request). Idempotent. */
  async revoke(actor: Actor, id: string): Promise<ServiceAccountView> {
    const a = await this.found(id);
    await this.policy.assert(actor, 'delete', {
      type: 'service_account',
      id,
      organizationId: a.organizationId,
    });
    const revoked = await this.store.transaction(async (m) => {
      const r = await this.store.revoke(id, actor.id, m);
      if (r)
        await this.audit.record(
          {
            action: 'service_account.revoke',
            actor,
            resourceType: 'service_account',
            resourceId: id,
            details: { organizationId: a.organizationId, name: a.name },
          },
          m,
        );
      return r;
    });
    return serviceAccountView(revoked ?? a);
  }

  private async found(id: string): Promise<ServiceAccount> {
    const a = await this.store.byId(id);
    if (!a)
      throw new DomainError(
        'service_account_not_found',
        HttpStatus.NOT_FOUND,
        'no service account has this id',
      );
    return a;
  }
}
