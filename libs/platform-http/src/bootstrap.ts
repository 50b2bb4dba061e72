import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server as HttpsServer } from 'node:https';
import {
  ConfigError,
  PortInUseError,
  listenErrorPort,
  loadConfig,
  machineAddresses,
  type HuizhenConfig,
} from '@huizhen/config';
import { JsonLogger } from '@huizhen/observability';
import { configureHttpApp } from './configure-http-app';
import { useRealtime } from './realtime-adapter';
import { loadTlsMaterial, type TlsMaterial } from './tls-certificates';
import { CA_PAGE_PATH } from './tls-edge';
import { listenHttps } from './tls-server';

export interface StartedApp {
  app: NestExpressApplication;
  config: HuizhenConfig;
  /** The plain HTTP URL (as the framework reports it). */
  url: string;
  /** HTTPS beside it (HTTPS_PORT; null when 0), its certificate, and its port. */
  https: { server: HttpsServer; port: number; tls: TlsMaterial } | null;
}

/**
 * Starts one app process: validates config first, builds the module the app gives for that
 * config, listens on PORT and (HTTPS_PORT) on HTTPS with the configured or the machine's own
 * certificate. A bad variable throws ConfigError, a taken port PortInUseError naming its variable.
 */
export async function startApp(
  title: string,
  rootModule: (config: HuizhenConfig) => unknown,
  opts: {
    env?: Record<string, string | undefined>;
    afterListen?: (app: NestExpressApplication, config: HuizhenConfig) => Promise<void>;
  } = {},
): Promise<StartedApp> {
  const config = opts.env ? loadConfig(opts.env) : loadConfig();
  const logger = new JsonLogger(config.logLevel);
  // Made before anything listens: a damaged TLS_CERT_FILE stops the start like a bad variable.
  const tls = config.tls.httpsPort ? await loadTlsMaterial(config) : null;
  const app = await NestFactory.create<NestExpressApplication>(rootModule(config) as never, {
    logger,
    bufferLogs: true,
  });
  let https: StartedApp['https'] = null;
  try {
    configureHttpApp(app, config, { title });
    await useRealtime(app, config);
    await app.listen(config.port, config.host);
    if (tls)
      https = { server: await listenHttps(app, config, tls), port: config.tls.httpsPort, tls };
  } catch (e) {
    await app.close().catch(() => undefined);
    throw portInUse(e, config) ?? e;
  }
  const url = await app.getUrl();
  logger.log({ msg: `${title} listening`, url, node: process.version }, 'Bootstrap');
  if (https) logHttps(logger, config, https.tls);
  else if (!['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    logger.warn(
      {
        msg: 'no HTTPS (HTTPS_PORT=0): browsers on other machines get no camera or microphone over plain HTTP; set HTTPS_PORT or put a TLS proxy in front',
      },
      'Bootstrap',
    );
  }
  await opts.afterListen?.(app, config);
  return { app, config, url, https };
}

/**
 * main.ts's start: as startApp, and a bad variable or a taken port ends the process with a
 * message naming the variable instead of a stack trace.
 */
export async function bootstrapApp(
  title: string,
  rootModule: (config: HuizhenConfig) => unknown,
  afterListen?: (app: NestExpressApplication, config: HuizhenConfig) => Promise<void>,
): Promise<NestExpressApplication> {
  try {
    return (await startApp(title, rootModule, { afterListen })).app;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof PortInUseError) {
      process.stderr.write(`${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
}

/** A listen that failed on a taken (or privileged) port, as an error naming the variable that chooses it. */
export function portInUse(e: unknown, config: HuizhenConfig): PortInUseError | null {
  if (e instanceof PortInUseError) return e;
  const failed = listenErrorPort(e);
  if (!failed) return null;
  const candidates: [number, string][] = [
    [config.port, 'PORT'],
    [config.tls.httpsPort, 'HTTPS_PORT'],
    [config.imaging.dimsePort, 'DIMSE_PORT'],
    [config.embeddedDatabasePort, 'EMBEDDED_DATABASE_PORT'],
  ];
  const variable = candidates.find(([port]) => port && port === failed.port)?.[1];
  return variable ? new PortInUseError(failed.port, variable, failed.reason) : null;
}

function logHttps(logger: JsonLogger, config: HuizhenConfig, tls: TlsMaterial): void {
  const port = config.tls.httpsPort;
  const machine = machineAddresses();
  const hosts = ['0.0.0.0', '::', ''].includes(config.host)
    ? [...machine.ipv4, machine.hostname, 'localhost']
    : [config.host];
  const urls = hosts.map((h) => `https://${h.includes(':') ? `[${h}]` : h}:${port}/`);
  logger.log(
    {
      msg: 'HTTPS listening (browsers on other machines: use these; camera and microphone need HTTPS)',
      urls,
      certificate: tls.source,
      names: tls.names,
      notAfter: tls.notAfter.toISOString(),
    },
    'Bootstrap',
  );
  if (tls.ca) {
    logger.log(
      {
        msg: `local CA ${tls.ca.file}${tls.created.ca ? ' (new)' : ''}: browsers trust it once, from ${CA_PAGE_PATH} on this server (http or https); compare its SHA-256 fingerprint`,
        fingerprint256: tls.ca.fingerprint256,
        page: machine.ipv4.length
          ? `http://${machine.ipv4[0]}:${config.port}${CA_PAGE_PATH}`
          : `http://localhost:${config.port}${CA_PAGE_PATH}`,
      },
      'Bootstrap',
    );
  }
}
