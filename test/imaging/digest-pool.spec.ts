import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { HuizhenConfig } from '@huizhen/config';
import { DigestPool, type DigestResult } from '../../apps/imaging/src/ingest/digest-pool';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { type Corpus, buildCorpus } from './support/corpus';

const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

function poolWith(threads: number, storageDir: string): { pool: DigestPool; store: InstanceStore } {
  const config = {
    imaging: {
      digestThreads: threads,
      maxInstanceBytes: 64 * 2 ** 20,
      maxSequenceDepth: 16,
      storageDir,
    },
  } as unknown as HuizhenConfig;
  const store = new InstanceStore(config);
  const pool = new DigestPool(config, store);
  pool.useDeidentificationKey(Buffer.alloc(32, 7));
  return { pool, store };
}

/** The digest without the staged file (whose temp name differs by design). */
function digestOf(r: DigestResult): unknown {
  if ('rejected' in r) return r;
  const { staged, ...rest } = r;
  return { ...rest, size: staged.size, sha256: staged.sha256 };
}

/**
 * Ingest parses on worker threads that load the very modules the event loop would use (the
 * TypeScript sources here, through Node's type stripping). Whatever thread digests an instance,
 * the index must get the same rows and JSON, the store the same bytes, and a bad file the same
 * refusal.
 */
describe('digest threads', () => {
  let corpus: Corpus;
  let dir: string;
  let threaded: { pool: DigestPool; store: InstanceStore };
  let inline: { pool: DigestPool; store: InstanceStore };

  beforeAll(async () => {
    corpus = buildCorpus();
    dir = mkdtempSync(join(tmpdir(), 'huizhen-digest-'));
    threaded = poolWith(2, join(dir, 'threaded'));
    inline = poolWith(0, join(dir, 'inline'));
    await threaded.store.init();
    await inline.store.init();
  });

  afterAll(async () => {
    await threaded.pool.onApplicationShutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('digest every corpus file exactly as the event loop does, and stage its bytes flushed', async () => {
    const files = [...corpus.variants.map((v) => v.file), ...corpus.chinese.map((c) => c.file), CT];
    const results = await Promise.all(files.map((f) => threaded.pool.digest(readFileSync(f), {})));
    for (const [i, file] of files.entries()) {
      const bytes = readFileSync(file);
      const here = await inline.pool.digest(bytes, {});
      const there = results[i];
      expect({ file, digest: digestOf(there) }).toEqual({ file, digest: digestOf(here) });
      if ('rejected' in there || 'rejected' in here) throw new Error(`${file} was refused`);
      await there.staged.durable;
      expect(readFileSync(there.staged.tempPath).equals(bytes)).toBe(true);
      expect(JSON.parse(there.metadataJson)['00080018'].Value[0]).toBe(there.sopUid);
    }
    expect(readdirSync(threaded.store.tmpDir)).toHaveLength(files.length);
  });

  it('take over a whole buffer the caller hands over instead of copying it, and copy a view', async () => {
    const original = readFileSync(CT);
    const own = Buffer.concat([original.subarray(0, 100), original.subarray(100)]);
    const handedOver = await threaded.pool.digest(own, {}, true);
    expect(own.length).toBe(0); // moved to the thread
    const view = Buffer.concat([Buffer.alloc(16), original]).subarray(16);
    const copied = await threaded.pool.digest(view, {}, true);
    expect(view.equals(original)).toBe(true); // a view of a larger buffer is never taken
    for (const r of [handedOver, copied]) {
      if ('rejected' in r) throw new Error('refused');
      expect(r.staged.size).toBe(original.length);
      await r.staged.durable;
      expect(readFileSync(r.staged.tempPath).equals(original)).toBe(true);
    }
  });

  it.each(['thread', 'event loop'])(
    'publish a batch to content addresses (%s): identical bytes once, nothing left when a file fails',
    async (where) => {
      const { pool, store } = where === 'thread' ? threaded : inline;
      const files = [CT, corpus.variants[0].file, corpus.variants[1].file].map((f) =>
        readFileSync(f),
      );
      const staged = async (bytes: Buffer) => {
        const r = await pool.digest(bytes, {});
        if ('rejected' in r) throw new Error('refused');
        return r.staged;
      };
      const [a, b, again] = [
        await staged(files[0]),
        await staged(files[1]),
        await staged(files[0]),
      ];
      const first = await pool.publish([a, b]);
      expect(first).toEqual({
        created: expect.arrayContaining([a.sha256, b.sha256]),
        existing: [],
      });
      for (const [f, bytes] of [
        [a, files[0]],
        [b, files[1]],
      ] as const)
        expect(readFileSync(store.pathOf(f.sha256)).equals(bytes)).toBe(true);
      // The same bytes again: already stored, nothing created; the temp file stays until the rows
      // committed, and settling then drops it, the stored file untouched.
      expect(await pool.publish([again])).toEqual({ created: [], existing: [again.sha256] });
      expect(readdirSync(store.tmpDir)).toContain(again.tempPath.split('/').pop());
      const longAgo = new Date(Date.now() - 7_200_000);
      utimesSync(store.pathOf(a.sha256), longAgo, longAgo); // as if an old orphan
      expect(await store.settle([again])).toBe(0);
      expect(readdirSync(store.tmpDir)).not.toContain(again.tempPath.split('/').pop());
      expect(readFileSync(store.pathOf(a.sha256)).equals(files[0])).toBe(true);
      // Settling touched it: a sweep that saw no row for it before the commit leaves it alone.
      expect(statSync(store.pathOf(a.sha256)).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
      await store.sweep(async () => new Set(), 60_000);
      expect(readFileSync(store.pathOf(a.sha256)).equals(files[0])).toBe(true);
      // Found stored, then gone before the commit (another node's failed transaction took back
      // the file it had created): settling restores it from the bytes this batch received.
      const once = await staged(files[0]);
      expect(await pool.publish([once])).toEqual({ created: [], existing: [once.sha256] });
      rmSync(store.pathOf(once.sha256));
      expect(await store.settle([once])).toBe(1);
      expect(readFileSync(store.pathOf(once.sha256)).equals(files[0])).toBe(true);
      expect(readdirSync(store.tmpDir)).not.toContain(once.tempPath.split('/').pop());
      // A batch with a file that is gone fails whole: the file it had moved is removed again.
      const c = await staged(files[2]);
      const vanished = { ...c, tempPath: `${c.tempPath}.gone`, sha256: 'f'.repeat(64) };
      await expect(pool.publish([c, vanished])).rejects.toThrow(/ENOENT/);
      expect(() => readFileSync(store.pathOf(c.sha256))).toThrow(/ENOENT/);
    },
  );

  it('refuse malformed files with the same reasons, writing nothing', async () => {
    const before = readdirSync(threaded.store.tmpDir).length;
    for (const m of corpus.malformed) {
      const bytes = readFileSync(m.file);
      const [there, here] = await Promise.all([
        threaded.pool.digest(bytes, {}),
        inline.pool.digest(bytes, {}),
      ]);
      if (!('rejected' in there) || !('rejected' in here))
        throw new Error(`${m.name} was accepted`);
      // The same refusal; the wording may differ where it depends on the thread's stack (a file
      // nested deeper than the stack allows is caught by the depth check or by the overflow).
      expect({ name: m.name, code: there.rejected.code }).toEqual({
        name: m.name,
        code: here.rejected.code,
      });
      expect(there.rejected.message).toMatch(new RegExp(m.expect, 'i'));
      expect(here.rejected.message).toMatch(new RegExp(m.expect, 'i'));
    }
    const mismatch = await threaded.pool.digest(readFileSync(CT), { expectedStudyUid: '1.2.3.4' });
    expect(mismatch).toMatchObject({ rejected: { code: 'study_mismatch' } });
    expect(readdirSync(threaded.store.tmpDir)).toHaveLength(before);
  });

  it('fail the instances a dying thread held as errors (not as bad DICOM), and start a new thread', async () => {
    const threads = (threaded.pool as unknown as { threads: ({ worker: Worker } | null)[] })
      .threads;
    const bytes = readFileSync(CT);
    const held = Promise.allSettled(
      Array.from({ length: 8 }, () => threaded.pool.digest(bytes, {})),
    );
    await Promise.all(threads.map((t) => t?.worker.terminate()));
    const settled = await held;
    const failed = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(String(f.reason)).toMatch(/digest thread exited/);
    const after = await threaded.pool.digest(bytes, {});
    expect('rejected' in after).toBe(false);
  });

  it('leave temp files nobody will commit to the temp sweep, which takes them once they are old enough', async () => {
    // Written by the tests above and never published, like a dead thread's last files.
    const left = readdirSync(threaded.store.tmpDir).length;
    expect(left).toBeGreaterThan(0);
    expect(await threaded.store.sweepTemp(3_600_000)).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(await threaded.store.sweepTemp(10)).toBe(left);
    expect(readdirSync(threaded.store.tmpDir)).toEqual([]);
  });

  it("leave another node's temp files (a shared store) until they are an hour old, whatever its process ids mean here", async () => {
    const dir = threaded.store.tmpDir;
    const other = (age: number, pid: number) => {
      const name = `another_node-${pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.part`;
      writeFileSync(join(dir, name), 'in flight elsewhere');
      const at = new Date(Date.now() - age);
      utimesSync(join(dir, name), at, at);
      return name;
    };
    // One whose pid is dead here, one whose pid happens to be ours: both young, both kept.
    const young = [other(120_000, 999_999_999), other(120_000, process.pid)];
    other(2 * 3_600_000, 999_999_999); // over an hour old: gone
    // From this machine: a dead process's file goes at once, as before.
    const ownDead = `${threaded.store.newTempPath().split('/').pop()!.replace(`-${process.pid}-`, '-999999999-')}`;
    writeFileSync(join(dir, ownDead), 'left by a crash');
    expect(await threaded.store.sweepTemp(60_000)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(young.sort());
    for (const n of young) rmSync(join(dir, n));
  });
});
