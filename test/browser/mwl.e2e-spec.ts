/**
 * The modality worklist's held study in the browser, on the real server (demo province,
 * PostgreSQL, DIMSE SCP, Debian's Chromium, in Chinese): the demo township's DR (TOWN01_DR)
 * reads the demo draft's chest film from the worklist with dcmtk findscu -W; the township doctor,
 * with the request open, sees the requested exam with its accession number waiting; the DR sends
 * back an image that names another patient under that accession number, the held study appears on
 * the open page, and the doctor confirms it with a reason; the study is then linked to the request.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { DimseScp } from '../../apps/imaging/src/dimse/dimse-scp';
import { DCMTK_ENV, dcmtk, findscuMatches } from '../imaging/support/dcmtk';
import { launchChromium, VIEWPORT, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { ensureWebBuild } from './support/web-build';

const DEMO_PASSWORD = 'Huizhen-demo-1';
const CT = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

describe('a held worklist study confirmed by the township doctor (Chromium)', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let problems: string[] = [];
  let tmp: string;

  beforeAll(async () => {
    ensureWebBuild();
    schema = await TestSchema.create('web_mwl', { migrate: false });
    app = await startTestApp(
      schema.env({
        SEED_DEMO: 'true',
        DIMSE_PORT: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_AE_TITLE: 'HUIZHEN',
      }),
      (config) => ServerModule.forConfig(config),
    );
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORT, locale: 'zh-CN' });
    page = await context.newPage();
    problems = watchPageProblems(page);
    tmp = mkdtempSync(join(tmpdir(), 'web-mwl-'));
  }, 300_000);

  afterAll(async () => {
    await context?.close().catch(() => undefined);
    await browser?.close();
    await app?.app.close();
    await schema?.drop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('shows the requested exam and the held study, and attaches it once confirmed with a reason', async () => {
    const port = app.app.get(DimseScp).port;
    // The demo draft's chest film, as TOWN01_DR reads it from the worklist.
    const listed = await dcmtk('findscu', [
      '-v',
      '-W',
      '-aet',
      'TOWN01_DR',
      '-aec',
      'HUIZHEN',
      '-k',
      'ScheduledProcedureStepSequence[0].Modality=DX',
      '-k',
      'AccessionNumber',
      '-k',
      'PatientName',
      '127.0.0.1',
      String(port),
    ]);
    const items = findscuMatches(listed.out);
    expect(items).toHaveLength(1);
    const accession = items[0].AccessionNumber;
    const [exam] = await schema.query(
      `SELECT e.consultation_id AS id, p.name FROM consultation_requested_exam e
         JOIN consultation_request c ON c.id = e.consultation_id JOIN patient p ON p.id = c.patient_id
        WHERE e.accession_number = $1`,
      [accession],
    );
    expect(items[0].PatientName).toBe(exam.name);

    await page.goto(`${app.url}/login`);
    await page.getByLabel('用户名').fill('demo-township');
    await page.getByLabel('密码').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: '登录' }).click();
    await page.getByTestId('welcome').waitFor();
    await page.goto(`${app.url}/consultations/${exam.id}`);
    const panel = page.getByTestId('requested-exam');
    await panel.waitFor();
    expect(await panel.getByTestId('exam-accession').textContent()).toBe(accession);
    // Waiting for the modality: the page says the images will attach by themselves.
    expect(await panel.textContent()).toContain('设备回传的影像将按检查号自动关联');

    // The DR sends back an image of someone else under that accession number.
    const studyUid = '1.2.826.0.1.3680043.9.7433.23.9.1';
    const file = join(tmp, 'held.dcm');
    copyFileSync(CT, file);
    execFileSync(
      'dcmodify',
      [
        '-nb',
        '-i',
        'SpecificCharacterSet=ISO_IR 192',
        '-i',
        'PatientName=错误^患者',
        '-i',
        'PatientID=WRONG-1',
        '-i',
        `AccessionNumber=${accession}`,
        '-i',
        `StudyInstanceUID=${studyUid}`,
        '-i',
        `SeriesInstanceUID=${studyUid}.1`,
        '-i',
        `SOPInstanceUID=${studyUid}.1.1`,
        file,
      ],
      { env: DCMTK_ENV },
    );
    const sent = await dcmtk('storescu', [
      '-aet',
      'TOWN01_DR',
      '-aec',
      'HUIZHEN',
      '127.0.0.1',
      String(port),
      file,
    ]);
    expect(sent.status).toBe(0);

    // The page, open all along, asks again while it waits: the held study shows up without a reload.
    await panel.getByTestId('held-studies').waitFor({ timeout: 30_000 });
    const held = panel.locator('[data-testid="arrival"][data-status="held"]');
    expect(await held.getByTestId('arrival-differs').textContent()).toContain('姓名');
    expect(await held.textContent()).toContain('错误^患者');
    await screenshot(page, 'worklist-held-study-zh-CN');

    await held.getByTestId('arrival-confirm').click();
    const ok = page.getByTestId('arrival-confirm-ok');
    // A reason is required before the confirmation can be given.
    expect(await ok.isDisabled()).toBe(true);
    await page.getByTestId('arrival-confirm-reason').fill('登记时录错姓名，已核对身份证');
    await ok.click();
    await panel.locator('[data-testid="arrival"][data-status="confirmed"]').waitFor();
    expect(await panel.textContent()).toContain('登记时录错姓名，已核对身份证');
    const [arrival] = await schema.query(
      `SELECT status, decision_reason FROM imaging_worklist_arrival WHERE study_instance_uid = $1`,
      [studyUid],
    );
    expect(arrival).toEqual({
      status: 'confirmed',
      decision_reason: '登记时录错姓名，已核对身份证',
    });
    // Attached: linked to the request, which now lists it among its images.
    const links = await schema.query(
      `SELECT consultation_id FROM imaging_study_link WHERE study_instance_uid = $1`,
      [studyUid],
    );
    expect(links).toEqual([{ consultation_id: exam.id }]);
    expect(problems).toEqual([]);
  }, 180_000);
});
