/**
 * The routing page in the browser, on the real server (demo province, PostgreSQL, Debian's
 * Chromium, in Chinese): the demo admin makes a rule that sends the organization's CT to its
 * county PACS, sees it listed; a dead letter in the queue shows its reason, is retried (and dies
 * again: its study is not stored here, a permanent failure) and is discarded after a confirmation.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { launchChromium, VIEWPORT, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { ensureWebBuild } from './support/web-build';

const DEMO_PASSWORD = 'Huizhen-demo-1';

describe('routing rules and the forward queue in the admin screens (Chromium)', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];

  beforeAll(async () => {
    ensureWebBuild();
    schema = await TestSchema.create('web_routing', { migrate: false });
    app = await startTestApp(
      schema.env({ SEED_DEMO: 'true', ROUTING_POLL_SECONDS: '1' }),
      (config) => ServerModule.forConfig(config),
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
    page = await context.newPage();
    problems = watchPageProblems(page);
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await app?.app.close();
    await schema?.drop();
  });

  it('makes a rule, and retries and discards a dead letter', async () => {
    const [admin] = await schema.query(
      `SELECT o.id, o.name FROM practitioner p JOIN organization o ON o.id = p.organization_id
        WHERE p.username = 'demo-admin'`,
    );
    // The county PACS, as the organization's admin registered it (the peers page's own test covers that form).
    await schema.query(
      `INSERT INTO imaging_dimse_peer (ae_title, organization_id, host, port, directions)
       VALUES ('COUNTY_PACS', $1, '127.0.0.1', 9, '{retrieve_destination}')`,
      [admin.id],
    );
    await page.goto(`${app.url}/login`);
    await page.getByLabel('用户名').fill('demo-admin');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('welcome').waitFor();
    await page.getByTestId('main-nav').getByText('影像转发').click();
    await page.waitForURL(/\/admin\/routing$/);
    await page.getByTestId('routing-rules-table').waitFor();

    await page.getByRole('button', { name: '新建规则' }).click();
    await page.getByTestId('rule-name').fill('CT 送县医院');
    await page.getByTestId('rule-organization').click();
    await page.keyboard.type(admin.name);
    await page.locator('.ant-select-item-option', { hasText: admin.name }).first().click();
    await page.getByTestId('rule-destination').click();
    await page.locator('.ant-select-item-option', { hasText: 'COUNTY_PACS' }).click();
    await page.getByTestId('rule-submit').click();
    const row = page.getByTestId('routing-rules-table').locator('.ant-table-row', {
      hasText: 'CT 送县医院',
    });
    await row.waitFor();
    expect(await row.textContent()).toContain('COUNTY_PACS (C-STORE)');

    const [rule] = await schema.query(`SELECT id FROM imaging_routing_rule WHERE name = $1`, [
      'CT 送县医院',
    ]);
    await schema.query(
      `INSERT INTO imaging_forward_job (rule_id, organization_id, study_instance_uid, state, attempts,
              last_error, failures)
       VALUES ($1, $2, '1.2.826.0.1.3680043.9.7433.72.1', 'dead', 12, 'COUNTY_PACS: connect ECONNREFUSED',
               '[{"at": "2026-01-01T00:00:00Z", "attempt": 12, "reason": "COUNTY_PACS: connect ECONNREFUSED"}]')`,
      [rule.id, admin.id],
    );
    await page.reload();
    const job = page.getByTestId('forward-jobs-table').locator('.ant-table-row', {
      hasText: '1.2.826.0.1.3680043.9.7433.72.1',
    });
    await job.getByText('失败（死信）').waitFor();
    expect(await job.textContent()).toContain('ECONNREFUSED');
    await screenshot(page, 'routing-admin-zh-CN');

    await job.getByTestId('job-retry').click();
    // Sent again at once, and dead again for good: the study is not stored on this server.
    await job.getByText('is not stored here').waitFor({ timeout: 30_000 });
    await job.getByText('失败（死信）').waitFor();
    await job.getByTestId('job-discard').click();
    await page.getByTestId('job-discard-confirm').click();
    await job.waitFor({ state: 'detached' });
    const left = await schema.query(`SELECT 1 FROM imaging_forward_job WHERE discarded_at IS NULL`);
    expect(left).toEqual([]);
    expect(problems).toEqual([]);
  }, 180_000);
});
