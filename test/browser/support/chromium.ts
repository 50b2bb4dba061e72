import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';

/** Debian's Chromium, never a downloaded one; flags measured in docs/NOTES (SwiftShader WebGL for the viewer). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--enable-unsafe-swiftshader',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--font-render-hinting=none',
    ],
  });
}

export const VIEWPORT = { width: 1366, height: 768 };

/** Collects what the page complains about: uncaught errors, console errors (CSP violations land there). */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m: ConsoleMessage) => {
    // A failed load names its URL, so a test can tell an answer it asked for (a 409 that leads to a question) from a fault.
    if (m.type() === 'error') problems.push(`console: ${m.text()}${/^Failed to load resource/.test(m.text()) && m.location().url ? ` (${new URL(m.location().url).pathname})` : ''}`);
  });
  return problems;
}
