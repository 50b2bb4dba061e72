import { HttpStatus, Injectable } from '@nestjs/common';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { DomainError } from '@huizhen/platform-http';
import { EventsService } from '../events/events.service';
import { ConsultationStore } from './consultation-store';
import type { MessagesQuery, PostMessageDto } from './consultation.dto';
import { ConsultationsService } from './consultations.service';

/** The conversation on a request: messages with attachments, and who has read how far. */
@Injectable()
export class ConsultationThreadService {
  constructor(
    private readonly store: ConsultationStore,
    private readonly consultations: ConsultationsService,
    private readonly audit: AuditService,
    private readonly events: EventsService,
  ) {}

  async list(actor: Actor, id: string, q: MessagesQuery) {
    await this.consultations.access(actor, id, 'read');
    const messages = await this.store.messages(id, q.after ?? 0, q.limit);
    const files = messages.length
      ? await this.store.filesOfMessages(messages.map((m) => m.id))
      : [];
    const receipts = await this.store.receipts(id);
    await this.audit.record({
      action: 'consultation.thread.read',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { returned: messages.length },
    });
    return {
      items: messages.map((m) => ({
        ...m,
        attachments: files.filter((f) => f.messageId === m.id).map(({ messageId: _, ...f }) => f),
      })),
      receipts,
    };
  }

  async post(actor: Actor, id: string, dto: PostMessageDto) {
    const { c, people } = await this.consultations.access(actor, id, 'update');
    if (!this.consultations.isOpen(c)) {
      throw new DomainError(
        'illegal_transition',
        HttpStatus.CONFLICT,
        `the consultation is ${c.status}; its thread is closed`,
        { status: c.status },
      );
    }
    const attachmentIds = [...new Set(dto.attachmentIds ?? [])];
    const message = await this.store.transaction(async (m) => {
      const row = await this.store.addMessage(m, id, actor.id, dto.body, this.consultations.now());
      if (attachmentIds.length) {
        const linked = await this.store.sendFiles(m, row.id, attachmentIds, id, actor.id);
        if (linked !== attachmentIds.length) {
          throw new DomainError(
            'attachment_not_usable',
            HttpStatus.BAD_REQUEST,
            'attachmentIds must be files you uploaded to this consultation and not yet sent',
          );
        }
      }
      await this.store.readUpTo(id, actor.id, row.id, m);
      await this.audit.record(
        {
          action: 'consultation.message',
          actor,
          resourceType: 'consultation',
          resourceId: id,
          details: { messageId: row.id, attachments: attachmentIds.length },
        },
        m,
      );
      return row;
    });
    const data = { consultationId: id, messageId: message.id, authorId: actor.id };
    this.events.toUsers(
      people.map((p) => p.practitionerId).filter((p) => p !== actor.id),
      { type: 'consultation.message', data },
    );
    return {
      id: message.id,
      authorId: actor.id,
      body: dto.body,
      createdAt: message.createdAt,
      attachmentIds,
    };
  }

  /** Moves the reader's mark forward (never back). */
  async markRead(actor: Actor, id: string, lastReadMessageId: number) {
    const { people } = await this.consultations.access(actor, id, 'read');
    if (!(await this.store.hasMessage(id, lastReadMessageId))) {
      throw new DomainError(
        'message_not_found',
        HttpStatus.NOT_FOUND,
        `message ${lastReadMessageId} is not in this consultation`,
      );
    }
    const receipt = await this.store.readUpTo(id, actor.id, lastReadMessageId);
    this.events.toUsers(
      people.map((p) => p.practitionerId).filter((p) => p !== actor.id),
      { type: 'consultation.read', data: { consultationId: id, ...receipt } },
    );
    return receipt;
  }
}
