import { HttpStatus, Injectable } from '@nestjs/common';
import { AccessPolicyService, type ResourceRef } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { compareDicomPatient } from '@huizhen/dicom';
import { DomainError } from '@huizhen/platform-http';
import { ConsultationPatientReadModel } from './consultation-patient-read-model';
import { ImagingStore, type ImagingStudySummary } from './imaging-store';

export type { ImagingStudySummary } from './imaging-store';

/**
 * What other modules may ask of imaging (consultations attach studies, the web client shares
 * them). Nothing outside imaging reads imaging tables.
 */
@Injectable()
export class ImagingService {
  constructor(
    private readonly store: ImagingStore,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly patients: ConsultationPatientReadModel,
    private readonly terms: AuditTerms,
  ) {}

  studySummary(studyUid: string): Promise<ImagingStudySummary | null> {
    return this.store.studySummary(studyUid);
  }

  /**
   * Attaches a study to a consultation (idempotent). The actor must be able to share the study
   * and to change the consultation (the same right as attaching from the consultation's side).
   */
  async attachToConsultation(
    actor: Actor,
    studyUid: string,
    consultationId: string,
    mismatchReason?: string,
  ): Promise<void> {
    const study = await this.store.findStudy(studyUid);
    if (!study)
      throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no study ${studyUid}`);
    await this.policy.assert(actor, 'share', {
      type: 'imaging_study',
      id: study.study_instance_uid,
      organizationId: study.organization_id,
    });
    await this.consultationToChange(actor, consultationId);
    // The image check at the door, as from the consultation's side: a header naming another
    // patient needs a reason, kept in the trail as a digest.
    const found = await this.patients.patientAndHeader(consultationId, study.study_instance_uid);
    const match = found ? compareDicomPatient(found.patient, found.header) : null;
    const reason = mismatchReason?.trim();
    if (match?.verdict === 'mismatch' && !reason)
      throw new DomainError(
        'patient_mismatch',
        HttpStatus.CONFLICT,
        `the DICOM header names another patient (${match.differences.map((d) => d.field).join(', ')}): confirm with a reason to attach anyway`,
        {
          studies: [
            {
              studyInstanceUid: study.study_instance_uid,
              verdict: match.verdict,
              fields: match.fields,
            },
          ],
        },
      );
    const patientCheck = match && {
      verdict: match.verdict,
      differences: match.differences.map((d) => d.field),
      ...(match.verdict === 'mismatch' ? { reasonDigest: this.terms.digest(reason) } : {}),
    };
    await this.store.transaction(async (m) => {
      await this.store.linkToConsultation(m, study.study_instance_uid, consultationId, actor.id);
      await this.audit.record(
        {
          action: 'imaging_study.attach',
          actor,
          resourceType: 'imaging_study',
          resourceId: study.study_instance_uid,
          details: { consultationId, patientCheck },
        },
        m,
      );
    });
  }

  /** A consultation the actor may change, as the policy sees it (404 when there is none). */
  async consultationToChange(actor: Actor, consultationId: string): Promise<ResourceRef> {
    const consultation = await this.store.consultationRef(consultationId);
    if (!consultation)
      throw new DomainError(
        'consultation_not_found',
        HttpStatus.NOT_FOUND,
        `consultation ${consultationId} does not exist`,
      );
    await this.policy.assert(actor, 'update', consultation);
    return consultation;
  }

  studiesOfConsultation(consultationId: string): Promise<string[]> {
    return this.store.studiesOfConsultation(consultationId);
  }

  /** An expiring share of one study with a named practitioner (access_grant). */
  async shareWithPractitioner(
    actor: Actor,
    studyUid: string,
    practitionerId: string,
    expiresAt: Date,
    reason?: string,
  ): Promise<{ id: string }> {
    const study = await this.store.findStudy(studyUid);
    if (!study)
      throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no study ${studyUid}`);
    if (expiresAt.getTime() <= Date.now())
      throw new DomainError(
        'share_expiry',
        HttpStatus.BAD_REQUEST,
        'a share must expire in the future',
      );
    await this.policy.assert(actor, 'share', {
      type: 'imaging_study',
      id: study.study_instance_uid,
      organizationId: study.organization_id,
    });
    return this.policy.grant(actor, {
      resourceType: 'imaging_study',
      resourceId: study.study_instance_uid,
      action: 'read',
      practitionerId,
      expiresAt,
      reason,
    });
  }
}
