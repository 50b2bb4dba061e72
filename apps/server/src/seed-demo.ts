import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AuditModule } from '@huizhen/audit';
import { ConfigError, loadConfig } from '@huizhen/config';
import { JsonLogger } from '@huizhen/observability';
import { PlatformModule } from '@huizhen/platform-http';
import { DemoProvinceModule } from './demo-province/demo-province.module';
import { DemoProvinceSeeder } from './demo-province/demo-province.seeder';

/**
 * `npm run seed:demo`: loads the demo province into an empty database (DATABASE_URL, or the
 * embedded one under DATA_DIR — stop the server first: the embedded database has one owner).
 */
async function main() {
  let config;
  try {
    config = { ...loadConfig(), seedDemoOnFirstStart: false };
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  @Module({ imports: [PlatformModule.forRoot({ config, database: true }), AuditModule, DemoProvinceModule] })
  class SeedProcess {}
  const app = await NestFactory.createApplicationContext(SeedProcess, { logger: new JsonLogger('warn') });
  try {
    const summary = await app.get(DemoProvinceSeeder).seedIfEmpty();
    if (!summary) {
      process.stdout.write('The database already has organizations: the demo province was not loaded.\n');
    } else {
      process.stdout.write(
        `Demo province loaded: ${summary.organizations} organizations, ${summary.consortia} consortia, ${summary.specialists} specialists, ` +
          `${summary.townshipDoctors} township doctors, ${summary.patients} patients.\n` +
          `Logins (password ${config.demoPassword === 'Huizhen-demo-1' ? 'Huizhen-demo-1' : 'from DEMO_PASSWORD'}): ${summary.logins.join(', ')}\n`,
      );
    }
  } finally {
    await app.close();
  }
}

void main();
