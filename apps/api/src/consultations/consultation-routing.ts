import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { LEVEL_RANK, type OrganizationLevel } from '@huizhen/directory';
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
    @InjectDataSource() private readonly db: DataSource,
    private readonly policy: AccessPolicyService,
  ) {}

  /**
   * Organizations above the requester, in its consortia, with an active specialist of the specialty; by level.
   * Inside a transaction pass its manager `m` (the embedded database has a single connection).
   */
  async candidates(requestingOrganizationId: string, specialty: string, m: EntityManager = this.db.manager): Promise<{ id: string; level: QueueLevel }[]> {
    const peers = await this.policy.consortiumPeers(requestingOrganizationId, m);
    const rows: { id: string; level: OrganizationLevel; requester_level: OrganizationLevel }[] = await m.query(
      `SELECT o.id, o.level, r.level AS requester_level
         FROM organization o, organization r
        WHERE r.id = $1 AND o.id = ANY($2::uuid[]) AND o.id <> r.id AND o.active AND o.level = ANY($3::text[])
          AND EXISTS (SELECT 1 FROM practitioner p
                       WHERE p.organization_id = o.id AND p.active AND p.specialty = $4 AND 'specialist' = ANY(p.roles))`,
      [requestingOrganizationId, peers, QUEUE_LEVELS, specialty],
    );
    return rows
      .filter((r) => LEVEL_RANK[r.level] > LEVEL_RANK[r.requester_level])
      .map((r) => ({ id: r.id, level: r.level as QueueLevel }))
      .sort((a, b) => LEVEL_RANK[a.level] - LEVEL_RANK[b.level]);
  }

  /** The first queue, narrowed to a preferred organization (or a preferred specialist's) when given. */
  async firstQueue(requestingOrganizationId: string, specialty: string, preferredOrganizationId: string | null, m?: EntityManager): Promise<Queue> {
    const all = await this.candidates(requestingOrganizationId, specialty, m);
    if (!all.length) {
      throw new DomainError('no_route', HttpStatus.CONFLICT, `no organization in your consortia has a ${specialty} specialist to take this request`, { specialty });
    }
    if (preferredOrganizationId) {
      const preferred = all.find((c) => c.id === preferredOrganizationId);
      if (!preferred) {
        throw new DomainError('preferred_not_routable', HttpStatus.BAD_REQUEST, `the preferred organization is not above you in your consortia or has no ${specialty} specialist`, {
          preferredOrganizationId,
        });
      }
      return { level: preferred.level, organizationIds: [preferred.id] };
    }
    return this.levelQueue(all, all[0].level);
  }

  /** The queue one level above the current one, or null when no level is left. */
  async nextQueue(requestingOrganizationId: string, specialty: string, current: QueueLevel | null, m?: EntityManager): Promise<Queue | null> {
    const all = await this.candidates(requestingOrganizationId, specialty, m);
    const above = all.filter((c) => !current || LEVEL_RANK[c.level] > LEVEL_RANK[current]);
    return above.length ? this.levelQueue(above, above[0].level) : null;
  }

  /** Specialists who see a queue: active, of the specialty, at one of its organizations. */
  async queueMembers(organizationIds: string[], specialty: string): Promise<string[]> {
    if (!organizationIds.length) return [];
    const rows: { id: string }[] = await this.db.query(
      `SELECT id FROM practitioner WHERE organization_id = ANY($1::uuid[]) AND specialty = $2 AND active AND 'specialist' = ANY(roles)`,
      [organizationIds, specialty],
    );
    return rows.map((r) => r.id);
  }

  /** Coordinators of the province hub above an organization (the root of its tree). */
  async hubCoordinators(organizationId: string): Promise<string[]> {
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

  private levelQueue(all: { id: string; level: QueueLevel }[], level: QueueLevel): Queue {
    return { level, organizationIds: all.filter((c) => c.level === level).map((c) => c.id) };
  }
}
