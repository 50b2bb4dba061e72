import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@huizhen/config';
import { JsonLogger } from '@huizhen/observability';
import { loaderConfig, seedDemo } from './demo-province/demo-seed.module';
import { GUIZHOU, ProvinceGenerator, type ProvinceSize } from './province/province-generator';
import { ProvinceSeedModule } from './province/province-seed.module';

const USAGE = `npm run seed:province -- [--townships 1500] [--specialists 1000] [--weeks 12] [--patients-per-township 20]`;

/** The command line asked for something it cannot have. */
class UsageError extends Error {}

/** A whole number in [1, max] from the command line, or the default. */
function count(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(
      `--${name} must be a whole number from 1 to ${max} (got ${value})\n${USAGE}`,
    );
  return n;
}

/** The Monday after today (the rotations start there, local dates in Asia/Shanghai). */
function nextMonday(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + ((8 - d.getUTCDay()) % 7 || 7));
  return d.toISOString().slice(0, 10);
}

/**
 * `npm run seed:province`: a province at Guizhou's size (issue 22) in the database of
 * DATABASE_URL (or the embedded one under DATA_DIR: stop the server first). The demo province
 * is loaded first when the database is empty; its logins stay, demo-hub coordinating the whole.
 */
async function main() {
  let config;
  let size: ProvinceSize;
  try {
    const { values } = parseArgs({
      options: {
        townships: { type: 'string' },
        specialists: { type: 'string' },
        weeks: { type: 'string' },
        'patients-per-township': { type: 'string' },
      },
    });
    size = {
      townships: count(values.townships, 'townships', GUIZHOU.townships, 5000),
      specialists: count(values.specialists, 'specialists', GUIZHOU.specialists, 10000),
      weeks: count(values.weeks, 'weeks', GUIZHOU.weeks, 52),
      patientsPerTownship: count(
        values['patients-per-township'],
        'patients-per-township',
        GUIZHOU.patientsPerTownship,
        1000,
      ),
    };
    config = loaderConfig(loadConfig());
  } catch (e) {
    if (
      e instanceof ConfigError ||
      e instanceof UsageError ||
      (e as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      process.stderr.write(`${(e as Error).message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const app = await NestFactory.createApplicationContext(ProvinceSeedModule.forConfig(config), {
    logger: new JsonLogger('warn'),
  });
  try {
    if (await seedDemo(app)) process.stdout.write('Demo province loaded first.\n');
    const started = Date.now();
    const s = await app.get(ProvinceGenerator).generate(size, nextMonday());
    process.stdout.write(
      `Province generated in ${((Date.now() - started) / 1000).toFixed(1)} s: ${s.cities} cities, ${s.counties} counties, ` +
        `${s.townships} townships, ${s.consortia} consortia, ${s.specialists} specialists, ${s.townshipDoctors} township doctors, ` +
        `${s.coordinators} coordinators, ${s.patients} patients, ${s.shifts} shifts, ${s.slots} slots.\n` +
        `Logins: the demo's (demo-hub coordinates the province), prov-doc-<n>, prov-spec-<n>, prov-coord-<city>; password ${config.demoPassword === 'Huizhen-demo-1' ? 'Huizhen-demo-1' : 'from DEMO_PASSWORD'}.\n`,
    );
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await app.close();
  }
}

void main();
