import { HttpStatus, Injectable } from '@nestjs/common';
import type { Db } from '@huizhen/database';
import { DomainError } from '@huizhen/kernel';
import { LEVEL_RANK, type OrganizationLevel } from './directory-terms';
import {
  DirectoryStore,
  type ConsortiumFilter,
  type ConsortiumWithMembers,
  type OrganizationFilter,
  type Page,
  type PractitionerFilter,
  type PractitionerWithPassword,
} from './directory-store';
import type { Organization } from './organization.entity';
import type { Practitioner } from './practitioner.entity';

/**
 * Organizations, consortia and practitioners: the who-is-where of the platform. The rules (a
 * tree whose levels go down, the not-found answers) live here; the SQL in DirectoryStore.
 */
@Injectable()
export class DirectoryService {
  constructor(private readonly store: DirectoryStore) {}

  async organization(id: string, m?: Db): Promise<Organization> {
    const org = await this.store.organization(id, m);
    if (!org)
      throw new DomainError(
        'organization_not_found',
        HttpStatus.NOT_FOUND,
        `organization ${id} does not exist`,
      );
    return org;
  }

  listOrganizations(filter: OrganizationFilter): Promise<Page<Organization>> {
    return this.store.organizations(filter);
  }

  /**
   * Of `candidateIds`, the active organizations of the given levels, other than `requesterId`,
   * with an active specialist of `specialty`; each with its level and the requester's (for
   * consultation routing, which keeps those above the requester).
   */
  organizationsWithSpecialists(
    query: {
      requesterId: string;
      candidateIds: string[];
      levels: readonly string[];
      specialty: string;
    },
    m?: Db,
  ): Promise<{ id: string; level: OrganizationLevel; requesterLevel: OrganizationLevel }[]> {
    return this.store.organizationsWithSpecialists(query, m);
  }

  /** Active specialists of a specialty at any of the organizations. */
  async activeSpecialistIds(organizationIds: string[], specialty: string): Promise<string[]> {
    if (!organizationIds.length) return [];
    return this.store.activeSpecialistIds(organizationIds, specialty);
  }

  /** Active coordinators of the province hub at the root of an organization's tree. */
  hubCoordinatorIds(organizationId: string): Promise<string[]> {
    return this.store.hubCoordinatorIds(organizationId);
  }

  /** The organization and everything below it. */
  subtreeIds(rootId: string, m?: Db): Promise<string[]> {
    return this.store.subtreeIds(rootId, m);
  }

  /** Checks a parent link keeps the tree a tree with levels going down. */
  async checkParent(
    level: OrganizationLevel,
    parentId: string | null,
    selfId?: string,
    m?: Db,
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
    const parent = await this.store.organization(parentId, m);
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
    if (selfId && (await this.store.subtreeIds(selfId, m)).includes(parentId)) {
      throw new DomainError(
        'organization_cycle',
        HttpStatus.BAD_REQUEST,
        'an organization cannot sit under its own descendant',
      );
    }
  }

  async consortium(id: string): Promise<ConsortiumWithMembers> {
    const c = await this.store.consortium(id);
    if (!c)
      throw new DomainError(
        'consortium_not_found',
        HttpStatus.NOT_FOUND,
        `consortium ${id} does not exist`,
      );
    return c;
  }

  listConsortia(filter: ConsortiumFilter): Promise<Page<ConsortiumWithMembers>> {
    return this.store.consortia(filter);
  }

  /** The practitioner of a username, any case, with the password hash: the login's read. */
  practitionerByUsername(username: string): Promise<PractitionerWithPassword | null> {
    return this.store.practitionerForLogin(username);
  }

  /** The practitioner, or null. */
  findPractitioner(id: string, m?: Db): Promise<Practitioner | null> {
    return this.store.practitioner(id, m);
  }

  async practitioner(id: string, m?: Db): Promise<Practitioner> {
    const p = await this.store.practitioner(id, m);
    if (!p)
      throw new DomainError(
        'practitioner_not_found',
        HttpStatus.NOT_FOUND,
        `practitioner ${id} does not exist`,
      );
    return p;
  }

  listPractitioners(filter: PractitionerFilter): Promise<Page<Practitioner>> {
    return this.store.practitioners(filter);
  }
}
