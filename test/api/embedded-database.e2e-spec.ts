import { afterAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import request from 'supertest';
import { EmbeddedDataDir, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';

/**
 * What `npm start` does on a fresh machine: no DATABASE_URL, so the embedded PostgreSQL
 * (PGlite) starts under DATA_DIR, migrations run, the demo province loads once.
 */
describe('embedded database (PGlite) smoke test', () => {
  const data = new EmbeddedDataDir();
  const env = data.env();
  afterAll(() => data.drop());

  const login = async (url: string, username: string) =>
    (
      await request(url)
        .post('/api/auth/login')
        .send({ username, password: 'Huizhen-demo-1' })
        .expect(200)
    ).body.accessToken as string;

  it('starts, seeds the demo province, serves every role, and keeps its data across a restart', async () => {
    let server = await startTestApp(env, (config) => ServerModule.forConfig(config));
    let patientId: string;
    try {
      const health = await request(server.url).get('/health').expect(200);
      expect(health.body.checks.database).toMatchObject({ status: 'up', mode: 'embedded' });
      expect(health.body.checks.media).toMatchObject({ status: 'up' });
      // The demo township's X-ray machine is a known DICOM sender: C-ECHO as it, with dcmtk.
      // (async: the SCP runs in this very process)
      const echo = (aet: string) =>
        promisify(execFile)(
          'echoscu',
          ['-aet', aet, '-aec', 'HUIZHEN', '127.0.0.1', String(health.body.checks.dimse.port)],
          { env: { ...process.env, TCP_NODELAY: '1' }, timeout: 10_000 },
        );
      await expect(echo('TOWN01_DR')).resolves.toBeDefined();
      await expect(echo('UNKNOWN_CT')).rejects.toThrow(/Calling AE Title Not Recognized/);

      const orgs = await request(server.url)
        .get('/api/organizations?limit=200')
        .set('authorization', `Bearer ${await login(server.url, 'demo-admin')}`)
        .expect(200);
      const levels = orgs.body.items.map((o: any) => o.level);
      expect(levels.filter((l: string) => l === 'province_hub')).toHaveLength(1);
      expect(levels.filter((l: string) => l === 'city_hospital')).toHaveLength(2);
      expect(levels.filter((l: string) => l === 'county_hospital')).toHaveLength(4);
      expect(levels.filter((l: string) => l === 'township_health_centre')).toHaveLength(12);
      expect(levels.filter((l: string) => l === 'village_clinic').length).toBeGreaterThanOrEqual(6);

      const township = await login(server.url, 'demo-township');
      const me = await request(server.url)
        .get('/api/me')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(me.body.roles).toEqual(['township_doctor']);
      const created = await request(server.url)
        .post('/api/patients')
        .set('authorization', `Bearer ${township}`)
        .send({ name: '欧阳小东', sex: 'male', birthDate: '1970-05-06' })
        .expect(201);
      patientId = created.body.id;
      // A write inside a transaction on the single-session database must not wait on itself.
      await request(server.url)
        .patch(`/api/patients/${patientId}`)
        .set('authorization', `Bearer ${township}`)
        .send({ phone: '13900000000' })
        .expect(200);
      const found = await request(server.url)
        .get('/api/patients?q=欧阳')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(found.body.items.map((p: any) => p.name)).toContain('欧阳小东');

      const specialists = await request(server.url)
        .get('/api/practitioners?role=specialist&limit=200')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(specialists.body.total).toBeGreaterThanOrEqual(25);
      expect(
        new Set(specialists.body.items.map((p: any) => p.specialty)).size,
      ).toBeGreaterThanOrEqual(8);
      const doctors = await request(server.url)
        .get('/api/practitioners?role=township_doctor&limit=200')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(doctors.body.total).toBeGreaterThanOrEqual(18);
      const consortia = await request(server.url)
        .get('/api/consortia?limit=50')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(new Set(consortia.body.items.map((c: any) => c.kind)).size).toBe(4);

      // A few consultations, made through the real services on first start.
      const specialist = await login(server.url, 'demo-specialist');
      const queue = await request(server.url)
        .get('/api/consultations/worklist?box=queue')
        .set('authorization', `Bearer ${specialist}`)
        .expect(200);
      expect(queue.body.items.map((c: any) => c.status)).toEqual(['submitted']);
      // The queued chest read carries its radiograph, which the specialist in whose queue it
      // waits reads through the archive: identified metadata and a rendered frame.
      const chest = await request(server.url)
        .get(`/api/consultations/${queue.body.items[0].id}`)
        .set('authorization', `Bearer ${specialist}`)
        .expect(200);
      const [study] = chest.body.attachments.filter((a: any) => a.kind === 'imaging_study');
      const meta = await request(server.url)
        .get(`/dicom-web/studies/${study.studyInstanceUid}/metadata`)
        .set('authorization', `Bearer ${specialist}`)
        .expect(200);
      expect(meta.body).toHaveLength(1);
      expect(meta.body[0]['00080060'].Value).toEqual(['DX']);
      const instance = meta.body[0];
      const rendered = await request(server.url)
        .get(
          `/dicom-web/studies/${study.studyInstanceUid}/series/${instance['0020000E'].Value[0]}/instances/${instance['00080018'].Value[0]}/rendered`,
        )
        .set('authorization', `Bearer ${specialist}`)
        .set('accept', 'image/png')
        .expect(200);
      expect(rendered.headers['content-type']).toBe('image/png');
      const mine = await request(server.url)
        .get('/api/consultations/worklist?box=assigned')
        .set('authorization', `Bearer ${specialist}`)
        .expect(200);
      expect(mine.body.items.map((c: any) => c.status).sort()).toEqual(['claimed', 'reported']);
      const reported = mine.body.items.find((c: any) => c.status === 'reported');
      const verified = await request(server.url)
        .get(`/api/consultations/${reported.id}/report/verify`)
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(verified.body.valid).toBe(true);
      await login(server.url, 'demo-hub');
    } finally {
      await server.app.close();
    }

    server = await startTestApp(env, (config) => ServerModule.forConfig(config));
    try {
      const township = await login(server.url, 'demo-township');
      const again = await request(server.url)
        .get(`/api/patients/${patientId}`)
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(again.body).toMatchObject({ name: '欧阳小东', phone: '13900000000' });
      const orgs = await request(server.url)
        .get('/api/organizations?level=province_hub')
        .set('authorization', `Bearer ${township}`)
        .expect(200);
      expect(orgs.body.total).toBe(1); // seeded once, not again
      const verify = await request(server.url)
        .get('/api/audit/verify')
        .set('authorization', `Bearer ${await login(server.url, 'demo-admin')}`)
        .expect(200);
      expect(verify.body.ok).toBe(true);
    } finally {
      await server.app.close();
    }
    // Two cold starts of the embedded database, the demo province seeded once: a minute when the
    // machine is idle, more beside CI's other worker (the clean-clone run hit 60 s).
  }, 240_000);
});
