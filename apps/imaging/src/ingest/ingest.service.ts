import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { AuditService } from '@huizhen/audit';
import { failureReasonOf } from '@huizhen/dicom';
import { ImagingStore } from '../imaging-store';
import { InstanceStore } from '../storage/instance-store';
import type { PendingInstance, ReceivedVia } from './pending-instance';
import { DigestPool, type DigestResult } from './digest-pool';
import { DuplicatePolicy } from './duplicate-policy';

export interface IngestContext {
  organizationId: string;
  actor: { id: string; username: string; organizationId: string } | null;
  via: ReceivedVia;
  /** STOW-RS to /studies/{study}: instances of other studies are refused. */
  expectedStudyUid?: string;
  /** DIMSE: the sender's calling AE title (routing rules may filter on it). */
  callingAe?: string;
}

/** An instance stored for the first time (not a duplicate): what routing hears of arrivals. */
export type InstanceStored = (ctx: IngestContext, studyInstanceUid: string) => void;

export type IngestOutcome =
  | {
      ok: true;
      duplicate: boolean;
      /** Stored with a warning (Warning Reason 0008,1196 / a C-STORE warning status) and why. */
      warning?: { reason: number; message: string };
      sopClassUid: string;
      sopInstanceUid: string;
      studyInstanceUid: string;
      seriesInstanceUid: string;
    }
  | {
      ok: false;
      failureReason: number;
      code: string;
      message: string;
      sopClassUid?: string;
      sopInstanceUid?: string;
    };

const noop = () => undefined;

/** Our failure, not the instance's (0xA700 out of resources): the sender should try again. */
const STORAGE_FAILED = {
  ok: false,
  failureReason: 0xa700,
  code: 'storage_failed',
  message: 'the archive could not store the instance; try again',
} as const;

export interface Waiter {
  pending: PendingInstance;
  resolve: (o: IngestOutcome) => void;
  reject: (e: unknown) => void;
  /** Position in its session (the request's part order). */
  seq?: number;
}

/**
 * The instances of one request (a STOW-RS body, an upload, a C-STORE): each is prepared (parsed,
 * staged) as it arrives, and they go to the commit queue in chunks, so a 20-instance request
 * costs one statement instead of 20 rounds of single-row inserts.
 */
export class IngestSession {
  private held: Waiter[] = [];
  private preparing = 0;
  private added = 0;
  private closed = false;
  /** Instances whose outcome is not known yet (preparing, held or committing). */
  unsettled = 0;
  /** Called whenever an instance finishes preparation or settles (callers resume reading input). */
  onProgress: () => void = () => undefined;

  constructor(
    private readonly service: IngestService,
    private readonly ctx: IngestContext,
    private readonly chunk: number,
  ) {}

  /** Instances still being parsed and staged: callers stop reading input while this is high. */
  get inPreparation(): number {
    return this.preparing;
  }

  /** `handOver`: the caller will not touch `bytes` again, so a digest thread may take them instead of a copy. */
  add(bytes: Uint8Array, handOver = false): Promise<IngestOutcome> {
    if (this.closed) throw new Error('ingest session is closed');
    this.preparing++;
    this.unsettled++;
    const seq = this.added++;
    const outcome = this.service.prepareOutcome(bytes, this.ctx, handOver).then((prepared) => {
      this.preparing--;
      if ('failureReason' in prepared) {
        this.maybeSubmit();
        return prepared;
      }
      const p = new Promise<IngestOutcome>((resolve, reject) =>
        this.held.push({ pending: prepared, resolve, reject, seq }),
      );
      this.maybeSubmit();
      this.onProgress();
      return p;
    });
    void outcome.then((o) => {
      if (o.ok && !o.duplicate) this.service.stored(this.ctx, o.studyInstanceUid);
    }, noop);
    void outcome
      .finally(() => {
        this.unsettled--;
        this.onProgress();
      })
      .catch(() => undefined);
    return outcome;
  }

  /** No more instances: whatever is prepared goes to commit now, the rest as soon as it is. */
  close(): void {
    this.closed = true;
    this.maybeSubmit();
  }

  private maybeSubmit(): void {
    if (
      this.held.length >= this.chunk ||
      (this.closed && this.preparing === 0 && this.held.length)
    ) {
      // In the order the parts came, so "first stored, then duplicate" follows the request.
      this.service.enqueue(this.held.splice(0).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0)));
    }
  }
}

/**
 * The one way an instance enters the archive, whichever door it came through (STOW-RS, DIMSE,
 * resumable upload): validate, stage bytes (temp + fsync), move them to the content address,
 * then commit the index rows in one statement. Concurrent instances share that statement (group
 * commit): PostgreSQL's commit cost, not parsing, bounds single-row ingest.
 */
@Injectable()
export class IngestService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ImagingIngest');
  private readonly deidKey: Buffer;
  private queue: Waiter[] = [];
  private committing = 0;
  /**
   * Batches committing at once. With one, a batch of new studies (each a study, a series and an
   * instance row, the name's trigram index) held the next one for its whole statement while the
   * server's cores were not busy: 4 clients storing one-instance studies went ~435 -> ~520
   * instances/s with two (paired runs, 2-core machine); instances of a few studies, CPU-bound
   * there, did not change. The embedded database has one connection and queues the second.
   */
  private static readonly COMMITTERS = 2;
  /** Instances per transaction at most (several requests' chunks merge up to this). */
  private static readonly BATCH = 256;
  /** A request's prepared instances go to commit in chunks of this many. */
  static readonly CHUNK = 32;
  sweepDone: Promise<unknown> = Promise.resolve();
  /** Told of each commit's new instances before their senders are answered (WorklistArrivals). */
  private readonly committedListeners: ((stored: PendingInstance[]) => Promise<void>)[] = [];
  private tempSweep: NodeJS.Timeout | null = null;
  private readonly storedListeners: InstanceStored[] = [];
  /** A temp file older than this belongs to no ingest in progress. */
  static readonly TEMP_MAX_AGE_MS = 3_600_000;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly store: InstanceStore,
    private readonly index: ImagingStore,
    private readonly audit: AuditService,
    private readonly digests: DigestPool,
    private readonly duplicates: DuplicatePolicy,
  ) {
    this.deidKey = createHmac('sha256', config.dataEncryptionKey)
      .update('huizhen imaging de-identification v1')
      .digest();
    digests.useDeidentificationKey(this.deidKey);
  }

  get deidentificationKey(): Buffer {
    return this.deidKey;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.store.init();
    // Temp files from a crashed run and files whose rows never committed. Files younger than a
    // minute may belong to another process's open transaction on the same storage.
    this.sweepDone = this.sweep(60_000).catch((e) =>
      this.logger.error(`startup sweep failed: ${e}`),
    );
    // While running, temp files a failure left behind (a digest thread that died after writing
    // one) go within the hour instead of waiting for a restart.
    this.tempSweep = setInterval(
      () =>
        void this.store
          .sweepTemp(IngestService.TEMP_MAX_AGE_MS)
          .catch((e) => this.logger.error(`temp sweep failed: ${e}`)),
      IngestService.TEMP_MAX_AGE_MS,
    );
    this.tempSweep.unref();
  }

  onModuleDestroy(): void {
    if (this.tempSweep) clearInterval(this.tempSweep);
  }

  /**
   * Listens to the instances each commit stored (duplicates left out), with what was read from
   * them. A listener is awaited before the senders are answered and must not throw: it runs after
   * the rows are durable. (onStored, below, hears later and without waiting.)
   */
  onCommitted(listener: (stored: PendingInstance[]) => Promise<void>): void {
    this.committedListeners.push(listener);
  }

  sweep(minAgeMs: number) {
    return this.store.sweep((shas) => this.index.referencedHashes(shas), minAgeMs);
  }

  /** Hears of every instance stored for the first time, after its rows committed (routing). */
  onStored(listener: InstanceStored): void {
    this.storedListeners.push(listener);
  }

  stored(ctx: IngestContext, studyInstanceUid: string): void {
    for (const l of this.storedListeners) {
      try {
        l(ctx, studyInstanceUid);
      } catch (e) {
        this.logger.error(
          `an arrival listener failed: ${e instanceof Error ? e.stack : String(e)}`,
        );
      }
    }
  }

  /** Validates and stores one Part 10 instance. Never throws for a bad instance: the outcome says why. */
  ingest(bytes: Uint8Array, ctx: IngestContext): Promise<IngestOutcome> {
    const session = this.open(ctx, 1);
    const outcome = session.add(bytes);
    session.close();
    return outcome;
  }

  /** A session for the instances of one request; see IngestSession. Close it when the input ends (or breaks off). */
  open(ctx: IngestContext, chunk = IngestService.CHUNK): IngestSession {
    return new IngestSession(this, ctx, Math.max(1, chunk));
  }

  /** Parses and stages an instance (on a digest thread), or says why it is refused. */
  async prepareOutcome(
    bytes: Uint8Array,
    ctx: IngestContext,
    handOver = false,
  ): Promise<PendingInstance | Extract<IngestOutcome, { ok: false }>> {
    let digest: DigestResult;
    try {
      digest = await this.digests.digest(
        bytes,
        { expectedStudyUid: ctx.expectedStudyUid },
        handOver,
      );
    } catch (e) {
      this.logger.error(
        `receiving an instance failed: ${e instanceof Error ? e.message : String(e)}`,
      );
      return STORAGE_FAILED;
    }
    if ('rejected' in digest) {
      const r = digest.rejected;
      return {
        ok: false,
        failureReason: failureReasonOf(r.code),
        code: r.code,
        message: r.message,
        sopClassUid: r.sopClassUid,
        sopInstanceUid: r.sopInstanceUid,
      };
    }
    return { ...digest, organizationId: ctx.organizationId, actor: ctx.actor, via: ctx.via };
  }

  /** Hands prepared instances to the commit queue; concurrent requests' chunks share commits. */
  enqueue(waiters: Waiter[]): void {
    for (const w of waiters) {
      const resolve = w.resolve;
      this.queue.push({
        pending: w.pending,
        resolve,
        reject: (e) => {
          this.logger.error(
            `storing ${w.pending.sopUid} failed: ${e instanceof Error ? e.stack : String(e)}`,
          );
          resolve({
            ...STORAGE_FAILED,
            sopClassUid: w.pending.sopClassUid,
            sopInstanceUid: w.pending.sopUid,
          });
        },
      });
    }
    this.flush();
  }

  /**
   * Group commit: whatever is queued when a committer is free goes in one statement. Up to
   * COMMITTERS batches commit at once, so one batch's fsyncs and round trips overlap the next
   * one's statements (rows are locked in key order: concurrent batches cannot deadlock).
   */
  private flush(): void {
    while (this.queue.length && this.committing < IngestService.COMMITTERS) {
      const batch = this.queue.splice(0, IngestService.BATCH);
      this.committing++;
      void this.commitBatch(batch)
        .catch((e) =>
          this.logger.error(`commit cleanup failed: ${e instanceof Error ? e.stack : String(e)}`),
        )
        .finally(() => {
          this.committing--;
          this.flush();
        });
    }
  }

  /**
   * One batch: every staged file goes to its content address first, then one statement writes the
   * rows and the audit events and commits (ImagingStore.storeBatch). A file no new row wants (the
   * instance was a duplicate or refused) is taken back afterwards; if the statement fails, every
   * file it moved is. A crash in between leaves files without rows, which the startup sweep takes.
   */
  private async commitBatch(batch: Waiter[]): Promise<void> {
    let outcomes: IngestOutcome[] = [];
    let published: string[] = [];
    // The new rows' staged files: moved into place by publish, or (bytes already stored) settled
    // once the rows are committed. Every other staged file of the batch is discarded.
    let fresh: PendingInstance['staged'][] = [];
    let existing: PendingInstance['staged'][] = [];
    let unwanted: string[] = [];
    // Stored files a replacing instance took the place of (gone unless another row holds them).
    let replacedFiles: string[] = [];
    let inserted: Waiter[] = [];
    try {
      // One staged file per content (the first instance's); the others' temp files are discarded.
      const bySha = new Map<string, PendingInstance['staged']>();
      for (const w of batch)
        if (!bySha.has(w.pending.staged.sha256))
          bySha.set(w.pending.staged.sha256, w.pending.staged);
      const candidates = [...bySha.values()];
      const moved = await this.digests.publish(candidates);
      published = moved.created;
      // One audit event per uploader, door and organization, naming every study and instance it
      // stored (the resource is the study when there is one, as usual); the statement fills in what.
      const keys = new Map<string, { k: number; actor: IngestContext['actor'] }>();
      const rows = batch.map(({ pending: p }) => {
        const key = `${p.actor?.id ?? ''} ${p.via} ${p.organizationId}`;
        let entry = keys.get(key);
        if (!entry) keys.set(key, (entry = { k: keys.size, actor: p.actor }));
        return { p, k: entry.k };
      });
      const stored = await this.index.storeBatch(rows, (params) =>
        [...keys.values()].map(({ k, actor }) =>
          this.audit.insertSelect(
            { action: 'imaging_study.store', actor, resourceType: 'imaging_study' },
            params,
            {
              details: `r.out->'audit'->'${k}'->'details'`,
              resourceId: `r.out->'audit'->'${k}'->>'resourceId'`,
              from: 'r',
              when: `r.out->'audit' ? '${k}'`,
            },
          ),
        ),
      );
      this.audit.appended();
      // Different content under a stored SOP Instance UID: IMAGING_DUPLICATE_POLICY decides.
      const results = await this.duplicates.decide(
        batch.map((w) => w.pending),
        stored,
      );
      replacedFiles = results.flatMap((r) => (r.ok && r.replaced ? [r.replaced] : []));
      outcomes = results.map((r, i): IngestOutcome => {
        const p = batch[i].pending;
        const ids = { sopClassUid: p.sopClassUid, sopInstanceUid: p.sopUid };
        if (!r.ok)
          return {
            ok: false,
            failureReason: failureReasonOf(r.code),
            code: r.code,
            message: r.message,
            ...ids,
          };
        return {
          ok: true,
          duplicate: r.duplicate,
          ...(r.warning ? { warning: r.warning } : {}),
          ...ids,
          studyInstanceUid: p.studyUid,
          seriesInstanceUid: p.seriesUid,
        };
      });
      inserted = batch.filter((_, i) => {
        const r = results[i];
        return r.ok && !r.duplicate;
      });
      const wanted = new Set(inserted.map((w) => w.pending.staged.sha256));
      fresh = candidates.filter((f) => wanted.has(f.sha256));
      const already = new Set(moved.existing);
      existing = fresh.filter((f) => already.has(f.sha256));
      unwanted = published.filter((sha) => !wanted.has(sha));
    } catch (e) {
      await this.takeBack(published);
      await Promise.all(batch.map((w) => this.store.discard(w.pending.staged)));
      for (const w of batch) w.reject(e);
      return;
    }
    await this.takeBack([...unwanted, ...replacedFiles]);
    await this.store
      .settle(existing)
      .catch((e) =>
        this.logger.error(
          `settling stored files after a commit failed: ${e instanceof Error ? e.stack : String(e)}`,
        ),
      );
    const kept = new Set(fresh);
    await Promise.all(
      batch
        .filter((w) => !kept.has(w.pending.staged))
        .map((w) => this.store.discard(w.pending.staged)),
    );
    if (inserted.length)
      for (const listener of this.committedListeners)
        await listener(inserted.map((w) => w.pending));
    batch.forEach((w, i) => w.resolve(outcomes[i]));
  }

  /**
   * After a failed commit: the files the batch moved into place have no rows of ours. Another
   * node may have committed rows for the same bytes meanwhile (it found our file and dropped its
   * own copy), so only files no row references go; and if the index cannot say, none go (the
   * startup sweep takes what is left). A node whose rows commit after this check restores the
   * file from its own bytes (InstanceStore.settle).
   */
  private async takeBack(created: string[]): Promise<void> {
    if (!created.length) return;
    let referenced: Set<string>;
    try {
      referenced = await this.index.referencedHashes(created);
    } catch (e) {
      this.logger.warn(
        `after a failed commit, ${created.length} stored file(s) are left for the sweep: ${e instanceof Error ? e.message : String(e)}`,
      );
      return;
    }
    await Promise.all(
      created.filter((sha) => !referenced.has(sha)).map((sha) => this.store.remove(sha)),
    );
  }
}
