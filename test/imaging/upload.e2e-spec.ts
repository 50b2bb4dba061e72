import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync } from 'node:fs';
import * as tus from 'tus-js-client';
import {
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { parseInstance } from '@huizhen/dicom';
import { ResumableUploads } from '../../apps/imaging/src/upload/resumable-upload';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { type Corpus, buildCorpus } from './support/corpus';
import { get, startImagingForTest } from './support/dicomweb-client';

describe('resumable upload (tus) into the archive', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let corpus: Corpus;
  let token: string;
  let other: string;
  let uploadsDir: string;

  beforeAll(async () => {
    corpus = buildCorpus();
    schema = await Schema.create('upload');
    dir = await seedDirectory(schema);
    app = await startImagingForTest(schema, {
      DIMSE_ENABLED: 'false',
      IMAGING_UPLOAD_EXPIRY_SECONDS: '1',
    });
    token = await loginAs(app.url, dir.user.townDoctorA.username);
    other = await loginAs(app.url, dir.user.townDoctorB.username);
    uploadsDir = app.app.get(ResumableUploads).directory;
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  const tusHeaders = (t: string) => ({ authorization: `Bearer ${t}`, 'tus-resumable': '1.0.0' });

  it('takes a file from tus-js-client in small chunks and ingests it like any other instance', async () => {
    const file = corpus.chinese.find((c) => c.charset === 'GB18030')!;
    const bytes = readFileSync(file.file);
    const response = await new Promise<string>((resolve, reject) => {
      const upload = new tus.Upload(bytes, {
        endpoint: `${app.url}/dicom-web/uploads`,
        chunkSize: 512,
        headers: { authorization: `Bearer ${token}` },
        metadata: { filename: 'gb18030.dcm', filetype: 'application/dicom' },
        onError: reject,
        onSuccess: (payload) => resolve(payload.lastResponse.getBody()),
      });
      upload.start();
    });
    const p = parseInstance(bytes);
    expect(JSON.parse(response)['00081199'].Value[0]['00081155'].Value[0]).toBe(p.sopInstanceUid);
    const [row] = await schema.query(
      'SELECT received_via FROM imaging_instance WHERE sop_instance_uid = $1',
      [p.sopInstanceUid],
    );
    expect(row.received_via).toBe('upload');
    const res = await get(
      app.url,
      token,
      `/dicom-web/studies?StudyInstanceUID=${p.studyInstanceUid}`,
    );
    expect(res.json()[0]['00100010'].Value[0]).toEqual(file.expected);
    expect(readdirSync(uploadsDir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('resumes after a cut connection, refuses other users, and stores nothing until the last byte', async () => {
    const bytes = readFileSync(corpus.variants.find((v) => v.name === 'jpeg-ls')!.file);
    const p = parseInstance(bytes);
    const [{ n: before }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    await schema.query('DELETE FROM imaging_instance WHERE sop_instance_uid = $1', [
      p.sopInstanceUid,
    ]);
    const created = await fetch(`${app.url}/dicom-web/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders(token), 'upload-length': String(bytes.length) },
    });
    expect(created.status).toBe(201);
    const location = new URL(created.headers.get('location')!, app.url).href;
    const half = Math.floor(bytes.length / 2);
    const first = await fetch(location, {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(0, half),
    });
    expect(first.status).toBe(204);
    // Half an instance: nothing in the archive yet.
    const [{ n: mid }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(mid).toBe(before);
    expect((await app.app.get(InstanceStore).listFiles()).temp).toEqual([]);
    const head = await fetch(location, { method: 'HEAD', headers: tusHeaders(token) });
    expect(head.headers.get('upload-offset')).toBe(String(half));
    const intruder = await fetch(location, {
      method: 'PATCH',
      headers: {
        ...tusHeaders(other),
        'upload-offset': String(half),
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(half),
    });
    expect(intruder.status).toBe(403);
    expect((await fetch(location, { method: 'HEAD', headers: tusHeaders(other) })).status).toBe(
      403,
    );
    const rest = await fetch(location, {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': String(half),
        'content-type': 'application/offset+octet-stream',
      },
      body: bytes.subarray(half),
    });
    expect(rest.status).toBe(200);
    const [row] = await schema.query(
      'SELECT transfer_syntax_uid FROM imaging_instance WHERE sop_instance_uid = $1',
      [p.sopInstanceUid],
    );
    expect(row.transfer_syntax_uid).toBe('1.2.840.10008.1.2.4.80');
  });

  it('answers a malformed upload with the reason and keeps nothing of it', async () => {
    const bad = readFileSync(corpus.malformed.find((m) => m.name === 'truncated-fragments')!.file);
    const [{ n: before }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    const created = await fetch(`${app.url}/dicom-web/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders(token), 'upload-length': String(bad.length) },
    });
    const res = await fetch(new URL(created.headers.get('location')!, app.url).href, {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: bad,
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as any)['00081198'].Value[0]['00000902'].Value[0]).toMatch(
      /fragment|truncated/i,
    );
    const [{ n: after }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(after).toBe(before);
    expect(readdirSync(uploadsDir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('never cuts off an upload that keeps sending, however long it takes in all', async () => {
    const bytes = readFileSync(
      corpus.chinese.find((c) => c.charset === 'UTF-8' || c.charset === 'ISO_IR 192')!.file,
    );
    const created = await fetch(`${app.url}/dicom-web/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders(token), 'upload-length': String(bytes.length) },
    });
    expect(created.status).toBe(201);
    const url = new URL(created.headers.get('location')!, app.url).href;
    // Three pieces 0.6 s apart: 1.2 s from creation to the last byte, past the 1 s expiry here,
    // but never idle that long; the sweep runs between the pieces.
    const cuts = [
      0,
      Math.floor(bytes.length / 3),
      Math.floor((2 * bytes.length) / 3),
      bytes.length,
    ];
    let last: Response | null = null;
    for (let i = 0; i < 3; i++) {
      if (i) {
        await new Promise((r) => setTimeout(r, 600));
        expect(await app.app.get(ResumableUploads).cleanup()).toBe(0);
      }
      last = await fetch(url, {
        method: 'PATCH',
        headers: {
          ...tusHeaders(token),
          'upload-offset': String(cuts[i]),
          'content-type': 'application/offset+octet-stream',
        },
        body: bytes.subarray(cuts[i], cuts[i + 1]),
      });
      expect({ piece: i, status: last.status }).toEqual({ piece: i, status: i < 2 ? 204 : 200 });
    }
    expect(JSON.parse(await last!.text())['00081199'].Value[0]['00081155'].Value[0]).toBe(
      parseInstance(bytes).sopInstanceUid,
    );
  });

  it('expires abandoned uploads', async () => {
    const created = await fetch(`${app.url}/dicom-web/uploads`, {
      method: 'POST',
      headers: { ...tusHeaders(token), 'upload-length': '100000' },
    });
    await fetch(new URL(created.headers.get('location')!, app.url).href, {
      method: 'PATCH',
      headers: {
        ...tusHeaders(token),
        'upload-offset': '0',
        'content-type': 'application/offset+octet-stream',
      },
      body: Buffer.alloc(1000),
    });
    expect(readdirSync(uploadsDir).filter((f) => !f.startsWith('.')).length).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));
    // The periodic sweep (every second here) or this explicit one removes it.
    await app.app.get(ResumableUploads).cleanup();
    expect(readdirSync(uploadsDir).filter((f) => !f.startsWith('.'))).toEqual([]);
  });

  it('needs a token and a clinician of the uploading organization', async () => {
    expect(
      (
        await fetch(`${app.url}/dicom-web/uploads`, {
          method: 'POST',
          headers: { 'tus-resumable': '1.0.0', 'upload-length': '10' },
        })
      ).status,
    ).toBe(401);
    const admin = await loginAs(app.url, dir.user.hubAdmin.username);
    expect(
      (
        await fetch(`${app.url}/dicom-web/uploads`, {
          method: 'POST',
          headers: { ...tusHeaders(admin), 'upload-length': '10' },
        })
      ).status,
    ).toBe(403);
  });
});
