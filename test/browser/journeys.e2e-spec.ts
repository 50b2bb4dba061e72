/**
 * The web client on the real platform: the production build served by the single-node server
 * (ServerModule, in-process) on a fresh schema of the real PostgreSQL, the demo province seeded
 * as on a first start, driven in Debian's Chromium at 1366x768 in Chinese. Screenshots of each
 * main page land in test/browser/screenshots/ for a person to look at.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { launchChromium, VIEWPORT, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { waitFor } from './support/wait';
import { ensureWebBuild } from './support/web-build';

const DEMO_PASSWORD = 'Huizhen-demo-1';

/** A resident identity number with a valid GB 11643 check digit for the given birth date. */
function residentId(region: string, birthDate: string, seq: string): string {
  const body = `${region}${birthDate.replace(/-/g, '')}${seq}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(body[i]), 0);
  return body + '10X98765432'[sum % 11];
}

describe('web client journeys on the real server (demo province, PostgreSQL, Chromium)', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
    contexts.push(context);
    const page = await context.newPage();
    const seen = watchPageProblems(page);
    page.on('close', () => problems.push(...seen));
    return page;
  }

  async function login(page: Page, username: string): Promise<void> {
    await page.goto(`${app.url}/login`);
    await page.getByLabel('用户名').fill(username);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('welcome').waitFor();
  }

  const navLabels = async (page: Page) => {
    await page.getByTestId('main-nav').locator('.ant-menu-item').first().waitFor();
    return page.getByTestId('main-nav').locator('.ant-menu-item').allTextContents();
  };
  /** Rows shown and no load in flight (a list reloads as filters change). */
  const tableSettled = async (page: Page, scope = page.locator('body')) => {
    await scope.locator('.ant-table-row').first().waitFor();
    await scope.locator('.ant-table .ant-spin-spinning').waitFor({ state: 'detached' });
  };
  const fitsWidth = (page: Page) =>
    page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);

  beforeAll(async () => {
    ensureWebBuild();
    schema = await TestSchema.create('web', { migrate: false });
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

  it('serves the client from the server: SPA fallback outside the platform paths, hashed assets cached for a year', async () => {
    const index = await fetch(`${app.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)![1];
    const asset = await fetch(`${app.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    const deep = await fetch(`${app.url}/patients/some-id?x=1`);
    expect(await deep.text()).toBe(html);
    // The viewer's component-test page is in dist but not served.
    expect(await (await fetch(`${app.url}/viewer-harness.html`)).text()).toBe(html);
    const api = await fetch(`${app.url}/api/no-such-thing`);
    expect(api.status).toBe(404);
    expect(((await api.json()) as { message: string }).message).toBe(
      'Cannot GET /api/no-such-thing',
    );
    expect((await fetch(`${app.url}/assets/no-such-chunk.js`)).status).toBe(404);
    expect((await fetch(`${app.url}/health`)).headers.get('content-type')).toMatch(/json/);
  });

  it('signs in in Chinese, says a wrong password in Chinese (the catalogue’s words for its code), and fits 1366x768', async () => {
    const page = await newPage();
    await page.goto(`${app.url}/consultations`);
    await page.waitForURL(/\/login$/);
    await page.getByTestId('login-card').waitFor();
    await screenshot(page, 'login-zh-CN');
    await page.getByLabel('用户名').fill('demo-township');
    await page.getByLabel('密码').fill('wrong-password-1');
    await page.getByRole('button', { name: '登录' }).click();
    const message = await page.getByTestId('login-error').textContent();
    const res = await fetch(`${app.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'demo-township', password: 'wrong-password-2' }),
    });
    const body = (await res.json()) as { message: string; details: { code: string } };
    expect(body.details.code).toBe('invalid_credentials');
    // Never the server's English text: the code's Chinese.
    expect(message).toBe('用户名或密码不正确');
    expect(message).not.toContain(body.message);
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    // Back where the user was going.
    await page.waitForURL(/\/consultations$/);
    await page.getByTestId('consultations-table').waitFor();
    expect(await fitsWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await screenshot(page, 'consultations-township-zh-CN');
  });

  it('gives each role its own navigation, and live updates connect on /events', async () => {
    const expected: Record<string, string[]> = {
      'demo-township': ['首页', '患者', '会诊申请', '预约', '转诊'],
      'demo-specialist': ['首页', '工作列表', '转诊'],
      'demo-hub': ['首页', '排班', '看板'],
      'demo-admin': ['首页', '机构', '医联体', '用户', '服务账号', 'DICOM 节点', '影像转发'],
    };
    for (const [username, labels] of Object.entries(expected)) {
      const page = await newPage();
      await login(page, username);
      expect(await navLabels(page)).toEqual(labels);
      await waitFor(
        () => page.getByTestId('live-status').getAttribute('data-status'),
        (s) => s === 'connected',
        `${username} live status`,
      );
      expect(await fitsWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
      await screenshot(page, `home-${username.replace('demo-', '')}-zh-CN`);
      if (username === 'demo-specialist') {
        await page.getByTestId('main-nav').getByText('工作列表').click();
        await page.getByTestId('worklist-queue').waitFor();
        await screenshot(page, 'worklist-specialist-zh-CN');
      }
      if (username === 'demo-hub') {
        await page.getByTestId('main-nav').getByText('排班').click();
        await page.getByTestId('rotation-calendar').waitFor();
        await screenshot(page, 'rotations-hub-zh-CN');
      }
      if (username === 'demo-township') {
        // Another role's page says no, rather than half-working.
        await page.goto(`${app.url}/admin/users`);
        await page.getByText('您没有权限查看此内容。').waitFor();
      }
      await page.close();
    }
  });

  it('township doctor searches patients and registers one', async () => {
    const page = await newPage();
    await login(page, 'demo-township');
    await page.getByTestId('main-nav').getByText('患者').click();
    await tableSettled(page);
    const listed = await page.locator('.ant-table-row').count();
    expect(listed).toBeGreaterThan(0);
    await screenshot(page, 'patients-township-zh-CN');

    await page.getByTestId('patient-search').locator('input').fill('不存在的名字');
    await page.getByTestId('patient-search').locator('input').press('Enter');
    await page.getByText('没有找到患者').waitFor();

    await page.getByTestId('register-patient').click();
    const form = page.getByTestId('patient-register-form');
    await form.getByLabel('姓名').fill('欧阳测试');
    await form.getByLabel('性别').click();
    await page.locator('.ant-select-item-option', { hasText: '女' }).click();
    await form.getByLabel('出生日期').fill('1968-04-12');
    await form.getByLabel('出生日期').press('Enter');
    const id = residentId('990121', '1968-04-12', '004');
    await form.getByLabel('身份证号').fill(id);
    await form.getByLabel('联系电话').fill('13800138000');
    await form.getByLabel('住址').fill('青山县石桥镇东村 12 号');
    await page.locator('.ant-picker-dropdown').first().waitFor({ state: 'hidden' });
    await screenshot(page, 'patient-register-zh-CN');
    await page.getByRole('button', { name: '保存' }).click();
    await page.waitForURL(/\/patients\/[0-9a-f-]{36}$/);
    expect(await page.getByTestId('patient-name').textContent()).toBe('欧阳测试');
    await page
      .getByText(`${id.slice(0, 3)}`, { exact: false })
      .first()
      .waitFor();
    const detail = await page.locator('.ant-descriptions').textContent();
    expect(detail).toContain('女');
    expect(detail).toContain('1968-04-12');
    expect(detail).not.toContain(id); // the API returns the national ID masked
    await screenshot(page, 'patient-detail-zh-CN');

    // The same ID again: the server refuses, and the form shows its message.
    await page.goto(`${app.url}/patients?q=${encodeURIComponent('欧阳测试')}`);
    await page.locator('.ant-table-row', { hasText: '欧阳测试' }).waitFor();
    await page.getByTestId('register-patient').click();
    await form.getByLabel('姓名').fill('欧阳重复');
    await form.getByLabel('性别').click();
    await page.locator('.ant-select-item-option', { hasText: '女' }).click();
    await form.getByLabel('出生日期').fill('1968-04-12');
    await form.getByLabel('出生日期').press('Enter');
    await form.getByLabel('身份证号').fill(id);
    await page.getByRole('button', { name: '保存' }).click();
    const refusal = await page.getByTestId('register-error').textContent();
    expect(refusal).toBe('本机构已登记过该身份证号的患者');
    await page.close();
  });

  it('admin sees the organization tree, consortia with members, and users; creates an organization and a user', async () => {
    const page = await newPage();
    await login(page, 'demo-admin');
    await page.getByTestId('main-nav').getByText('机构').click();
    const tree = page.getByTestId('org-tree');
    await tree.locator('.ant-tree-title', { hasText: '青山县人民医院' }).click();
    expect(await page.getByTestId('org-detail-name').textContent()).toBe('青山县人民医院');
    await tableSettled(page);
    expect(await page.locator('.ant-table-row').count()).toBeGreaterThan(0); // staff of the county hospital
    await screenshot(page, 'organizations-admin-zh-CN');

    // On a busy machine a dropdown click can land before the list settles: check each choice took, else choose again.
    const choose = async (
      label: string,
      option: string,
      typed?: string,
      optionSelector = '.ant-select-item-option',
    ) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (typed) await page.getByLabel(label).fill(typed);
        else await page.getByLabel(label).click();
        const item = page
          .locator(`.ant-select-dropdown:visible ${optionSelector}`, { hasText: option })
          .first();
        await item.waitFor();
        await item.click();
        const took = await page
          .locator('.ant-modal')
          .locator(`[title="${option}"]`)
          .first()
          .waitFor({ timeout: 3000 })
          .then(
            () => true,
            () => false,
          );
        if (took) return;
      }
      throw new Error(`could not choose ${option} in ${label}`);
    };
    await page.getByRole('button', { name: '新建机构' }).click();
    await page.getByLabel('机构名称').fill('石桥镇南村卫生室');
    await choose('级别', '村卫生室');
    await choose(
      '上级机构',
      '青山县石桥镇卫生院',
      '青山县石桥镇卫生院',
      '.ant-select-tree-node-content-wrapper',
    );
    await page.getByLabel('行政区划代码').fill('990121');
    await page.getByRole('button', { name: '保存' }).click();
    await waitFor(
      () => page.getByTestId('org-detail-name').textContent(),
      (n) => n === '石桥镇南村卫生室',
      'the new organization selected',
    );
    await tree.locator('.ant-tree-title', { hasText: '石桥镇南村卫生室' }).waitFor();

    await page.getByTestId('main-nav').getByText('医联体').click();
    await tableSettled(page, page.getByTestId('consortia-table'));
    expect(await page.getByTestId('consortia-table').locator('.ant-table-row').count()).toBe(8);
    await page.getByTestId('consortia-table').getByText('青山县县域医共体').click();
    const members = page.getByTestId('consortium-members');
    await members.locator('.ant-table-row').first().waitFor();
    expect(await members.textContent()).toContain('青山县人民医院');
    await screenshot(page, 'consortia-admin-zh-CN');
    await page.keyboard.press('Escape');

    await page.getByTestId('main-nav').getByText('用户').click();
    await tableSettled(page, page.getByTestId('users-table'));
    await screenshot(page, 'users-admin-zh-CN');
    await page.getByRole('button', { name: '新建用户' }).click();
    await page.getByLabel('用户名').fill('web.test.radiologist');
    await page.getByLabel('初始密码').fill('Initial-pass-1');
    await page.getByLabel('姓名').fill('司马影像');
    const dialog = page.locator('.ant-modal');
    await choose('所属机构', '青山县人民医院', '青山县人民医院');
    await choose('角色', '上级专家');
    await page.keyboard.press('Escape');
    await choose('专科', '放射科', '放射');
    await page.getByRole('button', { name: '保存' }).click();
    // Saved (the dialog closes) — or a refusal (the server's, or a field's), shown in the dialog, fails the test with its words.
    const outcome = await Promise.race([
      dialog.waitFor({ state: 'detached' }).then(() => 'saved'),
      page.getByTestId('form-error').textContent(),
      dialog.locator('.ant-form-item-explain-error').first().textContent(),
    ]);
    expect(outcome).toBe('saved');
    await page.getByPlaceholder('按姓名或用户名搜索').fill('司马影像');
    await page.getByPlaceholder('按姓名或用户名搜索').press('Enter');
    const row = page.getByTestId('users-table').locator('.ant-table-row', { hasText: '司马影像' });
    await row.waitFor();
    expect(await row.textContent()).toContain('上级专家');
    expect(await row.textContent()).toContain('放射科');
    expect(await fitsWidth(page)).toBeLessThanOrEqual(VIEWPORT.width);
    await page.close();
  });

  it('refreshes an expired access token once, and sends the user to sign in when the refresh is refused', async () => {
    const page = await newPage();
    await login(page, 'demo-township');
    const stored = () =>
      page.evaluate(() =>
        JSON.parse((globalThis as any).localStorage.getItem('huizhen.session') ?? 'null'),
      );
    const before = await stored();
    // An access token the server no longer accepts (as after expiry): the next call gets 401.
    const tampered = await page.evaluate(() => {
      const s = JSON.parse((globalThis as any).localStorage.getItem('huizhen.session'));
      const accessToken =
        s.accessToken.slice(0, -6) + (s.accessToken.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
      (globalThis as any).localStorage.setItem(
        'huizhen.session',
        JSON.stringify({ ...s, accessToken }),
      );
      return accessToken as string;
    });
    await page.goto(`${app.url}/patients`);
    const rows = page.locator('.ant-table-row').first();
    const listed = await rows.waitFor({ timeout: 20_000 }).then(
      () => true,
      () => false,
    );
    if (!listed) {
      // Seen a few times in full CI runs, never alone: say what the page showed, then look again
      // once. A session ended by the refresh (the bug this test is for) still fails below.
      console.log('patients list not shown after the refresh', {
        url: page.url(),
        session: (await stored()) !== null,
        text: (await page.locator('body').innerText()).slice(0, 400),
      });
      expect(page.url()).not.toMatch(/\/login$/);
      await page.reload();
      await rows.waitFor();
    }
    const after = await stored();
    // A new pair (HS256 is deterministic: within the same second the access token may equal the first one).
    expect(after.accessToken).not.toBe(tampered);
    expect(after.refreshToken).not.toBe(before.refreshToken);

    await page.evaluate(() => {
      const s = JSON.parse((globalThis as any).localStorage.getItem('huizhen.session'));
      (globalThis as any).localStorage.setItem(
        'huizhen.session',
        JSON.stringify({ ...s, accessToken: 'x.y.z', refreshToken: 'not-a-refresh-token' }),
      );
    });
    await page.goto(`${app.url}/patients`);
    await page.waitForURL(/\/login$/);
    expect(await stored()).toBeNull();
    await page.close();
  });

  it('switches to English and back', async () => {
    const page = await newPage();
    await login(page, 'demo-admin');
    await page.getByTestId('lang-switch').click();
    expect(await navLabels(page)).toEqual([
      'Home',
      'Organizations',
      'Consortia',
      'Users',
      'Service accounts',
      'DICOM peers',
      'Study routing',
    ]);
    await screenshot(page, 'home-admin-en-US');
    await page.reload();
    expect(await navLabels(page)).toEqual([
      'Home',
      'Organizations',
      'Consortia',
      'Users',
      'Service accounts',
      'DICOM peers',
      'Study routing',
    ]);
    await page.getByTestId('lang-switch').click();
    expect(await navLabels(page)).toEqual([
      '首页',
      '机构',
      '医联体',
      '用户',
      '服务账号',
      'DICOM 节点',
      '影像转发',
    ]);
    await page.getByTestId('user-menu').hover();
    await page.getByText('退出登录').click();
    await page.waitForURL(/\/login$/);
    await page.close();
  });

  it('logged no page errors and no CSP violations', () => {
    // The refresh test's 401s and the duplicate registration's 409 are expected; anything else is a defect.
    expect(problems.filter((p) => !/status of (401|409)/.test(p))).toEqual([]);
  });
});
