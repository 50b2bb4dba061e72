import { hashPassword } from '@huizhen/auth';
import type { TestSchema } from './test-database';

export const FIXTURE_PASSWORD = 'Fixture-pass-1';

/**
 * A small province for tests:
 *
 *   hub (province_hub)
 *   ├─ cityA (city_hospital)
 *   │   └─ countyA (county_hospital)
 *   │       └─ townA (township_health_centre) ─ villageA (village_clinic)
 *   └─ cityB (city_hospital)
 *       └─ countyB (county_hospital)
 *           └─ townB (township_health_centre)
 *   otherHub (province_hub, another province)
 *
 * Consortia: countyA + townA (county medical community); cityA + countyA + townA
 * (telemedicine network); countyB + townB (county medical community).
 */
export interface DirectoryFixture {
  org: Record<
    'hub' | 'cityA' | 'countyA' | 'townA' | 'villageA' | 'cityB' | 'countyB' | 'townB' | 'otherHub',
    string
  >;
  consortium: Record<'countyA' | 'networkA' | 'countyB', string>;
  user: Record<string, { id: string; username: string; organizationId: string }>;
}

const USERS: [
  key: string,
  org: keyof DirectoryFixture['org'],
  roles: string[],
  specialty: string | null,
][] = [
  ['townDoctorA', 'townA', ['township_doctor'], null],
  ['townDoctorB', 'townB', ['township_doctor'], null],
  ['countyRadiologistA', 'countyA', ['specialist'], 'radiology'],
  ['countyCardiologistA', 'countyA', ['specialist'], 'cardiology'],
  ['cityRadiologistA', 'cityA', ['specialist'], 'radiology'],
  ['countyRadiologistB', 'countyB', ['specialist'], 'radiology'],
  ['hubCoordinator', 'hub', ['hub_coordinator'], null],
  ['cityCoordinatorB', 'cityB', ['hub_coordinator'], null],
  ['hubAdmin', 'hub', ['admin'], null],
  ['countyAdminA', 'countyA', ['admin'], null],
  ['otherHubCoordinator', 'otherHub', ['hub_coordinator'], null],
];

export async function seedDirectory(schema: TestSchema): Promise<DirectoryFixture> {
  const q = (sql: string, params: unknown[]) => schema.query(sql, params);
  const org = {} as DirectoryFixture['org'];
  const addOrg = async (
    key: keyof DirectoryFixture['org'],
    name: string,
    level: string,
    parent: string | null,
    region: string,
  ) => {
    const [row] = await q(
      'INSERT INTO organization (name, level, parent_id, region_code) VALUES ($1,$2,$3,$4) RETURNING id',
      [name, level, parent, region],
    );
    org[key] = row.id;
  };
  await addOrg('hub', '示范省远程医疗中心', 'province_hub', null, '430000');
  await addOrg('cityA', '清河市第一人民医院', 'city_hospital', org.hub, '430100');
  await addOrg('countyA', '青山县人民医院', 'county_hospital', org.cityA, '430121');
  await addOrg('townA', '青山县石桥镇卫生院', 'township_health_centre', org.countyA, '430121');
  await addOrg('villageA', '石桥镇柳村卫生室', 'village_clinic', org.townA, '430121');
  await addOrg('cityB', '白水市中心医院', 'city_hospital', org.hub, '430200');
  await addOrg('countyB', '云溪县人民医院', 'county_hospital', org.cityB, '430221');
  await addOrg('townB', '云溪县河口镇卫生院', 'township_health_centre', org.countyB, '430221');
  await addOrg('otherHub', '邻省远程医疗中心', 'province_hub', null, '440000');

  const consortium = {} as DirectoryFixture['consortium'];
  const addConsortium = async (
    key: keyof DirectoryFixture['consortium'],
    name: string,
    kind: string,
    lead: string,
    members: string[],
  ) => {
    const [row] = await q(
      'INSERT INTO consortium (name, kind, lead_organization_id) VALUES ($1,$2,$3) RETURNING id',
      [name, kind, lead],
    );
    consortium[key] = row.id;
    for (const m of members)
      await q('INSERT INTO consortium_member (consortium_id, organization_id) VALUES ($1,$2)', [
        row.id,
        m,
      ]);
  };
  await addConsortium('countyA', '青山县域医共体', 'county_medical_community', org.countyA, [
    org.countyA,
    org.townA,
    org.villageA,
  ]);
  await addConsortium('networkA', '清河市远程医疗协作网', 'telemedicine_network', org.cityA, [
    org.cityA,
    org.countyA,
    org.townA,
  ]);
  await addConsortium('countyB', '云溪县域医共体', 'county_medical_community', org.countyB, [
    org.countyB,
    org.townB,
  ]);

  const hash = await hashPassword(FIXTURE_PASSWORD);
  const user: DirectoryFixture['user'] = {};
  for (const [key, orgKey, roles, specialty] of USERS) {
    const username = key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
    const [row] = await q(
      'INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles, specialty, title) VALUES ($1,$2,$3,$4,$5,$6,$7) RETURNING id',
      [
        username,
        key,
        hash,
        org[orgKey],
        roles,
        specialty,
        roles.includes('specialist') ? 'attending' : null,
      ],
    );
    user[key] = { id: row.id, username, organizationId: org[orgKey] };
  }
  return { org, consortium, user };
}

/** Logs in through the real endpoint; returns the access token. */
export async function loginAs(
  baseUrl: string,
  username: string,
  password = FIXTURE_PASSWORD,
): Promise<string> {
  const res = await fetch(`${baseUrl}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200)
    throw new Error(`login as ${username} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}
