import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import {
  type DirectoryFixture,
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
} from '@huizhen/testing';
import { ImagingStore } from '../../apps/imaging/src/imaging-store';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { PYDICOM, withUids } from './support/corpus';
import { get, startImagingForTest, stow } from './support/dicomweb-client';

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { opened, open };
}

// Two archive nodes (e.g. an imaging node per hospital campus) on one database and one store.
describe('two archive nodes sharing the database and the instance store', () => {
  let schema: TestSchema;
  let dir: DirectoryFixture;
  let a: Awaited<ReturnType<typeof startImagingForTest>>;
  let b: Awaited<ReturnType<typeof startImagingForTest>>;

  beforeAll(async () => {
    schema = await Schema.create('imaging_nodes');
    dir = await seedDirectory(schema);
    a = await startImagingForTest(schema, { DIMSE_ENABLED: 'false' });
    b = await startImagingForTest(schema, { DIMSE_ENABLED: 'false' });
  });
  afterAll(async () => {
    await a?.app.close();
    await b?.app.close();
    await schema?.drop();
  });

  it("one node's failed commit never takes away the file of the same instance the other node committed", async () => {
    const uids = {
      study: '1.2.826.0.1.3680043.9.7433.77.1',
      series: '1.2.826.0.1.3680043.9.7433.77.1.1',
      sop: '1.2.826.0.1.3680043.9.7433.77.1.1.1',
    };
    const bytes = withUids(readFileSync(`${PYDICOM}/test_files/CT_small.dcm`), uids);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const [tokenA, tokenB] = [
      await loginAs(a.url, dir.user.townDoctorA.username),
      await loginAs(b.url, dir.user.townDoctorA.username),
    ];

    // The worst interleaving, forced: A moves the file into place, then its commit (the batch's
    // one statement) fails. B, storing the same instance (the modality retried on the other node),
    // finds A's file and keeps its own copy aside. A takes its file back before B commits.
    const aPublished = gate();
    const aFails = gate();
    const bPublished = gate();
    const aTookBack = gate();
    jest.spyOn(a.app.get(ImagingStore), 'storeBatch').mockImplementation(async () => {
      aPublished.open();
      await aFails.opened;
      throw new Error('injected: the connection of node A broke during its commit');
    });
    const storeA = a.app.get(InstanceStore);
    const removeA = storeA.remove.bind(storeA);
    jest.spyOn(storeA, 'remove').mockImplementation(async (s) => {
      await bPublished.opened;
      await removeA(s);
      aTookBack.open();
    });
    const indexB = b.app.get(ImagingStore);
    const storeBatchB = indexB.storeBatch.bind(indexB);
    jest.spyOn(indexB, 'storeBatch').mockImplementation(async (batch, audits) => {
      bPublished.open();
      await aTookBack.opened;
      return storeBatchB(batch, audits);
    });

    const toA = stow(a.url, tokenA, [bytes]);
    await aPublished.opened;
    expect(readFileSync(storeA.pathOf(sha)).equals(bytes)).toBe(true);
    const toB = stow(b.url, tokenB, [bytes]);
    aFails.open();
    const [fromA, fromB] = await Promise.all([toA, toB]);
    jest.restoreAllMocks();

    // A said it could not store the instance; B stored it.
    expect(fromA.json['00081198'].Value.map((f: any) => f['00081155'].Value[0])).toEqual([
      uids.sop,
    ]);
    expect(fromB.status).toBe(200);
    expect(fromB.json['00081199'].Value.map((r: any) => r['00081155'].Value[0])).toEqual([
      uids.sop,
    ]);
    // B's row and a file with exactly these bytes behind it, served by either node.
    expect(
      await schema.query(
        'SELECT content_sha256 FROM imaging_instance WHERE sop_instance_uid = $1',
        [uids.sop],
      ),
    ).toEqual([{ content_sha256: sha }]);
    expect(readFileSync(storeA.pathOf(sha)).equals(bytes)).toBe(true);
    for (const [node, token] of [
      [a, tokenA],
      [b, tokenB],
    ] as const) {
      const res = await get(
        node.url,
        token,
        `/dicom-web/studies/${uids.study}/series/${uids.series}/instances/${uids.sop}`,
        'multipart/related; type="application/dicom"',
      );
      expect(res.status).toBe(200);
      expect(res.body.includes(bytes)).toBe(true);
    }
    // No temp file of either node is left.
    expect(readdirSync(storeA.tmpDir)).toEqual([]);
  });
});
