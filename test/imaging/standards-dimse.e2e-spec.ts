import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dicomParser from 'dicom-parser';
import { type TestSchema, TestSchema as Schema, seedDirectory } from '@huizhen/testing';
import { parseInstance } from '@huizhen/dicom';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { PYDICOM } from './support/corpus';
import { startImagingForTest } from './support/dicomweb-client';
import { dcmtk, storescu as storeByDimse } from './support/dcmtk';

/**
 * Standard behaviour of the DIMSE side (issue 23 point 5) against dcmtk: command UIDs checked
 * (syntax, length) with PS3.7 statuses, error comments and log lines without control bytes,
 * and C-FIND's multiple value matching (the same QIDO-RS matching, so the same union).
 */
const TEST_FILES = join(PYDICOM, 'test_files');
const ENV = {
  ...process.env,
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

describe('DIMSE standard behaviour (issue 23.5) against dcmtk', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let port: number;
  let tmp: string;
  const warnings: string[] = [];
  const storescu = (file: string) => storeByDimse(port, file);

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'standards-dimse-'));
    schema = await Schema.create('standards_dimse');
    const dir = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description, directions) VALUES ('TOWNA_CT', $1, 'township CT', '{store,query}')`,
      [dir.org.townA],
    );
    app = await startImagingForTest(schema, {
      DIMSE_PORT: '0',
      DIMSE_HOST: '127.0.0.1',
      DIMSE_AE_TITLE: 'HUIZHEN',
    });
    port = app.app.get(DimseScp).port;
    // Every warning the SCP logs, to check what reaches the log.
    const scp = app.app.get(DimseScp) as unknown as { logger: { warn: (m: string) => void } };
    const original = scp.logger.warn.bind(scp.logger);
    scp.logger.warn = (m: string) => {
      warnings.push(m);
      original(m);
    };
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** MR_small under new UIDs, then `patch` given the data set to change bytes in place. */
  function mr(name: string, patch?: (bytes: Buffer, ds: dicomParser.DataSet) => void): string {
    const file = join(tmp, `${name}.dcm`);
    copyFileSync(join(TEST_FILES, 'MR_small.dcm'), file);
    execFileSync('dcmodify', ['-nb', '-gst', '-gse', '-gin', file], { env: ENV });
    if (patch) {
      const bytes = readFileSync(file);
      patch(bytes, dicomParser.parseDicom(bytes));
      writeFileSync(file, bytes);
    }
    return file;
  }

  /** Writes `text` over an element's value in place (same length, NUL padded). */
  function overwrite(bytes: Buffer, ds: dicomParser.DataSet, tag: string, text: string): void {
    const e = ds.elements[tag];
    bytes.fill(0, e.dataOffset, e.dataOffset + e.length);
    bytes.write(text.slice(0, e.length), e.dataOffset, 'latin1');
  }

  it('refuses a C-STORE whose Affected SOP Instance UID breaks the UID rules with 0x0117 and a clean comment', async () => {
    const [{ n: before }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    for (const [name, uid, shown] of [
      ['letters', '1.2.826.0.1.3680043.9.7433.5.abc', /^invalid Affected SOP Instance UID "1\.2/],
      ['leading-zero', '1.2.826.0.1.3680043.9.7433.05', /^invalid Affected SOP Instance UID/],
      ['control-bytes', '1.2.826.0.1.3680043.9.7433.5\x1b[2J\r\n', /^invalid Affected SOP/],
    ] as const) {
      const file = mr(name, (bytes, ds) => {
        overwrite(bytes, ds, 'x00020003', uid);
        overwrite(bytes, ds, 'x00080018', uid);
      });
      const rsp = await storescu(file);
      expect({ name, status: rsp.status }).toEqual({ name, status: 0x0117 });
      expect(rsp.comment).toMatch(shown);
      // eslint-disable-next-line no-control-regex
      expect(rsp.comment).not.toMatch(/[\x00-\x1f\x7f]/);
    }
    // Longer than 64 characters, otherwise well formed.
    const long = mr('too-long');
    const uid = `1.2.826.0.1.3680043.9.7433.5.${'1'.repeat(40)}`;
    execFileSync('dcmodify', ['-nb', '-ie', '-m', `(0008,0018)=${uid}`, long], {
      env: ENV,
      stdio: 'ignore',
    });
    // storescu cuts the command's copy to 64 characters; the data set's is refused by ingest.
    const rsp = await storescu(long);
    expect(rsp.status).toBe(0xa900);
    expect(rsp.comment).toMatch(/^SOP Instance UID "1\.2\.826/);
    const [{ n: after }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(after).toBe(before);
    // The refusal is logged once per instance, control bytes written out.
    const logged = warnings.filter((w) => /C-STORE from TOWNA_CT refused/.test(w));
    expect(logged.length).toBeGreaterThanOrEqual(4);
    expect(logged.filter((w) => w.includes('7433.5\\x1b[2J'))).toEqual([
      expect.stringMatching(/invalid Affected SOP Instance UID/),
    ]);
    // eslint-disable-next-line no-control-regex
    expect(logged.filter((w) => /[\x00-\x1f\x7f]/.test(w))).toEqual([]);
  });

  it('answers C-FIND with the union of several values: ModalitiesInStudy CT\\MR', async () => {
    const ct = join(tmp, 'ct.dcm');
    copyFileSync(join(TEST_FILES, 'CT_small.dcm'), ct);
    execFileSync('dcmodify', ['-nb', '-gst', '-gse', '-gin', ct], { env: ENV });
    const m = mr('for-find');
    for (const f of [ct, m]) expect((await storescu(f)).status).toBe(0);
    const studies = [ct, m].map((f) => parseInstance(readFileSync(f)).studyInstanceUid).sort();
    const find = async (modalities: string) => {
      const r = await dcmtk('findscu', [
        '-S',
        '-aet',
        'TOWNA_CT',
        '-aec',
        'HUIZHEN',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `ModalitiesInStudy=${modalities}`,
        '-k',
        'StudyInstanceUID',
        '127.0.0.1',
        String(port),
      ]);
      expect(r.status).toBe(0);
      return [...r.out.matchAll(/\(0020,000d\) UI \[([0-9.]+)/g)].map((x) => x[1]).sort();
    };
    expect(await find('CT\\MR')).toEqual(studies);
    expect(await find('MR')).toEqual([parseInstance(readFileSync(m)).studyInstanceUid]);
  });
});
