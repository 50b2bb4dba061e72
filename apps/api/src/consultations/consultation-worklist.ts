import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { hasRole, type Actor } from '@huizhen/auth';
import { DirectoryService } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { ConsultationCalls } from './consultation-calls';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { ConsultationStore } from './consultation-store';
import type { MetricsQuery, WorklistBox, WorklistQuery } from './consultation.dto';
import { Params } from '@huizhen/database';

/**
 * The read model of many requests at once: the worklists per role (each box ANDed with the
 * policy's read condition, so a box only narrows what the policy allows), keyset-paged, and the
 * hub's per-institution figures.
 */
@Injectable()
export class ConsultationWorklist {
  constructor(
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly store: ConsultationStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly directory: DirectoryService,
    private readonly calls: ConsultationCalls,
  ) {}

  /** Worklists per role, filtered, keyset-paged (stable and fast at any depth). */
  async worklist(actor: Actor, q: WorklistQuery) {
    const box: WorklistBox =
      q.box ??
      (hasRole(actor, 'specialist') ? 'queue' : hasRole(actor, 'township_doctor') ? 'sent' : 'hub');
    const params = new Params();
    const { add } = params;
    const where: string[] = [];
    const need = (ok: boolean, who: string) => {
      if (!ok)
        throw new DomainError(
          'access_denied',
          HttpStatus.FORBIDDEN,
          `the ${box} worklist is for ${who}`,
        );
    };
    switch (box) {
      case 'queue':
        need(hasRole(actor, 'specialist') && !!actor.specialty, 'specialists');
        where.push(
          `c.status = 'submitted'`,
          `c.specialty = ${add(actor.specialty)}`,
          `c.routed_organization_ids @> ARRAY[${add(actor.organizationId)}]::uuid[]`,
          `NOT (${add(actor.id)}::uuid = ANY(c.declined_by))`,
        );
        break;
      case 'assigned':
        need(hasRole(actor, 'specialist'), 'specialists');
        where.push(`c.assigned_specialist_id = ${add(actor.id)}`);
        break;
      case 'received':
        need(hasRole(actor, 'specialist'), 'specialists');
        where.push(`c.assigned_organization_id = ${add(actor.organizationId)}`);
        break;
      case 'sent':
        need(hasRole(actor, 'township_doctor', 'specialist'), 'clinicians');
        where.push(`c.requesting_organization_id = ${add(actor.organizationId)}`);
        break;
      case 'hub': {
        need(hasRole(actor, 'hub_coordinator'), 'hub coordinators');
        const scope = await this.policy.organizationScope(actor);
        const s = add(scope.organizationIds);
        where.push(
          `(c.requesting_organization_id = ANY(${s}::uuid[]) OR c.assigned_organization_id = ANY(${s}::uuid[]))`,
        );
        break;
      }
    }
    // The box narrows what the policy lets this actor read; it never widens it.
    where.push(await this.policy.consultationReadFilter(actor, add));
    if (q.status?.length) where.push(`c.status = ANY(${add(q.status)}::text[])`);
    if (q.urgency) where.push(`c.urgency = ${add(q.urgency)}`);
    if (q.specialty) where.push(`c.specialty = ${add(q.specialty)}`);
    if (q.organizationId) {
      await this.directory.organization(q.organizationId); // 404 for an id that names nothing
      where.push(`c.requesting_organization_id = ${add(q.organizationId)}`);
    }
    if (q.from) where.push(`c.created_at >= ${add(new Date(q.from))}`);
    if (q.to) where.push(`c.created_at < ${add(new Date(q.to))}`);
    const after = q.cursor ? decodeCursor(q.cursor) : null;
    const rows = await this.store.worklistPage({
      where,
      params,
      byDeadline: box === 'queue',
      after,
      limit: q.limit,
    });
    const more = rows.length > q.limit;
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const items = page.map(({ sortKey: _, ...item }) => item);
    await this.audit.record({
      action: 'consultation.list',
      actor,
      resourceType: 'consultation',
      details: { box, returned: items.map((i) => i.id) },
    });
    return {
      box,
      items,
      limit: q.limit,
      nextCursor: more && last ? encodeCursor(last.sortKey, last.id) : null,
    };
  }

  /** Per-institution figures for the coordinator's hub: sent, received, claim time, turnaround, escalations, referrals. */
  async metrics(actor: Actor, q: MetricsQuery) {
    if (!hasRole(actor, 'hub_coordinator'))
      throw new DomainError(
        'access_denied',
        HttpStatus.FORBIDDEN,
        'consultation metrics are for hub coordinators',
      );
    const scope = await this.policy.organizationScope(actor);
    const to = q.to ? new Date(q.to) : this.clock.now();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 30 * 86400_000);
    const rows = await this.store.institutionFigures(scope.organizationIds, from, to);
    const video = await this.calls.videoFigures(scope.organizationIds, from, to);
    await this.audit.record({
      action: 'consultation.metrics',
      actor,
      resourceType: 'consultation',
      details: { from: from.toISOString(), to: to.toISOString() },
    });
    return {
      from,
      to,
      institutions: rows.map((r) => ({
        organizationId: r.organizationId,
        name: r.name,
        level: r.level,
        requestsSent: r.sent,
        requestsReceived: r.received,
        reportsSigned: r.reported,
        claimSeconds: { average: r.claimAverageSeconds, median: r.claimMedianSeconds },
        reportTurnaroundSeconds: {
          average: r.turnaroundAverageSeconds,
          p90: r.turnaroundP90Seconds,
        },
        escalations: r.escalations,
        expired: r.expired,
        referralsSent: r.referralsSent,
        referralsReceived: r.referralsReceived,
        referralsAccepted: r.referralsAccepted,
        videoCalls: video.get(r.organizationId)?.calls ?? 0,
        videoMinutes: Math.round((video.get(r.organizationId)?.seconds ?? 0) / 60),
      })),
    };
  }
}

/** The sort key travels as PostgreSQL printed it: microseconds intact, so no row is skipped or repeated. */
function encodeCursor(at: string, id: string): string {
  return Buffer.from(JSON.stringify([at, id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      typeof at === 'string' &&
      /^[0-9 :.+-]{10,40}$/.test(at) &&
      typeof id === 'string' &&
      /^[0-9a-f-]{36}$/i.test(id)
    )
      return [at, id];
  } catch {}
  throw new DomainError(
    'invalid_cursor',
    HttpStatus.BAD_REQUEST,
    'cursor is not one this API gave out',
  );
}
