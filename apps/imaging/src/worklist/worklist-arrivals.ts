import { HttpStatus, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService, AuditTerms } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import type { PatientMismatch } from '@huizhen/contract';
import { compareDicomPatient, type PatientField, type RegisteredPatient } from '@huizhen/dicom';
import { DomainError } from '@huizhen/platform-http';
import { ImagingStore } from '../imaging-store';
import { ImagingService } from '../imaging.service';
import { IngestService } from '../ingest/ingest.service';
import type { PendingInstance } from '../ingest/pending-instance';
import { type Arrival, type ProcedureStep, ProcedureStepStore } from './procedure-step-store';

/** A WorklistArrival with its times as Dates, as the routes answer it. */
export type ArrivalAnswer = Omit<Arrival, 'organizationId'>;

/** Studies remembered as dealt with, so their later instances cost no query. */
const REMEMBERED = 10_000;
/**
 * The accession numbers requests are given (consultation_requested_exam's default, migration
 * 1765720000000): any other (a hospital RIS's, a console's own) names no request of ours, so its
 * instances cost no query on the commit path.
 */
const OUR_ACCESSION = /^HZ\d{10,14}$/;
/** How long "no request has this accession number" is believed before asking again. */
const UNKNOWN_ACCESSION_MS = 60_000;

/**
 * Images that come back with a requested exam's accession number (through any door: C-STORE,
 * STOW-RS, upload, since every instance passes IngestService) find their consultation by
 * themselves: attached at once when their patient is the request's, held for the requester
 * otherwise, never attached silently. The requester then confirms the held study (a reason is
 * required and recorded) or rejects it, which puts the exam back on the worklist.
 *
 * Matching runs after the instance's rows are committed and before its sender is answered, for
 * the first instance of each study only (the rest find the study remembered); an accession
 * number of another organization's request, or of a closed one, attaches nothing.
 */
@Injectable()
export class WorklistArrivals implements OnModuleInit {
  private readonly logger = new Logger('WorklistArrivals');
  /** Study UID → until when it needs no look-up (Infinity once its arrival is recorded). */
  private readonly settled = new Map<string, number>();

  constructor(
    private readonly ingest: IngestService,
    private readonly steps: ProcedureStepStore,
    private readonly index: ImagingStore,
    private readonly imaging: ImagingService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly terms: AuditTerms,
  ) {}

  onModuleInit(): void {
    this.ingest.onCommitted((stored) => this.arrived(stored));
  }

  /** New instances committed: each study carrying an accession number is matched once. */
  async arrived(stored: readonly PendingInstance[]): Promise<void> {
    const now = Date.now();
    const studies = new Map<string, PendingInstance>();
    for (const p of stored) {
      if (!OUR_ACCESSION.test(p.study.accessionNumber?.trim() ?? '')) continue;
      if ((this.settled.get(p.studyUid) ?? 0) > now) continue;
      studies.set(p.studyUid, p);
    }
    for (const p of studies.values()) {
      try {
        const recorded = await this.arrive(p);
        this.remember(p.studyUid, recorded ? Infinity : now + UNKNOWN_ACCESSION_MS);
      } catch (e) {
        // The instance is stored; only its attachment failed (the sender is not told: its images are safe).
        this.logger.error(
          `matching study ${p.studyUid} to its worklist request failed: ${e instanceof Error ? e.stack : String(e)}`,
        );
      }
    }
  }

  private remember(studyUid: string, until: number): void {
    this.settled.delete(studyUid);
    this.settled.set(studyUid, until);
    if (this.settled.size > REMEMBERED) {
      const oldest = this.settled.keys().next().value;
      if (oldest !== undefined) this.settled.delete(oldest);
    }
  }

  /** True when the study's arrival is recorded (now or before) for an open request of its organization. */
  private async arrive(p: PendingInstance): Promise<boolean> {
    const accessionNumber = p.study.accessionNumber!.trim();
    const step = await this.steps.byAccession(accessionNumber);
    if (!step || step.organizationId !== p.organizationId) return false;
    const mismatches = heldFor(p, step);
    const status = mismatches === null ? 'attached' : 'held';
    await this.steps.transaction(async (m) => {
      const fresh = await this.steps.recordArrival(m, {
        consultationId: step.consultationId,
        studyInstanceUid: p.studyUid,
        accessionNumber,
        status,
        mismatches: mismatches ?? [],
      });
      if (!fresh) return;
      if (status === 'attached')
        await this.index.linkToConsultation(m, p.studyUid, step.consultationId, null);
      await this.audit.record(
        {
          action: status === 'attached' ? 'imaging_study.attach' : 'imaging_study.hold',
          actor: p.actor,
          resourceType: 'imaging_study',
          resourceId: p.studyUid,
          details: {
            consultationId: step.consultationId,
            accessionNumber,
            via: 'worklist',
            door: p.via,
            mismatches: mismatches ?? [],
          },
        },
        m,
      );
    });
    if (status === 'held')
      this.logger.warn(
        `study ${p.studyUid} (accession ${accessionNumber}) held for consultation ${step.consultationId}: ${mismatches?.join(', ') || 'nothing identifies the patient'}`,
      );
    return true;
  }

  /**
   * Whether the actor may decide on the studies that arrived for a request: they may change the
   * request and share the studies its centre stored (the right to attach a study from its side),
   * so a held study naming another patient is shown to the requesting centre only.
   */
  private async mayDecide(actor: Actor, consultationId: string): Promise<void> {
    const consultation = await this.imaging.consultationToChange(actor, consultationId);
    await this.policy.assert(actor, 'share', {
      type: 'imaging_study',
      organizationId: consultation.organizationId,
    });
  }

  /** The studies that arrived for a request's exam, held ones included (a PHI read, audited). */
  async arrivalsOf(actor: Actor, consultationId: string): Promise<ArrivalAnswer[]> {
    await this.mayDecide(actor, consultationId);
    const arrivals = await this.steps.arrivalsOf(consultationId);
    await this.audit.record({
      action: 'imaging_worklist.arrivals_read',
      actor,
      resourceType: 'consultation',
      resourceId: consultationId,
      details: { arrivals: arrivals.length },
    });
    return arrivals.map(view);
  }

  /** Attaches a held study after all, with the reason the requester gives (recorded and audited). */
  confirm(actor: Actor, arrivalId: string, reason: string) {
    return this.decide(actor, arrivalId, 'confirmed', reason);
  }

  /** Refuses a held study: it stays in the archive, unattached, and the exam is back on the worklist. */
  reject(actor: Actor, arrivalId: string, reason: string | null) {
    return this.decide(actor, arrivalId, 'rejected', reason);
  }

  private async decide(
    actor: Actor,
    arrivalId: string,
    status: 'confirmed' | 'rejected',
    reason: string | null,
  ): Promise<ArrivalAnswer> {
    const found = await this.steps.arrival(arrivalId);
    if (!found)
      throw new DomainError('arrival_not_found', HttpStatus.NOT_FOUND, `no arrival ${arrivalId}`);
    await this.mayDecide(actor, found.consultationId);
    const decided = await this.steps.transaction(async (m) => {
      const a = await this.steps.lockArrival(m, arrivalId);
      if (a?.status !== 'held')
        throw new DomainError(
          'arrival_decided',
          HttpStatus.CONFLICT,
          `the study is ${a?.status ?? 'gone'}, not held`,
        );
      await this.steps.decide(m, arrivalId, { status, decidedBy: actor.id, reason });
      if (status === 'confirmed')
        await this.index.linkToConsultation(m, a.studyInstanceUid, a.consultationId, actor.id);
      await this.audit.record(
        {
          action: status === 'confirmed' ? 'imaging_study.attach' : 'imaging_study.reject',
          actor,
          resourceType: 'imaging_study',
          resourceId: a.studyInstanceUid,
          details: {
            consultationId: a.consultationId,
            arrivalId,
            via: 'worklist',
            mismatches: a.mismatches,
            // Free text may name the patient: only its keyed digest goes into the trail.
            reasonDigest: this.terms.digest(reason),
          },
        },
        m,
      );
      return (await this.steps.lockArrival(m, arrivalId))!;
    });
    return view(decided);
  }
}

const MISMATCH: Record<PatientField, PatientMismatch> = {
  name: 'name',
  id: 'patient_id',
  sex: 'sex',
  birthDate: 'birth_date',
};

/**
 * Why a study must wait for the requester (libs/dicom's patient comparison: names in their
 * Chinese and pinyin forms, the worklist's Patient ID, sex, birth date), or null when its images
 * name the request's patient. A header that identifies nobody (no name or ID that agrees) is held
 * too, with the fields that could not be confirmed: never attached silently.
 */
function heldFor(p: PendingInstance, step: ProcedureStep): PatientMismatch[] | null {
  const b = step.patient.birthDate;
  const match = compareDicomPatient(
    {
      name: step.patient.name,
      sex: step.patient.sex as RegisteredPatient['sex'],
      birthDate: `${b.slice(0, 4)}-${b.slice(4, 6)}-${b.slice(6, 8)}`,
      // The Patient ID the worklist gave the modality.
      recordNumbers: [step.patient.id],
    },
    {
      patientName: p.study.patientName,
      patientId: p.study.dicomPatientId,
      sex: p.study.sex,
      birthDate: p.study.birthDate,
    },
  );
  if (match.verdict === 'match') return null;
  const fields =
    match.verdict === 'mismatch'
      ? match.differences
      : match.fields.filter((f) => f.verdict === 'unknown');
  return fields.map((f) => MISMATCH[f.field]);
}

/** The arrival without the study's organization (the route's view). */
function view({ organizationId: _organization, ...a }: Arrival): ArrivalAnswer {
  return a;
}
