import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { InstanceStore, type StagedFile } from '../storage/instance-store';
import type { Published } from '../storage/store-files';
import {
  type DigestOptions,
  type DigestRejection,
  type InstanceDigest,
  digestInstance,
} from './instance-digest';

/** An acceptable instance, digested, with its bytes flushed to a temp file; or why it is refused. */
export type DigestResult = (InstanceDigest & { staged: StagedFile }) | DigestRejection;
/** From a thread: the digest and the temp file (flushed when `durable` settles), or the refusal. */
type ThreadResult =
  (InstanceDigest & { tempPath: string; durable: Promise<void> }) | DigestRejection;

/** What the pool needs besides the bytes; limits and the de-identification key are fixed per pool. */
export type DigestJob = Pick<DigestOptions, 'expectedStudyUid'>;

/**
 * The thread: loads instance-digest (compiled JS in dist; the TypeScript source under jest, run
 * by Node's type stripping with a resolve hook for the sources' extensionless and @huizhen/*
 * imports) and answers {id, bytes, expectedStudyUid} messages with {id, result}: the digest,
 * and for an acceptable instance its temp file, written and still open (flushed and closed on
 * the event loop, where concurrent flushes share journal commits). Evaluated from this string,
 * so nothing has to sit beside the compiled code but the module it loads.
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
if (workerData.sourceRoot) {
  const { registerHooks } = require('node:module');
  const { pathToFileURL } = require('node:url');
  registerHooks({
    resolve(specifier, context, next) {
      if (specifier.startsWith('@huizhen/')) specifier = pathToFileURL(workerData.sourceRoot + '/libs/' + specifier.slice(9) + '/src/index.ts').href;
      let r;
      try { r = next(specifier, context); } catch (e) {
        if (!specifier.startsWith('.')) throw e;
        // A folder import ('./patient-match') is its index.ts, as the bundlers resolve it.
        try { r = next(specifier + '.ts', context); } catch { r = next(specifier + '/index.ts', context); }
      }
      return r.url.endsWith('.ts') ? { ...r, format: 'module-typescript' } : r;
    },
  });
}
const { digestAndStage, publishSync } = require(workerData.modulePath);
const { fdatasync, close } = require('node:fs');
const options = { maxBytes: workerData.maxBytes, maxSequenceDepth: workerData.maxSequenceDepth, deidKey: workerData.deidKey };
parentPort.on('message', (job) => {
  if (job.publish) {
    try {
      parentPort.postMessage({ id: job.id, published: publishSync(workerData.root, job.publish) });
    } catch (e) {
      parentPort.postMessage({ id: job.id, error: String((e && e.message) || e) });
    }
    return;
  }
  let result;
  try {
    result = digestAndStage(job.bytes, { ...options, expectedStudyUid: job.expectedStudyUid }, workerData.tmpDir);
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: String((e && e.stack) || e) });
    return;
  }
  const fd = result.fd;
  delete result.fd;
  parentPort.postMessage({ id: job.id, result });
  if (fd === undefined) return;
  // Flushed and closed here (a descriptor opened by a thread must be closed by it), without
  // blocking the next digest: concurrent flushes share the file system's journal commits.
  fdatasync(fd, (syncError) => close(fd, (closeError) => {
    const e = syncError || closeError;
    parentPort.postMessage({ id: job.id, durable: e ? String(e.message || e) : null });
  }));
});
`;

/** instance-digest beside this file when compiled; the TypeScript source (with the repo root for the hooks) under jest. */
function digestModule(): { modulePath: string; sourceRoot: string | null } {
  const here = typeof __dirname === 'string' ? __dirname : null;
  if (here && existsSync(join(here, 'instance-digest.js')))
    return { modulePath: join(here, 'instance-digest.js'), sourceRoot: null };
  const root = process.cwd();
  return { modulePath: join(root, 'apps/imaging/src/ingest/instance-digest.ts'), sourceRoot: root };
}

interface Thread {
  worker: Worker;
  jobs: Map<number, { resolve: (r: ThreadResult | Published) => void; reject: (e: Error) => void }>;
  /** Temp files written but not yet flushed and closed. */
  flushing: Map<number, { resolve: () => void; reject: (e: Error) => void }>;
}

/**
 * Parses, validates and turns instances into index rows and DICOM JSON on worker threads, and
 * writes their temp files there, so the event loop that reads request bodies and talks to
 * PostgreSQL is not also the one doing the CPU work of every instance (measured: parsing was
 * ~40 % of the server's busy time while four clients stored at once, with a core half idle;
 * the async file calls of staging another ~16 %). IMAGING_DIGEST_THREADS=0 does it all on the
 * event loop instead. Threads start on first use and are replaced if one dies; the instances
 * it held fail with a server error, never as "bad DICOM".
 */
@Injectable()
export class DigestPool implements OnApplicationShutdown {
  private readonly logger = new Logger('ImagingDigest');
  private readonly threads: (Thread | null)[];
  private nextId = 1;
  private closed = false;
  private readonly options: Omit<DigestOptions, 'expectedStudyUid'>;

  constructor(
    @Inject(HUIZHEN_CONFIG) config: HuizhenConfig,
    private readonly store: InstanceStore,
  ) {
    // Digest threads, then one more that only publishes committing batches: behind a digest
    // thread's queue the commit (which holds the batch's transaction) would wait for parsing.
    const n = config.imaging.digestThreads;
    this.threads = new Array(n ? n + 1 : 0).fill(null);
    this.options = {
      maxBytes: config.imaging.maxInstanceBytes,
      maxSequenceDepth: config.imaging.maxSequenceDepth,
      deidKey: new Uint8Array(0),
    };
  }

  /** The de-identification key is the ingest's (derived from the data encryption key); set before the first digest. */
  useDeidentificationKey(key: Uint8Array): void {
    this.options.deidKey = new Uint8Array(key);
  }

  /**
   * `handOver`: the caller will not touch `bytes` again; a view over a whole buffer then moves to
   * the thread instead of being copied (a 2 MiB instance is then held once, not twice).
   */
  async digest(bytes: Uint8Array, job: DigestJob, handOver = false): Promise<DigestResult> {
    if (!this.threads.length) {
      const d = digestInstance(bytes, { ...this.options, ...job });
      return 'rejected' in d ? d : { ...d, staged: await this.store.stage(bytes, d.sha256) };
    }
    const size = bytes.length;
    const r = await this.onThread(bytes, job, handOver);
    if ('rejected' in r) return r;
    const { tempPath, durable, ...digest } = r;
    return { ...digest, staged: { tempPath, sha256: digest.sha256, size, durable } };
  }

  /**
   * Moves a committing batch's flushed temp files to their content addresses and syncs the
   * directories (InstanceStore.publishAll, done by a thread): which files it created, and which
   * were stored already (their temp files stay for InstanceStore.settle). On failure nothing it
   * created is left.
   */
  async publish(staged: StagedFile[]): Promise<Published> {
    if (!this.threads.length) return this.store.publishAll(staged);
    await Promise.all(staged.map((s) => s.durable));
    if (this.closed) throw new Error('the digest threads are shut down');
    const slot = this.threads.length - 1;
    const thread = this.threads[slot] ?? this.start(slot);
    const id = this.nextId++;
    return new Promise<Published>((resolve, reject) => {
      thread.jobs.set(id, { resolve: (r) => resolve(r as Published), reject });
      thread.worker.postMessage({
        id,
        publish: staged.map((s) => ({ tempPath: s.tempPath, sha256: s.sha256 })),
      });
    });
  }

  private onThread(bytes: Uint8Array, job: DigestJob, handOver: boolean): Promise<ThreadResult> {
    if (this.closed) return Promise.reject(new Error('the digest threads are shut down'));
    const thread = this.pick();
    const id = this.nextId++;
    return new Promise<ThreadResult>((resolve, reject) => {
      thread.jobs.set(id, { resolve: (r) => resolve(r as ThreadResult), reject });
      // Otherwise the thread gets its own copy of exactly these bytes (posting the view would
      // copy its whole backing buffer, often the socket's read chunk).
      const whole =
        handOver &&
        bytes.byteOffset === 0 &&
        bytes.byteLength === bytes.buffer.byteLength &&
        bytes.buffer instanceof ArrayBuffer;
      const sent = whole ? bytes : new Uint8Array(bytes);
      thread.worker.postMessage({ id, bytes: sent, expectedStudyUid: job.expectedStudyUid }, [
        sent.buffer as ArrayBuffer,
      ]);
    });
  }

  /**
   * After the HTTP server has closed, i.e. after the requests in flight when the stop began
   * have finished: their instances still need the threads (module-destroy hooks run before that).
   */
  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(
      this.threads.map((t, i) =>
        t ? this.retire(i, t, new Error('the digest threads are shut down')) : undefined,
      ),
    );
  }

  /** The digest thread with the fewest instances in hand (started if its slot is empty). */
  private pick(): Thread {
    let best = -1;
    for (let i = 0; i < this.threads.length - 1; i++) {
      const t = this.threads[i];
      if (!t) {
        best = i;
        break;
      }
      if (best < 0 || t.jobs.size < this.threads[best]!.jobs.size) best = i;
    }
    return this.threads[best] ?? this.start(best);
  }

  private start(slot: number): Thread {
    const { modulePath, sourceRoot } = digestModule();
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: {
        modulePath,
        sourceRoot,
        root: this.store.root,
        tmpDir: this.store.tmpDir,
        ...this.options,
      },
      // A thread allocates little per instance, so with a default young generation it rarely
      // collects, and the large instances it was handed stay in memory, dead, until it does
      // (measured, 300 × 2 MiB from 4 clients: peak RSS 450 MiB; 400 with 4 MB; 310-350 without threads).
      resourceLimits: { maxYoungGenerationSizeMb: 4 },
    });
    worker.unref(); // the thread must not keep an otherwise finished process alive
    const thread: Thread = { worker, jobs: new Map(), flushing: new Map() };
    type Message = {
      id: number;
      error?: string;
      durable?: string | null;
      published?: Published;
      result?: (InstanceDigest & { tempPath?: string }) | DigestRejection;
    };
    worker.on('message', (m: Message) => {
      if (m.durable !== undefined) {
        const f = thread.flushing.get(m.id);
        thread.flushing.delete(m.id);
        if (m.durable === null) f?.resolve();
        else f?.reject(new Error(`flushing a received instance failed: ${m.durable}`));
        return;
      }
      const job = thread.jobs.get(m.id);
      if (!job) return;
      thread.jobs.delete(m.id);
      if (m.published) return job.resolve(m.published);
      if (m.error !== undefined || !m.result)
        return job.reject(new Error(`digest thread failed: ${m.error}`));
      const r = m.result;
      if ('rejected' in r || r.tempPath === undefined) return job.resolve(r as DigestRejection);
      const durable = new Promise<void>((resolve, reject) =>
        thread.flushing.set(m.id, { resolve, reject }),
      );
      durable.catch(() => undefined); // reported where it is awaited (publish), not as unhandled
      job.resolve({ ...r, tempPath: r.tempPath, durable } as ThreadResult);
    });
    worker.on('error', (e) => {
      this.logger.error(`digest thread ${slot} died: ${e.stack ?? e.message}`);
      void this.retire(slot, thread, new Error(`digest thread died: ${e.message}`));
    });
    worker.on('exit', (code) => {
      if (this.threads[slot] === thread)
        void this.retire(slot, thread, new Error(`digest thread exited with code ${code}`));
    });
    this.threads[slot] = thread;
    return thread;
  }

  private async retire(slot: number, thread: Thread, reason: Error): Promise<void> {
    if (this.threads[slot] === thread) this.threads[slot] = null;
    for (const job of thread.jobs.values()) job.reject(reason);
    thread.jobs.clear();
    for (const f of thread.flushing.values()) f.reject(reason);
    thread.flushing.clear();
    await thread.worker.terminate().catch(() => undefined);
  }
}
