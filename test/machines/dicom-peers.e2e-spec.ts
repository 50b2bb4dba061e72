import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { hashPassword, parseKey } from '@huizhen/auth';
import {
  FIXTURE_PASSWORD,
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { send } from '../api/authorization/support/http';
import { apiAndImaging } from './support/api-and-imaging';

/** dcmtk's echoscu, asynchronously (the SCP answers from this same process). */
function echo(callingAe: string, port: number): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn('echoscu', ['-aet', callingAe, '-aec', 'HUIZHEN', '127.0.0.1', String(port)]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('close', (status) => resolve({ status, out }));
  });
}

/**
 * DICOM peers are data: an admin registers a modality through the API and it can associate at
 * once; disabling it makes it a stranger; addresses are validated; DICOMweb peers keep secrets
 * out (a reference only); another county's admin reaches none of it; every change is audited.
 */
describe('DICOM peers: an admin API instead of SQL', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let port: number;
  const token: Record<string, string> = {};
  let peerId: string;

  beforeAll(async () => {
    schema = await TestSchema.create('dicom_peers');
    f = await seedDirectory(schema);
    await schema.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles)
       VALUES ('county-admin-b', 'countyAdminB', $1, $2, '{admin}')`,
      [await hashPassword(FIXTURE_PASSWORD), f.org.countyB],
    );
    server = await startTestApp(
      schema.env({
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
        DIMSE_ENABLED: 'true',
        DIMSE_PORT: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_AE_TITLE: 'HUIZHEN',
      }),
      apiAndImaging,
    );
    port = server.app.get(DimseScp).port;
    for (const u of ['countyAdminA', 'townDoctorA'])
      token[u] = await loginAs(server.url, f.user[u].username);
    token.countyAdminB = await loginAs(server.url, 'county-admin-b');
  }, 120_000);

  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  const go = (who: string, method: string, path: string, body?: unknown) =>
    send(server.url, { method, path: `/api/admin${path}`, token: token[who], body });

  it('a peer registered through the API associates at once; disabled, it is a stranger', async () => {
    expect((await echo('TOWNA_US', port)).status).not.toBe(0);
    const created = await go('countyAdminA', 'POST', '/dicom-peers', {
      organizationId: f.org.townA,
      aeTitle: 'TOWNA_US',
      directions: ['store', 'query'],
      description: '超声',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      aeTitle: 'TOWNA_US',
      organizationId: f.org.townA,
      host: null,
      port: null,
      directions: ['store', 'query'],
      enabled: true,
    });
    peerId = created.body.id;
    expect((await echo('TOWNA_US', port)).status).toBe(0);
    const off = await go('countyAdminA', 'PATCH', `/dicom-peers/${peerId}`, { enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    const refused = await echo('TOWNA_US', port);
    expect(refused.status).not.toBe(0);
    expect(refused.out).toMatch(/Calling AE Title Not Recognized/i);
    await go('countyAdminA', 'PATCH', `/dicom-peers/${peerId}`, { enabled: true });
    expect((await echo('TOWNA_US', port)).status).toBe(0);
    const events = await schema.query(
      `SELECT action, actor_id, details FROM audit_event WHERE resource_id = $1 ORDER BY occurred_at, id`,
      [peerId],
    );
    expect(events.map((e: { action: string }) => e.action)).toEqual([
      'dicom_peer.create',
      'dicom_peer.update',
      'dicom_peer.update',
    ]);
    expect(events[1].details).toEqual({ enabled: { from: true, to: false } });
  });

  it('validates AE titles, addresses and directions; an AE title is registered once', async () => {
    const base = { organizationId: f.org.townA, directions: ['store'] };
    const bad = [
      { ...base, aeTitle: 'SEVENTEEN_CHARS_X' },
      { ...base, aeTitle: 'A\\B' },
      { ...base, aeTitle: '   ' },
      { ...base, aeTitle: 'OK', host: 'bad host', port: 104 },
      { ...base, aeTitle: 'OK', host: 'pacs.local', port: 70000 },
      { ...base, aeTitle: 'OK', directions: ['fly'] },
      { ...base, aeTitle: 'OK', directions: [] },
    ];
    for (const body of bad) {
      const r = await go('countyAdminA', 'POST', '/dicom-peers', body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const destination = await go('countyAdminA', 'POST', '/dicom-peers', {
      ...base,
      aeTitle: 'NO_ADDRESS',
      directions: ['retrieve_destination'],
    });
    expect(destination.body.details.code).toBe('peer_destination_address');
    const taken = await go('countyAdminA', 'POST', '/dicom-peers', {
      ...base,
      aeTitle: 'TOWNA_US',
    });
    expect(taken.status).toBe(409);
    expect(taken.body.details.code).toBe('peer_exists');
    const moveTarget = await go('countyAdminA', 'POST', '/dicom-peers', {
      ...base,
      aeTitle: 'COUNTY_PACS',
      host: '10.0.0.7',
      port: 104,
      directions: ['retrieve_destination', 'query'],
    });
    expect(moveTarget.status).toBe(201);
  });

  it('DICOMweb peers: credentials by reference, the service account of the same organization only', async () => {
    const account = await go('countyAdminA', 'POST', '/service-accounts', {
      organizationId: f.org.townA,
      name: 'city PACS calling us',
      scopes: ['dicomweb:write'],
    });
    const foreign = await go('countyAdminA', 'POST', '/service-accounts', {
      organizationId: f.org.countyA,
      name: 'county node',
      scopes: ['dicomweb:read'],
    });
    const peer = await go('countyAdminA', 'POST', '/dicomweb-peers', {
      organizationId: f.org.townA,
      name: '市医院 PACS',
      baseUrl: 'https://pacs.city.example/dicom-web',
      serviceAccountId: account.body.account.id,
      credentialsRef: 'CITY_PACS_TOKEN',
    });
    expect(peer.status).toBe(201);
    expect(peer.body).toMatchObject({
      serviceAccountId: account.body.account.id,
      credentialsRef: 'CITY_PACS_TOKEN',
      enabled: true,
    });
    const listed = await go('countyAdminA', 'GET', `/dicomweb-peers?organizationId=${f.org.townA}`);
    expect(listed.body.items).toHaveLength(1);
    // The secret is the key's last part; base64url, so it may hold '_' itself.
    expect(listed.text).not.toContain(parseKey(account.body.key)!.secret);
    for (const body of [
      { baseUrl: 'https://user:secret@pacs.example/dicom-web' },
      { baseUrl: 'https://pacs.example/dicom-web?token=secret' },
      { credentialsRef: 'not a name' },
    ]) {
      const r = await go('countyAdminA', 'PATCH', `/dicomweb-peers/${peer.body.id}`, body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 400]);
    }
    const wrongOrg = await go('countyAdminA', 'PATCH', `/dicomweb-peers/${peer.body.id}`, {
      serviceAccountId: foreign.body.account.id,
    });
    expect(wrongOrg.body.details.code).toBe('peer_service_account');
    const off = await go('countyAdminA', 'PATCH', `/dicomweb-peers/${peer.body.id}`, {
      enabled: false,
    });
    expect(off.body.enabled).toBe(false);
  });

  it('another county’s admin and non-admins reach none of it', async () => {
    const [dicomweb] = (
      await go('countyAdminA', 'GET', `/dicomweb-peers?organizationId=${f.org.townA}`)
    ).body.items;
    const tries = [
      await go('countyAdminB', 'GET', `/dicom-peers?organizationId=${f.org.townA}`),
      await go('countyAdminB', 'PATCH', `/dicom-peers/${peerId}`, { enabled: false }),
      await go('countyAdminB', 'POST', '/dicom-peers', {
        organizationId: f.org.townA,
        aeTitle: 'INTRUDER',
        directions: ['store'],
      }),
      await go('countyAdminB', 'PATCH', `/dicomweb-peers/${dicomweb.id}`, { enabled: true }),
      await go('townDoctorA', 'GET', `/dicom-peers?organizationId=${f.org.townA}`),
      await go('townDoctorA', 'PATCH', `/dicom-peers/${peerId}`, { enabled: false }),
    ];
    expect(tries.map((r) => r.status)).toEqual([403, 403, 403, 403, 403, 403]);
    const own = await go('countyAdminB', 'GET', '/dicom-peers');
    expect(own.status).toBe(200);
    expect(own.text).not.toContain('TOWNA_US');
    expect(
      (await go('countyAdminA', 'PATCH', `/dicom-peers/${crypto.randomUUID()}`, {})).body.details
        .code,
    ).toBe('dimse_peer_not_found');
    expect((await echo('TOWNA_US', port)).status).toBe(0);
  });
});
