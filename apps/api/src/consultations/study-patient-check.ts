import { HttpStatus, Injectable } from '@nestjs/common';
import { AuditTerms } from '@huizhen/audit';
import type { PatientMismatchDetails, StudyPatientComparison } from '@huizhen/contract';
import { compareDicomPatient } from '@huizhen/dicom';
import { DomainError } from '@huizhen/platform-http';
import { PatientsService } from '../patients/patients.service';
import { StudyHeaderReadModel } from './study-header-read-model';

/** A study named for a consultation, with the reason its sender gave for a known mismatch. */
export interface StudyToAttach {
  studyInstanceUid: string;
  mismatchReason?: string;
}

/** What the audit event of the attach keeps of the check: no header text, the reason as a digest. */
export interface StudyPatientAudit {
  studyInstanceUid: string;
  verdict: StudyPatientComparison['verdict'];
  differences: string[];
  reasonDigest?: string | null;
}

/**
 * Clinical safety at the door: images join a consultation only when their DICOM header agrees
 * with the consultation's patient, or when the person attaching them has seen the differences and
 * said why (a township modality may have the patient under an old name or a neighbour's ID).
 * A header that is silent ("unknown") passes: most fields of a township header are blank.
 * Runs after the access checks (the comparison shows the study's header).
 */
@Injectable()
export class StudyPatientCheck {
  constructor(
    private readonly patients: PatientsService,
    private readonly headers: StudyHeaderReadModel,
    private readonly terms: AuditTerms,
  ) {}

  /** 409 patient_mismatch naming every unconfirmed study that disagrees; else what to audit per study. */
  async check(patientId: string, studies: StudyToAttach[]): Promise<StudyPatientAudit[]> {
    if (studies.length === 0) return [];
    const patient = await this.patients.registeredForImageCheck(patientId);
    const headers = await this.headers.patientHeaders(studies.map((s) => s.studyInstanceUid));
    const refused: StudyPatientComparison[] = [];
    const audit = studies.map(({ studyInstanceUid, mismatchReason }) => {
      const match = compareDicomPatient(patient, headers.get(studyInstanceUid) ?? {});
      const reason = mismatchReason?.trim();
      if (match.verdict === 'mismatch' && !reason)
        refused.push({ studyInstanceUid, verdict: match.verdict, fields: match.fields });
      return {
        studyInstanceUid,
        verdict: match.verdict,
        differences: match.differences.map((d) => d.field),
        ...(match.verdict === 'mismatch' ? { reasonDigest: this.terms.digest(reason) } : {}),
      };
    });
    if (refused.length) {
      throw new DomainError(
        'patient_mismatch',
        HttpStatus.CONFLICT,
        `the DICOM header of ${refused.length} stud${refused.length === 1 ? 'y' : 'ies'} names another patient (${refused
          .map((s) =>
            s.fields
              .filter((f) => f.verdict === 'mismatch')
              .map((f) => f.field)
              .join(', '),
          )
          .join('; ')}): confirm with a reason to attach anyway`,
        { studies: refused } satisfies Omit<PatientMismatchDetails, 'code'>,
      );
    }
    return audit;
  }
}
