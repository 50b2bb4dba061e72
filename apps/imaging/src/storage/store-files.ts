import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';

// The store's file layout and the blocking file operations the ingest's digest threads do (see
// DigestPool; InstanceStore does the same asynchronously on the event loop). No framework
// imports: the threads load this file. Blocking calls cost a thread far less CPU than the same
// calls cost through libuv's pool from the event loop (measured on the 2-core bench machine,
// per 39 KB instance: open+write+close 20 µs vs 290 µs; publishing 52 µs vs 176 µs).

/** Where a stored instance lives: <root>/<aa>/<bb>/<sha256>. */
export function contentPath(root: string, sha256: string): string {
  return join(root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
}

/** This machine in temp names: nodes sharing a store see each other's files but not each other's processes. */
const HOST = hostname().replace(/[^A-Za-z0-9]/g, '_') || 'host';

/**
 * Temp names start with the writing machine and process (`<host>-<pid>-...`), so a sweep can
 * tell whose files they are: on its own machine by whether the process lives, on another
 * node's only by age.
 */
export function tempFileName(): string {
  return `${HOST}-${process.pid}-${Date.now().toString(36)}-${randomBytes(6).toString('hex')}.part`;
}

/** Who wrote a temp file: this machine or another node sharing the store, and which process (NaN when unknown). */
export function tempFileOwner(name: string): { ownHost: boolean; pid: number } {
  const [host, pid] = name.split('-');
  // Names from before hosts were recorded start with the pid.
  if (/^[0-9]+$/.test(host)) return { ownHost: true, pid: Number(host) };
  return { ownHost: host === HOST, pid: Number(pid) };
}

/**
 * Writes an instance to a new temp file and returns it still open: the caller flushes it
 * (fdatasync) and closes it, from the same thread, asynchronously: many concurrent fdatasyncs
 * share journal commits, while one thread flushing file after file waits for a commit each
 * (measured: 570 instances/s that way with one thread, 1,000+ asynchronously). On any error
 * nothing is left behind.
 */
export function writeTempSync(tmpDir: string, bytes: Uint8Array): { path: string; fd: number } {
  const path = join(tmpDir, tempFileName());
  const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o640);
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
  } catch (e) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw e;
  }
  return { path, fd };
}

/** What publishing a batch did: files it moved into place, and files whose bytes were there already. */
export interface Published {
  created: string[];
  /**
   * Already stored (by another node's transaction still open, or an orphan about to be swept):
   * their temp files stay until the batch has committed, see InstanceStore.settle.
   */
  existing: string[];
}

/**
 * Content directories this thread has made sure exist (the store never removes one): a new
 * directory costs one mkdir, not a failed rename (an exception) and a mkdir; a known one nothing.
 * Measured: publishing ~20 % less CPU per file into a fresh store, where most files open a directory.
 */
const knownDirectories = new Set<string>();

/**
 * Moves flushed temp files to their content addresses and makes the renames durable (fsync of
 * each directory that received one). A file whose bytes are already stored keeps its temp file
 * (see Published.existing). If anything fails, files this call created are removed again before
 * the error is thrown (temp files not yet moved stay for the caller).
 */
export function publishSync(
  root: string,
  files: { tempPath: string; sha256: string }[],
): Published {
  const created: string[] = [];
  const existing: string[] = [];
  try {
    for (const f of files) {
      const target = contentPath(root, f.sha256);
      if (existsSync(target)) {
        existing.push(f.sha256);
        continue;
      }
      const dir = dirname(target);
      if (!knownDirectories.has(dir)) {
        mkdirSync(dir, { recursive: true });
        if (knownDirectories.size < 200_000) knownDirectories.add(dir);
      }
      try {
        renameSync(f.tempPath, target);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        mkdirSync(dir, { recursive: true }); // removed behind our back
        renameSync(f.tempPath, target);
      }
      created.push(f.sha256);
    }
    // The first fsync commits the file system's journal with every rename in it; the others
    // then find their directory already on disk (measured: 40 directories in ~2 ms).
    for (const dir of new Set(created.map((sha) => dirname(contentPath(root, sha))))) {
      const fd = openSync(dir, 'r');
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (e) {
    for (const sha of created) rmSync(contentPath(root, sha), { force: true });
    throw e;
  }
  return { created, existing };
}
