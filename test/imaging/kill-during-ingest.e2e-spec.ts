import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
} from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import jwt from 'jsonwebtoken';
import { TestSchema, seedDirectory, type DirectoryFixture } from '@huizhen/testing';

const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';
const run = promisify(execFile);

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/**
 * The imaging process is SIGKILLed in the middle of a STOW-RS upload (the real built
 * process, not a test double). Afterwards the index and the store agree: no row without its
 * file; after a restart no temp file, and (once they are old enough to belong to no open
 * transaction) no file without its row.
 */
describe('a kill during ingest leaves nothing half-written', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let env: Record<string, string>;
  let child: ChildProcess | null = null;
  let url = '';
  const work = mkdtempSync(join(tmpdir(), 'huizhen-kill-'));
  const storage = join(work, 'dicom');

  async function start(): Promise<void> {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, ['dist/apps/imaging/apps/imaging/src/main.js'], {
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: 'ignore',
    });
    for (let i = 0; i < 240; i++) {
      if (child.exitCode !== null) throw new Error(`imaging exited with ${child.exitCode}`);
      const ok = await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error('imaging did not become healthy');
  }

  beforeAll(async () => {
    schema = await TestSchema.create('imgkill');
    f = await seedDirectory(schema);
    env = schema.env({
      DATA_DIR: work,
      IMAGING_STORAGE_DIR: storage,
      DIMSE_ENABLED: 'false',
      LOG_LEVEL: 'error',
    });
    await run('node_modules/.bin/nest', ['build', 'imaging'], { timeout: 240_000 });
    // 80 distinct instances of a real CT: new SOP Instance UIDs, same pixels.
    const files = join(work, 'corpus');
    mkdirSync(files);
    for (let i = 0; i < 80; i++) copyFileSync(CT, join(files, `ct${i}.dcm`));
    await run('dcmodify', ['-nb', '-gin', ...readdirSync(files).map((n) => join(files, n))], {
      timeout: 60_000,
    });
    await start();
  }, 300_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await schema?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('SIGKILL mid-upload, restart: rows and files agree, no temp or orphan file remains', async () => {
    const u = f.user.townDoctorA;
    const token = jwt.sign(
      {
        sub: u.id,
        usr: u.username,
        name: 'doctor',
        org: u.organizationId,
        roles: ['township_doctor'],
        spc: null,
      },
      env.JWT_SECRET,
      { audience: 'huizhen-api', expiresIn: 600 },
    );
    const parts = readdirSync(join(work, 'corpus')).map((n) =>
      readFileSync(join(work, 'corpus', n)),
    );
    const boundary = 'huizhen-kill-test';
    const target = new URL(`${url}/dicom-web/studies`);
    const req = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
        'transfer-encoding': 'chunked',
      },
    });
    const answered = new Promise<void>((resolve) => {
      req.on('error', () => resolve());
      req.on('response', (res) => (res.resume(), res.on('end', resolve)));
    });
    // Stream the parts slowly; kill the server once it has had time to commit some of them.
    for (let i = 0; i < parts.length; i++) {
      req.write(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
      req.write(parts[i]);
      req.write('\r\n');
      await new Promise((r) => setTimeout(r, 15));
      if (i === 55) child!.kill('SIGKILL');
    }
    req.end(`--${boundary}--\r\n`);
    await answered;
    await new Promise((r) =>
      child!.exitCode !== null || child!.signalCode !== null ? r(null) : child!.once('exit', r),
    );

    // Right after the kill: every indexed instance has its file (a row never precedes its bytes).
    const rows = await schema.query<{ content_sha256: string }>(
      'SELECT content_sha256 FROM imaging_instance',
    );
    const stored = () =>
      new Set(
        listFiles(storage)
          .filter((p) => !p.includes(`${join(storage, 'tmp')}`))
          .map((p) => p.split('/').at(-1)!),
      );
    for (const r of rows) expect(stored().has(r.content_sha256)).toBe(true);
    const counts = await schema.query<{ n: number; indexed: number }>(
      `SELECT s.number_of_instances AS n, (SELECT count(*)::int FROM imaging_instance i WHERE i.study_instance_uid = s.study_instance_uid) AS indexed FROM imaging_study s`,
    );
    for (const c of counts) expect(c.n).toBe(c.indexed);

    // A minute later (as far as the files can tell), a restart sweeps temp files and orphans.
    const old = new Date(Date.now() - 5 * 60_000);
    for (const p of listFiles(storage)) utimesSync(p, old, old);
    await start();
    const deadline = Date.now() + 30_000;
    let orphans: string[] = [];
    let temps: string[] = [];
    do {
      await new Promise((r) => setTimeout(r, 250));
      const referenced = new Set(
        (
          await schema.query<{ content_sha256: string }>(
            'SELECT content_sha256 FROM imaging_instance',
          )
        ).map((r) => r.content_sha256),
      );
      orphans = [...stored()].filter((sha) => !referenced.has(sha));
      temps = listFiles(join(storage, 'tmp'));
    } while ((orphans.length || temps.length) && Date.now() < deadline);
    expect(orphans).toEqual([]);
    expect(temps).toEqual([]);
    expect(rows.length).toBeLessThan(parts.length); // the kill did cut the upload short
    // The survivors are whole: each committed instance is served back.
    const [one] = await schema.query<{ study_instance_uid: string }>(
      'SELECT study_instance_uid FROM imaging_instance LIMIT 1',
    );
    if (one) {
      const meta = await fetch(`${url}/dicom-web/studies/${one.study_instance_uid}/metadata`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(meta.status).toBe(200);
    }
  });
});
