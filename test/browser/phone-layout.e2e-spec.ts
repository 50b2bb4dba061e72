/**
 * The web client on a phone and a tablet (issue 20): each role's main pages at 390 × 844 (a
 * phone in portrait), 844 × 390 (the same phone turned) and 768 × 1024 (a tablet in portrait),
 * on the real server with the demo province, in Debian's Chromium. No page may scroll sideways
 * (the document is no wider than the viewport), the menu is a button that opens a drawer and
 * closes once a page is chosen, and the menu's labels are whole words. Screenshots of each page
 * land in test/browser/screenshots/ (phone-*).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { launchChromium, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { ensureWebBuild } from './support/web-build';

const DEMO_PASSWORD = 'Huizhen-demo-1';

const SIZES = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'phone-landscape', width: 844, height: 390 },
  { name: 'tablet', width: 768, height: 1024 },
] as const;

/** Each role's login and the pages it works in (its menu's entries and the home page). */
const ROLES = [
  {
    user: 'demo-township',
    pages: ['/', '/patients', '/consultations', '/consultations/new', '/bookings', '/referrals'],
  },
  { user: 'demo-specialist', pages: ['/', '/worklist', '/referrals'] },
  { user: 'demo-hub', pages: ['/', '/rotations', '/dashboard'] },
  { user: 'demo-admin', pages: ['/', '/admin/organizations', '/admin/users'] },
] as const;

describe('phones and tablets: no sideways scroll, a menu that opens and closes (Chromium)', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    schema = await TestSchema.create('web_phone', { migrate: false });
    app = await startTestApp(schema.env({ SEED_DEMO: 'true' }), (config) =>
      ServerModule.forConfig(config),
    );
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await app?.app.close();
    await schema?.drop();
  });

  async function signedIn(user: string, size: (typeof SIZES)[number]): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: size.width, height: size.height },
      locale: 'zh-CN',
      isMobile: size.name !== 'tablet',
      hasTouch: true,
    });
    contexts.push(context);
    const page = await context.newPage();
    const seen = watchPageProblems(page);
    page.on('close', () => problems.push(...seen));
    await page.goto(`${app.url}/login`);
    await page.getByLabel('用户名').fill(user);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('welcome').waitFor();
    return page;
  }

  /** The page has drawn: its chunk loaded and no list still loading. */
  async function settled(page: Page): Promise<void> {
    await page.getByTestId('page-loading').waitFor({ state: 'detached' });
    await page
      .locator('.ant-spin-spinning')
      .first()
      .waitFor({ state: 'detached', timeout: 20_000 })
      .catch(() => undefined);
    await page.waitForLoadState('networkidle').catch(() => undefined);
  }

  const widths = (page: Page) =>
    page.evaluate(() => {
      const d = (globalThis as any).document.documentElement;
      return { document: d.scrollWidth as number, viewport: (globalThis as any).innerWidth };
    });

  for (const size of SIZES) {
    it(`${size.name} ${size.width} × ${size.height}: every role's pages fit the width`, async () => {
      const overflowing: string[] = [];
      for (const role of ROLES) {
        const page = await signedIn(role.user, size);
        for (const path of role.pages) {
          await page.goto(`${app.url}${path}`);
          await settled(page);
          const w = await widths(page);
          if (w.document > w.viewport)
            overflowing.push(`${role.user} ${path}: ${w.document} px wide in ${w.viewport}`);
          await screenshot(
            page,
            `phone-${size.name}-${role.user.replace('demo-', '')}${path.replace(/\//g, '-').replace(/-$/, '') || '-home'}`,
          );
        }
        await page.close();
      }
      expect(overflowing).toEqual([]);
    });

    it(`${size.name}: the menu is a button; it opens, shows whole labels and closes on a choice`, async () => {
      const page = await signedIn('demo-township', size);
      const nav = page.getByTestId('main-nav');
      // No rail of cut labels beside the content: the menu is hidden until asked for.
      expect(await nav.isVisible()).toBe(false);
      await page.getByTestId('nav-toggle').click();
      await nav.waitFor({ state: 'visible' });
      const labels = (await nav.locator('.ant-menu-item').allTextContents()).map((l) => l.trim());
      expect(labels).toEqual(['首页', '患者', '会诊申请', '预约', '转诊']);
      // Each label is shown whole (its box is as wide as its text).
      const cut = await nav
        .locator('.ant-menu-title-content')
        .evaluateAll((els) =>
          els.filter((e: any) => e.scrollWidth > e.clientWidth).map((e: any) => e.textContent),
        );
      expect(cut).toEqual([]);
      await screenshot(page, `phone-${size.name}-menu-open`);
      await nav.locator('.ant-menu-item', { hasText: '患者' }).click();
      await page.waitForURL(/\/patients$/);
      await nav.waitFor({ state: 'hidden' });
      // And it opens again, and closes with its own close button.
      await page.getByTestId('nav-toggle').click();
      await nav.waitFor({ state: 'visible' });
      await page.locator('.ant-drawer-close').click();
      await nav.waitFor({ state: 'hidden' });
      await page.close();
    });
  }

  it('phone: the patient form is one column and a national ID fills sex and birth date', async () => {
    const page = await signedIn('demo-township', SIZES[0]);
    await page.goto(`${app.url}/patients`);
    await settled(page);
    await page.getByTestId('register-patient').click();
    const form = page.getByTestId('patient-register-form');
    await form.waitFor();
    // 11010519600512001 with its GB 11643 check digit: born 1960-05-12, 17th digit odd (male).
    await form.getByLabel('身份证号').fill('110105196005120010');
    await form.getByText('已根据身份证号填写性别和出生日期').waitFor();
    expect(await form.getByLabel('出生日期').inputValue()).toBe('1960-05-12');
    expect(await form.locator('.ant-form-item', { hasText: /^性别/ }).textContent()).toBe('性别男');
    // Sex above birth date, not beside it: one column at 390 px.
    const sex = await form.getByLabel('性别').boundingBox();
    const birth = await form.getByLabel('出生日期').boundingBox();
    expect(birth!.y).toBeGreaterThan(sex!.y + sex!.height);
    // A wrong check digit is said at once, in Chinese.
    await form.getByLabel('身份证号').fill('110105196005120011');
    await form.getByText('身份证号校验不通过，请核对每一位').waitFor();
    await screenshot(page, 'phone-phone-patient-form');
    await page.close();
  });

  it('logged no page errors', () => {
    expect(
      [...new Set(problems)].filter(
        (p) => !/Failed to load resource: the server responded with a status of 404/.test(p),
      ),
    ).toEqual([]);
  });
});
