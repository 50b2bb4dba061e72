import { HttpStatus, Inject, Injectable } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AuditService } from '@huizhen/audit';
import type { Actor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DomainError } from '@huizhen/platform-http';
import { ConsultationStore } from './consultation-store';
import { ConsultationsService } from './consultations.service';
import { StudyPatientCheck, type StudyToAttach } from './study-patient-check';

/** What a file must start with to be what its type says. */
const ACCEPTED: Record<string, { kind: 'document' | 'photo'; magic: Buffer }> = {
  'application/pdf': { kind: 'document', magic: Buffer.from('%PDF-') },
  'image/jpeg': { kind: 'photo', magic: Buffer.from([0xff, 0xd8, 0xff]) },
  'image/png': {
    kind: 'photo',
    magic: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
};

/** Imaging studies (by Study Instance UID) and uploaded files (PDF, photos) on a request. */
@Injectable()
export class ConsultationAttachmentsService {
  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly store: ConsultationStore,
    private readonly consultations: ConsultationsService,
    private readonly audit: AuditService,
    private readonly studyPatients: StudyPatientCheck,
  ) {}

  /** A stored study the actor may read, whose header names the consultation's patient (or a reason says why not). */
  async attachStudy(actor: Actor, id: string, study: StudyToAttach) {
    const { studyInstanceUid } = study;
    const { c } = await this.consultations.access(actor, id, 'update');
    this.mustBeOpen(c.status);
    await this.consultations.assertStudyReadable(actor, studyInstanceUid);
    const [patientCheck] = await this.studyPatients.check(c.patientId, [study]);
    const row = await this.store.transaction(async (m) => {
      const attached = await this.store.attachStudy(m, id, studyInstanceUid, actor.id);
      if (attached)
        await this.audit.record(
          {
            action: 'consultation.attach',
            actor,
            resourceType: 'consultation',
            resourceId: id,
            details: { studyInstanceUid, patientCheck },
          },
          m,
        );
      return attached;
    });
    if (!row)
      throw new DomainError(
        'study_already_attached',
        HttpStatus.CONFLICT,
        'this study is already attached to the consultation',
      );
    return row;
  }

  /** Streams the body to DATA_DIR, hashing as it goes; refuses oversize bodies and files that are not what their type says. */
  async upload(
    actor: Actor,
    id: string,
    body: Readable,
    {
      mediaType,
      declaredLength,
      fileName,
    }: { mediaType?: string; declaredLength: number | null; fileName?: string },
  ) {
    const { c } = await this.consultations.access(actor, id, 'update');
    this.mustBeOpen(c.status);
    const type = (mediaType ?? '').split(';')[0].trim().toLowerCase();
    const accepted = ACCEPTED[type];
    const max = this.config.consultations.attachmentMaxBytes;
    if (!accepted)
      throw new DomainError(
        'unsupported_media_type',
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
        `attachments must be ${Object.keys(ACCEPTED).join(', ')}; got ${type || 'no Content-Type'}`,
      );
    if (declaredLength !== null && declaredLength > max) throw tooLarge(max);
    const attachmentId = randomUUID();
    const ref = join('consultations', id, attachmentId);
    const dir = join(this.config.dataDir, 'consultations', id);
    await mkdir(dir, { recursive: true });
    const partial = join(dir, `${attachmentId}.part`);
    let received: Received;
    try {
      received = await receive(body, partial, max);
      if (
        received.size === 0 ||
        !received.head.subarray(0, accepted.magic.length).equals(accepted.magic)
      ) {
        throw new DomainError(
          'content_mismatch',
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          `the file is not a ${type}`,
        );
      }
      await rename(partial, join(this.config.dataDir, ref));
    } catch (e) {
      await rm(partial, { force: true });
      throw e;
    }
    const { size, sha256 } = received;
    const safeName = (fileName ?? `${accepted.kind}-${attachmentId.slice(0, 8)}`).replace(
      /[\\/\r\n"]/g,
      '_',
    );
    return this.store.transaction(async (m) => {
      const row = await this.store.addFile(m, {
        id: attachmentId,
        consultationId: id,
        kind: accepted.kind,
        fileRef: ref,
        fileName: safeName,
        mediaType: type,
        sizeBytes: size,
        sha256,
        addedBy: actor.id,
      });
      await this.audit.record(
        {
          action: 'consultation.attach',
          actor,
          resourceType: 'consultation',
          resourceId: id,
          details: { attachmentId, kind: accepted.kind, sizeBytes: size, sha256 },
        },
        m,
      );
      return row;
    });
  }

  async file(
    actor: Actor,
    id: string,
    attachmentId: string,
  ): Promise<{ path: string; mediaType: string; fileName: string; sizeBytes: number }> {
    await this.consultations.access(actor, id, 'read');
    const row = await this.store.file(id, attachmentId);
    if (!row)
      throw new DomainError(
        'attachment_not_found',
        HttpStatus.NOT_FOUND,
        'no such file on this consultation',
      );
    await this.audit.record({
      action: 'consultation.attachment.read',
      actor,
      resourceType: 'consultation',
      resourceId: id,
      details: { attachmentId },
    });
    return {
      path: join(this.config.dataDir, row.fileRef),
      mediaType: row.mediaType,
      fileName: row.fileName,
      sizeBytes: row.sizeBytes,
    };
  }

  private mustBeOpen(status: string) {
    if (['closed', 'cancelled', 'expired'].includes(status)) {
      throw new DomainError(
        'illegal_transition',
        HttpStatus.CONFLICT,
        `attachments cannot be added to a consultation that is ${status}`,
        { status },
      );
    }
  }
}

const tooLarge = (max: number) =>
  new DomainError(
    'attachment_too_large',
    HttpStatus.PAYLOAD_TOO_LARGE,
    `attachments are limited to ${max} bytes`,
    {
      maxBytes: max,
    },
  );

interface Received {
  size: number;
  /** The first bytes (at least 16 when there are), to check the file is what its type says. */
  head: Buffer;
  sha256: string;
}

/**
 * Streams the body into a new file at `partial` (never overwriting one), hashing and counting as
 * it goes; more than `max` bytes is refused mid-stream. On failure the file is closed and left for
 * the caller to remove.
 */
async function receive(body: Readable, partial: string, max: number): Promise<Received> {
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const out = createWriteStream(partial, { flags: 'wx' });
  try {
    await new Promise<void>((resolve, reject) => {
      const fail = (e: unknown) => {
        // Stop reading but leave the socket alone: the client still gets the error response.
        body.off('data', onData).off('end', onEnd).off('error', fail);
        body.pause();
        reject(e);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > max) return fail(tooLarge(max));
        if (head.length < 16) head = Buffer.concat([head, chunk.subarray(0, 16)]);
        hash.update(chunk);
        if (!out.write(chunk)) {
          body.pause();
          out.once('drain', () => body.resume());
        }
      };
      const onEnd = () => out.end(resolve);
      body.on('data', onData).once('end', onEnd).once('error', fail);
      out.once('error', fail);
    });
  } catch (e) {
    out.destroy();
    throw e;
  }
  return { size, head, sha256: hash.digest('hex') };
}
