import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { parseInstance } from '@huizhen/dicom';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { type Corpus, buildCorpus } from './support/corpus';
import { get, startImagingForTest } from './support/dicomweb-client';
import { dcmtk } from './support/dcmtk';

/**
 * Whether the server closes the connection within `ms`. Clears its timer and destroys the socket
 * either way: a pending timer or socket left here kept jest from exiting after the run.
 */
function closedWithin(s: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.destroy();
      resolve(false);
    }, ms);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    s.on('error', () => undefined);
  });
}

describe('DIMSE C-ECHO / C-STORE SCP against dcmtk', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let corpus: Corpus;
  let port: number;

  beforeAll(async () => {
    corpus = buildCorpus();
    schema = await Schema.create('dimse');
    dir = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description) VALUES ('TOWNA_CT', $1, 'township CT')`,
      [dir.org.townA],
    );
    app = await startImagingForTest(schema, {
      DIMSE_PORT: '0',
      DIMSE_HOST: '127.0.0.1',
      DIMSE_AE_TITLE: 'HUIZHEN',
      DIMSE_IDLE_TIMEOUT_SECONDS: '2',
    });
    port = app.app.get(DimseScp).port;
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('answers C-ECHO from a known AE and rejects unknown calling or called AE titles', async () => {
    expect(
      (await dcmtk('echoscu', ['-aet', 'TOWNA_CT', '-aec', 'HUIZHEN', '127.0.0.1', String(port)]))
        .status,
    ).toBe(0);
    const unknown = await dcmtk('echoscu', [
      '-aet',
      'STRANGER',
      '-aec',
      'HUIZHEN',
      '127.0.0.1',
      String(port),
    ]);
    expect(unknown.status).not.toBe(0);
    expect(unknown.out).toMatch(/Calling AE Title Not Recognized/i);
    const wrongCalled = await dcmtk('echoscu', [
      '-aet',
      'TOWNA_CT',
      '-aec',
      'OTHER',
      '127.0.0.1',
      String(port),
    ]);
    expect(wrongCalled.out).toMatch(/Called AE Title Not Recognized/i);
  });

  it('stores what storescu pushes, in its own transfer syntax, byte-for-byte, owned by the peer’s organization', async () => {
    // storescu proposes uncompressed syntaxes unless told: one association per file with the option for its syntax.
    const option: Record<string, string> = {
      '1.2.840.10008.1.2.1': '-xe',
      '1.2.840.10008.1.2': '-xi',
      '1.2.840.10008.1.2.5': '-xr',
      '1.2.840.10008.1.2.4.80': '-xt',
      '1.2.840.10008.1.2.4.90': '-xv',
      '1.2.840.10008.1.2.4.50': '-xy',
    };
    for (const f of corpus.dimseFiles) {
      const ts = parseInstance(readFileSync(f)).transferSyntaxUid;
      const r = await dcmtk('storescu', [
        option[ts],
        '-aet',
        'TOWNA_CT',
        '-aec',
        'HUIZHEN',
        '127.0.0.1',
        String(port),
        f,
      ]);
      expect({ ts, out: r.out.trim(), status: r.status }).toEqual({ ts, out: '', status: 0 });
    }
    const store = app.app.get(InstanceStore);
    for (const f of corpus.dimseFiles) {
      const p = parseInstance(readFileSync(f));
      const [row] = await schema.query(
        'SELECT i.transfer_syntax_uid, i.content_sha256, i.received_via, s.organization_id FROM imaging_instance i JOIN imaging_study s USING (study_instance_uid) WHERE sop_instance_uid = $1',
        [p.sopInstanceUid],
      );
      expect(row).toMatchObject({
        transfer_syntax_uid: p.transferSyntaxUid,
        received_via: 'dimse',
        organization_id: dir.org.townA,
      });
      // The stored dataset is exactly what was sent (only the file meta is ours).
      const stored = parseInstance(await store.read(row.content_sha256));
      const sentDataset = readFileSync(f).subarray(
        p.dataSet.elements.x00080005?.dataOffset ? 0 : 0,
      );
      const dsStart = (b: Uint8Array, q: ReturnType<typeof parseInstance>) =>
        Math.min(
          ...Object.values(q.dataSet.elements)
            .filter((e) => !e.tag.startsWith('x0002'))
            .map((e) => e.dataOffset),
        ) - 12;
      expect(
        Buffer.from(stored.byteArray.subarray(dsStart(stored.byteArray, stored)))
          .subarray(8)
          .equals(sentDataset.subarray(dsStart(sentDataset, p)).subarray(8)),
      ).toBe(true);
    }
    const token = await loginAs(app.url, dir.user.townDoctorA.username);
    const p = parseInstance(readFileSync(corpus.dimseFiles[0]));
    const res = await get(
      app.url,
      token,
      `/dicom-web/studies/${p.studyInstanceUid}/series/${p.seriesInstanceUid}/instances/${p.sopInstanceUid}/rendered`,
      'image/png',
    );
    expect(res.status).toBe(200);
  });

  it('refuses a malformed instance with a failure status and keeps nothing; survives garbage and oversized PDUs', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'dimse-bad-'));
    const bad = join(tmp, 'bad.dcm');
    copyFileSync(corpus.malformed.find((m) => m.name === 'pixel-length-vs-rows')!.file, bad);
    const [{ n: before }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    const r = await dcmtk('storescu', [
      '-v',
      '-aet',
      'TOWNA_CT',
      '-aec',
      'HUIZHEN',
      '127.0.0.1',
      String(port),
      bad,
    ]);
    expect(r.out).toMatch(/Received Store Response \((Error|Failed)/i);
    expect(r.out).not.toMatch(/Received Store Response \(Success/i);
    const [{ n: after }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(after).toBe(before);
    expect((await app.app.get(InstanceStore).listFiles()).temp).toEqual([]);

    // A PDU claiming 4 GB, then plain garbage: both connections are cut, the SCP stays up.
    for (const payload of [
      Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xf0, 1, 2, 3]),
      Buffer.from('GET / HTTP/1.1\r\n\r\n'),
    ]) {
      const s = connect(port, '127.0.0.1', () => s.write(payload));
      s.resume(); // read the A-ABORT, so the peer's close is seen
      const closed = await closedWithin(s, 4000);
      expect({ payload: payload.subarray(0, 4).toString('hex'), closed }).toEqual({
        payload: payload.subarray(0, 4).toString('hex'),
        closed: true,
      });
    }
    // An association that never speaks is aborted by the idle timeout (2 s here).
    const idle = connect(port, '127.0.0.1');
    idle.resume();
    const idleClosed = await closedWithin(idle, 5000);
    expect(idleClosed).toBe(true);
    expect(
      (await dcmtk('echoscu', ['-aet', 'TOWNA_CT', '-aec', 'HUIZHEN', '127.0.0.1', String(port)]))
        .status,
    ).toBe(0);
    rmSync(tmp, { recursive: true, force: true });
  });
});
