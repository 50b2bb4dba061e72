import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { loadConfig, type HuizhenConfig } from '@huizhen/config';
import { configureHttpApp, useRealtime } from '@huizhen/platform-http';

/**
 * Boots a module the way main.ts does (same config loader, same HTTP setup) and listens on
 * an ephemeral loopback port. `rootModule` receives the config, like the apps' bootstraps.
 */
export async function startTestApp(
  env: Record<string, string>,
  rootModule: (config: HuizhenConfig) => any,
): Promise<{ app: NestExpressApplication; url: string; config: HuizhenConfig }> {
  const config = loadConfig(env);
  const moduleRef = await Test.createTestingModule({ imports: [rootModule(config)] }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ logger: ['error'] });
  configureHttpApp(app as INestApplication, config, { title: 'Huizhen (test)' });
  await useRealtime(app, config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return { app, url, config };
}
