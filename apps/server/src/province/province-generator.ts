import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { hashPassword } from '@huizhen/auth';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';

/** How big a province to generate (Guizhou: 9 prefectures, 88 counties, ~1,500 township centres). */
export interface ProvinceSize {
  townships: number;
  specialists: number;
  /** Remote-clinic rotation weeks from the next Monday (every specialist two or three half-days a week). */
  weeks: number;
  patientsPerTownship: number;
}

export const GUIZHOU: ProvinceSize = {
  townships: 1500,
  specialists: 1000,
  weeks: 12,
  patientsPerTownship: 20,
};

export interface ProvinceSummary {
  cities: number;
  counties: number;
  townships: number;
  consortia: number;
  specialists: number;
  townshipDoctors: number;
  coordinators: number;
  patients: number;
  shifts: number;
  slots: number;
}

const SPECIALTIES = [
  'radiology',
  'ultrasound',
  'cardiology',
  'respiratory',
  'gastroenterology',
  'neurology',
  'endocrinology',
  'pediatrics',
  'general_practice',
  'orthopedics',
];
const SURNAMES = '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗';
const GIVEN = '伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞';
const CITIES_MAX = 9;
const COUNTIES_PER_CITY = 10;

/**
 * A province at Guizhou's size on top of the demo province (whose four logins and hub stay:
 * demo-hub coordinates the whole province): cities, counties and township centres under the demo
 * hub, a county medical community per county and a telemedicine network per city, specialists in
 * the hospitals, a doctor per township, a coordinator per city, patients, and weeks of remote
 * clinics with their slots. Bulk SQL, set-based, in one transaction; every row is one the
 * services would write (the scheduling rows as RotationShiftsService expands them), so every
 * screen and bench runs on it. Loaded once per database (a second run refuses).
 */
@Injectable()
export class ProvinceGenerator {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
  ) {}

  async generate(size: ProvinceSize, firstMonday: string): Promise<ProvinceSummary> {
    const hash = await hashPassword(this.config.demoPassword);
    return this.db.transaction(async (m) => {
      const [hub] = await m.query(
        `SELECT id FROM organization WHERE level = 'province_hub' ORDER BY created_at LIMIT 1`,
      );
      if (!hub) throw new Error('load the demo province first (its hub coordinates the province)');
      const [{ n: done }] = await m.query(
        `SELECT count(*)::int AS n FROM practitioner WHERE username LIKE 'prov-doc-%'`,
      );
      if (done > 0) throw new Error('this database already holds a generated province');
      const towns = await this.organizations(m, hub.id, size.townships);
      const consortia = await this.consortia(m);
      const people = await this.practitioners(m, size, hash);
      const patients = await this.patients(m, size.patientsPerTownship);
      const roster = await this.roster(m, size.weeks, firstMonday);
      return { ...towns, consortia, ...people, patients, ...roster };
    });
  }

  /** Cities (at most 9) of 10 counties each under the hub, the townships spread over the counties. */
  private async organizations(m: EntityManager, hubId: string, townships: number) {
    const cities = Math.min(CITIES_MAX, Math.max(1, Math.ceil(townships / 170)));
    const counties = cities * COUNTIES_PER_CITY;
    await m.query(
      `INSERT INTO organization (name, level, parent_id, region_code)
       SELECT '黔' || c || '市人民医院', 'city_hospital', $1, '52' || lpad(c::text, 2, '0') || '00'
         FROM generate_series(1, $2) c`,
      [hubId, cities],
    );
    await m.query(
      `INSERT INTO organization (name, level, parent_id, region_code)
       SELECT '黔' || c.n || '市第' || k || '县人民医院', 'county_hospital', c.id,
              '52' || lpad(c.n::text, 2, '0') || lpad(k::text, 2, '0')
         FROM (SELECT id, substring(name FROM '^黔([0-9]+)市')::int AS n FROM organization
                WHERE level = 'city_hospital' AND name ~ '^黔[0-9]+市人民医院$') c
        CROSS JOIN generate_series(1, $1) k`,
      [COUNTIES_PER_CITY],
    );
    // Exactly `townships` of them, dealt to the counties in turn (17 or 16 each for Guizhou).
    await m.query(
      `INSERT INTO organization (name, level, parent_id, region_code)
       SELECT replace(co.name, '县人民医院', '县') || ((g - 1) / $2 + 1) || '镇卫生院',
              'township_health_centre', co.id, co.region_code
         FROM generate_series(1, $1) g
         JOIN (SELECT id, name, region_code, row_number() OVER (ORDER BY region_code) - 1 AS i
                 FROM organization WHERE level = 'county_hospital' AND name ~ '^黔[0-9]+市第') co
           ON co.i = (g - 1) % $2`,
      [townships, counties],
    );
    return { cities, counties, townships };
  }

  /** A county medical community per generated county, a telemedicine network per generated city. */
  private async consortia(m: EntityManager): Promise<number> {
    const county = await m.query(
      `WITH made AS (
         INSERT INTO consortium (name, kind, lead_organization_id)
         SELECT replace(o.name, '人民医院', '医共体'), 'county_medical_community', o.id
           FROM organization o WHERE o.level = 'county_hospital' AND o.name ~ '^黔[0-9]+市第'
         RETURNING id, lead_organization_id)
       INSERT INTO consortium_member (consortium_id, organization_id)
       SELECT made.id, o.id FROM made JOIN organization o
           ON o.id = made.lead_organization_id OR o.parent_id = made.lead_organization_id
       RETURNING consortium_id`,
    );
    const city = await m.query(
      `WITH made AS (
         INSERT INTO consortium (name, kind, lead_organization_id)
         SELECT replace(o.name, '人民医院', '远程医疗协作网'), 'telemedicine_network', o.id
           FROM organization o WHERE o.level = 'city_hospital' AND o.name ~ '^黔[0-9]+市人民医院$'
         RETURNING id, lead_organization_id)
       INSERT INTO consortium_member (consortium_id, organization_id)
       SELECT made.id, o.id FROM made JOIN organization o
           ON o.id = made.lead_organization_id OR o.parent_id = made.lead_organization_id
           OR o.parent_id IN (SELECT id FROM organization WHERE parent_id = made.lead_organization_id)
       RETURNING consortium_id`,
    );
    return new Set([...county, ...city].map((r: { consortium_id: string }) => r.consortium_id))
      .size;
  }

  /** Specialists over the generated hospitals (one city for three counties), a doctor per township, a coordinator per city. */
  private async practitioners(m: EntityManager, size: ProvinceSize, hash: string) {
    await m.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles, specialty, title)
       SELECT 'prov-spec-' || g, substr($3::text, (1 + g % 20)::int, 1) || substr($4::text, (1 + (g / 20) % 20)::int, 1) || '医生', $1,
              h.ids[1 + g % array_length(h.ids, 1)], '{specialist}',
              ($5::text[])[1 + (g * 7) % array_length($5::text[], 1)],
              (ARRAY['attending','associate_chief','chief','resident'])[1 + g % 4]
         FROM generate_series(0, $2 - 1) g,
              (SELECT array_agg(id ORDER BY region_code) AS ids FROM organization
                WHERE level IN ('city_hospital', 'county_hospital') AND name ~ '^黔[0-9]+市') h`,
      [hash, size.specialists, SURNAMES, GIVEN, SPECIALTIES],
    );
    const doctors = await m.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles)
       SELECT 'prov-doc-' || row_number() OVER (ORDER BY o.region_code, o.name), o.name || '医生', $1, o.id,
              '{township_doctor}'
         FROM organization o WHERE o.level = 'township_health_centre' AND o.name ~ '^黔[0-9]+市第'
       RETURNING id`,
      [hash],
    );
    const coordinators = await m.query(
      `INSERT INTO practitioner (username, display_name, password_hash, organization_id, roles)
       SELECT 'prov-coord-' || substring(o.name FROM '^黔([0-9]+)市'), o.name || '调度', $1, o.id, '{hub_coordinator}'
         FROM organization o WHERE o.level = 'city_hospital' AND o.name ~ '^黔[0-9]+市人民医院$'
       RETURNING id`,
      [hash],
    );
    return {
      specialists: size.specialists,
      townshipDoctors: doctors.length,
      coordinators: coordinators.length,
    };
  }

  /** Patients registered at each generated township (no national ID: the vault's key is the server's). */
  private async patients(m: EntityManager, perTownship: number): Promise<number> {
    const [{ n }] = await m.query(
      `WITH made AS (INSERT INTO patient (organization_id, name, sex, birth_date, phone)
       SELECT o.id, substr($2::text, (1 + (i * 7 + k) % 20)::int, 1) || substr($3::text, (1 + (i * 3 + k * 11) % 20)::int, 1),
              CASE WHEN (i + k) % 2 = 0 THEN 'female' ELSE 'male' END,
              date '1940-01-01' + ((i * 7919 + k * 104729) % 29000)::int,
              '139' || lpad(((i * 1000 + k) % 100000000)::text, 8, '0')
         FROM (SELECT id, row_number() OVER (ORDER BY region_code, name) AS i FROM organization
                WHERE level = 'township_health_centre' AND name ~ '^黔[0-9]+市第') o
        CROSS JOIN generate_series(1, $1) k
       RETURNING 1) SELECT count(*)::int AS n FROM made`,
      [perTownship, SURNAMES, GIVEN],
    );
    return n;
  }

  /**
   * Every generated specialist holds a four-hour remote clinic two or three days a week for
   * `weeks` weeks, offered to ten townships of their hospital's area, in 30-minute slots: the
   * shift, its occurrences (Asia/Shanghai) and its slots as RotationShiftsService writes them.
   */
  private async roster(m: EntityManager, weeks: number, firstMonday: string) {
    const shifts = await m.query(
      `INSERT INTO rotation_shift (specialist_id, specialty, host_organization_ids, mode, time_zone, start_local,
                                   duration_minutes, rrule, slot_minutes, slot_capacity)
       SELECT p.id, p.specialty, hosts.ids, 'remote_block', 'Asia/Shanghai',
              $1::date + CASE WHEN n % 3 = 0 THEN time '14:00' ELSE time '09:00' END, 240,
              'FREQ=WEEKLY;BYDAY=' || CASE WHEN n % 2 = 1 THEN 'MO,WE,FR' ELSE 'TU,TH' END
                || ';COUNT=' || (CASE WHEN n % 2 = 1 THEN 3 ELSE 2 END * $2),
              30, 1
         FROM (SELECT id, specialty, organization_id, substring(username FROM '[0-9]+$')::int AS n
                 FROM practitioner WHERE username LIKE 'prov-spec-%') p
        CROSS JOIN LATERAL (
          SELECT array_agg(t.id ORDER BY t.name) AS ids FROM (
            SELECT t.id, t.name FROM organization t
             WHERE t.level = 'township_health_centre'
               AND (t.parent_id = p.organization_id
                    OR t.parent_id IN (SELECT id FROM organization WHERE parent_id = p.organization_id))
             ORDER BY md5(t.id::text || p.id::text) LIMIT 10) t) hosts
        WHERE hosts.ids IS NOT NULL
       RETURNING id`,
      [firstMonday, weeks],
    );
    await m.query(
      `INSERT INTO shift_occurrence (shift_id, specialist_id, mode, period, blocked, local_date)
       SELECT s.id, s.specialist_id, s.mode, tstzrange(t, t + interval '4 hours'), tstzrange(t, t + interval '4 hours'), d::date
         FROM rotation_shift s
         JOIN practitioner p ON p.id = s.specialist_id AND p.username LIKE 'prov-spec-%'
        CROSS JOIN LATERAL generate_series($1::date, $1::date + ($2 * 7 - 1), interval '1 day') d
        CROSS JOIN LATERAL (SELECT (d::date + s.start_local::time) AT TIME ZONE 'Asia/Shanghai' AS t) x
        WHERE (s.rrule LIKE '%MO,WE,FR%' AND extract(isodow FROM d) IN (1, 3, 5))
           OR (s.rrule LIKE '%TU,TH%' AND extract(isodow FROM d) IN (2, 4))`,
      [firstMonday, weeks],
    );
    const [{ n: slots }] = await m.query(
      `WITH made AS (INSERT INTO slot (occurrence_id, shift_id, specialist_id, specialty, mode, host_organization_ids, period, start_at, capacity)
       SELECT o.id, o.shift_id, o.specialist_id, s.specialty, o.mode, s.host_organization_ids,
              tstzrange(g, g + interval '30 minutes'), g, 1
         FROM shift_occurrence o JOIN rotation_shift s ON s.id = o.shift_id
         JOIN practitioner p ON p.id = s.specialist_id AND p.username LIKE 'prov-spec-%'
        CROSS JOIN LATERAL generate_series(lower(o.period), upper(o.period) - interval '30 minutes', interval '30 minutes') g
       RETURNING 1) SELECT count(*)::int AS n FROM made`,
    );
    await m.query(
      'ANALYZE organization; ANALYZE slot; ANALYZE shift_occurrence; ANALYZE rotation_shift',
    );
    return { shifts: shifts.length, slots: slots as number };
  }
}
