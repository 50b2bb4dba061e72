/**
 * The service-account key flow in the browser, on the real server (demo province, PostgreSQL,
 * Debian's Chromium, in Chinese): the demo admin creates a key, sees it once with a warning and
 * copies it, a machine uses it on DICOMweb, the list shows its last use, and revoking it (after
 * a confirmation) stops it on the next request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { launchChromium, VIEWPORT, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { ensureWebBuild } from './support/web-build';

const DEMO_PASSWORD = 'Huizhen-demo-1';

describe('service accounts in the admin screens (Chromium)', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    schema = await TestSchema.create('web_sa', { migrate: false });
    app = await startTestApp(schema.env({ SEED_DEMO: 'true' }), (config) =>
      ServerModule.forConfig(config),
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: app.url });
    page = await context.newPage();
    problems = watchPageProblems(page);
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await app?.app.close();
    await schema?.drop();
  });

  const qido = (key: string) =>
    fetch(`${app.url}/dicom-web/studies?limit=1`, { headers: { authorization: `Bearer ${key}` } });

  it('creates a key shown once, the machine uses it, and revoking stops it', async () => {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('用户名').fill('demo-admin');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('welcome').waitFor();
    await page.getByTestId('main-nav').getByText('服务账号').click();
    await page.waitForURL(/\/admin\/service-accounts$/);
    await page.getByTestId('service-accounts-table').waitFor();

    await page.getByRole('button', { name: '新建服务账号' }).click();
    await page.getByTestId('sa-name').fill('县医院 Orthanc');
    await page.getByTestId('sa-organization').click();
    await page.locator('.ant-select-item-option').first().click();
    await page.getByTestId('sa-submit').click();

    const shown = page.getByTestId('sa-key');
    await shown.waitFor();
    const key = (await shown.textContent())!.trim();
    expect(key).toMatch(/^hz_sk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    await expect(page.getByText('这是唯一一次显示此密钥').isVisible()).resolves.toBe(true);
    await page.getByTestId('sa-copy').click();
    await page.getByText('已复制').waitFor();
    expect(
      await page.evaluate(
        () => (globalThis as any).navigator.clipboard.readText() as Promise<string>,
      ),
    ).toBe(key);
    await page.getByTestId('sa-key-done').click();
    await shown.waitFor({ state: 'detached' });
    // Once: the page holds the key no more, the list never had it.
    expect(await page.content()).not.toContain(key);

    // Accepted: 200 with studies, 204 when the organization has none yet (never 401/403).
    expect([200, 204]).toContain((await qido(key)).status);
    await page.reload();
    const row = page.locator('.ant-table-row', { hasText: '县医院 Orthanc' });
    await row.waitFor();
    expect(await row.getByTestId('sa-last-used').textContent()).not.toBe('从未');
    expect(await row.textContent()).toContain('有效');

    await row.getByTestId('sa-revoke').click();
    await page.getByTestId('sa-revoke-confirm').click();
    await row.getByText('已吊销').waitFor();
    expect((await qido(key)).status).toBe(401);
    await screenshot(page, 'service-accounts-admin-zh-CN');
    expect(problems).toEqual([]);
  }, 120_000);
});
