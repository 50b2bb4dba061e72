import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { PYDICOM } from './support/corpus';
import { startImagingForTest, stow } from './support/dicomweb-client';
import { storescu as storeByDimse } from './support/dcmtk';

/**
 * A SOP Instance UID received again (issue 23.5), under each IMAGING_DUPLICATE_POLICY, through
 * STOW-RS and through dcmtk's storescu: the identical instance (even in another file meta) is
 * plain success; different content is kept out with a warning (keep-old, the default), refused
 * (reject) or stored in place (replace), and the statuses say which.
 */
const ENV = {
  ...process.env,
  DCMDICTPATH: process.env.DCMDICTPATH ?? '/usr/share/libdcmtk17/dicom.dic',
};

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('duplicate SOP Instance UIDs under IMAGING_DUPLICATE_POLICY, over STOW-RS and storescu', () => {
  let schema: TestSchema;
  let dir: DirectoryFixture;
  let tmp: string;

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'duplicates-'));
    schema = await Schema.create('duplicates');
    dir = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, description, directions) VALUES ('TOWNA_CT', $1, 'township CT', '{store}')`,
      [dir.org.townA],
    );
  });
  afterAll(async () => {
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** MR_small under new UIDs, and a copy with one pixel changed (same UIDs). */
  function pair(name: string): { original: string; altered: string; sop: string; study: string } {
    const original = join(tmp, `${name}.dcm`);
    copyFileSync(join(PYDICOM, 'test_files', 'MR_small.dcm'), original);
    execFileSync('dcmodify', ['-nb', '-gst', '-gse', '-gin', original], { env: ENV });
    const bytes = Buffer.from(readFileSync(original));
    bytes[bytes.length - 3] ^= 0xff;
    const altered = join(tmp, `${name}-altered.dcm`);
    writeFileSync(altered, bytes);
    const p = parseInstance(readFileSync(original));
    return { original, altered, sop: p.sopInstanceUid, study: p.studyInstanceUid };
  }

  async function withPolicy(
    policy: string | null,
    work: (ctx: {
      url: string;
      token: string;
      storescu: (file: string) => Promise<{ status: number | null; comment: string | null }>;
      files: InstanceStore;
    }) => Promise<void>,
  ): Promise<void> {
    const app = await startImagingForTest(schema, {
      DIMSE_PORT: '0',
      DIMSE_HOST: '127.0.0.1',
      DIMSE_AE_TITLE: 'HUIZHEN',
      ...(policy ? { IMAGING_DUPLICATE_POLICY: policy } : {}),
    });
    try {
      const port = app.app.get(DimseScp).port;
      const token = await loginAs(app.url, dir.user.townDoctorA.username);
      const storescu = (file: string) => storeByDimse(port, file);
      await work({ url: app.url, token, storescu, files: app.app.get(InstanceStore) });
    } finally {
      await app.app.close();
    }
  }

  const storedSha = async (sop: string): Promise<string> =>
    (
      await schema.query(
        'SELECT content_sha256 FROM imaging_instance WHERE sop_instance_uid = $1',
        [sop],
      )
    )[0].content_sha256;

  it('accepts the identical instance silently, through either door, whatever the file meta', async () => {
    await withPolicy('reject', async ({ url, token, storescu }) => {
      const { original, sop } = pair('identical');
      expect((await stow(url, token, [readFileSync(original)])).status).toBe(200);
      // storescu sends the data set only: our DIMSE file meta differs from the STOW-RS copy's.
      expect(await storescu(original)).toEqual({ status: 0x0000, comment: null });
      const again = await stow(url, token, [readFileSync(original)]);
      expect(again.status).toBe(200);
      expect(again.json['00081199'].Value[0]['00081196']).toBeUndefined();
      expect(await storedSha(sop)).toBe(sha256(readFileSync(original)));
    });
  });

  it('keeps the stored copy by default and says so: Warning B000 over both doors, logged and audited', async () => {
    await withPolicy(null, async ({ url, token, storescu, files }) => {
      const { original, altered, sop, study } = pair('keep-old');
      expect((await stow(url, token, [readFileSync(original)])).status).toBe(200);
      const before = (await files.listFiles()).stored.length;
      const res = await stow(url, token, [readFileSync(altered)]);
      expect(res.status).toBe(202);
      const [ref] = res.json['00081199'].Value;
      expect(ref['00081155'].Value[0]).toBe(sop);
      expect(ref['00081196'].Value[0]).toBe(0xb000);
      expect(ref['00000902'].Value[0]).toMatch(
        /different content, the stored copy was kept: SOP Instance /,
      );
      expect(res.json['00081198']).toBeUndefined();
      const dimse = await storescu(altered);
      expect(dimse.status).toBe(0xb000);
      expect(dimse.comment).toMatch(/already stored with different content/);
      // The stored instance and its file are the first copy's; the kept-out bytes are gone.
      expect(await storedSha(sop)).toBe(sha256(readFileSync(original)));
      expect((await files.listFiles()).stored.length).toBe(before);
      const audited = await schema.query(
        `SELECT resource_id, details FROM audit_event WHERE action = 'imaging_instance.duplicate_kept' ORDER BY seq`,
      );
      expect(
        audited.map((a: any) => [a.resource_id, a.details.sopInstanceUid, a.details.via]),
      ).toEqual([
        [study, sop, 'stow'],
        [study, sop, 'dimse'],
      ]);
    });
  });

  it('refuses different content under reject: 0xA711 with a reason, nothing changes', async () => {
    await withPolicy('reject', async ({ url, token, storescu, files }) => {
      const { original, altered, sop } = pair('reject');
      expect((await stow(url, token, [readFileSync(original)])).status).toBe(200);
      const before = (await files.listFiles()).stored.length;
      const res = await stow(url, token, [readFileSync(altered)]);
      expect(res.status).toBe(409);
      const [failed] = res.json['00081198'].Value;
      expect(failed['00081197'].Value[0]).toBe(0xa711);
      expect(failed['00000902'].Value[0]).toMatch(/already stored with different content/);
      const dimse = await storescu(altered);
      expect(dimse.status).toBe(0xa711);
      expect(dimse.comment).toMatch(/already stored with different content/);
      expect(await storedSha(sop)).toBe(sha256(readFileSync(original)));
      expect((await files.listFiles()).stored.length).toBe(before);
    });
  });

  it('stores different content in place of the old under replace, and lets the old file go', async () => {
    await withPolicy('replace', async ({ url, token, storescu, files }) => {
      const { original, altered, sop } = pair('replace');
      expect((await stow(url, token, [readFileSync(original)])).status).toBe(200);
      const before = (await files.listFiles()).stored.length;
      const res = await stow(url, token, [readFileSync(altered)]);
      expect(res.status).toBe(200);
      expect(res.json['00081199'].Value[0]['00081196']).toBeUndefined();
      expect(await storedSha(sop)).toBe(sha256(readFileSync(altered)));
      const after = await files.listFiles();
      expect(after.stored.length).toBe(before);
      expect(after.stored).not.toContain(sha256(readFileSync(original)));
      // And back again over DIMSE: success, the row follows (DIMSE's file meta is its own).
      expect(await storescu(original)).toEqual({ status: 0x0000, comment: null });
      const [{ n, via }] = await schema.query(
        'SELECT count(*)::int AS n, min(received_via) AS via FROM imaging_instance WHERE sop_instance_uid = $1',
        [sop],
      );
      expect({ n, via }).toEqual({ n: 1, via: 'dimse' });
      const [{ instances }] = await schema.query(
        `SELECT number_of_instances AS instances FROM imaging_study st JOIN imaging_instance i USING (study_instance_uid) WHERE i.sop_instance_uid = $1`,
        [sop],
      );
      expect(instances).toBe(1);
      const audited = await schema.query(
        `SELECT count(*)::int AS n FROM audit_event WHERE action = 'imaging_instance.replace' AND details->>'sopInstanceUid' = $1`,
        [sop],
      );
      expect(audited[0].n).toBe(2);
    });
  });
});
