import {
  All,
  Controller,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Req,
  Res,
} from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { Request, Response } from 'express';
import { FileStore } from '@tus/file-store';
import { Server as TusServer } from '@tus/server';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { Documented } from '@huizhen/platform-http';
import { ImagingAccess } from '../access/imaging-access.service';
import { IngestService } from '../ingest/ingest.service';
import { stowResponse } from '../ingest/stow.controller';

const PATH = '/dicom-web/uploads';

/**
 * Resumable browser upload (tus 1.0 via @tus/server): a township link that drops mid-study
 * resumes where it stopped. A finished upload is one Part 10 instance and goes through
 * IngestService like STOW-RS; the upload file is removed either way. Only the uploader can
 * continue an upload; one idle for IMAGING_UPLOAD_EXPIRY_SECONDS is removed.
 */
@Injectable()
export class ResumableUploads implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ResumableUploads');
  readonly directory: string;
  readonly store: FileStore;
  readonly server: TusServer;
  private readonly context = new AsyncLocalStorage<{ actor: Actor; baseUrl: string }>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly ingest: IngestService,
  ) {
    this.directory = join(config.imaging.storageDir, 'uploads');
    // No tus expiration: it counts from the upload's creation and answers 410 to a link that is
    // still sending. Expiry here is by inactivity (cleanup).
    this.store = new FileStore({ directory: this.directory });
    this.server = new TusServer({
      path: PATH,
      datastore: this.store,
      maxSize: config.imaging.maxInstanceBytes,
      // The Location of a new upload is relative (/dicom-web/uploads/<id>, as tus allows): never
      // built from a client's Host or X-Forwarded-Host, which could point the uploader elsewhere.
      relativeLocation: true,
      respectForwardedHeaders: false,
      onUploadCreate: async (_req, upload) => {
        const actor = this.context.getStore()!.actor;
        return {
          metadata: {
            ...(upload.metadata ?? {}),
            owner: actor.id,
            organization: actor.organizationId,
          },
        };
      },
      onIncomingRequest: async (req, uploadId) => {
        if (req.method === 'POST' || req.method === 'OPTIONS') return;
        const actor = this.context.getStore()!.actor;
        const upload = await this.store.getUpload(uploadId).catch(() => null);
        if (upload && upload.metadata?.owner !== actor.id)
          throw { status_code: 403, body: 'this upload belongs to someone else\n' };
      },
      onUploadFinish: async (_req, upload) => {
        const { actor, baseUrl } = this.context.getStore()!;
        const file = join(this.directory, upload.id);
        try {
          const bytes = await fs.readFile(file);
          const outcome = await this.ingest.ingest(bytes, {
            organizationId: actor.organizationId,
            actor,
            via: 'upload',
          });
          const body = JSON.stringify(stowResponse([outcome], baseUrl));
          return {
            status_code: outcome.ok ? 200 : 422,
            headers: { 'Content-Type': 'application/dicom+json' },
            body,
          };
        } finally {
          await this.store.remove(upload.id).catch(() => undefined);
        }
      },
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await fs.mkdir(this.directory, { recursive: true });
    await this.cleanup();
    const every = Math.min(this.config.imaging.uploadExpirySeconds, 600) * 1000;
    this.timer = setInterval(() => void this.cleanup(), every);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /**
   * Deletes uploads that received no byte for the expiry period (the upload file's mtime): an
   * abandoned upload goes, a slow township link that keeps sending is never cut off.
   */
  async cleanup(): Promise<number> {
    const idleMs = this.config.imaging.uploadExpirySeconds * 1000;
    const now = Date.now();
    let n = 0;
    try {
      const ids = new Set(
        (await fs.readdir(this.directory))
          .filter((f) => !f.startsWith('.'))
          .map((f) => f.replace(/\.json$/, '')),
      );
      for (const id of ids) {
        const st =
          (await fs.stat(join(this.directory, id)).catch(() => null)) ??
          (await fs.stat(join(this.directory, `${id}.json`)).catch(() => null));
        if (!st || now - st.mtimeMs <= idleMs) continue;
        await this.store.remove(id).catch(async () => {
          await fs.rm(join(this.directory, id), { force: true });
          await fs.rm(join(this.directory, `${id}.json`), { force: true });
        });
        n++;
      }
    } catch (e) {
      this.logger.warn(`upload cleanup failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (n)
      this.logger.log(
        `removed ${n} upload(s) idle for over ${this.config.imaging.uploadExpirySeconds} s`,
      );
    return n;
  }

  handle(actor: Actor, baseUrl: string, req: Request, res: Response): Promise<void> {
    return this.context.run({ actor, baseUrl }, () => this.server.handle(req, res));
  }
}

@ApiTags('dicom-web')
@ApiBearerAuth()
@Controller()
export class ResumableUploadController {
  constructor(
    private readonly uploads: ResumableUploads,
    private readonly access: ImagingAccess,
  ) {}

  @Documented(
    'tus 1.0 resumable DICOM upload: POST creates, HEAD asks the offset, PATCH appends, DELETE abandons',
    'access_denied',
  )
  @All(['dicom-web/uploads', 'dicom-web/uploads/*rest'])
  async handle(@CurrentActor() actor: Actor, @Req() req: Request, @Res() res: Response) {
    if (req.method === 'POST') await this.access.assertCanStore(actor);
    req.url = req.originalUrl;
    await this.uploads.handle(actor, `${req.protocol}://${req.get('host')}`, req, res);
  }
}
