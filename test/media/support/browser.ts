import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from './chromium-args';

export { CHROMIUM_ARGS } from './chromium-args';

/** Bundles the test page script (client library + mediasoup-client + socket.io-client) for the browser. */
export async function bundleTestPage(repoRoot = process.cwd()): Promise<string> {
  const out = await build({
    entryPoints: [join(repoRoot, 'test/media/support/page/entry.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
    tsconfig: join(repoRoot, 'tsconfig.json'),
    logLevel: 'silent',
  });
  return out.outputFiles[0].text;
}

/** Serves the test page from http://127.0.0.1 (pages need a real origin for mediaDevices). */
export async function servePage(bundle: string): Promise<{ url: string; close(): Promise<void> }> {
  const html =
    '<!doctype html><meta charset="utf-8"><title>huizhen media test</title><body><script src="/bundle.js"></script></body>';
  const server: Server = createServer((req, res) => {
    if (req.url === '/bundle.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (req.url === '/' || req.url?.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * The two browsers of a call across an emulated link: the host's on this machine, the township's
 * inside the link's namespace (`link.wrapper`), with its own flags where a test needs them.
 */
export function launchAcrossLink(
  link: { wrapper(command: string): string },
  townshipArgs: string[] = CHROMIUM_ARGS,
): Promise<[Browser, Browser]> {
  return Promise.all([
    chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
    chromium.launch({
      executablePath: link.wrapper('/usr/bin/chromium'),
      headless: true,
      args: townshipArgs,
    }),
  ]);
}

export class TestBrowser {
  private constructor(readonly browser: Browser) {}

  /** Playwright gives every launch a fresh temporary profile. */
  static async launch(): Promise<TestBrowser> {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    return new TestBrowser(browser);
  }

  /** A participant: its own browser context (own camera, own storage). */
  async page(pageUrl: string): Promise<{ page: Page; context: BrowserContext }> {
    const context = await this.browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => process.stderr.write(`[page error] ${e.message}\n`));
    await page.goto(pageUrl);
    await page.waitForFunction(() => !!(globalThis as any).huizhen);
    return { page, context };
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
