import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { hashPassword, parseKey } from '@huizhen/auth';
import {
  FIXTURE_PASSWORD,
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { multipartRelated, send, tinyDicom } from '../api/authorization/support/http';
import { apiAndImaging } from './support/api-and-imaging';

/** The access-token lifetime of this server: the shortest the config takes. */
const ACCESS_TTL_S = 30;

const basic = (key: string) => `Basic ${Buffer.from(`orthanc:${key}`).toString('base64')}`;

/**
 * Service accounts, end to end in api + imaging as the single server mounts them (real PostgreSQL): an admin
 * creates a key (shown once), a machine uses it on DICOMweb and the API as Bearer and as Basic
 * password, past the access-token lifetime; scopes and the policy bound it to its organization's
 * images; revoking stops it on the next request; another organization's admin sees none of it.
 */
describe('service accounts: machines’ keys', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let base: string;
  const token: Record<string, string> = {};
  let doctorTokenAt = 0;
  let studyUid: string;
  let accountId: string;
  let key: string;
  let apiKey: string;

  beforeAll(async () => {
    schema = await TestSchema.create('service_accounts');
    f = await seedDirectory(schema);
    // An admin of the other county: B's admin must see nothing of A's machines.
    await schema.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles)
       VALUES ('county-admin-b', 'countyAdminB', $1, $2, '{admin}')`,
      [await hashPassword(FIXTURE_PASSWORD), f.org.countyB],
    );
    server = await startTestApp(
      schema.env({
        DIMSE_ENABLED: 'false',
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
        ACCESS_TOKEN_TTL_SECONDS: String(ACCESS_TTL_S),
      }),
      apiAndImaging,
    );
    base = server.url;
    for (const u of ['countyAdminA', 'townDoctorA', 'townDoctorB', 'hubAdmin'])
      token[u] = await loginAs(base, f.user[u].username);
    token.countyAdminB = await loginAs(base, 'county-admin-b');
    doctorTokenAt = Date.now();
    const dicom = tinyDicom({}, { name: 'SA^Probe', id: 'SA-PID-1' });
    const mp = multipartRelated([dicom.bytes]);
    const stow = await send(base, {
      method: 'POST',
      path: '/dicom-web/studies',
      token: token.townDoctorA,
      body: mp.body,
      contentType: mp.contentType,
      headers: { accept: 'application/dicom+json' },
    });
    expect(stow.status).toBe(200);
    studyUid = dicom.uids.study;
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  const admin = (who: string, method: string, path: string, body?: unknown) =>
    send(base, { method, path: `/api/admin/service-accounts${path}`, token: token[who], body });
  const withKey = (k: string, method: string, path: string, extra: Record<string, string> = {}) =>
    send(base, { method, path, headers: { authorization: `Bearer ${k}`, ...extra } });

  it('an admin creates a key for an organization under them; it is shown once and stored hashed', async () => {
    const created = await admin('countyAdminA', 'POST', '', {
      organizationId: f.org.townA,
      name: '乡镇 Orthanc',
      scopes: ['dicomweb:read', 'dicomweb:write'],
    });
    expect(created.status).toBe(201);
    key = created.body.key;
    accountId = created.body.account.id;
    expect(key).toMatch(/^hz_sk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    expect(created.body.account).toMatchObject({
      organizationId: f.org.townA,
      scopes: ['dicomweb:read', 'dicomweb:write'],
      createdBy: f.user.countyAdminA.id,
      lastUsedAt: null,
      revokedAt: null,
      active: true,
    });
    // The secret is the key's last part; base64url, so it may hold '_' itself.
    const secret = parseKey(key)!.secret;
    const listed = await admin('countyAdminA', 'GET', `?organizationId=${f.org.townA}`);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([accountId]);
    expect(listed.text).not.toContain(secret);
    const [row] = await schema.query('SELECT secret_hash FROM service_account WHERE id = $1', [
      accountId,
    ]);
    expect(Buffer.isBuffer(row.secret_hash) && row.secret_hash.length).toBe(32);
    expect(row.secret_hash.toString('utf8')).not.toContain(secret);
    const [audit] = await schema.query(
      `SELECT actor_id, details FROM audit_event WHERE action = 'service_account.create' AND resource_id = $1`,
      [accountId],
    );
    expect(audit).toMatchObject({ actor_id: f.user.countyAdminA.id });
    expect(JSON.stringify(audit.details)).not.toContain(secret);
  });

  it('the key reads its organization’s studies by QIDO-RS, as Bearer and as the Basic password', async () => {
    const series = await withKey(key, 'GET', `/dicom-web/studies/${studyUid}/series`);
    expect(series.status).toBe(200);
    expect(series.text).toContain(studyUid);
    const studies = await withKey(key, 'GET', `/dicom-web/studies?StudyInstanceUID=${studyUid}`);
    expect(studies.status).toBe(200);
    expect(studies.body).toHaveLength(1);
    const asBasic = await send(base, {
      method: 'GET',
      path: `/dicom-web/studies/${studyUid}/series`,
      headers: { authorization: basic(key) },
    });
    expect(asBasic.status).toBe(200);
    expect(asBasic.text).toContain(studyUid);
  });

  it('the key stores for its organization by STOW-RS (dicomweb:write), audited as the machine', async () => {
    const dicom = tinyDicom({}, { name: 'SA^Stow', id: 'SA-PID-2' });
    const mp = multipartRelated([dicom.bytes]);
    const stow = await send(base, {
      method: 'POST',
      path: '/dicom-web/studies',
      body: mp.body,
      contentType: mp.contentType,
      headers: { accept: 'application/dicom+json', authorization: basic(key) },
    });
    expect(stow.status).toBe(200);
    const [study] = await schema.query(
      'SELECT organization_id FROM imaging_study WHERE study_instance_uid = $1',
      [dicom.uids.study],
    );
    expect(study.organization_id).toBe(f.org.townA);
    // The township's doctor sees what its machine stored.
    const seen = await send(base, {
      method: 'GET',
      path: `/dicom-web/studies/${dicom.uids.study}/series`,
      token: token.townDoctorA,
    });
    expect(seen.status).toBe(200);
  });

  it('outside its scopes and its organization’s images the key is refused', async () => {
    const api = await withKey(key, 'GET', '/api/organizations');
    expect(api.status).toBe(403);
    expect(api.body.details).toMatchObject({ code: 'service_account_scope', required: 'api:read' });
    const other = await admin('countyAdminA', 'POST', '', {
      organizationId: f.org.townA,
      name: 'HIS',
      scopes: ['api:read', 'api:write'],
    });
    expect(other.status).toBe(201);
    apiKey = other.body.key;
    // api:read: the directory is readable by every signed-in user, machines too …
    expect((await withKey(apiKey, 'GET', '/api/organizations')).status).toBe(200);
    // … but a machine is never a person: no patients, no consultations, no DICOMweb without its scope.
    const patients = await withKey(apiKey, 'GET', `/api/patients`);
    expect([403]).toContain(patients.status);
    const open = await send(base, {
      method: 'POST',
      path: '/api/patients',
      headers: { authorization: `Bearer ${apiKey}` },
      body: { name: '机器', sex: 'female', birthDate: '1970-01-01' },
    });
    expect(open.status).toBe(403);
    expect(open.body.details.code).toBe('access_denied');
    const dicomweb = await withKey(apiKey, 'GET', `/dicom-web/studies/${studyUid}/series`);
    expect(dicomweb.body.details).toMatchObject({ code: 'service_account_scope' });
    // A wrong secret for a real account, and garbage in the key's shape: 401.
    const forged = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    expect((await withKey(forged, 'GET', `/dicom-web/studies/${studyUid}/series`)).status).toBe(
      401,
    );
    expect((await withKey('hz_sk_nonsense', 'GET', '/dicom-web/studies')).status).toBe(401);
  });

  it('another organization’s admin, and non-admins, neither list, read nor revoke it', async () => {
    const cross = [
      await admin('countyAdminB', 'GET', `?organizationId=${f.org.townA}`),
      await admin('countyAdminB', 'GET', `/${accountId}`),
      await admin('countyAdminB', 'POST', `/${accountId}/revoke`),
      await admin('countyAdminB', 'POST', '', {
        organizationId: f.org.townA,
        name: 'intruder',
        scopes: ['dicomweb:read'],
      }),
      await admin('townDoctorA', 'GET', `?organizationId=${f.org.townA}`),
      await admin('townDoctorA', 'POST', `/${accountId}/revoke`),
    ];
    expect(cross.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const mine = await admin('countyAdminB', 'GET', '');
    expect(mine.status).toBe(200);
    expect(mine.text).not.toContain(accountId);
    // The province hub's admin manages every organization under the hub.
    const hub = await admin('hubAdmin', 'GET', '');
    expect(hub.body.items.map((a: { id: string }) => a.id)).toContain(accountId);
    expect((await admin('countyAdminA', 'GET', `/${accountId}`)).body.revokedAt).toBeNull();
    // Unknown ids are 404, malformed 400.
    expect((await admin('countyAdminA', 'GET', `/${crypto.randomUUID()}`)).body.details.code).toBe(
      'service_account_not_found',
    );
    expect((await admin('countyAdminA', 'GET', '/nope')).status).toBe(400);
  });

  it('keeps working past the access-token lifetime, and its last use is recorded', async () => {
    const wait = doctorTokenAt + (ACCESS_TTL_S + 2) * 1000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const person = await send(base, {
      method: 'GET',
      path: `/dicom-web/studies/${studyUid}/series`,
      token: token.townDoctorA,
    });
    expect(person.status).toBe(401);
    const machine = await withKey(key, 'GET', `/dicom-web/studies/${studyUid}/series`);
    expect(machine.status).toBe(200);
    token.hubAdmin = await loginAs(base, f.user.hubAdmin.username);
    const read = await admin('hubAdmin', 'GET', `/${accountId}`);
    expect(read.status).toBe(200);
    expect(Date.parse(read.body.lastUsedAt)).toBeGreaterThan(doctorTokenAt);
  }, 60_000);

  it('revoking stops the key on its next request, and is audited', async () => {
    token.countyAdminA = await loginAs(base, f.user.countyAdminA.username);
    expect((await withKey(key, 'GET', `/dicom-web/studies/${studyUid}/series`)).status).toBe(200);
    const revoked = await admin('countyAdminA', 'POST', `/${accountId}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ active: false, revokedBy: f.user.countyAdminA.id });
    const after = await withKey(key, 'GET', `/dicom-web/studies/${studyUid}/series`);
    expect(after.status).toBe(401);
    expect(after.body.details.code).toBe('invalid_access_token');
    const basicAfter = await send(base, {
      method: 'GET',
      path: '/dicom-web/studies',
      headers: { authorization: basic(key) },
    });
    expect(basicAfter.status).toBe(401);
    // Revoking again changes nothing and records nothing more.
    expect((await admin('countyAdminA', 'POST', `/${accountId}/revoke`)).body.revokedAt).toBe(
      revoked.body.revokedAt,
    );
    const events = await schema.query(
      `SELECT actor_id FROM audit_event WHERE action = 'service_account.revoke' AND resource_id = $1`,
      [accountId],
    );
    expect(events).toEqual([{ actor_id: f.user.countyAdminA.id }]);
  });
});
