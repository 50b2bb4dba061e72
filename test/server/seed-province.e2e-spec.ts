import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { rmSync } from 'node:fs';
import { loadConfig } from '@huizhen/config';
import { TestSchema, loginAs } from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';
import { loaderConfig, seedDemo } from '../../apps/server/src/demo-province/demo-seed.module';
import { ProvinceGenerator } from '../../apps/server/src/province/province-generator';
import { ProvinceSeedModule } from '../../apps/server/src/province/province-seed.module';

const PASSWORD = 'Huizhen-demo-1';

/**
 * `npm run seed:province` at a small size on PostgreSQL: the province grows from the demo (its
 * logins and hub stay), and what it writes is what the services read: the hub's coordinator sees
 * every township in the coverage view, a generated township doctor logs in and finds the slots
 * offered to the township, the directory lists the new organizations in their tree.
 */
describe('npm run seed:province (a generated province on PostgreSQL)', () => {
  let schema: TestSchema;
  let app: INestApplicationContext;
  const firstMonday = '2027-03-01';

  beforeAll(async () => {
    schema = await TestSchema.create('seed_province');
    const config = loaderConfig(loadConfig(schema.env()));
    app = await NestFactory.createApplicationContext(ProvinceSeedModule.forConfig(config), {
      logger: ['error'],
    });
  });
  afterAll(async () => {
    const store = app?.get(InstanceStore);
    await app?.close();
    if (store) rmSync(store.root, { recursive: true, force: true });
    await schema?.drop();
  });

  it('grows the demo province to the asked size, once, and every role reads it through the API', async () => {
    expect(await seedDemo(app)).not.toBeNull();
    const generator = app.get(ProvinceGenerator);
    const size = { townships: 95, specialists: 40, weeks: 2, patientsPerTownship: 3 };
    const s = await generator.generate(size, firstMonday);
    expect(s).toMatchObject({
      cities: 1,
      counties: 10,
      townships: 95,
      specialists: 40,
      townshipDoctors: 95,
      coordinators: 1,
      patients: 95 * 3,
    });
    expect(s.consortia).toBe(11);
    expect(s.shifts).toBe(40);
    expect(s.slots).toBeGreaterThan(40 * 4 * 8);
    await expect(generator.generate(size, firstMonday)).rejects.toThrow(/already holds/);

    const [{ n: townships }] = await schema.query(
      `SELECT count(*)::int AS n FROM organization WHERE level = 'township_health_centre'`,
    );
    expect(townships).toBe(12 + 95);
    // Every generated township is in its county's medical community, and has its doctor.
    const [{ n: outside }] = await schema.query(
      `SELECT count(*)::int AS n FROM organization t WHERE t.level = 'township_health_centre'
          AND t.name LIKE '黔%' AND NOT EXISTS (
            SELECT 1 FROM consortium_member m JOIN consortium c ON c.id = m.consortium_id
             WHERE m.organization_id = t.id AND c.kind = 'county_medical_community'
               AND c.lead_organization_id = t.parent_id)`,
    );
    expect(outside).toBe(0);

    const api = await startApiForTest(schema, { SEED_DEMO: 'false' });
    try {
      const hub = await loginAs(api.url, 'demo-hub', PASSWORD);
      const range = new URLSearchParams({
        from: `${firstMonday}T00:00:00Z`,
        to: '2027-03-15T00:00:00Z',
      });
      const coverage = await fetch(`${api.url}/api/scheduling/hub/coverage?${range}`, {
        headers: { authorization: `Bearer ${hub}` },
      });
      expect(coverage.status).toBe(200);
      const report = (await coverage.json()) as {
        townships: number;
        items: { slotsOffered: number }[];
      };
      expect(report.townships).toBe(12 + 95);
      const offered = report.items.reduce((n, i) => n + i.slotsOffered, 0);
      const [{ n: hostings }] = await schema.query(
        `SELECT count(*)::int AS n FROM slot, unnest(host_organization_ids) h
          WHERE status = 'open' AND specialty IS NOT NULL AND start_at >= $1 AND start_at < $2`,
        [`${firstMonday}T00:00:00Z`, '2027-03-15T00:00:00Z'],
      );
      expect(offered).toBe(hostings);

      // A township doctor whose centre is offered a slot finds it.
      const [host] = await schema.query(
        `SELECT p.username FROM slot sl JOIN practitioner p ON p.organization_id = sl.host_organization_ids[1]
          WHERE p.username LIKE 'prov-doc-%' LIMIT 1`,
      );
      const doctor = await loginAs(api.url, host.username, PASSWORD);
      const slots = await fetch(
        `${api.url}/api/scheduling/slots?${new URLSearchParams({ from: `${firstMonday}T00:00:00Z`, to: '2027-03-15T00:00:00Z' })}`,
        { headers: { authorization: `Bearer ${doctor}` } },
      );
      expect(slots.status).toBe(200);
      expect(((await slots.json()) as { total: number }).total).toBeGreaterThan(0);

      const cities = await fetch(`${api.url}/api/organizations?level=city_hospital&limit=50`, {
        headers: { authorization: `Bearer ${hub}` },
      });
      expect(((await cities.json()) as { total: number }).total).toBe(2 + 1);
    } finally {
      await api.app.close();
    }
  });
});
