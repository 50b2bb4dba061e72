import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import {
  createServer as createHttpsServer,
  get as httpsGet,
  type Server as HttpsServer,
} from 'node:https';
import { createSocket } from 'node:dgram';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Module } from '@nestjs/common';
import { chromium, type Browser, type Page } from 'playwright-core';
import { type HuizhenConfig, machineAddresses, PortInUseError } from '@huizhen/config';
import { PlatformModule, startApp, type StartedApp } from '@huizhen/platform-http';
import { signRoomToken } from '@huizhen/room-token';
import { MediaModule } from '../../apps/media/src/media.module';
import { MediaRoomsService } from '../../apps/media/src/media-rooms.service';
import { CHROMIUM_ARGS, TestBrowser, bundleTestPage, servePage } from './support/browser';
import { waitFor } from './support/media-harness';

/**
 * The media process as users start it (NODE_ENV=production: no test-only media defaults, no
 * MEDIA_LISTEN_IP, no MEDIA_ANNOUNCED_ADDRESS), through startApp like main.ts, with the HTTPS it
 * makes for itself. Only what a production start requires is given (secrets, DATA_DIR) and ports
 * that are free on this machine (several test files run at once).
 */
// The machine's own LAN address: not a point-to-point /30 that another test's link emulator made for a while.
const LAN =
  machineAddresses().ipv4.find((ip) =>
    Object.values(networkInterfaces()).some((list) =>
      list?.some((a) => a.address === ip && !/\/(30|31|32)$/.test(a.cidr ?? '')),
    ),
  ) ?? null;

function mediaProcess(config: HuizhenConfig) {
  @Module({ imports: [PlatformModule.forRoot({ config, database: false }), MediaModule] })
  class MediaProcess {}
  return MediaProcess;
}

/** A port free for TCP and UDP on all interfaces, and the next one (two workers). */
async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000);
    const ok = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const tcp = createHttpServer();
        const udp = createSocket('udp4');
        try {
          await new Promise<void>((res, rej) =>
            tcp.once('error', rej).listen(base + i, '0.0.0.0', () => res()),
          );
          await new Promise<void>((res, rej) =>
            udp.once('error', rej).bind(base + i, '0.0.0.0', () => res()),
          );
          return true;
        } catch {
          return false;
        } finally {
          tcp.close();
          try {
            udp.close();
          } catch {
            /* never bound */
          }
        }
      }),
    );
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free ports');
}

/** A plain HTTP request to host:port with a chosen Host header (no redirect following). */
function get(
  host: string,
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('production defaults: a call over the generated HTTPS on the LAN address (media process as users start it)', () => {
  let started: StartedApp;
  let httpPort: number;
  let httpsPort: number;
  let dataDir: string;
  let caPem: string;
  let lanBrowser: Browser;
  let loopback: TestBrowser;
  let pageServer: HttpsServer;
  let loopbackPages: Awaited<ReturnType<typeof servePage>>;
  let bundle: string;
  const env = (over: Record<string, string> = {}) => ({
    NODE_ENV: 'production',
    JWT_SECRET: 'production-defaults-jwt-secret-000000001',
    DATA_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
    DATA_DIR: dataDir,
    LOG_LEVEL: 'error',
    MEDIA_WORKERS: '2',
    ...over,
  });

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'huizhen-prod-defaults-'));
    const [rtcBase, https] = [await freePorts(2), await freePorts(1)];
    httpsPort = https;
    [started, bundle] = await Promise.all([
      startApp('Huizhen Media', mediaProcess, {
        env: env({
          PORT: '0',
          HTTPS_PORT: String(httpsPort),
          MEDIA_RTC_PORT_BASE: String(rtcBase),
        }),
      }),
      bundleTestPage(),
    ]);
    httpPort = Number(new URL(started.url).port);
    caPem = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
    // The LAN participant's page, from the LAN address over HTTPS with the server's own certificate.
    const server = readFileSync(join(dataDir, 'tls', 'server.pem'), 'utf8');
    pageServer = createHttpsServer(
      { key: server, cert: server.slice(server.indexOf('-----BEGIN CERTIFICATE-----')) },
      (req, res) => {
        if (req.url === '/bundle.js')
          res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
        else
          res
            .writeHead(200, { 'content-type': 'text/html' })
            .end(
              '<!doctype html><meta charset="utf-8"><body><script src="/bundle.js"></script></body>',
            );
      },
    );
    await new Promise<void>((r) => pageServer.listen(0, LAN ?? '127.0.0.1', () => r()));
    // This browser trusts the generated CA (its key hash, a launch flag) and nothing on loopback:
    // without --allow-loopback-in-peer-connection its media can only use the LAN candidate.
    const caSpki = createHash('sha256')
      .update(new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' }))
      .digest('base64');
    [lanBrowser, loopback, loopbackPages] = await Promise.all([
      chromium.launch({
        executablePath: '/usr/bin/chromium',
        headless: true,
        args: [
          ...CHROMIUM_ARGS.filter(
            (a) => LAN === null || a !== '--allow-loopback-in-peer-connection',
          ),
          `--ignore-certificate-errors-spki-list=${caSpki}`,
        ],
      }),
      TestBrowser.launch(),
      servePage(bundle),
    ]);
  }, 120_000);

  afterAll(async () => {
    await lanBrowser?.close();
    await loopback?.close();
    await loopbackPages?.close();
    await new Promise<void>((r) => (pageServer ? pageServer.close(() => r()) : r()));
    await started?.app.close();
  });

  it('announces the machine addresses and loopback, never 0.0.0.0', () => {
    const plan = started.app.get(MediaRoomsService).listenPlan;
    expect(started.config).toMatchObject({
      nodeEnv: 'production',
      mediaListenIp: '0.0.0.0',
      mediaAnnouncedAddress: null,
    });
    expect(plan.source).toBe('machine');
    expect(plan.announced).toContain('127.0.0.1');
    expect(plan.announced).not.toContain('0.0.0.0');
    if (LAN) expect(plan.announced).toContain(LAN);
    expect(plan.announced[plan.announced.length - 1]).toBe('127.0.0.1');
    expect(plan.reachableFromOutside).toBe(LAN !== null);
  });

  it('a participant on https://<LAN address> and one on http://127.0.0.1 see and hear each other', async () => {
    const room = `prod-defaults-${Date.now().toString(36)}`;
    const secret = started.config.roomTokenSecret;
    const lanHost = LAN ?? 'localhost';
    const lanContext = await lanBrowser.newContext();
    const lanPage = await lanContext.newPage();
    await lanPage.goto(`https://${lanHost}:${(pageServer.address() as { port: number }).port}/`);
    await lanPage.waitForFunction(() => !!(globalThis as any).huizhen);
    expect(await lanPage.evaluate(() => (globalThis as any).isSecureContext)).toBe(true);
    const { page: loopPage } = await loopback.page(loopbackPages.url);

    const start = (page: Page, url: string, role: 'host' | 'township_doctor', sub: string) =>
      page.evaluate((o) => (globalThis as any).huizhen.start(o), {
        url,
        room,
        token: signRoomToken({ sub, name: sub, room, role }, secret, 300),
        publish: true,
        autoAdmit: role === 'host',
      });
    const host = await start(loopPage, `http://127.0.0.1:${httpPort}`, 'host', 'specialist-prod');
    expect(host.ok).toBe(true);
    const doctor = await start(
      lanPage,
      `https://${lanHost}:${httpsPort}`,
      'township_doctor',
      'doctor-prod',
    );
    expect(doctor).toMatchObject({ ok: true });

    const decoded = async (page: Page) => {
      const stats: { kind: string; framesDecoded: number; totalSamplesReceived: number }[] =
        await page.evaluate(() => (globalThis as any).huizhen.stats());
      return {
        frames: stats.filter((s) => s.kind === 'video').reduce((n, s) => n + s.framesDecoded, 0),
        samples: stats
          .filter((s) => s.kind === 'audio')
          .reduce((n, s) => n + s.totalSamplesReceived, 0),
      };
    };
    for (const page of [lanPage, loopPage]) {
      await waitFor(
        'remote video decoded and audio received',
        async () => {
          const d = await decoded(page);
          return d.frames > 5 && d.samples > 0;
        },
        30_000,
        200,
      ).catch(async (e) => {
        throw new Error(
          `${e.message}: ${JSON.stringify(await page.evaluate(() => (globalThis as any).huizhen.log))}`,
        );
      });
    }
    // The LAN page's media came over the LAN candidate (the server's own address), not loopback.
    const remote = await lanPage.evaluate(async () => {
      const track = (globalThis as any).huizhen.client.remoteTracks.find(
        (t: any) => t.kind === 'video',
      );
      const report = await track.consumer.getStats();
      let pair: any = null;
      report.forEach((s: any) => {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && (s.nominated || !pair))
          pair = s;
      });
      return pair ? report.get(pair.remoteCandidateId)?.address : null;
    });
    const announced = started.app.get(MediaRoomsService).listenPlan.announced;
    expect(announced).toContain(remote);
    if (LAN) expect(remote).not.toBe('127.0.0.1');
    await lanContext.close();
  });

  it('sends a LAN browser opening a page over plain HTTP to HTTPS; loopback, API calls and HTTPS pass as before', async () => {
    const host = LAN ?? '192.0.2.250';
    const page = { accept: 'text/html,application/xhtml+xml', host: `${host}:${httpPort}` };
    const lan = await get('127.0.0.1', httpPort, '/consultations/abc?x=1', page);
    expect(lan.status).toBe(302);
    expect(lan.headers.location).toBe(`https://${host}:${httpsPort}/consultations/abc?x=1`);
    expect(lan.body).toContain('HTTPS');
    expect(lan.body).toContain(`http://${host}:${httpPort}/ca`);
    // Loopback pages (secure contexts over HTTP) stay, exactly as before: no redirect, no upgrade, no HSTS.
    for (const loop of ['127.0.0.1', 'localhost', '[::1]']) {
      const r = await get('127.0.0.1', httpPort, '/consultations/abc', {
        ...page,
        host: `${loop}:${httpPort}`,
      });
      expect([loop, r.status]).toEqual([loop, 404]);
      expect(r.headers['content-security-policy']).toContain("default-src 'self'");
      expect(r.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      expect(r.headers['strict-transport-security']).toBeUndefined();
    }
    // A script or an app on the LAN (JSON, DICOMweb) is answered over plain HTTP.
    const api = await get('127.0.0.1', httpPort, '/health', {
      accept: 'application/json',
      host: `${host}:${httpPort}`,
    });
    expect(api.status).toBe(200);
    expect(api.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    const fetched = await get('127.0.0.1', httpPort, '/consultations', {
      ...page,
      'sec-fetch-mode': 'cors',
    });
    expect(fetched.status).not.toBe(302);
    // HTTPS keeps the upgrade and gets HSTS.
    const overHttps = (ca?: string) =>
      new Promise<IncomingHttpHeaders>((resolve, reject) => {
        httpsGet(
          { host: '127.0.0.1', port: httpsPort, path: '/health', ca, servername: 'localhost' },
          (res) => resolve(res.resume().headers),
        ).on('error', reject);
      });
    // Without the local CA the certificate is refused: it is really checked.
    await expect(overHttps()).rejects.toThrow(/self.signed|unable to (get|verify)/i);
    const viaHttps = await overHttps(caPem);
    expect(viaHttps['content-security-policy']).toContain('upgrade-insecure-requests');
    expect(viaHttps['strict-transport-security']).toMatch(/max-age=\d+/);
  });

  it('a real browser opening the LAN address over plain HTTP lands on HTTPS', async () => {
    const context = await lanBrowser.newContext();
    const page = await context.newPage();
    const host = LAN ?? 'localhost';
    await page.goto(`http://${host}:${httpPort}/ca`);
    expect(page.url()).toBe(`http://${host}:${httpPort}/ca`); // the CA page itself is reachable before trusting it
    expect(await page.textContent('body')).toContain(new X509Certificate(caPem).fingerprint256);
    const r = await page.goto(`http://${host}:${httpPort}/room/abc`);
    if (LAN) {
      expect(page.url()).toBe(`https://${host}:${httpsPort}/room/abc`);
      expect(r?.status()).toBe(404); // the media process has no web client; the point is where it landed
    }
    const ca = await get('127.0.0.1', httpPort, '/ca.crt');
    expect(ca.status).toBe(200);
    expect(ca.body).toBe(caPem);
    expect(ca.headers['content-type']).toBe('application/x-x509-ca-cert');
    await context.close();
  });

  it('a taken port stops the start with a message naming the variable', async () => {
    const attempt = (over: Record<string, string>) =>
      startApp('Huizhen Media', mediaProcess, { env: env(over) }).then(
        (s) => s.app.close().then(() => null),
        (e: unknown) => e,
      );
    const free = await freePorts(2);
    const http = await attempt({
      PORT: String(httpPort),
      HTTPS_PORT: String(free),
      MEDIA_RTC_PORT_BASE: String(free),
    });
    expect(http).toBeInstanceOf(PortInUseError);
    expect((http as Error).message).toBe(`port ${httpPort} is in use: set PORT to another port`);
    const https = await attempt({
      PORT: '0',
      HTTPS_PORT: String(httpsPort),
      MEDIA_RTC_PORT_BASE: String(free),
    });
    expect((https as Error).message).toBe(
      `port ${httpsPort} is in use: set HTTPS_PORT to another port`,
    );
    const rtcBase = started.app.get(MediaRoomsService).pool.slots[0].udpPort;
    const rtc = await attempt({
      PORT: '0',
      HTTPS_PORT: String(free),
      MEDIA_RTC_PORT_BASE: String(rtcBase),
    });
    expect(rtc).toBeInstanceOf(PortInUseError);
    expect((rtc as Error).message).toMatch(
      new RegExp(
        `^port ${rtcBase} \\(UDP on .*\\) is in use: set MEDIA_RTC_PORT_BASE to another port$`,
      ),
    );
  });
});
