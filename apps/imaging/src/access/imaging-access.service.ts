import { HttpStatus, Injectable } from '@nestjs/common';
import { AccessPolicyService, type ResourceRef } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import { type Actor, hasRole } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { ImagingStore, type StudyRow } from '../imaging-store';

export interface StudyAccess {
  study: StudyRow;
  /** The reader is outside the patient's consortium: serve the de-identified copy. */
  deidentify: boolean;
}

/**
 * Every DICOMweb read asks here: the study's ResourceRef (owning organization, the consultations
 * it is attached to) goes to AccessPolicyService; the answer also says whether the reader gets
 * the identified or the de-identified copy; the read is audited.
 */
@Injectable()
export class ImagingAccess {
  // Frames and thumbnails come in bursts of hundreds per viewer: one audit event per
  // (reader, study, kind) per window, not per request.
  private readonly recentlyAudited = new Map<string, number>();
  private static readonly BURST_AUDIT_WINDOW_MS = 5 * 60_000;

  constructor(
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly store: ImagingStore,
  ) {}

  /**
   * The study as the policy sees it: its owning organization, and the consultations it can be
   * read through (attached on the consultation side, or linked here), read from the shared
   * database the same way the api reads them, so a standalone imaging node decides alike.
   */
  async resourceOf(study: StudyRow): Promise<ResourceRef> {
    const linked = await this.store.consultationsOf(study.study_instance_uid);
    const via = await this.store.consultationRefsOfStudy(study.study_instance_uid, linked);
    return {
      type: 'imaging_study',
      id: study.study_instance_uid,
      organizationId: study.organization_id,
      via,
    };
  }

  /** 404 for an unknown study, 403 (audited by the policy) for a reader without access. */
  async readStudy(actor: Actor, uid: string, what: string, burst = false): Promise<StudyAccess> {
    const study = await this.store.findStudy(uid);
    if (!study) throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no study ${uid}`);
    await this.policy.assert(actor, 'read', await this.resourceOf(study));
    const deidentify = await this.mustDeidentify(actor, study.organization_id);
    await this.auditRead(actor, study.study_instance_uid, what, deidentify, burst);
    return { study, deidentify };
  }

  async auditRead(
    actor: Actor,
    studyUid: string,
    what: string,
    deidentified: boolean,
    burst = false,
  ): Promise<void> {
    if (burst) {
      const key = `${actor.id} ${studyUid} ${what}`;
      const last = this.recentlyAudited.get(key);
      const now = Date.now();
      if (last && now - last < ImagingAccess.BURST_AUDIT_WINDOW_MS) return;
      this.recentlyAudited.set(key, now);
      if (this.recentlyAudited.size > 10_000) this.recentlyAudited.clear();
    }
    await this.audit.record({
      action: 'imaging_study.read',
      actor,
      resourceType: 'imaging_study',
      resourceId: studyUid,
      details: { what, deidentified },
    });
  }

  /**
   * One audit event for a search, naming every study it disclosed (and which of them went out
   * de-identified): a search listing 100 studies costs one insert, not 100 transactions. A
   * listing's studies of the reader's own organizations are audited by its statement instead
   * (QidoReadModel).
   */
  async auditSearch(actor: Actor, level: string, studies: Map<string, boolean>): Promise<void> {
    if (!studies.size) return;
    const uids = [...studies.keys()];
    const deidentified = uids.filter((u) => studies.get(u));
    await this.audit.record({
      action: 'imaging_study.read',
      actor,
      resourceType: 'imaging_study',
      resourceId: uids.length === 1 ? uids[0] : undefined,
      details: {
        what: `search ${level}`,
        deidentified: deidentified.length === uids.length,
        studyInstanceUids: uids,
        deidentifiedStudyInstanceUids: deidentified,
      },
    });
  }

  /** Identified for the patient's consortium (and the hubs above the owner); de-identified for everyone else. */
  async mustDeidentify(actor: Actor, studyOrganizationId: string): Promise<boolean> {
    if (actor.organizationId === studyOrganizationId) return false;
    const peers = await this.policy.consortiumPeers(studyOrganizationId);
    if (peers.includes(actor.organizationId)) return false;
    if (hasRole(actor, 'hub_coordinator')) {
      const scope = await this.policy.organizationScope(actor);
      if (scope.all || scope.organizationIds.includes(studyOrganizationId)) return false;
    }
    return true;
  }

  /** Organizations whose studies a search may list for this actor (plus explicit grants, in SQL): the policy's owner scope. */
  searchableOrganizations(actor: Actor): Promise<string[]> {
    return this.policy.ownerReadScope(actor);
  }

  async assertCanStore(actor: Actor): Promise<void> {
    await this.policy.assert(actor, 'create', {
      type: 'imaging_study',
      organizationId: actor.organizationId,
    });
  }

  /** May this actor read the study (without auditing)? Used to widen searches to consultation-linked studies. */
  async canRead(actor: Actor, study: StudyRow): Promise<boolean> {
    return (await this.policy.decide(actor, 'read', await this.resourceOf(study))).allowed;
  }
}
