import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { DomainError, hasRole, isMachine, type Actor } from '@huizhen/kernel';
import { AuditService } from '@huizhen/audit';
import type { Decision, OrganizationScope, PolicyAction, ResourceRef } from './policy-terms';

const allow = (reason: string): Decision => ({ allowed: true, reason });
const deny = (reason: string): Decision => ({ allowed: false, reason });

const DIRECTORY_TYPES = new Set(['organization', 'consortium', 'practitioner']);
/** Machines on the network (service accounts, DICOM peers, routing to peers): their organization's admins manage them. */
const MACHINE_TYPES = new Set(['service_account', 'dicom_peer', 'dicom_route']);
const CLINICAL_TYPES = new Set([
  'patient',
  'consultation',
  'imaging_study',
  'referral',
  'media_room',
]);

/**
 * The one answer to "may this actor do this to that". Every door (REST, DICOMweb, socket
 * events, uploads) asks here; no feature re-implements a permission rule.
 *
 * Rules in short: the directory is readable by every signed-in user and managed by admins
 * within their subtree; clinical data is seen by the owning organization's clinicians, by
 * participants, by specialists whose queue it is routed to, by hub coordinators for the
 * organizations under their hub, and through explicit unexpired grants. Admins manage
 * people and organizations but do not read patient data.
 */
@Injectable()
export class AccessPolicyService {
  // Organization trees change rarely; a short cache keeps the guard off the hot path.
  private readonly scopeCache = new Map<string, { at: number; ids: string[] }>();
  private static readonly SCOPE_TTL_MS = 30_000;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly audit: AuditService,
  ) {}

  async decide(actor: Actor, action: PolicyAction, resource: ResourceRef): Promise<Decision> {
    const direct = await this.rule(actor, action, resource);
    if (direct.allowed) return direct;
    if (resource.id && (await this.hasGrant(actor, action, resource)))
      return allow('explicit share');
    if (action === 'read' && resource.via?.length) {
      for (const via of resource.via) {
        const d = await this.decide(actor, 'read', via);
        if (d.allowed) return allow(`through ${via.type} ${via.id ?? ''}: ${d.reason}`.trim());
      }
    }
    return direct;
  }

  /** Throws 403 (and audits the denial) unless allowed. */
  async assert(actor: Actor, action: PolicyAction, resource: ResourceRef): Promise<void> {
    const d = await this.decide(actor, action, resource);
    if (d.allowed) return;
    await this.audit.record({
      action: `${resource.type}.${action}`,
      actor,
      resourceType: resource.type,
      resourceId: resource.id,
      outcome: 'denied',
      details: { reason: d.reason },
    });
    throw new DomainError(
      'access_denied',
      HttpStatus.FORBIDDEN,
      `not allowed to ${action} this ${resource.type.replace('_', ' ')}: ${d.reason}`,
    );
  }

  /** Organizations the actor sees as its own: its organization, plus the subtree for hub staff and admins. */
  async organizationScope(actor: Actor): Promise<OrganizationScope> {
    if (!hasRole(actor, 'hub_coordinator', 'admin'))
      return { all: false, organizationIds: [actor.organizationId] };
    const ids = await this.subtree(actor.organizationId);
    return { all: await this.isRoot(actor.organizationId), organizationIds: ids };
  }

  /**
   * Organizations whose clinical resources the actor reads because of whose they are (a
   * clinician's own organization; a coordinator's hub subtree): the owner half of the read rule,
   * for listings that add shares and named resources themselves (QIDO-RS study search).
   */
  async ownerReadScope(actor: Actor): Promise<string[]> {
    const orgs = new Set<string>();
    if (hasRole(actor, 'township_doctor', 'specialist') || isMachine(actor))
      orgs.add(actor.organizationId);
    if (hasRole(actor, 'hub_coordinator'))
      for (const id of await this.subtree(actor.organizationId)) orgs.add(id);
    return [...orgs];
  }

  /**
   * Listings ask here too: an SQL condition on a `consultation_request` row (aliased `c`) that
   * holds exactly for the requests `decide(actor, 'read', ...)` allows, the same rules written
   * for a WHERE clause (Medplum-style security filter). A worklist ANDs its box with it, so a box
   * narrows what the policy allows and never widens it; the policy's decision table holds both
   * encodings to the same answers. `param` adds a bind parameter and returns its placeholder.
   *
   * The read rule is therefore written twice on purpose (here for lists, in `rule()` for one
   * resource): a change to who may read a request or a referral must change both, and add its
   * case to the decision table in access-policy.e2e-spec.ts, which fails while they disagree.
   */
  async consultationReadFilter(
    actor: Actor,
    param: (value: unknown) => string,
    c = 'c',
  ): Promise<string> {
    const any: string[] = [];
    const me = param(actor.id);
    if (hasRole(actor, 'township_doctor', 'specialist'))
      any.push(`${c}.requesting_organization_id = ${param(actor.organizationId)}::uuid`);
    any.push(
      `EXISTS (SELECT 1 FROM consultation_participant lp WHERE lp.consultation_id = ${c}.id AND lp.practitioner_id = ${me}::uuid AND lp.active)`,
    );
    if (hasRole(actor, 'specialist') && actor.specialty) {
      any.push(
        `(${c}.status = 'submitted' AND ${c}.routed_organization_ids @> ARRAY[${param(actor.organizationId)}::uuid] AND ${c}.specialty = ${param(actor.specialty)} AND NOT (${me}::uuid = ANY(${c}.declined_by)))`,
      );
    }
    if (hasRole(actor, 'hub_coordinator')) {
      const scope = param(await this.subtree(actor.organizationId));
      any.push(
        `(${c}.requesting_organization_id = ANY(${scope}::uuid[]) OR ${c}.assigned_organization_id = ANY(${scope}::uuid[]))`,
      );
    }
    any.push(this.grantFilter(actor, 'consultation', `${c}.id`, me, param));
    return `(${any.join(' OR ')})`;
  }

  /**
   * The referral read rule as an SQL condition on a `referral` row (aliased `r`), like
   * consultationReadFilter: the patient's organization, the consultation's people, the receiving
   * hospital's clinicians (its specialists of the specialty going up), hubs over the patient's,
   * the sending or the receiving organization, and shares.
   */
  async referralReadFilter(
    actor: Actor,
    param: (value: unknown) => string,
    r = 'r',
  ): Promise<string> {
    const any: string[] = [];
    const me = param(actor.id);
    const clinician = hasRole(actor, 'township_doctor', 'specialist');
    if (clinician)
      any.push(
        `(SELECT lp.organization_id FROM patient lp WHERE lp.id = ${r}.patient_id) = ${param(actor.organizationId)}::uuid`,
      );
    any.push(
      `(${r}.created_by = ${me}::uuid OR ${r}.answered_by = ${me}::uuid
        OR EXISTS (SELECT 1 FROM consultation_participant lp WHERE lp.consultation_id = ${r}.consultation_id AND lp.practitioner_id = ${me}::uuid AND lp.active))`,
    );
    const queueSpecialty = `CASE WHEN ${r}.direction = 'up' THEN ${r}.specialty END`;
    if (clinician)
      any.push(
        `(${r}.to_organization_id = ${param(actor.organizationId)}::uuid AND ${queueSpecialty} IS NULL)`,
      );
    if (hasRole(actor, 'specialist') && actor.specialty)
      any.push(
        `(${r}.to_organization_id = ${param(actor.organizationId)}::uuid AND ${queueSpecialty} = ${param(actor.specialty)})`,
      );
    if (hasRole(actor, 'hub_coordinator')) {
      const scope = param(await this.subtree(actor.organizationId));
      any.push(
        `((SELECT lp.organization_id FROM patient lp WHERE lp.id = ${r}.patient_id) = ANY(${scope}::uuid[]) OR ${r}.from_organization_id = ANY(${scope}::uuid[]) OR ${r}.to_organization_id = ANY(${scope}::uuid[]))`,
      );
    }
    any.push(this.grantFilter(actor, 'referral', `${r}.id`, me, param));
    return `(${any.join(' OR ')})`;
  }

  private grantFilter(
    actor: Actor,
    type: ResourceRef['type'],
    idColumn: string,
    me: string,
    param: (value: unknown) => string,
  ): string {
    return `${idColumn}::text IN (SELECT g.resource_id FROM access_grant g WHERE g.resource_type = ${param(type)} AND g.action IN ('read', '*')
          AND (g.grantee_practitioner_id = ${me}::uuid OR g.grantee_organization_id = ${param(actor.organizationId)}::uuid)
          AND g.revoked_at IS NULL AND (g.expires_at IS NULL OR g.expires_at > now()))`;
  }

  /** Organizations that share at least one consortium with this one (itself included). */
  async consortiumPeers(
    organizationId: string,
    m: EntityManager = this.db.manager,
  ): Promise<string[]> {
    const rows: { organization_id: string }[] = await m.query(
      `SELECT DISTINCT m2.organization_id FROM consortium_member m1
         JOIN consortium_member m2 ON m2.consortium_id = m1.consortium_id
        WHERE m1.organization_id = $1`,
      [organizationId],
    );
    const ids = new Set(rows.map((r) => r.organization_id));
    ids.add(organizationId);
    return [...ids];
  }

  private async rule(actor: Actor, action: PolicyAction, r: ResourceRef): Promise<Decision> {
    if (DIRECTORY_TYPES.has(r.type)) return this.directoryRule(actor, action, r);
    if (MACHINE_TYPES.has(r.type)) return this.machineRule(actor, r);
    if (r.type === 'audit')
      return hasRole(actor, 'admin') && action === 'read'
        ? allow('admin reads the audit trail')
        : deny('only admins read the audit trail');
    if (r.type === 'rotation_shift') return this.rotationRule(actor, action, r);
    if (r.type === 'booking') return this.bookingRule(actor, action, r);
    if (CLINICAL_TYPES.has(r.type)) return this.clinicalRule(actor, action, r);
    return deny(`no rule for ${r.type}`);
  }

  private async directoryRule(
    actor: Actor,
    action: PolicyAction,
    r: ResourceRef,
  ): Promise<Decision> {
    if (action === 'read') return allow('the directory is readable by every signed-in user');
    if (!hasRole(actor, 'admin')) return deny('only admins change the directory');
    // For an organization, `organizationId` is its parent (create) or itself (update).
    const target = r.organizationId ?? r.id;
    if (!target) return deny('no organization to check the admin scope against');
    const scope = await this.subtree(actor.organizationId);
    const targets = [target, ...(r.organizationIds ?? [])];
    return targets.every((t) => scope.includes(t))
      ? allow('admin of an organization above it')
      : deny('outside the admin’s organization subtree');
  }

  /** Service accounts and DICOM peers: read and changed only by admins of their organization or above it. */
  private async machineRule(actor: Actor, r: ResourceRef): Promise<Decision> {
    if (!hasRole(actor, 'admin')) return deny('only admins manage service accounts and peers');
    if (!r.organizationId) return deny('no organization to check the admin scope against');
    return (await this.subtree(actor.organizationId)).includes(r.organizationId)
      ? allow('admin of the organization or above it')
      : deny('outside the admin’s organization subtree');
  }

  private async clinicalRule(
    actor: Actor,
    action: PolicyAction,
    r: ResourceRef,
  ): Promise<Decision> {
    const clinician = hasRole(actor, 'township_doctor', 'specialist');
    const participant = r.participantIds?.includes(actor.id) ?? false;
    const own = !!r.organizationId && r.organizationId === actor.organizationId;
    const declined = r.routedTo?.declinedBy?.includes(actor.id) ?? false;
    // A queue with a specialty is its specialists'; one without (a referral down) is any clinician's there.
    const routedToMe =
      !!r.routedTo &&
      !declined &&
      r.routedTo.organizationIds.includes(actor.organizationId) &&
      (r.routedTo.specialty === null
        ? clinician
        : hasRole(actor, 'specialist') && r.routedTo.specialty === actor.specialty);
    // Minimum necessary: a coordinator reads clinical content only where the owning (requesting)
    // or the assigned/receiving organization is under their hub; a queue at one of their hospitals
    // shows them the routing facts only (read_routing).
    const coordinatorOfParties =
      hasRole(actor, 'hub_coordinator') &&
      (await this.inScope(actor, [r.organizationId, ...(r.organizationIds ?? [])]));
    const coordinatorOfQueue =
      hasRole(actor, 'hub_coordinator') &&
      !!r.routedTo &&
      (await this.inScope(actor, r.routedTo.organizationIds));

    // A machine (a service account's key) acts for its organization and only on its images: it
    // reads and stores them; it is never a participant, a queue, or a signer.
    if (isMachine(actor)) {
      if (r.type !== 'imaging_study') return deny('a service account reads and stores images only');
      if ((action === 'read' || action === 'create') && own)
        return allow('service account of the owning organization');
      return deny('a service account reads and stores its own organization’s images only');
    }
    switch (action) {
      case 'read':
      case 'read_routing':
        if (clinician && own) return allow('clinician of the owning organization');
        if (participant) return allow('participant');
        if (routedToMe) return allow('routed to the specialist’s queue');
        if (coordinatorOfParties)
          return allow('hub coordinator of the requesting or assigned organization');
        if (action === 'read_routing' && coordinatorOfQueue)
          return allow('hub coordinator of a hospital in its queue (routing facts only)');
        if (declined) return deny('the specialist declined this request');
        return deny(
          hasRole(actor, 'admin') && !clinician
            ? 'admins do not read patient data'
            : coordinatorOfQueue
              ? 'a coordinator of the queue’s hospitals sees routing facts, not clinical content'
              : 'not the owning organization, a participant, or the routed queue',
        );
      case 'create':
        if (r.type === 'consultation' || r.type === 'imaging_study' || r.type === 'patient') {
          return clinician && own
            ? allow('clinician of the owning organization')
            : deny('clinicians create only for their own organization');
        }
        if (r.type === 'referral')
          return participant && hasRole(actor, 'specialist', 'township_doctor')
            ? allow('participant refers')
            : deny('only participants refer');
        return deny(`cannot create a ${r.type}`);
      case 'update':
      case 'share':
        if (clinician && (own || participant))
          return allow('clinician of the owning organization or participant');
        if (r.type === 'referral' && routedToMe)
          return allow('receiving specialist answers the referral');
        return deny('only the owning organization’s clinicians and participants change it');
      case 'delete':
        return clinician && own
          ? allow('clinician of the owning organization')
          : deny('only the owning organization deletes');
      case 'claim':
        if (declined) return deny('the specialist declined this request before');
        return routedToMe
          ? allow('routed to the specialist’s queue')
          : deny('not in this specialist’s queue');
      case 'report':
      case 'sign':
        return hasRole(actor, 'specialist') && participant
          ? allow('assigned specialist')
          : deny('only the assigned specialist reports and signs');
      case 'join':
        return participant ? allow('participant') : deny('only participants join');
      case 'manage':
        if (coordinatorOfParties || coordinatorOfQueue)
          return allow('hub coordinator of the organization or of its queue');
        return deny('only the covering hub’s coordinators manage it');
      default:
        return deny(`${action} does not apply to ${r.type}`);
    }
  }

  private async rotationRule(
    actor: Actor,
    action: PolicyAction,
    r: ResourceRef,
  ): Promise<Decision> {
    if (action === 'read') return allow('rotation plans are visible to every signed-in user');
    if (!hasRole(actor, 'hub_coordinator')) return deny('only hub coordinators plan rotations');
    const hosts = [r.organizationId, ...(r.organizationIds ?? [])].filter((x): x is string => !!x);
    if (!hosts.length) return deny('no host organization to check');
    return (await this.inScope(actor, hosts, true))
      ? allow('hub coordinator of every host organization and of the specialist’s hospital')
      : deny('a host organization or the specialist’s hospital is outside the coordinator’s hub');
  }

  private async bookingRule(actor: Actor, action: PolicyAction, r: ResourceRef): Promise<Decision> {
    const own = !!r.organizationId && r.organizationId === actor.organizationId;
    if (action === 'book' || action === 'update' || action === 'delete') {
      return hasRole(actor, 'township_doctor', 'specialist') && own
        ? allow('clinician of the requesting organization')
        : deny('only the requesting organization books for its requests');
    }
    if (action === 'read') {
      if (own || r.participantIds?.includes(actor.id)) return allow('party to the booking');
      if (
        hasRole(actor, 'hub_coordinator') &&
        (await this.inScope(actor, [r.organizationId, ...(r.organizationIds ?? [])]))
      )
        return allow('hub coordinator');
      return deny('not a party to the booking');
    }
    return deny(`${action} does not apply to a booking`);
  }

  private async inScope(
    actor: Actor,
    orgIds: (string | undefined)[],
    every = false,
  ): Promise<boolean> {
    const ids = orgIds.filter((x): x is string => !!x);
    if (!ids.length) return false;
    const scope = await this.subtree(actor.organizationId);
    return every ? ids.every((id) => scope.includes(id)) : ids.some((id) => scope.includes(id));
  }

  private async isRoot(orgId: string): Promise<boolean> {
    const rows: { parent_id: string | null }[] = await this.db.query(
      'SELECT parent_id FROM organization WHERE id = $1',
      [orgId],
    );
    return rows[0]?.parent_id === null;
  }

  private async subtree(rootId: string): Promise<string[]> {
    const hit = this.scopeCache.get(rootId);
    if (hit && Date.now() - hit.at < AccessPolicyService.SCOPE_TTL_MS) return hit.ids;
    const rows: { id: string }[] = await this.db.query(
      `WITH RECURSIVE sub AS (SELECT id FROM organization WHERE id = $1
         UNION SELECT o.id FROM organization o JOIN sub ON o.parent_id = sub.id)
       SELECT id FROM sub`,
      [rootId],
    );
    const ids = rows.map((r) => r.id);
    this.scopeCache.set(rootId, { at: Date.now(), ids });
    return ids;
  }

  /** Drop cached subtrees after the organization tree changed. */
  forgetOrganizationTree(): void {
    this.scopeCache.clear();
  }

  private async hasGrant(actor: Actor, action: PolicyAction, r: ResourceRef): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT 1 FROM access_grant
        WHERE resource_type = $1 AND resource_id = $2 AND action = ANY($3::text[])
          AND (grantee_practitioner_id = $4 OR grantee_organization_id = $5)
          AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        LIMIT 1`,
      // A share to read includes the routing facts.
      [
        r.type,
        r.id,
        action === 'read_routing' ? ['read_routing', 'read', '*'] : [action, '*'],
        actor.id,
        actor.organizationId,
      ],
    );
    return rows.length > 0;
  }

  /** Records an explicit share (e.g. a study for a named specialist until a date). */
  async grant(
    by: Actor,
    g: {
      resourceType: ResourceRef['type'];
      resourceId: string;
      action: PolicyAction | '*';
      practitionerId?: string;
      organizationId?: string;
      expiresAt?: Date;
      reason?: string;
    },
  ): Promise<{ id: string }> {
    if (!g.practitionerId === !g.organizationId)
      throw new DomainError(
        'grant_grantee',
        HttpStatus.BAD_REQUEST,
        'a share names exactly one practitioner or one organization',
      );
    return this.db.transaction(async (m) => {
      const rows: { id: string }[] = await m.query(
        `INSERT INTO access_grant (resource_type, resource_id, action, grantee_practitioner_id, grantee_organization_id, granted_by, reason, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [
          g.resourceType,
          g.resourceId,
          g.action,
          g.practitionerId ?? null,
          g.organizationId ?? null,
          by.id,
          g.reason ?? null,
          g.expiresAt ?? null,
        ],
      );
      await this.audit.record(
        {
          action: `${g.resourceType}.share`,
          actor: by,
          resourceType: g.resourceType,
          resourceId: g.resourceId,
          details: {
            grantId: rows[0].id,
            to: g.practitionerId ?? g.organizationId,
            expiresAt: g.expiresAt?.toISOString() ?? null,
          },
        },
        m,
      );
      return rows[0];
    });
  }
}
