import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError, loadConfig } from '@huizhen/config';
import { JsonLogger } from '@huizhen/observability';
import { DemoSeedModule, loaderConfig, seedDemo } from './demo-province/demo-seed.module';

/**
 * `npm run seed:demo`: loads the demo province and its consultations (the same demo as the
 * first embedded start) into an empty database (DATABASE_URL, or the embedded one under
 * DATA_DIR — stop the server first: the embedded database has one owner).
 */
async function main() {
  let config;
  try {
    config = loaderConfig(loadConfig());
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78);
    }
    throw e;
  }
  const app = await NestFactory.createApplicationContext(DemoSeedModule.forConfig(config), {
    logger: new JsonLogger('warn'),
  });
  try {
    const summary = await seedDemo(app);
    if (!summary) {
      process.stdout.write(
        'The database already has organizations: the demo province was not loaded.\n',
      );
    } else {
      process.stdout.write(
        `Demo province loaded: ${summary.organizations} organizations, ${summary.consortia} consortia, ${summary.specialists} specialists, ` +
          `${summary.townshipDoctors} township doctors, ${summary.patients} patients, ${summary.consultations} consultations.\n` +
          `Logins (password ${config.demoPassword === 'Huizhen-demo-1' ? 'Huizhen-demo-1' : 'from DEMO_PASSWORD'}): ${summary.logins.join(', ')}\n`,
      );
    }
  } finally {
    await app.close();
  }
}

void main();
