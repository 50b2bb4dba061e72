import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import type { MessagesQuery, PostMessageDto } from './consultation.dto';
import { ConsultationsService } from './consultations.service';

/** The conversation on a request: messages with attachments, and who has read how far. */
@Injectable()
export class ConsultationThreadService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly consultations: ConsultationsService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
  ) {}

  async list(actor: Actor, id: string, q: MessagesQuery) {
    await this.consultations.access(actor, id, 'read');
    const messages: { id: string; authorId: string; authorName: string; body: string; createdAt: Date }[] = await this.db.query(
      `SELECT m.id::text AS id, m.author_id AS "authorId", p.display_name AS "authorName", m.body, m.created_at AS "createdAt"
         FROM consultation_message m JOIN practitioner p ON p.id = m.author_id
        WHERE m.consultation_id = $1 AND m.id > $2 ORDER BY m.id LIMIT $3`,
      [id, q.after ?? 0, q.limit],
    );
    const files: { id: string; messageId: string; kind: string; fileName: string; mediaType: string; sizeBytes: number }[] = messages.length
      ? await this.db.query(
          `SELECT id, message_id::text AS "messageId", kind, file_name AS "fileName", media_type AS "mediaType", size_bytes::int AS "sizeBytes"
             FROM consultation_attachment WHERE message_id = ANY($1::bigint[])`,
          [messages.map((m) => m.id)],
        )
      : [];
    const receipts = await this.db.query(
      `SELECT practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"
         FROM consultation_read_receipt WHERE consultation_id = $1 ORDER BY practitioner_id`,
      [id],
    );
    await this.audit.record({ action: 'consultation.thread.read', actor, resourceType: 'consultation', resourceId: id, details: { returned: messages.length } });
    return {
      items: messages.map((m) => ({ ...m, attachments: files.filter((f) => f.messageId === m.id).map(({ messageId: _, ...f }) => f) })),
      receipts,
    };
  }

  async post(actor: Actor, id: string, dto: PostMessageDto) {
    const { c, people } = await this.consultations.access(actor, id, 'update');
    if (!this.consultations.isOpen(c)) {
      throw new DomainError('illegal_transition', HttpStatus.CONFLICT, `the consultation is ${c.status}; its thread is closed`, { status: c.status });
    }
    const attachmentIds = [...new Set(dto.attachmentIds ?? [])];
    const message = await this.db.transaction(async (m) => {
      const [row]: { id: string; created_at: Date }[] = await m.query(
        `INSERT INTO consultation_message (consultation_id, author_id, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id::text, created_at`,
        [id, actor.id, dto.body, this.consultations.now()],
      );
      if (attachmentIds.length) {
        const [, linked]: [unknown, number] = await m.query(
          `UPDATE consultation_attachment SET message_id = $1
            WHERE id = ANY($2::uuid[]) AND consultation_id = $3 AND kind <> 'imaging_study' AND message_id IS NULL AND added_by = $4`,
          [row.id, attachmentIds, id, actor.id],
        );
        if (linked !== attachmentIds.length) {
          throw new DomainError('attachment_not_usable', HttpStatus.BAD_REQUEST, 'attachmentIds must be files you uploaded to this consultation and not yet sent');
        }
      }
      await m.query(
        `INSERT INTO consultation_read_receipt (consultation_id, practitioner_id, last_read_message_id) VALUES ($1, $2, $3)
         ON CONFLICT (consultation_id, practitioner_id) DO UPDATE SET last_read_message_id = GREATEST(consultation_read_receipt.last_read_message_id, EXCLUDED.last_read_message_id), read_at = now()`,
        [id, actor.id, row.id],
      );
      await this.audit.record({ action: 'consultation.message', actor, resourceType: 'consultation', resourceId: id, details: { messageId: row.id, attachments: attachmentIds.length } }, m);
      return row;
    });
    const data = { consultationId: id, messageId: message.id, authorId: actor.id };
    this.events.toUsers(people.map((p) => p.practitionerId).filter((p) => p !== actor.id), { type: 'consultation.message', data });
    return { id: message.id, authorId: actor.id, body: dto.body, createdAt: message.created_at, attachmentIds };
  }

  /** Moves the reader's mark forward (never back). */
  async markRead(actor: Actor, id: string, lastReadMessageId: number) {
    const { people } = await this.consultations.access(actor, id, 'read');
    const [msg] = await this.db.query(`SELECT 1 FROM consultation_message WHERE id = $1 AND consultation_id = $2`, [lastReadMessageId, id]);
    if (!msg) throw new DomainError('message_not_found', HttpStatus.NOT_FOUND, `message ${lastReadMessageId} is not in this consultation`);
    const [receipt] = await this.db.query(
      `INSERT INTO consultation_read_receipt (consultation_id, practitioner_id, last_read_message_id) VALUES ($1, $2, $3)
       ON CONFLICT (consultation_id, practitioner_id) DO UPDATE
         SET last_read_message_id = GREATEST(consultation_read_receipt.last_read_message_id, EXCLUDED.last_read_message_id), read_at = now()
       RETURNING practitioner_id AS "practitionerId", last_read_message_id::text AS "lastReadMessageId", read_at AS "readAt"`,
      [id, actor.id, lastReadMessageId],
    );
    this.events.toUsers(people.map((p) => p.practitionerId).filter((p) => p !== actor.id), { type: 'consultation.read', data: { consultationId: id, ...receipt } });
    return receipt;
  }
}
