import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { DataSource, type EntityManager } from 'typeorm';
import { AccessPolicyService } from '@huizhen/access-policy';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { SPECIALTIES, TITLE_ZH, type Specialty, type Title } from '@huizhen/directory';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { MODE_ZH, URGENCY_ZH, type Recommendation } from './consultation-terms';
import type { AddendumDto, ReportDraftDto } from './consultation.dto';
import { ConsultationsService, type ConsultationRow, type ConsultationSummary } from './consultations.service';
import { renderReportPdf } from './report-pdf';
import { SIGNATURE_ALGORITHM, SigningKeys, signedReportBytes, type SignedReportContent } from './report-signing';

export interface ReportRow {
  id: string;
  consultation_id: string;
  kind: 'report' | 'addendum';
  amends_report_id: string | null;
  patient_id: string;
  author_id: string;
  findings: string;
  impression: string;
  recommendation: Recommendation | null;
  referral_organization_id: string | null;
  free_text: string;
  studies: string[];
  signed_at: Date | null;
  signature: Buffer | null;
  signing_key_id: string | null;
  created_at: Date;
  updated_at: Date;
}

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
export type SignedReportReceipt = ReturnType<ConsultationReportService['view']> & { signature: string | null; algorithm: string };

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
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly consultations: ConsultationsService,
    private readonly policy: AccessPolicyService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
  ) {
    this.keys = new SigningKeys(config.dataEncryptionKey);
  }

  async saveDraft(actor: Actor, id: string, dto: ReportDraftDto) {
    await this.assertAuthor(actor, id, 'report');
    if (dto.referralOrganizationId) await this.checkHospital(dto.referralOrganizationId);
    return this.db.transaction(async (m) => {
      const c = await this.consultations.lock(m, id);
      if (c.assigned_specialist_id !== actor.id || !['claimed', 'scheduled', 'in_session'].includes(c.status)) {
        throw new DomainError('illegal_transition', HttpStatus.CONFLICT, `a report is written while the consultation is claimed or in session; it is ${c.status}`, { status: c.status });
      }
      if (dto.studies) await this.checkStudies(m, id, dto.studies);
      const [existing]: ReportRow[] = await m.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report'`, [id]);
      if (existing?.signed_at) throw new DomainError('report_signed', HttpStatus.CONFLICT, 'the report is signed; add an addendum instead', { status: c.status });
      const v = {
        findings: dto.findings ?? existing?.findings ?? '',
        impression: dto.impression ?? existing?.impression ?? '',
        recommendation: dto.recommendation ?? existing?.recommendation ?? null,
        referral_organization_id: dto.referralOrganizationId ?? existing?.referral_organization_id ?? null,
        free_text: dto.freeText ?? existing?.free_text ?? '',
        studies: dto.studies ?? existing?.studies ?? [],
      };
      const now = this.consultations.now();
      const [row]: ReportRow[] = existing
        ? (
            await m.query(
              `UPDATE consultation_report SET findings=$2, impression=$3, recommendation=$4, referral_organization_id=$5, free_text=$6, studies=$7, author_id=$8, updated_at=$9
                WHERE id = $1 RETURNING *`,
              [existing.id, v.findings, v.impression, v.recommendation, v.referral_organization_id, v.free_text, v.studies, actor.id, now],
            )
          )[0]
        : await m.query(
            `INSERT INTO consultation_report (consultation_id, kind, patient_id, author_id, findings, impression, recommendation, referral_organization_id, free_text, studies, created_at, updated_at)
             VALUES ($1,'report',$2,$3,$4,$5,$6,$7,$8,$9,$10,$10) RETURNING *`,
            [id, c.patient_id, actor.id, v.findings, v.impression, v.recommendation, v.referral_organization_id, v.free_text, v.studies, now],
          );
      await this.audit.record({ action: 'consultation.report.draft', actor, resourceType: 'consultation', resourceId: id, details: { reportId: row.id } }, m);
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
  async sign(actor: Actor, id: string): Promise<ConsultationSummary & { report: SignedReportReceipt }> {
    const before = await this.signedBy(actor, id);
    if (before) return before;
    let summary: ConsultationSummary;
    try {
      summary = await this.signOnce(actor, id);
    } catch (e) {
      // A concurrent first call committed while this one waited for the row lock.
      const raced = e instanceof DomainError && e.status === HttpStatus.CONFLICT ? await this.signedBy(actor, id) : null;
      if (raced) return raced;
      throw e;
    }
    const [r]: ReportRow[] = await this.db.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report'`, [id]);
    return { ...summary, report: this.receipt(r) };
  }

  /** The signed report of a consultation, when `actor` signed it and is still its assigned specialist (what a retried sign answers). */
  private async signedBy(actor: Actor, id: string): Promise<(ConsultationSummary & { report: SignedReportReceipt }) | null> {
    const c: ConsultationRow = await this.consultations.load(id);
    if (c.assigned_specialist_id !== actor.id || !['reported', 'closed'].includes(c.status)) return null;
    const [r]: ReportRow[] = await this.db.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' AND signed_at IS NOT NULL`, [id]);
    if (!r || r.author_id !== actor.id) return null;
    await this.assertAuthor(actor, id, 'read');
    await this.audit.record({ action: 'consultation.report.sign_repeated', actor, resourceType: 'consultation', resourceId: id, details: { reportId: r.id } });
    return { ...this.consultations.summary(c), report: this.receipt(r) };
  }

  private receipt(r: ReportRow): SignedReportReceipt {
    return { ...this.view(r), signature: r.signature ? r.signature.toString('base64') : null, algorithm: SIGNATURE_ALGORITHM };
  }

  private signOnce(actor: Actor, id: string): Promise<ConsultationSummary> {
    return this.consultations.transition(actor, id, 'sign_report', async (c, m, now) => {
      const [r]: ReportRow[] = await m.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' FOR UPDATE`, [id]);
      if (!r) throw new DomainError('report_missing', HttpStatus.CONFLICT, 'write the report (PUT .../report) before signing it', { status: c.status });
      const missing = [!r.findings.trim() && 'findings', !r.impression.trim() && 'impression', !r.recommendation && 'recommendation'].filter(Boolean);
      if (r.recommendation === 'refer_to_named_hospital' && !r.referral_organization_id) missing.push('referralOrganizationId');
      if (missing.length) throw new DomainError('report_incomplete', HttpStatus.BAD_REQUEST, `the report needs ${missing.join(', ')} before it can be signed`, { missing });
      const studies = r.studies.length ? r.studies : await this.attachedStudies(m, id);
      const key = await this.keys.current(m, actor.id);
      const signed: ReportRow = { ...r, author_id: actor.id, studies, signed_at: now, signing_key_id: key.id };
      const signature = this.keys.sign(key, signedReportBytes(this.content(signed, key.fingerprint)));
      await m.query(
        `UPDATE consultation_report SET author_id = $2, studies = $3, signed_at = $4, signature = $5, signing_key_id = $6, updated_at = $4 WHERE id = $1`,
        [r.id, actor.id, studies, now, signature, key.id],
      );
      return { patch: { reported_at: now }, details: { reportId: r.id, recommendation: r.recommendation, keyFingerprint: key.fingerprint } };
    });
  }

  /** A signed correction to a signed report. */
  async addAddendum(actor: Actor, id: string, dto: AddendumDto) {
    await this.assertAuthor(actor, id, 'sign');
    const result = await this.db.transaction(async (m) => {
      const c = await this.consultations.lock(m, id);
      if (c.assigned_specialist_id !== actor.id || !['reported', 'closed'].includes(c.status)) {
        throw new DomainError('illegal_transition', HttpStatus.CONFLICT, `an addendum amends a signed report; the consultation is ${c.status}`, { status: c.status });
      }
      const [main]: ReportRow[] = await m.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND kind = 'report' AND signed_at IS NOT NULL`, [id]);
      if (!main) throw new DomainError('report_missing', HttpStatus.CONFLICT, 'there is no signed report to amend', { status: c.status });
      const now = this.consultations.now();
      const key = await this.keys.current(m, actor.id);
      const row: ReportRow = {
        id: randomUUID(),
        consultation_id: id,
        kind: 'addendum',
        amends_report_id: main.id,
        patient_id: main.patient_id,
        author_id: actor.id,
        findings: '',
        impression: dto.impression ?? '',
        recommendation: null,
        referral_organization_id: null,
        free_text: dto.text,
        studies: [],
        signed_at: now,
        signature: null,
        signing_key_id: key.id,
        created_at: now,
        updated_at: now,
      };
      row.signature = this.keys.sign(key, signedReportBytes(this.content(row, key.fingerprint)));
      await m.query(
        `INSERT INTO consultation_report (id, consultation_id, kind, amends_report_id, patient_id, author_id, findings, impression, free_text, studies, signed_at, signature, signing_key_id, created_at, updated_at)
         VALUES ($1,$2,'addendum',$3,$4,$5,'',$6,$7,'{}',$8,$9,$10,$8,$8)`,
        [row.id, id, main.id, main.patient_id, actor.id, row.impression, row.free_text, now, row.signature, key.id],
      );
      await this.audit.record({ action: 'consultation.report.addendum', actor, resourceType: 'consultation', resourceId: id, details: { reportId: row.id, amends: main.id } }, m);
      return { c, row };
    });
    const people = await this.consultations.participants(id);
    const data = { consultationId: id, reportId: result.row.id };
    this.events.toUsers(people.map((p) => p.practitionerId), { type: 'consultation.report_amended', data });
    this.events.toOrganizations([result.c.requesting_organization_id], { type: 'consultation.report_amended', data });
    return this.view(result.row);
  }

  /** The signed report with its addenda; the unsigned draft only to its author. */
  async get(actor: Actor, id: string) {
    const { c } = await this.consultations.access(actor, id, 'read');
    const rows: ReportRow[] = await this.db.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 ORDER BY kind DESC, created_at`, [id]);
    const main = rows.find((r) => r.kind === 'report' && (r.signed_at || (r.author_id === actor.id && c.assigned_specialist_id === actor.id)));
    if (!main) throw new DomainError('report_not_found', HttpStatus.NOT_FOUND, 'this consultation has no signed report yet', { status: c.status });
    await this.audit.record({ action: 'consultation.report.read', actor, resourceType: 'consultation', resourceId: id, details: { reportId: main.id } });
    return { ...this.view(main), addenda: rows.filter((r) => r.kind === 'addendum').map((r) => this.view(r)) };
  }

  /** Recomputes the canonical form from what is stored now and checks each signature with its signer's public key. */
  async verify(actor: Actor, id: string): Promise<SignatureCheck & { addenda: SignatureCheck[] }> {
    await this.consultations.access(actor, id, 'read');
    const checks = await this.checkAll(id);
    if (!checks.length || checks[0].kind !== 'report') throw new DomainError('report_not_found', HttpStatus.NOT_FOUND, 'this consultation has no signed report yet');
    await this.audit.record({ action: 'consultation.report.verify', actor, resourceType: 'consultation', resourceId: id, details: { valid: checks.every((x) => x.valid) } });
    return { ...checks[0], addenda: checks.slice(1) };
  }

  async pdf(actor: Actor, id: string): Promise<Buffer> {
    const { c } = await this.consultations.access(actor, id, 'read');
    const checks = await this.checkAll(id);
    if (!checks.length || checks[0].kind !== 'report') throw new DomainError('report_not_found', HttpStatus.NOT_FOUND, 'this consultation has no signed report yet');
    const rows: ReportRow[] = await this.db.query(`SELECT * FROM consultation_report WHERE consultation_id = $1 AND signed_at IS NOT NULL ORDER BY kind DESC, signed_at`, [id]);
    const main = rows[0];
    const [info] = await this.db.query(
      `SELECT p.name, p.sex, to_char(p.birth_date, 'YYYY-MM-DD') AS birth_date, ro.name AS requesting, ao.name AS reading,
              au.display_name AS author_name, au.title AS author_title, rf.name AS referral_org
         FROM consultation_request c JOIN patient p ON p.id = c.patient_id
         JOIN organization ro ON ro.id = c.requesting_organization_id
         JOIN practitioner au ON au.id = $2 JOIN organization ao ON ao.id = au.organization_id
         LEFT JOIN organization rf ON rf.id = $3
        WHERE c.id = $1`,
      [id, main.author_id, main.referral_organization_id],
    );
    const pdf = await renderReportPdf(
      {
        consultationId: id,
        requestingOrganization: info.requesting,
        readingOrganization: info.reading,
        patient: { name: info.name, sex: info.sex, birthDate: info.birth_date },
        specialty: SPECIALTIES[c.specialty as Specialty] ?? c.specialty,
        urgency: URGENCY_ZH[c.urgency],
        mode: MODE_ZH[c.mode],
        clinicalQuestion: c.clinical_question,
        studies: main.studies,
        findings: main.findings,
        impression: main.impression,
        recommendation: main.recommendation,
        referralOrganization: info.referral_org,
        freeText: main.free_text,
        signer: { name: info.author_name, title: info.author_title ? TITLE_ZH[info.author_title as Title] : null },
        signedAt: main.signed_at!,
        fingerprint: checks[0].publicKeyFingerprint,
        signatureValid: checks[0].valid,
        addenda: rows.slice(1).map((a, i) => ({
          text: a.free_text,
          impression: a.impression,
          signer: checks[i + 1]?.signer.displayName ?? '',
          signedAt: a.signed_at!,
          valid: checks[i + 1]?.valid ?? false,
        })),
      },
      { data: await this.fontData(), face: this.config.consultations.reportFontFace },
    );
    await this.audit.record({ action: 'consultation.report.pdf', actor, resourceType: 'consultation', resourceId: id, details: { reportId: main.id } });
    return pdf;
  }

  /** For referrals: the signed report a referral rests on (no access check: the caller checks). */
  async signedReport(consultationId: string): Promise<(ReportRow & { author_organization_id: string }) | null> {
    const [row] = await this.db.query(
      `SELECT r.*, p.organization_id AS author_organization_id FROM consultation_report r JOIN practitioner p ON p.id = r.author_id
        WHERE r.consultation_id = $1 AND r.kind = 'report' AND r.signed_at IS NOT NULL`,
      [consultationId],
    );
    return row ?? null;
  }

  private async checkAll(id: string): Promise<SignatureCheck[]> {
    const rows: (ReportRow & { public_key: Buffer; fingerprint: string; key_owner: string; display_name: string; organization_id: string })[] = await this.db.query(
      `SELECT r.*, k.public_key, k.fingerprint, k.practitioner_id AS key_owner, p.display_name, p.organization_id
         FROM consultation_report r JOIN practitioner_signing_key k ON k.id = r.signing_key_id JOIN practitioner p ON p.id = r.author_id
        WHERE r.consultation_id = $1 AND r.signed_at IS NOT NULL ORDER BY r.kind DESC, r.signed_at`,
      [id],
    );
    return rows.map((r) => ({
      reportId: r.id,
      kind: r.kind,
      // The key must be the author's own: a report re-attributed to someone else fails the check.
      valid: r.key_owner === r.author_id && SigningKeys.verify(r.public_key, signedReportBytes(this.content(r, r.fingerprint)), r.signature!),
      signer: { id: r.author_id, displayName: r.display_name, organizationId: r.organization_id },
      signedAt: r.signed_at!,
      algorithm: SIGNATURE_ALGORITHM,
      publicKeyFingerprint: r.fingerprint,
    }));
  }

  private content(r: ReportRow, fingerprint: string): SignedReportContent {
    return {
      v: 1,
      kind: r.kind,
      reportId: r.id,
      amendsReportId: r.amends_report_id,
      consultationId: r.consultation_id,
      patientId: r.patient_id,
      author: { id: r.author_id, signingKeyFingerprint: fingerprint },
      signedAt: r.signed_at!.toISOString(),
      content: { findings: r.findings, impression: r.impression, recommendation: r.recommendation, referralOrganizationId: r.referral_organization_id, freeText: r.free_text },
      studies: r.studies,
    };
  }

  private async assertAuthor(actor: Actor, id: string, action: 'report' | 'sign' | 'read') {
    const c: ConsultationRow = await this.consultations.load(id);
    await this.policy.assert(actor, action, { ...this.consultations.ref(c, []), participantIds: c.assigned_specialist_id ? [c.assigned_specialist_id] : [] });
  }

  private async checkHospital(orgId: string) {
    const [o] = await this.db.query(`SELECT level FROM organization WHERE id = $1 AND active`, [orgId]);
    if (!o || !HOSPITAL_LEVELS.includes(o.level)) throw new DomainError('not_a_hospital', HttpStatus.BAD_REQUEST, 'referralOrganizationId must be an active county, city or province hospital');
  }

  private async attachedStudies(m: EntityManager, id: string): Promise<string[]> {
    const rows: { uid: string }[] = await m.query(`SELECT study_instance_uid AS uid FROM consultation_attachment WHERE consultation_id = $1 AND study_instance_uid IS NOT NULL ORDER BY uid`, [id]);
    return rows.map((r) => r.uid);
  }

  private async checkStudies(m: EntityManager, id: string, studies: string[]) {
    const attached = new Set(await this.attachedStudies(m, id));
    const foreign = studies.filter((s) => !attached.has(s));
    if (foreign.length) throw new DomainError('study_not_attached', HttpStatus.BAD_REQUEST, 'studies read must be studies attached to the consultation', { studies: foreign });
  }

  private fontData(): Promise<Buffer> {
    this.font ??= readFile(this.config.consultations.reportFontPath).catch((e) => {
      this.font = null;
      throw new DomainError('report_font_missing', HttpStatus.SERVICE_UNAVAILABLE, `the report font ${this.config.consultations.reportFontPath} cannot be read (install fonts-noto-cjk): ${e.message}`);
    });
    return this.font;
  }

  private view(r: ReportRow) {
    return {
      id: r.id,
      consultationId: r.consultation_id,
      kind: r.kind,
      amendsReportId: r.amends_report_id,
      authorId: r.author_id,
      findings: r.findings,
      impression: r.impression,
      recommendation: r.recommendation,
      referralOrganizationId: r.referral_organization_id,
      freeText: r.free_text,
      studies: r.studies,
      signed: !!r.signed_at,
      signedAt: r.signed_at,
      createdAt: r.created_at,
    };
  }
}
