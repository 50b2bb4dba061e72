import { HttpStatus, Injectable } from '@nestjs/common';
import { AccessPolicyService, consultationRefById } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { ImagingIndex } from './imaging-index.service';

export interface ImagingStudySummary {
  studyInstanceUid: string;
  organizationId: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  studyDescription: string | null;
  modalities: string[];
  numberOfSeries: number;
  numberOfInstances: number;
}

/**
 * What other modules may ask of imaging (consultations attach studies, the web client shares
 * them). Nothing outside imaging reads imaging tables.
 */
@Injectable()
export class ImagingService {
  constructor(
    private readonly index: ImagingIndex,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
  ) {}

  async studySummary(studyUid: string): Promise<ImagingStudySummary | null> {
    const rows = await this.index.db.query(
      `SELECT study_instance_uid, organization_id, patient_id, patient_name, study_date, study_description, modalities, number_of_series, number_of_instances
         FROM imaging_study WHERE study_instance_uid = $1`,
      [studyUid],
    );
    const r = rows[0];
    if (!r) return null;
    return {
      studyInstanceUid: r.study_instance_uid,
      organizationId: r.organization_id,
      patientId: r.patient_id,
      patientName: r.patient_name,
      studyDate: r.study_date,
      studyDescription: r.study_description,
      modalities: r.modalities,
      numberOfSeries: r.number_of_series,
      numberOfInstances: r.number_of_instances,
    };
  }

  /**
   * Attaches a study to a consultation (idempotent). The actor must be able to share the study
   * and to change the consultation (the same right as attaching from the consultation's side).
   */
  async attachToConsultation(actor: Actor, studyUid: string, consultationId: string): Promise<void> {
    const study = await this.index.findStudy(studyUid);
    if (!study) throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no study ${studyUid}`);
    await this.policy.assert(actor, 'share', { type: 'imaging_study', id: study.study_instance_uid, organizationId: study.organization_id });
    const consultation = await consultationRefById(this.index.db.manager, consultationId);
    if (!consultation) throw new DomainError('consultation_not_found', HttpStatus.NOT_FOUND, `consultation ${consultationId} does not exist`);
    await this.policy.assert(actor, 'update', consultation);
    await this.index.db.transaction(async (m) => {
      await m.query('INSERT INTO imaging_study_link (study_instance_uid, consultation_id, linked_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [study.study_instance_uid, consultationId, actor.id]);
      await this.audit.record({ action: 'imaging_study.attach', actor, resourceType: 'imaging_study', resourceId: study.study_instance_uid, details: { consultationId } }, m);
    });
  }

  async studiesOfConsultation(consultationId: string): Promise<string[]> {
    const rows: { study_instance_uid: string }[] = await this.index.db.query('SELECT study_instance_uid FROM imaging_study_link WHERE consultation_id = $1 ORDER BY created_at', [consultationId]);
    return rows.map((r) => r.study_instance_uid);
  }

  /** An expiring share of one study with a named practitioner (access_grant). */
  async shareWithPractitioner(actor: Actor, studyUid: string, practitionerId: string, expiresAt: Date, reason?: string): Promise<{ id: string }> {
    const study = await this.index.findStudy(studyUid);
    if (!study) throw new DomainError('study_not_found', HttpStatus.NOT_FOUND, `no study ${studyUid}`);
    if (expiresAt.getTime() <= Date.now()) throw new DomainError('share_expiry', HttpStatus.BAD_REQUEST, 'a share must expire in the future');
    await this.policy.assert(actor, 'share', { type: 'imaging_study', id: study.study_instance_uid, organizationId: study.organization_id });
    return this.policy.grant(actor, { resourceType: 'imaging_study', resourceId: study.study_instance_uid, action: 'read', practitionerId, expiresAt, reason });
  }
}
