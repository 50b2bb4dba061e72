import { chromium, type Browser, type ConsoleMessage, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../media/support/chromium-args';

/**
 * Debian's Chromium, never a downloaded one, with the flags every browser test shares
 * (CHROMIUM_ARGS: headless, SwiftShader's WebGL for the viewer, a fake camera and microphone).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
}

export const VIEWPORT = { width: 1366, height: 768 };

/** Collects what the page complains about: uncaught errors, console errors (CSP violations land there). */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m: ConsoleMessage) => {
    // A failed load names its URL, so a test can tell an answer it asked for (a 409 that leads to a question) from a fault.
    if (m.type() === 'error')
      problems.push(
        `console: ${m.text()}${/^Failed to load resource/.test(m.text()) && m.location().url ? ` (${new URL(m.location().url).pathname})` : ''}`,
      );
  });
  return problems;
}
