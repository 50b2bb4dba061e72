import { HttpStatus, Injectable } from '@nestjs/common';
import type { Db } from '@huizhen/database';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hashPassword, passwordProblem, SessionRevocations, type Actor } from '@huizhen/auth';
import {
  DirectoryService,
  DirectoryStore,
  type ConsortiumWithMembers,
  type Organization,
  type Practitioner,
} from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import type {
  CreateConsortiumDto,
  CreateOrganizationDto,
  CreatePractitionerDto,
  UpdateConsortiumDto,
  UpdateOrganizationDto,
  UpdatePractitionerDto,
} from './directory.dto';

function uniqueViolation(e: unknown, message: string): never {
  if ((e as { code?: string }).code === '23505')
    throw new DomainError('already_exists', HttpStatus.CONFLICT, message);
  throw e;
}

/** Admins' changes to the directory: each one checked, transactional and audited. */
@Injectable()
export class DirectoryAdminService {
  constructor(
    private readonly store: DirectoryStore,
    private readonly directory: DirectoryService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly sessions: SessionRevocations,
  ) {}

  async createOrganization(actor: Actor, dto: CreateOrganizationDto): Promise<Organization> {
    if (!dto.parentId) {
      // A new province root sits outside every admin's subtree: only a root admin may add one.
      const scope = await this.policy.organizationScope(actor);
      if (!scope.all || !actor.roles.includes('admin'))
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          'only a province admin creates a top-level organization',
        );
    } else {
      await this.policy.assert(actor, 'create', {
        type: 'organization',
        organizationId: dto.parentId,
      });
    }
    return this.store.transaction(async (m) => {
      await this.directory.checkParent(dto.level, dto.parentId ?? null, undefined, m);
      const org = await this.store
        .insertOrganization(m, {
          name: dto.name,
          level: dto.level,
          parentId: dto.parentId ?? null,
          regionCode: dto.regionCode,
        })
        .catch((e) => uniqueViolation(e, `an organization named ${dto.name} already exists there`));
      await this.audit.record(
        {
          action: 'organization.create',
          actor,
          resourceType: 'organization',
          resourceId: org.id,
          details: { name: org.name, level: org.level },
        },
        m,
      );
      this.policy.forgetOrganizationTree();
      return org;
    });
  }

  async updateOrganization(
    actor: Actor,
    id: string,
    dto: UpdateOrganizationDto,
  ): Promise<Organization> {
    await this.policy.assert(actor, 'update', {
      type: 'organization',
      id,
      organizationId: id,
      organizationIds: dto.parentId ? [dto.parentId] : [],
    });
    return this.store.transaction(async (m) => {
      const org = await this.directory.organization(id, m);
      const next = { ...org, ...dto };
      if (dto.parentId !== undefined || dto.level !== undefined)
        await this.directory.checkParent(next.level, next.parentId ?? null, id, m);
      const saved = (await this.store
        .updateOrganization(m, id, dto)
        .catch((e) =>
          uniqueViolation(e, `an organization named ${next.name} already exists there`),
        ))!;
      await this.audit.record(
        {
          action: 'organization.update',
          actor,
          resourceType: 'organization',
          resourceId: id,
          details: { changed: Object.keys(dto) },
        },
        m,
      );
      this.policy.forgetOrganizationTree();
      return saved;
    });
  }

  async createConsortium(actor: Actor, dto: CreateConsortiumDto): Promise<ConsortiumWithMembers> {
    const memberIds = [...new Set([dto.leadOrganizationId, ...dto.memberIds])];
    await this.policy.assert(actor, 'create', {
      type: 'consortium',
      organizationId: dto.leadOrganizationId,
    });
    return this.store.transaction(async (m) => {
      await this.requireOrganizations(m, memberIds);
      const c = await this.store
        .insertConsortium(
          m,
          { name: dto.name, kind: dto.kind, leadOrganizationId: dto.leadOrganizationId },
          memberIds,
        )
        .catch((e) => uniqueViolation(e, `a consortium named ${dto.name} already exists`));
      await this.audit.record(
        {
          action: 'consortium.create',
          actor,
          resourceType: 'consortium',
          resourceId: c.id,
          details: { name: c.name, kind: c.kind, members: memberIds.length },
        },
        m,
      );
      return c;
    });
  }

  async updateConsortium(
    actor: Actor,
    id: string,
    dto: UpdateConsortiumDto,
  ): Promise<ConsortiumWithMembers> {
    const current = await this.directory.consortium(id);
    await this.policy.assert(actor, 'update', {
      type: 'consortium',
      id,
      organizationId: current.leadOrganizationId,
      organizationIds: dto.leadOrganizationId ? [dto.leadOrganizationId] : [],
    });
    return this.store.transaction(async (m) => {
      const { name, kind, leadOrganizationId } = dto;
      const c = (await this.store
        .updateConsortium(m, id, { name, kind, leadOrganizationId })
        .catch((e) =>
          uniqueViolation(e, `a consortium named ${name ?? current.name} already exists`),
        ))!;
      let memberIds = current.memberIds;
      if (dto.memberIds !== undefined || dto.leadOrganizationId !== undefined) {
        memberIds = [...new Set([c.leadOrganizationId, ...(dto.memberIds ?? current.memberIds)])];
        await this.requireOrganizations(m, memberIds);
        await this.store.replaceMembers(m, id, memberIds);
      }
      await this.audit.record(
        {
          action: 'consortium.update',
          actor,
          resourceType: 'consortium',
          resourceId: id,
          details: { changed: Object.keys(dto), members: memberIds.length },
        },
        m,
      );
      return { ...c, memberIds };
    });
  }

  async createPractitioner(actor: Actor, dto: CreatePractitionerDto): Promise<Practitioner> {
    await this.policy.assert(actor, 'create', {
      type: 'practitioner',
      organizationId: dto.organizationId,
    });
    const weak = passwordProblem(dto.password);
    if (weak) throw new DomainError('weak_password', HttpStatus.BAD_REQUEST, weak);
    this.checkSpecialty(dto.roles, dto.specialty ?? null);
    const passwordHash = await hashPassword(dto.password);
    return this.store.transaction(async (m) => {
      await this.requireOrganizations(m, [dto.organizationId]);
      const p = await this.store
        .insertPractitioner(m, {
          username: dto.username,
          displayName: dto.displayName,
          passwordHash,
          organizationId: dto.organizationId,
          roles: dto.roles,
          specialty: dto.specialty ?? null,
          title: dto.title ?? null,
        })
        .catch((e) => uniqueViolation(e, `username ${dto.username} is taken`));
      await this.audit.record(
        {
          action: 'practitioner.create',
          actor,
          resourceType: 'practitioner',
          resourceId: p.id,
          details: { username: p.username, roles: p.roles },
        },
        m,
      );
      return p;
    });
  }

  async updatePractitioner(
    actor: Actor,
    id: string,
    dto: UpdatePractitionerDto,
  ): Promise<Practitioner> {
    const current = await this.directory.practitioner(id);
    await this.policy.assert(actor, 'update', {
      type: 'practitioner',
      id,
      organizationId: current.organizationId,
      organizationIds: dto.organizationId ? [dto.organizationId] : [],
    });
    if (dto.password !== undefined) {
      const weak = passwordProblem(dto.password);
      if (weak) throw new DomainError('weak_password', HttpStatus.BAD_REQUEST, weak);
    }
    this.checkSpecialty(
      dto.roles ?? current.roles,
      dto.specialty !== undefined ? dto.specialty : current.specialty,
    );
    const passwordHash = dto.password !== undefined ? await hashPassword(dto.password) : undefined;
    return this.store.transaction(async (m) => {
      if (dto.organizationId) await this.requireOrganizations(m, [dto.organizationId]);
      const { password: _password, ...rest } = dto;
      const updated = (await this.store
        .updatePractitioner(m, id, { ...rest, passwordHash })
        .catch((e) => uniqueViolation(e, `username ${dto.username} is taken`)))!;
      if (passwordHash || dto.active === false) {
        // A new password or a deactivation ends every session of that user: refresh tokens, and access tokens on every node at once.
        await this.sessions.revokePractitioner(id, m);
      }
      await this.audit.record(
        {
          action: 'practitioner.update',
          actor,
          resourceType: 'practitioner',
          resourceId: id,
          details: { changed: Object.keys(dto) },
        },
        m,
      );
      return updated;
    });
  }

  private checkSpecialty(roles: string[], specialty: string | null) {
    if (roles.includes('specialist') && !specialty) {
      throw new DomainError(
        'specialty_required',
        HttpStatus.BAD_REQUEST,
        'a specialist needs a specialty (科室): consultations are routed by it',
      );
    }
  }

  private async requireOrganizations(m: Db, ids: string[]) {
    const found = await this.store.existingOrganizationIds(ids, m);
    const missing = ids.filter((id) => !found.includes(id));
    if (missing.length)
      throw new DomainError(
        'organization_not_found',
        HttpStatus.BAD_REQUEST,
        `organization(s) not found: ${missing.join(', ')}`,
      );
  }
}
