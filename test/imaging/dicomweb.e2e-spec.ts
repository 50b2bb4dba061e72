import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import sharp from 'sharp';
import {
  type TestSchema,
  TestSchema as Schema,
  loginAs,
  seedDirectory,
  type DirectoryFixture,
} from '@huizhen/testing';
import { parseInstance, toDicomJson } from '@huizhen/dicom';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { IngestService } from '../../apps/imaging/src/ingest/ingest.service';
import { greyImageOf } from '../../apps/imaging/src/dicomweb/grey-window';
import { type Corpus, PYDICOM, buildCorpus, withUids } from './support/corpus';
import {
  get,
  multipartRelated,
  parseMultipart,
  startImagingForTest,
  stow,
} from './support/dicomweb-client';

function uidsOf(file: string) {
  const p = parseInstance(readFileSync(file));
  return {
    study: p.studyInstanceUid,
    series: p.seriesInstanceUid,
    sop: p.sopInstanceUid,
    ts: p.transferSyntaxUid,
    image: p.image,
  };
}

async function gray(
  png: Buffer,
  color: boolean,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png)
    .removeAlpha()
    .toColourspace(color ? 'srgb' : 'b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('DICOMweb: STOW-RS, QIDO-RS, WADO-RS on real files and real PostgreSQL', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startImagingForTest>>;
  let dir: DirectoryFixture;
  let corpus: Corpus;
  let uploader: string;
  let consortiumReader: string;
  let outsider: string;
  let admin: string;
  let store: InstanceStore;

  beforeAll(async () => {
    corpus = buildCorpus();
    schema = await Schema.create('imaging');
    dir = await seedDirectory(schema);
    app = await startImagingForTest(schema, {
      DIMSE_ENABLED: 'false',
      IMAGING_MAX_INSTANCE_BYTES: String(2 * 2 ** 20),
      // These tests name refusals of different content under a stored UID.
      IMAGING_DUPLICATE_POLICY: 'reject',
    });
    store = app.app.get(InstanceStore);
    uploader = await loginAs(app.url, dir.user.townDoctorA.username);
    consortiumReader = await loginAs(app.url, dir.user.countyRadiologistA.username);
    outsider = await loginAs(app.url, dir.user.countyRadiologistB.username);
    admin = await loginAs(app.url, dir.user.hubAdmin.username);
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('stores every transfer syntax and the Chinese-name files in one streamed STOW-RS request', async () => {
    const files = [...corpus.variants.map((v) => v.file), ...corpus.chinese.map((c) => c.file)];
    const res = await stow(
      app.url,
      uploader,
      files.map((f) => readFileSync(f)),
    );
    expect(res.status).toBe(200);
    const refs = res.json['00081199'].Value;
    expect(refs).toHaveLength(files.length);
    for (const f of files) {
      const u = uidsOf(f);
      expect(refs.map((r: any) => r['00081155'].Value[0])).toContain(u.sop);
    }
    const [{ n }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(n).toBe(files.length);
    // Audited per transaction (not per instance), every stored instance named.
    const events = await schema.query(
      `SELECT resource_id, details FROM audit_event WHERE action = 'imaging_study.store'`,
    );
    expect(events.length).toBeLessThan(files.length);
    const audited = events.flatMap(
      (e: any) => e.details.sopInstanceUids ?? Object.values(e.details.studies).flat(),
    );
    expect(audited.sort()).toEqual(files.map((f) => uidsOf(f).sop).sort());
    // Stored once, content-addressed, byte-identical.
    const { stored, temp } = await store.listFiles();
    expect(temp).toEqual([]);
    expect(stored).toHaveLength(files.length);
    const [row] = await schema.query(
      'SELECT content_sha256 FROM imaging_instance WHERE sop_instance_uid = $1',
      [uidsOf(files[0]).sop],
    );
    expect((await store.read(row.content_sha256)).equals(readFileSync(files[0]))).toBe(true);
  });

  it('is idempotent for a repeated instance and refuses different content under the same SOP Instance UID', async () => {
    const f = corpus.variants[0].file;
    const again = await stow(app.url, uploader, [readFileSync(f)]);
    expect(again.status).toBe(200);
    const altered = Buffer.from(readFileSync(f));
    altered[altered.length - 3] ^= 0xff; // a pixel changes, the UIDs do not
    const conflict = await stow(app.url, uploader, [altered]);
    expect(conflict.status).toBe(409);
    expect(conflict.json['00081198'].Value[0]['00081197'].Value[0]).toBe(0xa711);
    const [{ n }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance WHERE sop_instance_uid = $1',
      [uidsOf(f).sop],
    );
    expect(n).toBe(1);
  });

  it('gives each instance of one batched request its own outcome: new, repeated, conflicting, misfiled, foreign', async () => {
    const ct = readFileSync(`${PYDICOM}/test_files/CT_small.dcm`);
    const root = '1.2.826.0.1.3680043.9.7433.77';
    const S = `${root}.1`;
    const X = `${root}.1.1`;
    const Y = `${root}.1.2`;
    const mk = (study: string, series: string, n: number) =>
      withUids(ct, { study, series, sop: `${series}.${n}` });
    const a1 = mk(S, X, 1);
    const a2 = mk(S, X, 2);
    const a2altered = Buffer.from(a2);
    a2altered[a2altered.length - 3] ^= 0xff;
    const misfiled = withUids(ct, { study: `${root}.2`, series: X, sop: `${root}.2.9` }); // series X already is study S's
    const b1 = mk(S, Y, 1);
    const filesBefore = await store.listFiles();
    const res = await stow(app.url, uploader, [a1, a2, a1, a2altered, misfiled, b1]);
    expect(res.status).toBe(202);
    const refs = res.json['00081199'].Value.map((r: any) => [
      r['00081155'].Value[0],
      r['00081196']?.Value[0] ?? 0,
    ]);
    expect(refs).toEqual([
      [`${X}.1`, 0],
      [`${X}.2`, 0],
      [`${X}.1`, 0],
      [`${Y}.1`, 0],
    ]);
    const failed = res.json['00081198'].Value.map((r: any) => [
      r['00081155'].Value[0],
      r['00081197'].Value[0],
    ]);
    expect(failed).toEqual([
      [`${X}.2`, 0xa711],
      [`${root}.2.9`, 0xc000],
    ]);
    const [study] = await schema.query(
      'SELECT number_of_instances, number_of_series, modalities FROM imaging_study WHERE study_instance_uid = $1',
      [S],
    );
    expect(study).toEqual({ number_of_instances: 3, number_of_series: 2, modalities: ['CT'] });
    const series = await schema.query(
      'SELECT series_instance_uid AS uid, number_of_instances AS n FROM imaging_series WHERE study_instance_uid = $1 ORDER BY 1',
      [S],
    );
    expect(series).toEqual([
      { uid: X, n: 2 },
      { uid: Y, n: 1 },
    ]);
    const after = await store.listFiles();
    expect(after.temp).toEqual([]);
    expect(after.stored.length - filesBefore.stored.length).toBe(3);
    const audit = await schema.query(
      `SELECT details FROM audit_event WHERE action = 'imaging_study.store' AND resource_id = $1`,
      [S],
    );
    expect(audit).toHaveLength(1);
    expect(audit[0].details).toMatchObject({ instances: 3, via: 'stow' });
    expect([...audit[0].details.sopInstanceUids].sort()).toEqual([`${X}.1`, `${X}.2`, `${Y}.1`]);

    // Two clients racing with the same new instances: both told "stored", one row each.
    const race = [1, 2, 3].map((n) => mk(S, `${root}.1.3`, n));
    const [r1, r2] = await Promise.all([
      stow(app.url, uploader, race),
      stow(app.url, uploader, race),
    ]);
    expect([r1.status, r2.status]).toEqual([200, 200]);
    const [{ n }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance WHERE series_instance_uid = $1',
      [`${root}.1.3`],
    );
    expect(n).toBe(3);
    const [again] = await schema.query(
      'SELECT number_of_instances, number_of_series FROM imaging_study WHERE study_instance_uid = $1',
      [S],
    );
    expect(again).toEqual({ number_of_instances: 6, number_of_series: 3 });

    // Another organization's doctor cannot add to the study (0x0124), and nothing of it is kept.
    const other = await loginAs(app.url, dir.user.townDoctorB.username);
    const foreign = await stow(app.url, other, [mk(S, X, 7)]);
    expect(foreign.status).toBe(409);
    expect(foreign.json['00081198'].Value[0]['00081197'].Value[0]).toBe(0x0124);
    expect((await store.listFiles()).temp).toEqual([]);
    const [{ n: still }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance WHERE study_instance_uid = $1',
      [S],
    );
    expect(still).toBe(6);
  });

  it('keeps a study’s counters right when requests into it commit at the same time, overlapping instances included', async () => {
    const ct = readFileSync(`${PYDICOM}/test_files/CT_small.dcm`);
    const root = '1.2.826.0.1.3680043.9.7433.78';
    const S = `${root}.1`;
    const series = [1, 2, 3].map((n) => `${S}.${n}`);
    // Six clients, 12 instances each over three series; each shares half its instances with the next.
    const requests = Array.from({ length: 6 }, (_, c) =>
      Array.from({ length: 12 }, (_, i) => {
        const n = c * 6 + i;
        return withUids(ct, { study: S, series: series[n % 3], sop: `${series[n % 3]}.${n}` });
      }),
    );
    const results = await Promise.all(requests.map((parts) => stow(app.url, uploader, parts)));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const distinct = 42; // n = c * 6 + i runs over 0..41
    const [study] = await schema.query(
      'SELECT number_of_instances, number_of_series FROM imaging_study WHERE study_instance_uid = $1',
      [S],
    );
    expect(study).toEqual({ number_of_instances: distinct, number_of_series: 3 });
    const perSeries = await schema.query(
      `SELECT se.series_instance_uid AS uid, se.number_of_instances AS counted, (SELECT count(*)::int FROM imaging_instance i WHERE i.series_instance_uid = se.series_instance_uid) AS stored
         FROM imaging_series se WHERE se.study_instance_uid = $1 ORDER BY 1`,
      [S],
    );
    expect(perSeries).toEqual(
      series.map((uid) => ({ uid, counted: distinct / 3, stored: distinct / 3 })),
    );
    expect((await store.listFiles()).temp).toEqual([]);
  });

  it('stores a new study that several requests start at the same moment, every time', async () => {
    // Batches committing side by side insert the same new study and series rows; a unique index
    // outside ON CONFLICT's target (the de-identified UIDs had one) turned that race into a failed
    // batch ("try again") for every instance in it.
    const ct = readFileSync(`${PYDICOM}/test_files/CT_small.dcm`);
    const statuses: number[] = [];
    for (let round = 0; round < 25; round++) {
      const S = `1.2.826.0.1.3680043.9.7433.79.${round}`;
      const requests = [0, 1, 2, 3].map((c) =>
        [0, 1].map((i) => withUids(ct, { study: S, series: `${S}.1`, sop: `${S}.1.${c}.${i}` })),
      );
      statuses.push(
        ...(await Promise.all(requests.map((parts) => stow(app.url, uploader, parts)))).map(
          (r) => r.status,
        ),
      );
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const counts = await schema.query(
      `SELECT number_of_instances AS n, count(*) OVER () AS studies FROM imaging_study WHERE study_instance_uid LIKE '1.2.826.0.1.3680043.9.7433.79.%'`,
    );
    expect(counts.map((c: any) => [c.n, Number(c.studies)])).toEqual(
      Array.from({ length: 25 }, () => [8, 25]),
    );
  });

  it('refuses every malformed file with a reason, keeps nothing of it and stays up', async () => {
    const before = await store.listFiles();
    const [{ n: rowsBefore }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance',
    );
    for (const m of corpus.malformed) {
      const res = await stow(app.url, uploader, [readFileSync(m.file)]);
      expect({ name: m.name, status: res.status }).toEqual({ name: m.name, status: 409 });
      const failed = res.json['00081198'].Value[0];
      expect(typeof failed['00081197'].Value[0]).toBe('number');
      expect({ name: m.name, reason: failed['00000902'].Value[0] }).toEqual({
        name: m.name,
        reason: expect.stringMatching(new RegExp(m.expect, 'i')),
      });
    }
    // Over the size limit (2 MiB here): refused while streaming.
    const big = Buffer.concat([readFileSync(corpus.variants[0].file), Buffer.alloc(3 * 2 ** 20)]);
    const res = await stow(app.url, uploader, [big]);
    expect(res.status).toBe(409);
    expect(res.json['00081198'].Value[0]['00000902'].Value[0]).toMatch(/larger than the limit/);
    // A body that is not multipart at all.
    const notMultipart = await fetch(app.url + '/dicom-web/studies', {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'application/dicom' },
      body: readFileSync(corpus.variants[0].file),
    });
    expect(notMultipart.status).toBe(415);
    const after = await store.listFiles();
    expect(after.temp).toEqual([]);
    expect(after.stored.sort()).toEqual(before.stored.sort());
    const [{ n: rowsAfter }] = await schema.query(
      'SELECT count(*)::int AS n FROM imaging_instance',
    );
    expect(rowsAfter).toBe(rowsBefore);
    expect((await fetch(app.url + '/health')).status).toBe(200);
  });

  it('decodes GB18030, GBK, UTF-8 and ISO 2022 IR 58 patient names', async () => {
    for (const c of corpus.chinese) {
      const u = uidsOf(c.file);
      const res = await get(app.url, uploader, `/dicom-web/studies?StudyInstanceUID=${u.study}`);
      expect(res.status).toBe(200);
      expect({ charset: c.charset, name: res.json()[0]['00100010'].Value[0] }).toEqual({
        charset: c.charset,
        name: c.expected,
      });
      const meta = await get(
        app.url,
        uploader,
        `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}/metadata`,
      );
      expect(meta.json()[0]['00100010'].Value[0]).toEqual(c.expected);
    }
    // Ideographic wildcard and fuzzy matching through pg_trgm.
    const byHanzi = await get(
      app.url,
      uploader,
      `/dicom-web/studies?PatientName=${encodeURIComponent('王*')}`,
    );
    expect(byHanzi.json().length).toBeGreaterThanOrEqual(3);
    const fuzzy = await get(
      app.url,
      uploader,
      `/dicom-web/studies?PatientName=wang^xiaodonq&fuzzymatching=true`,
    );
    expect(fuzzy.status).toBe(200);
    expect(fuzzy.json().length).toBeGreaterThanOrEqual(3);
  });

  it('answers QIDO-RS at study, series and instance level with matching, limit and offset', async () => {
    const mr = uidsOf(corpus.variants[0].file);
    const all = await get(app.url, uploader, '/dicom-web/studies');
    expect(all.status).toBe(200);
    const studies = all.json();
    expect(studies.length).toBeGreaterThanOrEqual(3);
    const mrStudy = studies.find((s: any) => s['0020000D'].Value[0] === mr.study);
    expect(mrStudy['00201208'].Value[0]).toBe(9); // the eight syntaxes made from MR_small, and its MONOCHROME1 copy
    expect(mrStudy['00080061'].Value).toContain('MR');
    // One audit event per listing, naming every study it showed.
    const [listed] = await schema.query(
      `SELECT details FROM audit_event WHERE action = 'imaging_study.read' AND actor_id = $1 AND details->>'what' = 'search study' ORDER BY id DESC LIMIT 1`,
      [dir.user.townDoctorA.id],
    );
    expect([...listed.details.studyInstanceUids].sort()).toEqual(
      studies.map((s: any) => s['0020000D'].Value[0]).sort(),
    );
    const page = await get(app.url, uploader, '/dicom-web/studies?limit=1&offset=1');
    expect(page.json()).toHaveLength(1);
    expect(page.json()[0]['0020000D'].Value[0]).toBe(studies[1]['0020000D'].Value[0]);
    const byModality = await get(
      app.url,
      uploader,
      '/dicom-web/studies?ModalitiesInStudy=MR&StudyDate=19000101-20991231',
    );
    expect(byModality.json().map((s: any) => s['0020000D'].Value[0])).toContain(mr.study);
    const series = await get(app.url, uploader, `/dicom-web/studies/${mr.study}/series`);
    expect(series.json()).toHaveLength(9);
    const topSeries = await get(
      app.url,
      uploader,
      `/dicom-web/series?Modality=MR&StudyInstanceUID=${mr.study}`,
    );
    expect(topSeries.json()).toHaveLength(9);
    const instances = await get(
      app.url,
      uploader,
      `/dicom-web/studies/${mr.study}/series/${mr.series}/instances`,
    );
    expect(instances.json()).toHaveLength(1);
    expect(instances.json()[0]['00080018'].Value[0]).toBe(mr.sop);
    const none = await get(app.url, uploader, '/dicom-web/studies?AccessionNumber=no-such-thing');
    expect(none.status).toBe(204);
    // Identity keys match inside the reader's organizations (the (organization, key) indexes):
    // MR_small's Patient ID, exact and wildcard; another township's doctor finds nothing.
    const uidsOfList = (r: { status: number; json: () => any }) =>
      r.status === 204 ? [] : r.json().map((s: any) => s['0020000D'].Value[0]);
    expect(uidsOfList(await get(app.url, uploader, '/dicom-web/studies?PatientID=4MR1'))).toContain(
      mr.study,
    );
    expect(uidsOfList(await get(app.url, uploader, '/dicom-web/studies?00100020=4MR*'))).toContain(
      mr.study,
    );
    const otherTownship = await loginAs(app.url, dir.user.townDoctorB.username);
    expect((await get(app.url, otherTownship, '/dicom-web/studies?PatientID=4MR1')).status).toBe(
      204,
    );
    const badDate = await get(app.url, uploader, '/dicom-web/studies?StudyDate=yesterday');
    expect(badDate.status).toBe(400);
  });

  it('keeps instance DICOM JSON as json text (lz4 where the server has it) and serves rows stored as jsonb alike', async () => {
    const [col] = await schema.query(
      `SELECT format_type(atttypid, atttypmod) AS type, attcompression AS compression FROM pg_attribute WHERE attrelid = 'imaging_instance'::regclass AND attname = 'metadata'`,
    );
    expect(col).toEqual({ type: 'json', compression: 'l' });
    // A row as the migration leaves it (jsonb's spacing): its bulk data URIs still come out absolute.
    const u = uidsOf(corpus.variants[0].file);
    await schema.query(
      'UPDATE imaging_instance SET metadata = metadata::jsonb::json WHERE sop_instance_uid = $1',
      [u.sop],
    );
    const [{ spaced }] = await schema.query(
      `SELECT metadata::text LIKE '%"BulkDataURI": "%' AS spaced FROM imaging_instance WHERE sop_instance_uid = $1`,
      [u.sop],
    );
    expect(spaced).toBe(true);
    const meta = await get(
      app.url,
      uploader,
      `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}/metadata`,
    );
    expect(meta.json()[0]['7FE00010'].BulkDataURI).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies\//,
    );
  });

  it('windows native greyscale itself and leaves the rest to the general decoder', () => {
    const windowedHere = corpus.variants
      .filter((v) => greyImageOf(parseInstance(readFileSync(v.file))) !== null)
      .map((v) => v.name);
    expect(windowedHere.sort()).toEqual([
      'ct-rescale-padding',
      'explicit-le',
      'implicit-le',
      'monochrome1',
    ]);
  });

  it('serves metadata, raw frames, instances and rendered PNG/JPEG for every transfer syntax, matching dcmtk', async () => {
    for (const v of corpus.variants) {
      const u = uidsOf(v.file);
      const base = `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}`;
      const meta = await get(
        app.url,
        uploader,
        `/dicom-web/studies/${u.study}/series/${u.series}/metadata`,
      );
      expect({ v: v.name, status: meta.status }).toEqual({ v: v.name, status: 200 });
      const m = meta.json()[0];
      expect(m['00080018'].Value[0]).toBe(u.sop);
      expect(m['7FE00010'].BulkDataURI).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dicom-web\/studies\//);
      // Same JSON as a fresh conversion of the file (nothing re-read at request time, nothing lost).
      const p = parseInstance(readFileSync(v.file));
      const direct = toDicomJson(p.dataSet, p.charsets, { inlineBinaryLimit: 4096 });
      expect(m['00100010']).toEqual(direct['00100010']);
      expect(m['00280010']).toEqual(direct['00280010']);

      const frame = await get(
        app.url,
        uploader,
        `${base}/frames/1`,
        'multipart/related; type="application/octet-stream"; transfer-syntax=*',
      );
      expect({ v: v.name, status: frame.status }).toEqual({ v: v.name, status: 200 });
      const parts = parseMultipart(frame.body, frame.headers.get('content-type')!);
      expect(parts).toHaveLength(1);
      const img = u.image!;
      if (['explicit-le', 'implicit-le', 'explicit-be', 'deflate'].includes(v.name)) {
        expect(parts[0].headers['content-type']).toContain('transfer-syntax=1.2.840.10008.1.2.1');
        expect(parts[0].body.length).toBe(
          img.rows * img.columns * img.samplesPerPixel * (img.bitsAllocated / 8),
        );
        // Pixel values equal the little-endian original's, whatever the stored byte order or deflation.
        const orig = parseInstance(readFileSync(corpus.variants[0].file));
        const el = orig.dataSet.elements.x7fe00010;
        expect(
          parts[0].body.equals(
            Buffer.from(orig.byteArray.subarray(el.dataOffset, el.dataOffset + el.length)),
          ),
        ).toBe(true);
      } else {
        expect(parts[0].headers['content-type']).toContain(`transfer-syntax=${v.transferSyntax}`);
        expect(parts[0].body.length).toBeGreaterThan(16);
      }

      const q = v.window ? `?window=${v.window.center},${v.window.width}` : '';
      const png = await get(app.url, uploader, `${base}/rendered${q}`, 'image/png');
      expect({ v: v.name, status: png.status, type: png.headers.get('content-type') }).toEqual({
        v: v.name,
        status: 200,
        type: 'image/png',
      });
      const ours = await gray(png.body, v.color);
      const ref = await gray(readFileSync(v.reference), v.color);
      expect([ours.width, ours.height]).toEqual([ref.width, ref.height]);
      let sum = 0;
      let max = 0;
      for (let i = 0; i < ref.data.length; i++) {
        const d = Math.abs(ours.data[i] - ref.data[i]);
        sum += d;
        max = Math.max(max, d);
      }
      const mean = sum / ref.data.length;
      // dcmtk maps the window over width-1 and rounds differently: a grey level or two apart.
      expect({
        v: v.name,
        meanOk: mean <= (v.lossy ? 3 : 1.5),
        maxOk: max <= (v.lossy ? 24 : 6),
      }).toEqual({ v: v.name, meanOk: true, maxOk: true });

      const jpeg = await get(
        app.url,
        uploader,
        `${base}/frames/1/rendered?viewport=32,32${v.window ? `&window=${v.window.center},${v.window.width}` : ''}`,
        'image/jpeg',
      );
      expect(jpeg.status).toBe(200);
      expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
      const jm = await sharp(jpeg.body).metadata();
      expect(Math.max(jm.width!, jm.height!)).toBe(32);
      const thumb = await get(
        app.url,
        uploader,
        `/dicom-web/studies/${u.study}/series/${u.series}/thumbnail`,
      );
      expect(thumb.status).toBe(200);
    }
    // Multi-frame: each frame separately.
    const mf = corpus.variants.find((v) => v.name === 'rle-rgb-2frame')!;
    const u = uidsOf(mf.file);
    const two = await get(
      app.url,
      uploader,
      `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}/frames/1,2`,
    );
    expect(parseMultipart(two.body, two.headers.get('content-type')!)).toHaveLength(2);
    const f3 = await get(
      app.url,
      uploader,
      `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}/frames/3`,
    );
    expect(f3.status).toBe(404);
    // Whole study as multipart application/dicom, byte-identical to what was stored.
    const mr = uidsOf(corpus.variants[0].file);
    const study = await get(
      app.url,
      uploader,
      `/dicom-web/studies/${mr.study}`,
      'multipart/related; type="application/dicom"',
    );
    expect(study.status).toBe(200);
    const files = parseMultipart(study.body, study.headers.get('content-type')!);
    expect(files).toHaveLength(9);
    expect(files.some((f) => f.body.equals(readFileSync(corpus.variants[0].file)))).toBe(true);
  });

  it('shows outsiders nothing: 403 on every DICOMweb route, and search lists none of it', async () => {
    const u = uidsOf(corpus.variants[0].file);
    const base = `/dicom-web/studies/${u.study}/series/${u.series}/instances/${u.sop}`;
    const routes = [
      `/dicom-web/studies/${u.study}`,
      `/dicom-web/studies/${u.study}/metadata`,
      `/dicom-web/studies/${u.study}/series`,
      `/dicom-web/studies/${u.study}/instances`,
      `/dicom-web/studies/${u.study}/thumbnail`,
      `/dicom-web/studies/${u.study}/series/${u.series}`,
      `/dicom-web/studies/${u.study}/series/${u.series}/metadata`,
      `/dicom-web/studies/${u.study}/series/${u.series}/instances`,
      `/dicom-web/studies/${u.study}/series/${u.series}/thumbnail`,
      base,
      `${base}/metadata`,
      `${base}/frames/1`,
      `${base}/rendered`,
      `${base}/thumbnail`,
      `${base}/frames/1/rendered`,
      `${base}/bulk/7FE00010`,
    ];
    for (const token of [outsider, admin]) {
      for (const r of routes) {
        const res = await get(app.url, token, r);
        expect({ r, status: res.status }).toEqual({ r, status: 403 });
      }
      const list = await get(app.url, token, '/dicom-web/studies');
      expect(list.status).toBe(204);
      const named = await get(app.url, token, `/dicom-web/studies?StudyInstanceUID=${u.study}`);
      expect(named.status).toBe(204);
    }
    for (const r of routes.slice(0, 3)) expect((await fetch(app.url + r)).status).toBe(401);
    const stowOutsider = await stow(app.url, admin, [readFileSync(corpus.variants[0].file)]);
    expect(stowOutsider.status).toBe(403);
    const denials = await schema.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE resource_type = 'imaging_study' AND outcome = 'denied'`,
    );
    expect(denials[0].n).toBeGreaterThanOrEqual(routes.length);
  });

  it('serves a de-identified copy to a specialist outside the consortium with an expiring share', async () => {
    const zh = corpus.chinese.find((c) => c.charset === 'GB18030')!;
    const u = uidsOf(zh.file);
    const share = await fetch(`${app.url}/api/imaging/studies/${u.study}/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        practitionerId: dir.user.countyRadiologistB.id,
        expiresAt: new Date(Date.now() + 3600_000).toISOString(),
        reason: 'second opinion',
      }),
    });
    expect(share.status).toBe(201);
    const list = await get(app.url, outsider, '/dicom-web/studies');
    expect(list.status).toBe(200);
    const [study] = list.json();
    expect(study['00100010'].Value[0]).toEqual({ Alphabetic: 'ANONYMIZED' });
    expect(study['0020000D'].Value[0]).toMatch(/^2\.25\.\d+$/);
    expect(study['0020000D'].Value[0]).not.toBe(u.study);
    expect(JSON.stringify(study)).not.toMatch(/王|Wang/);
    const [searchAudit] = await schema.query(
      `SELECT details FROM audit_event WHERE action = 'imaging_study.read' AND actor_id = $1 AND details->>'what' = 'search study' ORDER BY id DESC LIMIT 1`,
      [dir.user.countyRadiologistB.id],
    );
    expect(searchAudit.details).toMatchObject({
      deidentified: true,
      studyInstanceUids: [u.study],
      deidentifiedStudyInstanceUids: [u.study],
    });
    // Searching by the patient's name finds nothing in de-identified studies.
    expect((await get(app.url, outsider, `/dicom-web/studies?PatientName=Wang*`)).status).toBe(204);
    const deidStudy = study['0020000D'].Value[0];
    const meta = await get(app.url, outsider, `/dicom-web/studies/${deidStudy}/metadata`);
    expect(meta.status).toBe(200);
    const m = meta.json()[0];
    expect(JSON.stringify(m)).not.toMatch(/王|Wang|XiaoDong/);
    expect(m['00120062'].Value[0]).toBe('YES');
    expect(m['00080018'].Value[0]).toMatch(/^2\.25\./);
    // UID remapping is consistent: the same study UID the search gave, the same instance UID every time.
    expect(m['0020000D'].Value[0]).toBe(deidStudy);
    const again = await get(app.url, outsider, `/dicom-web/studies/${deidStudy}/metadata`);
    expect(again.json()[0]['00080018'].Value[0]).toBe(m['00080018'].Value[0]);
    const series = m['0020000E'].Value[0];
    const sop = m['00080018'].Value[0];
    const inst = await get(
      app.url,
      outsider,
      `/dicom-web/studies/${deidStudy}/series/${series}/instances/${sop}`,
    );
    expect(inst.status).toBe(200);
    const [part] = parseMultipart(inst.body, inst.headers.get('content-type')!);
    const p = parseInstance(part.body);
    const j = toDicomJson(p.dataSet, p.charsets, { inlineBinaryLimit: 64 });
    expect(j['00100010'].Value![0]).toEqual({ Alphabetic: 'ANONYMIZED' });
    expect(p.sopInstanceUid).toBe(sop);
    expect(part.body.includes(Buffer.from(u.sop))).toBe(false);
    const rendered = await get(
      app.url,
      outsider,
      `/dicom-web/studies/${deidStudy}/series/${series}/instances/${sop}/rendered`,
      'image/png',
    );
    expect(rendered.status).toBe(200);
    // A specialist of the patient's consortium, reading through a consultation, sees the identified
    // study. The imaging node runs alone here: it reads who takes part from the shared database.
    const [patient] = await schema.query(
      `INSERT INTO patient (organization_id, name, sex, birth_date) VALUES ($1, '王小东', 'male', '1970-01-01') RETURNING id`,
      [dir.org.townA],
    );
    const [consultation] = await schema.query(
      `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, status)
       VALUES ($1, $2, $3, 'radiology', 'routine', 'imaging_read', 'Read the MR, please', 'claimed') RETURNING id`,
      [dir.org.townA, dir.user.townDoctorA.id, patient.id],
    );
    const consultationId: string = consultation.id;
    await schema.query(
      `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'requester')`,
      [consultationId, dir.user.townDoctorA.id],
    );
    const attach = await fetch(`${app.url}/api/imaging/studies/${u.study}/consultations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'application/json' },
      body: JSON.stringify({ consultationId }),
    });
    expect(attach.status).toBe(201);
    expect(
      (await get(app.url, consortiumReader, `/dicom-web/studies/${u.study}/metadata`)).status,
    ).toBe(403);
    // The county radiologist takes part (assigned): from the next request on, the study is theirs to read.
    await schema.query(
      `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) VALUES ($1, $2, 'assigned_specialist')`,
      [consultationId, dir.user.countyRadiologistA.id],
    );
    const own = await get(app.url, consortiumReader, `/dicom-web/studies/${u.study}/metadata`);
    expect(own.json()[0]['00100010'].Value[0]).toEqual(zh.expected);
    // Taken off the consultation: no longer.
    await schema.query(
      `UPDATE consultation_participant SET active = false WHERE consultation_id = $1 AND practitioner_id = $2`,
      [consultationId, dir.user.countyRadiologistA.id],
    );
    expect(
      (await get(app.url, consortiumReader, `/dicom-web/studies/${u.study}/metadata`)).status,
    ).toBe(403);
    const audited = await schema.query(
      `SELECT count(*)::int AS n FROM audit_event WHERE action = 'imaging_study.read' AND actor_id = $1 AND details->>'deidentified' = 'true'`,
      [dir.user.countyRadiologistB.id],
    );
    expect(audited[0].n).toBeGreaterThanOrEqual(3);
  });

  it('leaves nothing half-written when the client disconnects mid-upload', async () => {
    const [{ n: before }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    const filesBefore = await store.listFiles();
    const fresh = readFileSync(corpus.dimseFiles[0]);
    const { body, contentType } = multipartRelated([fresh]);
    const url = new URL(app.url + '/dicom-web/studies');
    await new Promise<void>((resolve) => {
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${uploader}`,
          'content-type': contentType,
          'content-length': body.length,
        },
      });
      req.on('error', () => resolve());
      req.write(body.subarray(0, Math.floor(body.length / 2)), () =>
        setTimeout(() => (req.destroy(), resolve()), 200),
      );
    });
    await new Promise((r) => setTimeout(r, 300));
    const [{ n: after }] = await schema.query('SELECT count(*)::int AS n FROM imaging_instance');
    expect(after).toBe(before);
    const filesAfter = await store.listFiles();
    expect(filesAfter.temp).toEqual([]);
    expect(filesAfter.stored.sort()).toEqual(filesBefore.stored.sort());
    // And the startup sweep removes what a crash between rename and commit could leave.
    const orphan = await store.stage(Buffer.from('orphan'));
    await store.publish(orphan);
    const leftover = await store.stage(Buffer.from('temp left by a killed process'));
    expect((await store.listFiles()).stored).toContain(orphan.sha256);
    const swept = await app.app.get(IngestService).sweep(0);
    expect(swept.orphans).toBe(1);
    expect(swept.temp).toBe(1);
    expect((await store.listFiles()).stored.sort()).toEqual(filesBefore.stored.sort());
    void leftover;
  });
});
