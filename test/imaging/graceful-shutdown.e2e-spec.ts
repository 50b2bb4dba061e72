import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import {
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { withUids } from './support/corpus';
import { multipartRelated, startImagingForTest } from './support/dicomweb-client';

const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

/**
 * A deploy stops the archive with SIGTERM (Nest's close) while a township's upload is still
 * arriving. The HTTP server stops taking new connections but finishes the open request: every
 * instance of it must be parsed, stored and committed, not failed because the parse threads or
 * the database went first.
 */
describe('stopping the archive during an upload', () => {
  let schema: TestSchema;
  let dir: DirectoryFixture;

  beforeAll(async () => {
    schema = await Schema.create('shutdown');
    dir = await seedDirectory(schema);
  });
  afterAll(async () => {
    await schema?.drop();
  });

  it('finishes the STOW-RS request in flight before the threads and the database close', async () => {
    const app = await startImagingForTest(schema, {
      DIMSE_ENABLED: 'false',
      IMAGING_DIGEST_THREADS: '2',
    });
    const token = await loginAs(app.url, dir.user.townDoctorA.username);
    const study = '1.2.826.0.1.3680043.9.7433.77.1';
    const parts = Array.from({ length: 12 }, (_, i) =>
      withUids(readFileSync(CT), { study, series: `${study}.1`, sop: `${study}.1.${i + 1}` }),
    );
    const { body, contentType } = multipartRelated(parts);
    const store = app.app.get(InstanceStore);
    const url = new URL('/dicom-web/studies', app.url);

    let closing: Promise<void> | undefined;
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        url,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': contentType,
            accept: 'application/dicom+json',
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      // Half the body, then the stop, then the rest.
      req.write(body.subarray(0, body.length >> 1));
      setTimeout(() => {
        closing = app.app.close();
        setTimeout(() => req.end(body.subarray(body.length >> 1)), 200);
      }, 200);
    });
    await closing;

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)['00081199'].Value).toHaveLength(12);
    const [{ n }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance WHERE study_instance_uid = $1',
      [study],
    );
    expect(n).toBe(12);
    const files = await store.listFiles();
    expect(files.temp).toEqual([]);
    const shas: { content_sha256: string }[] = await schema.query(
      'SELECT content_sha256 FROM imaging_instance WHERE study_instance_uid = $1',
      [study],
    );
    for (const { content_sha256 } of shas) expect(files.stored).toContain(content_sha256);
  });
});
