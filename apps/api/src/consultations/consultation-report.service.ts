import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import {
  DirectoryService,
  SPECIALTIES,
  TITLE_ZH,
  type Organization,
  type Specialty,
  type Title,
} from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { ConsultationStore, type Report } from './consultation-store';
import { MODE_ZH, URGENCY_ZH } from './consultation-terms';
import type { AddendumDto, ReportDraftDto } from './consultation.dto';
import { ConsultationsService, type ConsultationSummary } from './consultations.service';
import { renderReportPdf } from './report-pdf';
import {
  SIGNATURE_ALGORITHM,
  SigningKeys,
  signedReportBytes,
  type SignedReportContent,
} from './report-signing';

export type { Report } from './consultation-store';

export interface SignatureCheck {
  reportId: string;
  kind: 'report' | 'addendum';
  valid: boolean;
  signer: { id: string; displayName: string; organizationId: string };
  signedAt: Date;
  algorithm: string;
  publicKeyFingerprint: string;
}

/** What a sign call answers beside the consultation: the signed report and its signature (base64), the same on every retry. */
export type SignedReportReceipt = ReturnType<ConsultationReportService['view']> & {
  signature: string | null;
  algorithm: string;
};

const HOSPITAL_LEVELS = ['county_hospital', 'city_hospital', 'province_hub'];

/**
 * The specialist's report (FHIR DiagnosticReport): drafted, then signed with the specialist's
 * Ed25519 key over a canonical form of its content, after which it never changes (a trigger
 * refuses); corrections are signed addenda. Anyone who may read it can verify it.
 */
@Injectable()
export class ConsultationReportService {
  private readonly keys: SigningKeys;
  private font: Promise<Buffer> | null = null;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly store: ConsultationStore,
    private readonly consultations: ConsultationsService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
    private readonly directory: DirectoryService,
  ) {
    this.keys = new SigningKeys(config.dataEncryptionKey, store);
  }

  async saveDraft(actor: Actor, id: string, dto: ReportDraftDto) {
    await this.assertAuthor(actor, id, 'report');
    if (dto.referralOrganizationId) await this.checkHospital(dto.referralOrganizationId);
    return this.store.transaction(async (m) => {
      const c = await this.store.lock(m, id);
      if (
        c.assignedSpecialistId !== actor.id ||
        !['claimed', 'scheduled', 'in_session'].includes(c.status)
      ) {
        throw new DomainError(
          'illegal_transition',
          HttpStatus.CONFLICT,
          `a report is written while the consultation is claimed or in session; it is ${c.status}`,
          { status: c.status },
        );
      }
      if (dto.studies) await this.checkStudies(m, id, dto.studies);
      const existing = await this.store.report(m, id);
      if (existing?.signedAt)
        throw new DomainError(
          'report_signed',
          HttpStatus.CONFLICT,
          'the report is signed; add an addendum instead',
          { status: c.status },
        );
      const v = {
        findings: dto.findings ?? existing?.findings ?? '',
        impression: dto.impression ?? existing?.impression ?? '',
        recommendation: dto.recommendation ?? existing?.recommendation ?? null,
        referralOrganizationId:
          dto.referralOrganizationId ?? existing?.referralOrganizationId ?? null,
        freeText: dto.freeText ?? existing?.freeText ?? '',
        studies: dto.studies ?? existing?.studies ?? [],
      };
      const row = await this.store.saveDraft(m, {
        consultationId: id,
        existing,
        patientId: c.patientId,
        authorId: actor.id,
        content: v,
        at: this.consultations.now(),
      });
      await this.audit.record(
        {
          action: 'consultation.report.draft',
          actor,
          resourceType: 'consultation',
          resourceId: id,
          details: { reportId: row.id },
        },
        m,
      );
      return this.view(row);
    });
  }

  /**
   * Signs the draft and moves the consultation to reported, in one transaction. Idempotent for
   * its signer: a retry (the answer to the first call was lost, or two clicks raced) finds the
   * report already signed by the same specialist and answers as the first call did, with the
   * same signature, instead of 409. Anyone else still meets the transition's answer (403 or 409).
   * The answer is the consultation's summary plus `report` (what was signed, the signature).
   */
  async sign(
    actor: Actor,
    id: string,
  ): Promise<ConsultationSummary & { report: SignedReportReceipt }> {
    const before = await this.signedBy(actor, id);
    if (before) return before;
    let summary: ConsultationSummary;
    try {
      summary = await this.signOnce(actor, id);
    } catch (e) {
      // A concurrent first call committed while this one waited for the row lock.
      const raced =
        e instanceof DomainError && e.status === HttpStatus.CONFLICT
          ? await this.signedBy(actor, id)
          : null;
      if (raced) return raced;
      throw e;
    }
    const r = (await this.store.report(this.store.manager, id))!;
    return { ...summary, report: this.receipt(r) };
  }

  /** The signed report of a consultation, when `actor` signed it and is still its assigned specialist (what a retried sign answers). */
  private async signedBy(
    actor: Actor,
    id: string,
  ): Promise<(ConsultationSummary & { report: SignedReportReceipt }) | null> {
    const c = await this.store.get(id);
    if (c.assignedSpecialistId !== actor.id || !['reported', 'closed'].includes(c.status))
      return null;
    const r = await this.store.signedReport(id);
    if (!r || r.authorId !== actor.id) return null;
    await this.assertAuthor(actor, id, 'read');
    await this.audit.record({
      action: 'consultation.report.sign_repeated',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { reportId: r.id },
    });
    return { ...this.consultations.summary(c), report: this.receipt(r) };
  }

  private receipt(r: Report): SignedReportReceipt {
    return {
      ...this.view(r),
      signature: r.signature ? r.signature.toString('base64') : null,
      algorithm: SIGNATURE_ALGORITHM,
    };
  }

  private signOnce(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.consultations.transition(actor, id, 'sign_report', async (c, m, now) => {
      const r = await this.store.report(m, id, { lock: true });
      if (!r)
        throw new DomainError(
          'report_missing',
          HttpStatus.CONFLICT,
          'write the report (PUT .../report) before signing it',
          { status: c.status },
        );
      const missing = [
        !r.findings.trim() && 'findings',
        !r.impression.trim() && 'impression',
        !r.recommendation && 'recommendation',
      ].filter(Boolean);
      if (r.recommendation === 'refer_to_named_hospital' && !r.referralOrganizationId)
        missing.push('referralOrganizationId');
      if (missing.length)
        throw new DomainError(
          'report_incomplete',
          HttpStatus.BAD_REQUEST,
          `the report needs ${missing.join(', ')} before it can be signed`,
          { missing },
        );
      const studies = r.studies.length ? r.studies : await this.store.attachedStudies(m, id);
      const key = await this.keys.current(m, actor.id);
      const signed: Report = {
        ...r,
        authorId: actor.id,
        studies,
        signedAt: now,
        signingKeyId: key.id,
      };
      const signature = this.keys.sign(
        key,
        signedReportBytes(this.content(signed, key.fingerprint)),
      );
      await this.store.markSigned(m, {
        reportId: r.id,
        authorId: actor.id,
        studies,
        at: now,
        signature,
        keyId: key.id,
      });
      return {
        patch: { reportedAt: now },
        details: {
          reportId: r.id,
          recommendation: r.recommendation,
          keyFingerprint: key.fingerprint,
        },
      };
    });
  }

  /** A signed correction to a signed report. */
  async addAddendum(actor: Actor, id: string, dto: AddendumDto) {
    await this.assertAuthor(actor, id, 'sign');
    const result = await this.store.transaction(async (m) => {
      const c = await this.store.lock(m, id);
      if (c.assignedSpecialistId !== actor.id || !['reported', 'closed'].includes(c.status)) {
        throw new DomainError(
          'illegal_transition',
          HttpStatus.CONFLICT,
          `an addendum amends a signed report; the consultation is ${c.status}`,
          { status: c.status },
        );
      }
      const main = await this.store.signedReport(id, m);
      if (!main)
        throw new DomainError(
          'report_missing',
          HttpStatus.CONFLICT,
          'there is no signed report to amend',
          { status: c.status },
        );
      const now = this.consultations.now();
      const key = await this.keys.current(m, actor.id);
      const row: Report = {
        id: randomUUID(),
        consultationId: id,
        kind: 'addendum',
        amendsReportId: main.id,
        patientId: main.patientId,
        authorId: actor.id,
        findings: '',
        impression: dto.impression ?? '',
        recommendation: null,
        referralOrganizationId: null,
        freeText: dto.text,
        studies: [],
        signedAt: now,
        signature: null,
        signingKeyId: key.id,
        createdAt: now,
        updatedAt: now,
      };
      row.signature = this.keys.sign(key, signedReportBytes(this.content(row, key.fingerprint)));
      await this.store.insertAddendum(m, row);
      await this.audit.record(
        {
          action: 'consultation.report.addendum',
          actor,
          resourceType: 'consultation',
          resourceId: id,
          details: { reportId: row.id, amends: main.id },
        },
        m,
      );
      return { c, row };
    });
    const people = await this.store.participants(id);
    const data = { consultationId: id, reportId: result.row.id };
    this.events.toUsers(
      people.map((p) => p.practitionerId),
      { type: 'consultation.report_amended', data },
    );
    this.events.toOrganizations([result.c.requestingOrganizationId], {
      type: 'consultation.report_amended',
      data,
    });
    return this.view(result.row);
  }

  /** The signed report with its addenda; the unsigned draft only to its author. */
  async get(actor: Actor, id: string) {
    const { c } = await this.consultations.access(actor, id, 'read');
    const rows = await this.store.reports(id);
    const main = rows.find(
      (r) =>
        r.kind === 'report' &&
        (r.signedAt || (r.authorId === actor.id && c.assignedSpecialistId === actor.id)),
    );
    if (!main)
      throw new DomainError(
        'report_not_found',
        HttpStatus.NOT_FOUND,
        'this consultation has no signed report yet',
        { status: c.status },
      );
    await this.audit.record({
      action: 'consultation.report.read',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { reportId: main.id },
    });
    return {
      ...this.view(main),
      addenda: rows.filter((r) => r.kind === 'addendum').map((r) => this.view(r)),
    };
  }

  /** Recomputes the canonical form from what is stored now and checks each signature with its signer's public key. */
  async verify(actor: Actor, id: string): Promise<SignatureCheck & { addenda: SignatureCheck[] }> {
    await this.consultations.access(actor, id, 'read');
    const checks = await this.checkAll(id);
    if (!checks.length || checks[0].kind !== 'report')
      throw new DomainError(
        'report_not_found',
        HttpStatus.NOT_FOUND,
        'this consultation has no signed report yet',
      );
    await this.audit.record({
      action: 'consultation.report.verify',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { valid: checks.every((x) => x.valid) },
    });
    return { ...checks[0], addenda: checks.slice(1) };
  }

  async pdf(actor: Actor, id: string): Promise<Buffer> {
    const { c } = await this.consultations.access(actor, id, 'read');
    const checks = await this.checkAll(id);
    if (!checks.length || checks[0].kind !== 'report')
      throw new DomainError(
        'report_not_found',
        HttpStatus.NOT_FOUND,
        'this consultation has no signed report yet',
      );
    const rows = await this.store.signedReports(id);
    const main = rows[0];
    const info = await this.store.printed(id, main.authorId, main.referralOrganizationId);
    const pdf = await renderReportPdf(
      {
        consultationId: id,
        requestingOrganization: info.requestingOrganization,
        readingOrganization: info.readingOrganization,
        patient: info.patient,
        specialty: SPECIALTIES[c.specialty as Specialty] ?? c.specialty,
        urgency: URGENCY_ZH[c.urgency],
        mode: MODE_ZH[c.mode],
        clinicalQuestion: c.clinicalQuestion,
        studies: main.studies,
        findings: main.findings,
        impression: main.impression,
        recommendation: main.recommendation,
        referralOrganization: info.referralOrganization,
        freeText: main.freeText,
        signer: {
          name: info.authorName,
          title: info.authorTitle ? TITLE_ZH[info.authorTitle as Title] : null,
        },
        signedAt: main.signedAt!,
        fingerprint: checks[0].publicKeyFingerprint,
        signatureValid: checks[0].valid,
        addenda: rows.slice(1).map((a, i) => ({
          text: a.freeText,
          impression: a.impression,
          signer: checks[i + 1]?.signer.displayName ?? '',
          signedAt: a.signedAt!,
          valid: checks[i + 1]?.valid ?? false,
        })),
      },
      { data: await this.fontData(), face: this.config.consultations.reportFontFace },
    );
    await this.audit.record({
      action: 'consultation.report.pdf',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { reportId: main.id },
    });
    return pdf;
  }

  /** For referrals: the signed report a referral rests on, with its author's organization (no access check: the caller checks). */
  signedReport(consultationId: string) {
    return this.store.signedReportWithAuthorOrganization(consultationId);
  }

  private async checkAll(id: string): Promise<SignatureCheck[]> {
    const rows = await this.store.signedWithKeys(id);
    return rows.map((r) => ({
      reportId: r.id,
      kind: r.kind,
      // The key must be the author's own: a report re-attributed to someone else fails the check.
      valid:
        r.keyOwnerId === r.authorId &&
        SigningKeys.verify(
          r.publicKey,
          signedReportBytes(this.content(r, r.fingerprint)),
          r.signature!,
        ),
      signer: { id: r.authorId, displayName: r.authorName, organizationId: r.authorOrganizationId },
      signedAt: r.signedAt!,
      algorithm: SIGNATURE_ALGORITHM,
      publicKeyFingerprint: r.fingerprint,
    }));
  }

  private content(r: Report, fingerprint: string): SignedReportContent {
    return {
      v: 1,
      kind: r.kind,
      reportId: r.id,
      amendsReportId: r.amendsReportId,
      consultationId: r.consultationId,
      patientId: r.patientId,
      author: { id: r.authorId, signingKeyFingerprint: fingerprint },
      signedAt: r.signedAt!.toISOString(),
      content: {
        findings: r.findings,
        impression: r.impression,
        recommendation: r.recommendation,
        referralOrganizationId: r.referralOrganizationId,
        freeText: r.freeText,
      },
      studies: r.studies,
    };
  }

  private async assertAuthor(actor: Actor, id: string, action: 'report' | 'sign' | 'read') {
    const c = await this.store.get(id);
    await this.policy.assert(actor, action, {
      ...this.consultations.ref(c, []),
      participantIds: c.assignedSpecialistId ? [c.assignedSpecialistId] : [],
    });
  }

  private async checkHospital(orgId: string) {
    const o = await this.directory.organization(orgId).catch((e: unknown): Organization | null => {
      if (e instanceof DomainError && e.code === 'organization_not_found') return null;
      throw e;
    });
    if (!o?.active || !HOSPITAL_LEVELS.includes(o.level))
      throw new DomainError(
        'not_a_hospital',
        HttpStatus.BAD_REQUEST,
        'referralOrganizationId must be an active county, city or province hospital',
      );
  }

  private async checkStudies(m: EntityManager, id: string, studies: string[]) {
    const attached = new Set(await this.store.attachedStudies(m, id));
    const foreign = studies.filter((s) => !attached.has(s));
    if (foreign.length)
      throw new DomainError(
        'study_not_attached',
        HttpStatus.BAD_REQUEST,
        'studies read must be studies attached to the consultation',
        { studies: foreign },
      );
  }

  private fontData(): Promise<Buffer> {
    this.font ??= readFile(this.config.consultations.reportFontPath).catch((e) => {
      this.font = null;
      throw new DomainError(
        'report_font_missing',
        HttpStatus.SERVICE_UNAVAILABLE,
        `the report font ${this.config.consultations.reportFontPath} cannot be read (install fonts-noto-cjk): ${e.message}`,
      );
    });
    return this.font;
  }

  private view(r: Report) {
    return {
      id: r.id,
      consultationId: r.consultationId,
      kind: r.kind,
      amendsReportId: r.amendsReportId,
      authorId: r.authorId,
      findings: r.findings,
      impression: r.impression,
      recommendation: r.recommendation,
      referralOrganizationId: r.referralOrganizationId,
      freeText: r.freeText,
      studies: r.studies,
      signed: !!r.signedAt,
      signedAt: r.signedAt,
      createdAt: r.createdAt,
    };
  }
}
