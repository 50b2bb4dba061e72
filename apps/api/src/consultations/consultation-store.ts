import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { CallEvent } from '@huizhen/call-events';
import { sql, type Db } from '@huizhen/database';
import { DomainError } from '@huizhen/platform-http';
import {
  CALLS,
  CHANGE_COLUMNS,
  CONSULTATION,
  FIGURES,
  KEYS,
  Q,
  toConsultation,
  toWorklistItem,
  WORKLIST,
} from './consultation-sql';
import type { RequestedExam } from '@huizhen/contract';
import type {
  Attachment,
  Consultation,
  ConsultationChange,
  InstitutionFigures,
  Message,
  MessageFile,
  NewConsultation,
  Participant,
  PresentInCall,
  ReadReceipt,
  Report,
  ReportContent,
  SignedWithKey,
  SigningKey,
  StatusChange,
  StatusWrite,
  StoredCallEvent,
  StoredFile,
  WorklistFilter,
  WorklistItem,
} from './consultation-model';
import type { ParticipantRole } from './consultation-terms';

export * from './consultation-model';

/**
 * The consultations feature's tables (consultation_request, its status history, participants,
 * thread and read receipts, attachments, reports and signing keys, the call record): the only
 * class that issues SQL on them. It answers with domain objects (consultation-model.ts); the
 * statements and their rows are in consultation-sql.ts. Methods that take `m` run in the
 * caller's transaction (the embedded database has a single connection: nothing else while a
 * lock is held); the others read on their own.
 */
@Injectable()
export class ConsultationStore {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /** Runs `work` in one transaction; its store calls take the `m` it is given. */
  transaction<T>(work: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The manager outside any transaction (for the access-policy helpers that read the same tables). */
  get manager(): EntityManager {
    return this.db.manager;
  }

  // ---- requests -----------------------------------------------------------------------------

  find(id: string, m: Db = this.db.manager): Promise<Consultation | null> {
    return Q.byId.first(m, [id]);
  }

  /** The request, or 404. */
  async get(id: string, m: Db = this.db.manager): Promise<Consultation> {
    return orNotFound(id, await Q.byId.first(m, [id]));
  }

  /** The request locked for the rest of the transaction `m`, or 404. */
  async lock(m: EntityManager, id: string): Promise<Consultation> {
    return orNotFound(id, await Q.lock.first(m, [id]));
  }

  /** A new draft with its requester, the studies it names and the history's first row. */
  async insertDraft(m: EntityManager, d: NewConsultation, at: Date): Promise<Consultation> {
    const c = (await Q.insert.first(m, [
      d.requestingOrganizationId,
      d.requesterId,
      d.patientId,
      d.specialty,
      d.urgency,
      d.mode,
      d.clinicalQuestion,
      d.history,
      d.preferredPractitionerId,
      d.preferredOrganizationId,
      at,
    ]))!;
    await Q.addRequester.run(m, [c.id, d.requesterId]);
    for (const uid of d.studyInstanceUids)
      await Q.attachAtCreate.run(m, [c.id, uid, d.requesterId]);
    // The accession number comes from the table's sequence: unique across nodes.
    if (d.requestedExam)
      await Q.requestExam.run(m, [c.id, d.requestedExam.modality, d.requestedExam.procedure]);
    await Q.created.run(m, [c.id, d.requesterId, at]);
    return c;
  }

  /**
   * The only write of a request's status: the new status, what the transition changes, the
   * time, and the history row (`happened`: when it happened, the history's time).
   */
  async changeStatus(m: EntityManager, c: Consultation, w: StatusWrite): Promise<Consultation> {
    const set: [string, unknown][] = [
      ...(Object.keys(w.change) as (keyof ConsultationChange)[]).map((k): [string, unknown] => [
        CHANGE_COLUMNS[k],
        w.change[k],
      ]),
      ['status', w.to],
      ['updated_at', w.at],
    ];
    const update = sql(
      CONSULTATION,
      `UPDATE consultation_request SET ${set.map(([col], i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
    ).map(toConsultation);
    const [after] = await update.all(m, [c.id, ...set.map(([, v]) => v)]);
    await Q.changed.run(m, [
      c.id,
      w.transition,
      c.status,
      w.to,
      w.actorId,
      w.reason,
      JSON.stringify(w.details),
      w.happened,
    ]);
    return after;
  }

  /** Submitted requests past their deadline, locked; rows another node holds are skipped. */
  dueForDeadline(m: EntityManager, now: Date, limit: number): Promise<Consultation[]> {
    return Q.due.all(m, [now, limit]);
  }

  /** What scheduling needs to know before booking for a request; null when there is none. */
  bookingFacts(id: string) {
    return Q.bookingFacts.first(this.db.manager, [id]);
  }

  /** Live requests still needing a time (submitted or claimed), per requesting organization and specialty. */
  waitingForSlot(organizationIds: string[]) {
    return Q.waiting.all(this.db.manager, [organizationIds]);
  }

  /** Names the detail shows beside the request: patient, requesting organization, requester. */
  async header(id: string) {
    return (await Q.header.first(this.db.manager, [id]))!;
  }

  history(id: string): Promise<StatusChange[]> {
    return Q.history.all(this.db.manager, [id]);
  }

  // ---- participants -------------------------------------------------------------------------

  /** Active participants, in the order they joined. */
  participants(id: string, m: Db = this.db.manager): Promise<Participant[]> {
    return Q.participants.all(m, [id]);
  }

  /** Active participants with their names and organizations (the detail). */
  participantsNamed(id: string) {
    return Q.people.all(this.db.manager, [id]);
  }

  /** Makes a practitioner the assigned specialist (again active if they had left). */
  async assignSpecialist(m: EntityManager, id: string, practitionerId: string): Promise<void> {
    await Q.assign.run(m, [id, practitionerId]);
  }

  async withdrawParticipant(
    m: EntityManager,
    id: string,
    practitionerId: string | null,
  ): Promise<void> {
    await Q.withdraw.run(m, [id, practitionerId]);
  }

  /** A practitioner's place in the request, locked, or null. */
  async lockParticipant(m: EntityManager, id: string, practitionerId: string) {
    return Q.lockParticipant.first(m, [id, practitionerId]);
  }

  async invite(
    m: EntityManager,
    id: string,
    practitionerId: string,
    role: ParticipantRole,
  ): Promise<void> {
    await Q.invite.run(m, [id, practitionerId, role]);
  }

  /** The exam the request asks of its own centre's modality (with its accession number), or null. */
  async requestedExam(id: string, m: Db = this.db.manager): Promise<RequestedExam | null> {
    return (await Q.requestedExam.first(m, [id])) ?? null;
  }

  // ---- attachments --------------------------------------------------------------------------

  attachments(id: string, m: Db = this.db.manager): Promise<Attachment[]> {
    return Q.attachments.all(m, [id]);
  }

  /** Attaches a study once; null when it already was. */
  attachStudy(m: EntityManager, id: string, studyInstanceUid: string, addedBy: string) {
    return Q.attachStudy.first(m, [id, studyInstanceUid, addedBy]);
  }

  async addFile(
    m: EntityManager,
    f: {
      id: string;
      consultationId: string;
      kind: 'document' | 'photo';
      fileRef: string;
      fileName: string;
      mediaType: string;
      sizeBytes: number;
      sha256: string;
      addedBy: string;
    },
  ) {
    return (await Q.addFile.first(m, [
      f.id,
      f.consultationId,
      f.kind,
      f.fileRef,
      f.fileName,
      f.mediaType,
      f.sizeBytes,
      f.sha256,
      f.addedBy,
    ]))!;
  }

  /** An uploaded file of the request; null when there is none with that id. */
  file(id: string, attachmentId: string): Promise<StoredFile | null> {
    return Q.file.first(this.db.manager, [attachmentId, id]);
  }

  /** UIDs of the studies attached, sorted. */
  attachedStudies(m: Db, id: string): Promise<string[]> {
    return Q.studies.all(m, [id]);
  }

  // ---- thread -------------------------------------------------------------------------------

  messages(id: string, after: number, limit: number): Promise<Message[]> {
    return Q.messages.all(this.db.manager, [id, after, limit]);
  }

  filesOfMessages(messageIds: string[]): Promise<MessageFile[]> {
    return Q.messageFiles.all(this.db.manager, [messageIds]);
  }

  receipts(id: string): Promise<ReadReceipt[]> {
    return Q.receipts.all(this.db.manager, [id]);
  }

  async addMessage(m: EntityManager, id: string, authorId: string, body: string, at: Date) {
    return (await Q.addMessage.first(m, [id, authorId, body, at]))!;
  }

  /** Sends files the author uploaded to this request and has not sent yet with a message; how many were. */
  async sendFiles(
    m: EntityManager,
    messageId: string,
    attachmentIds: string[],
    id: string,
    authorId: string,
  ): Promise<number> {
    return Q.sendFiles.run(m, [messageId, attachmentIds, id, authorId]);
  }

  async hasMessage(id: string, messageId: number): Promise<boolean> {
    return (await Q.messageIn.first(this.db.manager, [messageId, id])) !== null;
  }

  /** Moves a reader's mark forward, never back. */
  async readUpTo(
    id: string,
    practitionerId: string,
    messageId: string | number,
    m: Db = this.db.manager,
  ): Promise<ReadReceipt> {
    return (await Q.readUpTo.first(m, [id, practitionerId, messageId]))!;
  }

  // ---- reports ------------------------------------------------------------------------------

  /** The report (not an addendum), signed or not; `lock` holds it for the transaction. */
  report(m: Db, id: string, opts: { lock?: boolean } = {}): Promise<Report | null> {
    return (opts.lock ? Q.lockReport : Q.report).first(m, [id]);
  }

  signedReport(id: string, m: Db = this.db.manager): Promise<Report | null> {
    return Q.signedReport.first(m, [id]);
  }

  /** The signed report with its author's organization (referrals start from it). */
  signedReportWithAuthorOrganization(id: string) {
    return Q.reportOfAuthorOrganization.first(this.db.manager, [id]);
  }

  /** The report, then its addenda, oldest first. */
  reports(id: string): Promise<Report[]> {
    return Q.reports.all(this.db.manager, [id]);
  }

  /** Signed ones only, the report first. */
  signedReports(id: string): Promise<Report[]> {
    return Q.signedReports.all(this.db.manager, [id]);
  }

  /** Signed ones with the key they were signed with, the report first. */
  signedWithKeys(id: string): Promise<SignedWithKey[]> {
    return Q.signedWithKeys.all(this.db.manager, [id]);
  }

  /** Writes the draft: updates `existing`, or inserts the consultation's report. */
  async saveDraft(
    m: EntityManager,
    d: {
      consultationId: string;
      existing: Report | null;
      patientId: string;
      authorId: string;
      content: ReportContent;
      at: Date;
    },
  ): Promise<Report> {
    const v = d.content;
    const content = [
      v.findings,
      v.impression,
      v.recommendation,
      v.referralOrganizationId,
      v.freeText,
      v.studies,
    ] as const;
    return (
      d.existing
        ? await Q.updateDraft.first(m, [d.existing.id, ...content, d.authorId, d.at])
        : await Q.insertDraft.first(m, [
            d.consultationId,
            d.patientId,
            d.authorId,
            ...content,
            d.at,
          ])
    )!;
  }

  /** The report as signed: its signer, the studies read, when, the signature and the key. */
  async markSigned(
    m: EntityManager,
    s: {
      reportId: string;
      authorId: string;
      studies: string[];
      at: Date;
      signature: Buffer;
      keyId: string;
    },
  ): Promise<void> {
    await Q.sign.run(m, [s.reportId, s.authorId, s.studies, s.at, s.signature, s.keyId]);
  }

  async insertAddendum(m: EntityManager, a: Report): Promise<void> {
    await Q.addendum.run(m, [
      a.id,
      a.consultationId,
      a.amendsReportId!,
      a.patientId,
      a.authorId,
      a.impression,
      a.freeText,
      a.signedAt!,
      a.signature!,
      a.signingKeyId!,
    ]);
  }

  /** Names the printed report shows. */
  async printed(id: string, authorId: string, referralOrganizationId: string | null) {
    return (await Q.printed.first(this.db.manager, [id, authorId, referralOrganizationId]))!;
  }

  // ---- signing keys -------------------------------------------------------------------------

  /** The practitioner's current signing key, or null. */
  signingKey(m: Db, practitionerId: string): Promise<SigningKey | null> {
    return KEYS.current.first(m, [practitionerId]);
  }

  /** A first key for the practitioner; nothing when a current one exists (a racing signer made it). */
  async addSigningKey(
    m: EntityManager,
    k: Omit<SigningKey, 'id'> & { algorithm: string },
  ): Promise<void> {
    await KEYS.add.run(m, [
      k.practitionerId,
      k.algorithm,
      k.publicKey,
      k.privateKeyCipher,
      k.fingerprint,
    ]);
  }

  // ---- the video record -------------------------------------------------------------------

  /** Who is still in a call that had an event after `since`. */
  presentInCalls(since: Date): Promise<PresentInCall[]> {
    return CALLS.present.all(this.db.manager, [since]);
  }

  /**
   * Stores call events once each (of consultations and practitioners that exist), in the order
   * given; per consultation it added to: how many, its requesting organization, its people.
   */
  recordCallEvents(events: CallEvent[]) {
    return CALLS.record.all(this.db.manager, [JSON.stringify(events)]);
  }

  /** Every event of the consultations of these organizations that had a call start in [from, to), per consultation in order. */
  callEventsOfOrganizations(organizationIds: string[], from: Date, to: Date) {
    return CALLS.ofOrganizations.all(this.db.manager, [organizationIds, from, to]);
  }

  /** A consultation's call events, in order, with the names of who they are about. */
  callEvents(consultationId: string): Promise<StoredCallEvent[]> {
    return CALLS.of.all(this.db.manager, [consultationId]);
  }

  // ---- read models --------------------------------------------------------------------------

  /** One worklist page (limit + 1 rows: the caller learns whether there is more). */
  worklistPage(f: WorklistFilter): Promise<(WorklistItem & { sortKey: string })[]> {
    const { add } = f.params;
    const sortCol = f.byDeadline ? 'c.deadline_at' : 'c.created_at';
    const where = [...f.where];
    if (f.after)
      where.push(
        `(${sortCol}, c.id) ${f.byDeadline ? '>' : '<'} (${add(f.after[0])}::timestamptz, ${add(f.after[1])}::uuid)`,
      );
    const dir = f.byDeadline ? 'ASC' : 'DESC';
    return sql(
      WORKLIST,
      `SELECT c.id, c.status, c.urgency, c.mode, c.specialty, c.patient_id, p.name AS patient_name, p.sex AS patient_sex,
              to_char(p.birth_date, 'YYYY-MM-DD') AS patient_birth_date, c.requesting_organization_id, ro.name AS requesting_organization_name,
              c.requester_id, c.assigned_specialist_id, ap.display_name AS assigned_specialist_name, c.assigned_organization_id,
              c.routed_level, c.deadline_at, c.escalation_count, c.submitted_at, c.claimed_at, c.reported_at, c.created_at,
              ${sortCol}::text AS sort_key
         FROM consultation_request c
         JOIN patient p ON p.id = c.patient_id
         JOIN organization ro ON ro.id = c.requesting_organization_id
         LEFT JOIN practitioner ap ON ap.id = c.assigned_specialist_id
        WHERE ${where.join(' AND ')}
        ORDER BY ${sortCol} ${dir}, c.id ${dir}
        LIMIT ${add(f.limit + 1)}`,
    )
      .map(toWorklistItem)
      .all(this.db.manager, f.params.values);
  }

  institutionFigures(
    organizationIds: string[],
    from: Date,
    to: Date,
  ): Promise<InstitutionFigures[]> {
    return FIGURES.all(this.db.manager, [organizationIds, from, to]);
  }
}

function orNotFound(id: string, c: Consultation | null): Consultation {
  if (!c)
    throw new DomainError(
      'consultation_not_found',
      HttpStatus.NOT_FOUND,
      `consultation ${id} does not exist`,
    );
  return c;
}
