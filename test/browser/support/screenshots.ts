import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export const SCREENSHOT_DIR = join(process.cwd(), 'test/browser/screenshots');

/** Full-viewport PNG under test/browser/screenshots/ (gitignored), for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // antd fades loading overlays and opens dropdowns with ~0.3 s CSS transitions.
  await page.waitForTimeout(400);
  await page.screenshot({ path });
  return path;
}
