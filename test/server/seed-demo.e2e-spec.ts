import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { existsSync, rmSync } from 'node:fs';
import { loadConfig } from '@huizhen/config';
import { TestSchema } from '@huizhen/testing';
import {
  DemoSeedModule,
  loaderConfig,
  seedDemo,
} from '../../apps/server/src/demo-province/demo-seed.module';
import { InstanceStore } from '../../apps/imaging/src/storage/instance-store';

/**
 * `npm run seed:demo` on PostgreSQL (the docker-compose deployment, where no first embedded
 * start seeds anything): the same demo as the embedded first start, not only the province.
 */
describe('npm run seed:demo on PostgreSQL', () => {
  let schema: TestSchema;
  let app: INestApplicationContext;

  beforeAll(async () => {
    schema = await TestSchema.create('seed_demo');
    const config = loaderConfig(loadConfig(schema.env()));
    app = await NestFactory.createApplicationContext(DemoSeedModule.forConfig(config), {
      logger: ['error'],
    });
  });
  afterAll(async () => {
    const store = app?.get(InstanceStore);
    await app?.close();
    if (store) rmSync(store.root, { recursive: true, force: true });
    await schema?.drop();
  });

  it('loads the province and the four demo consultations, the chest read with its radiograph stored, the draft’s chest film on the worklist, and only into an empty database', async () => {
    const summary = await seedDemo(app);
    expect(summary).toMatchObject({ consultations: 4 });
    expect(summary!.logins).toEqual(
      expect.arrayContaining(['demo-township', 'demo-specialist', 'demo-hub', 'demo-admin']),
    );
    const [{ n: townships }] = await schema.query(
      `SELECT count(*)::int AS n FROM organization WHERE level = 'township_health_centre'`,
    );
    expect(townships).toBe(12);

    const consultations = await schema.query(`SELECT c.status, c.urgency, count(a.*)::int AS studies
      FROM consultation_request c LEFT JOIN consultation_attachment a ON a.consultation_id = c.id AND a.kind = 'imaging_study'
      GROUP BY c.id, c.status, c.urgency ORDER BY c.status`);
    expect(consultations).toEqual([
      { status: 'claimed', urgency: 'routine', studies: 0 },
      { status: 'draft', urgency: 'routine', studies: 0 },
      { status: 'reported', urgency: 'routine', studies: 0 },
      { status: 'submitted', urgency: 'urgent', studies: 1 },
    ]);
    const [instance] = await schema.query(
      `SELECT i.content_sha256, st.modalities FROM imaging_instance i JOIN imaging_study st USING (study_instance_uid)`,
    );
    expect(instance.modalities).toEqual(['DX']);
    expect(existsSync(app.get(InstanceStore).pathOf(instance.content_sha256))).toBe(true);
    const [{ signed }] = await schema.query(
      `SELECT count(*)::int AS signed FROM consultation_report WHERE signed_at IS NOT NULL`,
    );
    expect(signed).toBe(1);
    // The draft's chest film, on the worklist of the demo township's DR (TOWN01_DR).
    const exams = await schema.query(
      `SELECT e.modality, e.accession_number, p.ae_title, p.directions FROM consultation_requested_exam e
         JOIN consultation_request c ON c.id = e.consultation_id
         JOIN imaging_dimse_peer p ON p.organization_id = c.requesting_organization_id`,
    );
    expect(exams).toEqual([
      {
        modality: 'DX',
        accession_number: expect.stringMatching(/^HZ\d{10}$/),
        ae_title: 'TOWN01_DR',
        directions: expect.arrayContaining(['worklist']),
      },
    ]);

    // Run again: the database has organizations, nothing is loaded twice.
    expect(await seedDemo(app)).toBeNull();
    const [{ n }] = await schema.query('SELECT count(*)::int AS n FROM consultation_request');
    expect(n).toBe(4);
  });
});
