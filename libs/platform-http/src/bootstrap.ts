import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { ConfigError, loadConfig, type HuizhenConfig } from '@huizhen/config';
import { JsonLogger } from '@huizhen/observability';
import { configureHttpApp } from './configure-http-app';
import { useRealtime } from './realtime-adapter';

/**
 * Starts one app process: validates config first (a bad variable stops the start with a
 * message naming it), then builds the module the app gives for that config and listens.
 */
export async function bootstrapApp(
  title: string,
  rootModule: (config: HuizhenConfig) => unknown,
  afterListen?: (app: NestExpressApplication, config: HuizhenConfig) => Promise<void>,
): Promise<NestExpressApplication> {
  let config: HuizhenConfig;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  const logger = new JsonLogger(config.logLevel);
  const app = await NestFactory.create<NestExpressApplication>(rootModule(config) as never, { logger, bufferLogs: true });
  configureHttpApp(app, config, { title });
  await useRealtime(app, config);
  await app.listen(config.port, config.host);
  const url = await app.getUrl();
  logger.log({ msg: `${title} listening`, url, node: process.version }, 'Bootstrap');
  await afterListen?.(app, config);
  return app;
}
