import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError } from '@huizhen/kernel';
import { LEVEL_RANK, type ConsortiumKind, type OrganizationLevel } from './directory-terms';
import { Consortium, ConsortiumMember } from './consortium.entity';
import { Organization } from './organization.entity';
import { Practitioner } from './practitioner.entity';

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

/** Organizations, consortia and practitioners: the who-is-where of the platform. */
@Injectable()
export class DirectoryService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async organization(id: string, manager: EntityManager = this.db.manager): Promise<Organization> {
    const org = await manager.findOne(Organization, { where: { id } });
    if (!org)
      throw new DomainError(
        'organization_not_found',
        HttpStatus.NOT_FOUND,
        `organization ${id} does not exist`,
      );
    return org;
  }

  async listOrganizations(filter: {
    level?: OrganizationLevel;
    parentId?: string;
    ids?: string[];
    q?: string;
    limit: number;
    offset: number;
  }): Promise<Page<Organization>> {
    const qb = this.db.getRepository(Organization).createQueryBuilder('o');
    if (filter.level) qb.andWhere('o.level = :level', { level: filter.level });
    if (filter.parentId) qb.andWhere('o.parent_id = :parentId', { parentId: filter.parentId });
    if (filter.ids) qb.andWhere('o.id = ANY(:ids)', { ids: filter.ids });
    if (filter.q) qb.andWhere('o.name ILIKE :q', { q: `%${escapeLike(filter.q)}%` });
    qb.orderBy('o.region_code').addOrderBy('o.name').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total, limit: filter.limit, offset: filter.offset };
  }

  /**
   * Of `candidateIds`, the active organizations of the given levels, other than `requesterId`,
   * with an active specialist of `specialty`; each with its level and the requester's (for
   * consultation routing, which keeps those above the requester).
   */
  async organizationsWithSpecialists(
    query: {
      requesterId: string;
      candidateIds: string[];
      levels: readonly string[];
      specialty: string;
    },
    manager: EntityManager = this.db.manager,
  ): Promise<{ id: string; level: OrganizationLevel; requesterLevel: OrganizationLevel }[]> {
    const rows: { id: string; level: OrganizationLevel; requester_level: OrganizationLevel }[] =
      await manager.query(
        `SELECT o.id, o.level, r.level AS requester_level
           FROM organization o, organization r
          WHERE r.id = $1 AND o.id = ANY($2::uuid[]) AND o.id <> r.id AND o.active AND o.level = ANY($3::text[])
            AND EXISTS (SELECT 1 FROM practitioner p
                         WHERE p.organization_id = o.id AND p.active AND p.specialty = $4 AND 'specialist' = ANY(p.roles))`,
        [query.requesterId, query.candidateIds, [...query.levels], query.specialty],
      );
    return rows.map((r) => ({ id: r.id, level: r.level, requesterLevel: r.requester_level }));
  }

  /** Active specialists of a specialty at any of the organizations. */
  async activeSpecialistIds(organizationIds: string[], specialty: string): Promise<string[]> {
    if (!organizationIds.length) return [];
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM practitioner WHERE organization_id = ANY($1::uuid[]) AND specialty = $2 AND active AND 'specialist' = ANY(roles)`,
      [organizationIds, specialty],
    );
    return rows.map((r) => r.id);
  }

  /** Active coordinators of the province hub at the root of an organization's tree. */
  async hubCoordinatorIds(organizationId: string): Promise<string[]> {
    const rows: { id: string }[] = await this.db.query(
      `WITH RECURSIVE up AS (SELECT id, parent_id FROM organization WHERE id = $1
          UNION ALL SELECT o.id, o.parent_id FROM organization o JOIN up ON o.id = up.parent_id)
       SELECT p.id FROM practitioner p JOIN organization h ON h.id = p.organization_id
        WHERE h.id = (SELECT id FROM up WHERE parent_id IS NULL) AND h.level = 'province_hub'
          AND p.active AND 'hub_coordinator' = ANY(p.roles)`,
      [organizationId],
    );
    return rows.map((r) => r.id);
  }

  /** The organization and everything below it. */
  async subtreeIds(rootId: string, manager: EntityManager = this.db.manager): Promise<string[]> {
    const rows: { id: string }[] = await manager.query(
      `WITH RECURSIVE sub AS (SELECT id FROM organization WHERE id = $1
         UNION SELECT o.id FROM organization o JOIN sub ON o.parent_id = sub.id)
       SELECT id FROM sub`,
      [rootId],
    );
    return rows.map((r) => r.id);
  }

  /** Checks a parent link keeps the tree a tree with levels going down. */
  async checkParent(
    level: OrganizationLevel,
    parentId: string | null,
    selfId?: string,
    manager: EntityManager = this.db.manager,
  ): Promise<void> {
    if (!parentId) {
      if (level !== 'province_hub')
        throw new DomainError(
          'organization_parent_required',
          HttpStatus.BAD_REQUEST,
          `a ${level} needs a parent organization`,
        );
      return;
    }
    const parent = await manager.findOne(Organization, { where: { id: parentId } });
    if (!parent)
      throw new DomainError(
        'organization_parent_not_found',
        HttpStatus.BAD_REQUEST,
        `parent organization ${parentId} does not exist`,
      );
    if (LEVEL_RANK[parent.level] <= LEVEL_RANK[level]) {
      throw new DomainError(
        'organization_parent_level',
        HttpStatus.BAD_REQUEST,
        `a ${level} cannot sit under a ${parent.level}`,
      );
    }
    if (selfId && (await this.subtreeIds(selfId, manager)).includes(parentId)) {
      throw new DomainError(
        'organization_cycle',
        HttpStatus.BAD_REQUEST,
        'an organization cannot sit under its own descendant',
      );
    }
  }

  async consortium(id: string): Promise<Consortium & { memberIds: string[] }> {
    const c = await this.db.manager.findOne(Consortium, { where: { id } });
    if (!c)
      throw new DomainError(
        'consortium_not_found',
        HttpStatus.NOT_FOUND,
        `consortium ${id} does not exist`,
      );
    const members = await this.db.manager.find(ConsortiumMember, { where: { consortiumId: id } });
    return Object.assign(c, { memberIds: members.map((m) => m.organizationId) });
  }

  async listConsortia(filter: {
    kind?: ConsortiumKind;
    organizationId?: string;
    limit: number;
    offset: number;
  }): Promise<Page<Consortium & { memberIds: string[] }>> {
    const qb = this.db.getRepository(Consortium).createQueryBuilder('c');
    if (filter.kind) qb.andWhere('c.kind = :kind', { kind: filter.kind });
    if (filter.organizationId) {
      qb.andWhere(
        'EXISTS (SELECT 1 FROM consortium_member m WHERE m.consortium_id = c.id AND m.organization_id = :org)',
        { org: filter.organizationId },
      );
    }
    qb.orderBy('c.name').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    const members = items.length
      ? await this.db.manager.query(
          `SELECT consortium_id, organization_id FROM consortium_member WHERE consortium_id = ANY($1)`,
          [items.map((c) => c.id)],
        )
      : [];
    for (const c of items) {
      Object.assign(c, {
        memberIds: members
          .filter((m: any) => m.consortium_id === c.id)
          .map((m: any) => m.organization_id),
      });
    }
    return {
      items: items as (Consortium & { memberIds: string[] })[],
      total,
      limit: filter.limit,
      offset: filter.offset,
    };
  }

  async practitionerByUsername(
    username: string,
  ): Promise<(Practitioner & { passwordHash: string }) | null> {
    return (await this.db
      .getRepository(Practitioner)
      .createQueryBuilder('p')
      .addSelect('p.passwordHash')
      .where('lower(p.username) = lower(:username)', { username })
      .getOne()) as (Practitioner & { passwordHash: string }) | null;
  }

  async practitioner(id: string): Promise<Practitioner> {
    const p = await this.db.manager.findOne(Practitioner, { where: { id } });
    if (!p)
      throw new DomainError(
        'practitioner_not_found',
        HttpStatus.NOT_FOUND,
        `practitioner ${id} does not exist`,
      );
    return p;
  }

  async listPractitioners(filter: {
    organizationId?: string;
    organizationIds?: string[];
    specialty?: string;
    role?: string;
    q?: string;
    active?: boolean;
    limit: number;
    offset: number;
  }): Promise<Page<Practitioner>> {
    const qb = this.db.getRepository(Practitioner).createQueryBuilder('p');
    if (filter.organizationId)
      qb.andWhere('p.organization_id = :org', { org: filter.organizationId });
    if (filter.organizationIds)
      qb.andWhere('p.organization_id = ANY(:orgs)', { orgs: filter.organizationIds });
    if (filter.specialty) qb.andWhere('p.specialty = :specialty', { specialty: filter.specialty });
    if (filter.role) qb.andWhere(':role = ANY(p.roles)', { role: filter.role });
    if (filter.q)
      qb.andWhere('(p.display_name ILIKE :q OR p.username ILIKE :q)', {
        q: `%${escapeLike(filter.q)}%`,
      });
    if (filter.active !== undefined) qb.andWhere('p.active = :active', { active: filter.active });
    qb.orderBy('p.display_name').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total, limit: filter.limit, offset: filter.offset };
  }
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}
