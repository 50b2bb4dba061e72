import { HttpStatus, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { DirectoryService, LEVEL_RANK } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { QUEUE_LEVELS, type QueueLevel } from './consultation-terms';

export interface Queue {
  level: QueueLevel;
  organizationIds: string[];
}

/**
 * Where a submitted request waits: the specialty's queue at the nearest level of the
 * requesting organization's consortia (county, then city, then province) that has someone
 * of that specialty to read it. Each escalation opens the next level up.
 */
@Injectable()
export class ConsultationRouting {
  constructor(
    private readonly directory: DirectoryService,
    private readonly policy: AccessPolicyService,
  ) {}

  /**
   * Organizations above the requester, in its consortia, with an active specialist of the specialty; by level.
   * Inside a transaction pass its manager `m` (the embedded database has a single connection).
   */
  async candidates(
    requestingOrganizationId: string,
    specialty: string,
    m?: EntityManager,
  ): Promise<{ id: string; level: QueueLevel }[]> {
    const peers = await this.policy.consortiumPeers(requestingOrganizationId, m);
    const found = await this.directory.organizationsWithSpecialists(
      {
        requesterId: requestingOrganizationId,
        candidateIds: peers,
        levels: QUEUE_LEVELS,
        specialty,
      },
      m,
    );
    return found
      .filter((r) => LEVEL_RANK[r.level] > LEVEL_RANK[r.requesterLevel])
      .map((r) => ({ id: r.id, level: r.level as QueueLevel }))
      .sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level]);
  }

  /** The first queue, narrowed to a preferred organization (or a preferred specialist's) when given. */
  async firstQueue(
    requestingOrganizationId: string,
    specialty: string,
    preferredOrganizationId: string | null,
    m?: EntityManager,
  ): Promise<Queue> {
    const all = await this.candidates(requestingOrganizationId, specialty, m);
    if (!all.length) {
      throw new DomainError(
        'no_route',
        HttpStatus.CONFLICT,
        `no organization in your consortia has a ${specialty} specialist to take this request`,
        { specialty },
      );
    }
    if (preferredOrganizationId) {
      const preferred = all.find((c) => c.id === preferredOrganizationId);
      if (!preferred) {
        throw new DomainError(
          'preferred_not_routable',
          HttpStatus.BAD_REQUEST,
          `the preferred organization is not above you in your consortia or has no ${specialty} specialist`,
          {
            preferredOrganizationId,
          },
        );
      }
      return { level: preferred.level, organizationIds: [preferred.id] };
    }
    return this.levelQueue(all, all[0].level);
  }

  /** The queue one level above the current one, or null when no level is left. */
  async nextQueue(
    requestingOrganizationId: string,
    specialty: string,
    current: QueueLevel | null,
    m?: EntityManager,
  ): Promise<Queue | null> {
    const all = await this.candidates(requestingOrganizationId, specialty, m);
    const above = all.filter((c) => !current || LEVEL_RANK[c.level] > LEVEL_RANK[current]);
    return above.length ? this.levelQueue(above, above[0].level) : null;
  }

  /** Specialists who see a queue: active, of the specialty, at one of its organizations. */
  queueMembers(organizationIds: string[], specialty: string): Promise<string[]> {
    return this.directory.activeSpecialistIds(organizationIds, specialty);
  }

  /** Coordinators of the province hub above an organization (the root of its tree). */
  hubCoordinators(organizationId: string): Promise<string[]> {
    return this.directory.hubCoordinatorIds(organizationId);
  }

  private levelQueue(all: { id: string; level: QueueLevel }[], level: QueueLevel): Queue {
    return { level, organizationIds: all.filter((c) => c.level === level).map((c) => c.id) };
  }
}
