import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '@huizhen/audit';
import { hashPassword } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { NationalIdVault } from '@huizhen/directory';
import { PeerStore } from '../../../imaging/src/peers/peer-store';
import { DEMO_PROVINCE, GIVEN, SPECIALISTS_BY_LEVEL, SURNAMES } from './demo-province.data';

export interface DemoSummary {
  organizations: number;
  consortia: number;
  specialists: number;
  townshipDoctors: number;
  patients: number;
  logins: string[];
}

/** Deterministic: the same demo province on every machine (mulberry32). */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHECK = '10X98765432';
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function residentId(region: string, birth: string, seq: number, female: boolean): string {
  const order =
    String(seq % 1000)
      .padStart(3, '0')
      .slice(0, 2) + String((seq % 5) * 2 + (female ? 0 : 1));
  const body = region + birth.replaceAll('-', '') + order;
  const sum = WEIGHTS.reduce((a, w, i) => a + w * Number(body[i]), 0);
  return body + CHECK[sum % 11];
}

/**
 * Loads the demo province: a hub, 2 cities, 4 counties, 12 township health centres with
 * village clinics, consortia of all four kinds, ~30 specialists in 14 specialties, ~20
 * township doctors, Chinese-named patients, and one login per role.
 */
@Injectable()
export class DemoProvinceSeeder {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly audit: AuditService,
    private readonly peers: PeerStore,
  ) {}

  async seedIfEmpty(): Promise<DemoSummary | null> {
    const [{ n }] = await this.db.query('SELECT count(*)::int AS n FROM organization');
    if (n > 0) return null;
    const hash = await hashPassword(this.config.demoPassword);
    return this.db.transaction((m) => this.seed(m, hash));
  }

  private async seed(m: EntityManager, passwordHash: string): Promise<DemoSummary> {
    const rand = prng(20261123);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)];
    const vault = new NationalIdVault(this.config.dataEncryptionKey);
    const org = async (name: string, level: string, parent: string | null, region: string) =>
      (
        await m.query(
          'INSERT INTO organization (name, level, parent_id, region_code) VALUES ($1,$2,$3,$4) RETURNING id',
          [name, level, parent, region],
        )
      )[0].id as string;
    const consortium = async (name: string, kind: string, lead: string, members: string[]) => {
      const [{ id }] = await m.query(
        'INSERT INTO consortium (name, kind, lead_organization_id) VALUES ($1,$2,$3) RETURNING id',
        [name, kind, lead],
      );
      for (const o of new Set([lead, ...members]))
        await m.query(
          'INSERT INTO consortium_member (consortium_id, organization_id) VALUES ($1,$2)',
          [id, o],
        );
    };
    const usedNames = new Set<string>();
    const personName = () => {
      for (;;) {
        const name = pick([...SURNAMES]) + pick(GIVEN);
        if (!usedNames.has(name)) {
          usedNames.add(name);
          return name;
        }
      }
    };
    let userSeq = 0;
    const practitioner = async (
      username: string | null,
      orgId: string,
      roles: string[],
      specialty: string | null,
      title: string | null,
    ) => {
      const displayName = personName();
      const name = username ?? `user${String(++userSeq).padStart(3, '0')}`;
      await m.query(
        'INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles, specialty, title) VALUES ($1,$2,$3,$4,$5,$6,$7)',
        [name, displayName, passwordHash, orgId, roles, specialty, title],
      );
      return name;
    };

    const hubId = await org(DEMO_PROVINCE.hub.name, 'province_hub', null, DEMO_PROVINCE.hub.region);
    let organizations = 1;
    let specialists = 0;
    let townshipDoctors = 0;
    let patients = 0;
    const allHospitals: string[] = [hubId];
    const townships: { id: string; region: string }[] = [];
    const logins: string[] = [];

    for (const s of SPECIALISTS_BY_LEVEL.province) {
      await practitioner(
        null,
        hubId,
        ['specialist'],
        s,
        pick(['associate_chief', 'chief'] as const),
      );
      specialists++;
    }
    await practitioner('demo-hub', hubId, ['hub_coordinator'], null, null);
    await practitioner('demo-admin', hubId, ['admin'], null, null);
    logins.push('demo-hub', 'demo-admin');

    let consortia = 0;
    for (const [ci, city] of DEMO_PROVINCE.cities.entries()) {
      const cityId = await org(city.name, 'city_hospital', hubId, city.region);
      organizations++;
      allHospitals.push(cityId);
      for (const s of SPECIALISTS_BY_LEVEL.city) {
        await practitioner(
          null,
          cityId,
          ['specialist'],
          s,
          pick(['attending', 'associate_chief', 'chief'] as const),
        );
        specialists++;
      }
      await practitioner(null, cityId, ['hub_coordinator'], null, null);
      const cityMembers = [cityId];
      for (const [ki, county] of city.counties.entries()) {
        const countyId = await org(county.name, 'county_hospital', cityId, county.region);
        organizations++;
        allHospitals.push(countyId);
        cityMembers.push(countyId);
        const first = ci === 0 && ki === 0;
        for (const [si, s] of SPECIALISTS_BY_LEVEL.county.entries()) {
          // Two county hospitals carry the common four; the other two a lighter set.
          if (!first && si >= 3 && (ci + ki) % 2 === 1) continue;
          await practitioner(
            first && s === 'radiology' ? 'demo-specialist' : null,
            countyId,
            ['specialist'],
            s,
            pick(['attending', 'associate_chief'] as const),
          );
          specialists++;
        }
        const communityMembers = [countyId];
        for (const [ti, town] of county.towns.entries()) {
          const townName = county.name.replace('人民医院', '') + town;
          const townId = await org(townName, 'township_health_centre', countyId, county.region);
          organizations++;
          townships.push({ id: townId, region: county.region });
          communityMembers.push(townId);
          for (const [vi, village] of DEMO_PROVINCE.villagesPerTown.entries()) {
            if (ti === 2 && vi === 1) continue;
            const villageId = await org(
              town.replace(/(镇中心卫生院|镇卫生院|乡卫生院)$/, '') + village,
              'village_clinic',
              townId,
              county.region,
            );
            organizations++;
            communityMembers.push(villageId);
          }
          const doctors = ti === 0 ? 2 : 1 + (ki % 2);
          for (let d = 0; d < doctors; d++) {
            await practitioner(
              first && ti === 0 && d === 0 ? 'demo-township' : null,
              townId,
              ['township_doctor'],
              'general_practice',
              pick(['resident', 'attending'] as const),
            );
            townshipDoctors++;
          }
        }
        await consortium(
          county.name.replace('人民医院', '') + '县域医共体',
          'county_medical_community',
          countyId,
          communityMembers,
        );
        consortia++;
      }
      await consortium(
        city.name.replace(/(第一人民医院|中心医院)$/, '') + '城市医疗集团',
        'urban_medical_group',
        cityId,
        cityMembers,
      );
      consortia++;
    }
    await consortium('示范省胸痛专科联盟', 'specialty_alliance', hubId, allHospitals);
    await consortium('示范省远程医疗协作网', 'telemedicine_network', hubId, [
      ...allHospitals,
      ...townships.map((t) => t.id),
    ]);
    consortia += 2;
    logins.unshift('demo-township', 'demo-specialist');

    for (const [i, t] of townships.entries()) {
      for (let k = 0; k < 5; k++) {
        const female = rand() < 0.5;
        const year = 1940 + Math.floor(rand() * 75);
        const birth = `${year}-${String(1 + Math.floor(rand() * 12)).padStart(2, '0')}-${String(1 + Math.floor(rand() * 28)).padStart(2, '0')}`;
        const id = residentId(t.region, birth, i * 10 + k, female);
        await m.query(
          `INSERT INTO patient (organization_id, name, sex, birth_date, national_id_hmac, national_id_cipher, phone, address) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
          [
            t.id,
            personName(),
            female ? 'female' : 'male',
            birth,
            vault.fingerprint(id),
            vault.seal(id),
            `139${String(Math.floor(rand() * 1e8)).padStart(8, '0')}`,
            null,
          ],
        );
        patients++;
      }
    }
    // Each township's X-ray machine may push to the DIMSE SCP under its own calling AE title.
    for (const [i, t] of townships.entries()) {
      await this.peers.createDimsePeer(
        t.id,
        {
          aeTitle: `TOWN${String(i + 1).padStart(2, '0')}_DR`,
          host: null,
          port: null,
          directions: ['store', 'query', 'worklist'],
          enabled: true,
          description: 'DR 数字化X线摄影机',
        },
        m,
      );
    }
    const summary = { organizations, consortia, specialists, townshipDoctors, patients, logins };
    await this.audit.record({ action: 'demo.seed', details: { ...summary } }, m);
    return summary;
  }
}
