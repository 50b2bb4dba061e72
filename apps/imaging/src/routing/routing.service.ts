import { HttpStatus, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import type { ForwardJobState, ForwardJobView, RoutingRuleView } from '@huizhen/contract';
import { DirectoryService } from '@huizhen/directory';
import { DomainError } from '@huizhen/kernel';
import { PeerStore, isUniqueViolation } from '../peers/peer-store';
import { ForwardQueue } from './forward-queue';
import type { ForwardJob, RoutingRule, RoutingRuleFields } from './routing-model';
import { RoutingStore } from './routing-store';
import type { CreateRoutingRuleDto, UpdateRoutingRuleDto } from './routing.dto';

export const routingRuleView = (r: RoutingRule): RoutingRuleView => ({
  ...r,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const forwardJobView = (j: ForwardJob): ForwardJobView => ({
  ...j,
  nextAttemptAt: j.nextAttemptAt?.toISOString() ?? null,
  failures: j.failures.map((f) => ({ ...f, at: new Date(f.at).toISOString() })),
  createdAt: j.createdAt.toISOString(),
  updatedAt: j.updatedAt.toISOString(),
  doneAt: j.doneAt?.toISOString() ?? null,
});

const destinationError = (message: string) =>
  new DomainError('routing_destination', HttpStatus.BAD_REQUEST, message);

/**
 * Routing rules and the forward queue as admins manage them: an admin of the rule's
 * organization or above it (the policy's machine rule, as for peers), every change audited with
 * what changed. A destination named in a body is an access decision: the admin must be allowed
 * to read that peer, and it must be the rule's organization's own.
 */
@Injectable()
export class RoutingService {
  constructor(
    private readonly store: RoutingStore,
    private readonly peers: PeerStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly directory: DirectoryService,
    private readonly queue: ForwardQueue,
  ) {}

  /** The organizations a listing covers: the one named (checked), or all the admin manages. */
  private async listed(actor: Actor, organizationId?: string): Promise<string[]> {
    if (organizationId) await this.directory.organization(organizationId);
    const org = organizationId ?? actor.organizationId;
    await this.policy.assert(actor, 'read', { type: 'dicom_route', organizationId: org });
    return organizationId
      ? [organizationId]
      : (await this.policy.organizationScope(actor)).organizationIds;
  }

  async listRules(actor: Actor, organizationId?: string): Promise<RoutingRuleView[]> {
    const orgs = await this.listed(actor, organizationId);
    return (await this.store.rulesOf(orgs)).map(routingRuleView);
  }

  async createRule(actor: Actor, dto: CreateRoutingRuleDto): Promise<RoutingRuleView> {
    await this.directory.organization(dto.organizationId);
    await this.policy.assert(actor, 'create', {
      type: 'dicom_route',
      organizationId: dto.organizationId,
    });
    const fields = await this.checked(actor, dto.organizationId, {
      name: dto.name,
      modalities: dto.modalities ?? [],
      callingAeTitles: dto.callingAeTitles ?? [],
      dimsePeerId: dto.dimsePeerId ?? null,
      dicomwebPeerId: dto.dicomwebPeerId ?? null,
      enabled: dto.enabled ?? true,
      description: dto.description ?? null,
    });
    return this.store.transaction(async (m) => {
      const rule = await this.store.createRule(dto.organizationId, fields, m);
      if (!rule) throw ruleExists(fields.name);
      await this.record(
        actor,
        'create',
        rule.id,
        { ...fields, organizationId: dto.organizationId },
        m,
      );
      return routingRuleView(rule);
    });
  }

  async updateRule(actor: Actor, id: string, dto: UpdateRoutingRuleDto): Promise<RoutingRuleView> {
    const before = await this.ruleOf(actor, id);
    const wasDimse = before.destination.kind === 'dimse';
    const destinationNamed = dto.dimsePeerId !== undefined || dto.dicomwebPeerId !== undefined;
    const fields = await this.checked(actor, before.organizationId, {
      name: dto.name ?? before.name,
      modalities: dto.modalities ?? before.modalities,
      callingAeTitles: dto.callingAeTitles ?? before.callingAeTitles,
      // Naming one destination replaces the other.
      dimsePeerId: destinationNamed
        ? (dto.dimsePeerId ?? null)
        : wasDimse
          ? before.destination.peerId
          : null,
      dicomwebPeerId: destinationNamed
        ? (dto.dicomwebPeerId ?? null)
        : wasDimse
          ? null
          : before.destination.peerId,
      enabled: dto.enabled ?? before.enabled,
      description: dto.description === undefined ? before.description : dto.description,
    });
    try {
      return await this.store.transaction(async (m) => {
        const rule = (await this.store.updateRule(id, fields, m))!;
        await this.record(actor, 'update', id, changes(fieldsOf(before), fields), m);
        return routingRuleView(rule);
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw ruleExists(fields.name);
      throw err;
    }
  }

  /** The rule and its jobs (queued, sent and dead alike) go; what was forwarded stays forwarded. */
  async deleteRule(actor: Actor, id: string): Promise<RoutingRuleView> {
    const rule = await this.ruleOf(actor, id, 'delete');
    return this.store.transaction(async (m) => {
      await this.store.deleteRule(id, m);
      await this.record(actor, 'delete', id, { name: rule.name }, m);
      return routingRuleView(rule);
    });
  }

  async listJobs(
    actor: Actor,
    q: { organizationId?: string; state?: ForwardJobState; limit?: number },
  ): Promise<ForwardJobView[]> {
    const orgs = await this.listed(actor, q.organizationId);
    return (await this.store.jobsOf(orgs, q.state ?? null, q.limit ?? 100)).map(forwardJobView);
  }

  /** A dead letter sent again from its first attempt, now. */
  async retryJob(actor: Actor, id: string): Promise<ForwardJobView> {
    const job = await this.jobOf(actor, id);
    return this.store.transaction(async (m) => {
      if (!(await this.store.retry(id, m))) throw notDead(job.state);
      await this.recordJob(actor, 'retry', job, m);
      this.queue.wakeIn(0);
      return forwardJobView((await this.store.job(id, m))!);
    });
  }

  /** A dead letter given up for good: out of the listings, kept marked so nothing brings it back (audited). */
  async discardJob(actor: Actor, id: string): Promise<ForwardJobView> {
    const job = await this.jobOf(actor, id);
    return this.store.transaction(async (m) => {
      if (!(await this.store.discard(id, m))) throw notDead(job.state);
      await this.recordJob(actor, 'discard', job, m);
      return forwardJobView(job);
    });
  }

  private async ruleOf(
    actor: Actor,
    id: string,
    action: 'update' | 'delete' = 'update',
  ): Promise<RoutingRule> {
    const rule = await this.store.rule(id);
    if (!rule)
      throw new DomainError(
        'routing_rule_not_found',
        HttpStatus.NOT_FOUND,
        'no routing rule has this id',
      );
    await this.policy.assert(actor, action, {
      type: 'dicom_route',
      id,
      organizationId: rule.organizationId,
    });
    return rule;
  }

  private async jobOf(actor: Actor, id: string): Promise<ForwardJob> {
    const job = await this.store.job(id);
    if (!job)
      throw new DomainError(
        'forward_job_not_found',
        HttpStatus.NOT_FOUND,
        'no forward job has this id',
      );
    await this.policy.assert(actor, 'update', {
      type: 'dicom_route',
      id,
      organizationId: job.organizationId,
    });
    return job;
  }

  /** The checks the DTO's shape cannot make: the filters' values, one destination of the rule's organization. */
  private async checked(
    actor: Actor,
    organizationId: string,
    f: RoutingRuleFields,
  ): Promise<RoutingRuleFields> {
    // The DTO checked each value's form; these are the sets the rule keeps.
    const modalities = [...new Set(f.modalities)];
    const callingAeTitles = [...new Set(f.callingAeTitles)];
    if ((f.dimsePeerId === null) === (f.dicomwebPeerId === null))
      throw destinationError('name exactly one destination: dimsePeerId or dicomwebPeerId');
    const dimse = f.dimsePeerId !== null;
    const peer = dimse
      ? await this.peers.dimsePeer(f.dimsePeerId!)
      : await this.peers.dicomwebPeer(f.dicomwebPeerId!);
    if (!peer)
      throw dimse
        ? new DomainError('dimse_peer_not_found', HttpStatus.NOT_FOUND, 'no DIMSE peer has this id')
        : new DomainError(
            'dicomweb_peer_not_found',
            HttpStatus.NOT_FOUND,
            'no DICOMweb peer has this id',
          );
    await this.policy.assert(actor, 'read', {
      type: 'dicom_peer',
      id: peer.id,
      organizationId: peer.organizationId,
    });
    if (peer.organizationId !== organizationId)
      throw destinationError('the destination peer belongs to another organization');
    // A DIMSE peer that only calls us has no address to send to.
    if ('aeTitle' in peer && (!peer.host || !peer.port))
      throw destinationError(`${peer.aeTitle} has no host and port to send to`);
    return { ...f, modalities, callingAeTitles };
  }

  private record(
    actor: Actor,
    what: 'create' | 'update' | 'delete',
    id: string,
    details: Record<string, unknown>,
    m: EntityManager,
  ): Promise<void> {
    return this.audit.record(
      {
        action: `dicom_route.${what}`,
        actor,
        resourceType: 'dicom_route',
        resourceId: id,
        details,
      },
      m,
    );
  }

  private recordJob(
    actor: Actor,
    what: 'retry' | 'discard',
    job: ForwardJob,
    m: EntityManager,
  ): Promise<void> {
    return this.audit.record(
      {
        action: `forward_job.${what}`,
        actor,
        resourceType: 'forward_job',
        resourceId: job.id,
        details: {
          ruleId: job.ruleId,
          studyInstanceUid: job.studyInstanceUid,
          attempts: job.attempts,
          lastError: job.lastError,
        },
      },
      m,
    );
  }
}

function ruleExists(name: string): DomainError {
  return new DomainError(
    'routing_rule_exists',
    HttpStatus.CONFLICT,
    `the organization has a routing rule named ${name} already`,
  );
}

function notDead(state: ForwardJobState): DomainError {
  return new DomainError(
    'forward_job_not_dead',
    HttpStatus.CONFLICT,
    `the job is ${state}: only a dead letter can be retried or discarded`,
  );
}

function fieldsOf(r: RoutingRule): RoutingRuleFields {
  return {
    name: r.name,
    modalities: r.modalities,
    callingAeTitles: r.callingAeTitles,
    dimsePeerId: r.destination.kind === 'dimse' ? r.destination.peerId : null,
    dicomwebPeerId: r.destination.kind === 'dicomweb' ? r.destination.peerId : null,
    enabled: r.enabled,
    description: r.description,
  };
}

/** The fields an update changed, before and after (for the audit trail). */
function changes<T extends object>(before: T, after: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    const was = (before as Record<string, unknown>)[k];
    if (JSON.stringify(was) !== JSON.stringify(v)) out[k] = { from: was, to: v };
  }
  return out;
}
