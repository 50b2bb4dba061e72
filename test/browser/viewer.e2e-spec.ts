/**
 * COMPONENT test of the image viewer (apps/web/src/viewer/ImageViewer.tsx) in real Chromium
 * with WebGL (SwiftShader), from the production build. The DICOMweb it reads is a stub served
 * by this test (support/stub-dicomweb.ts) from a real CT file — not the platform's imaging
 * service, which is being built elsewhere; the platform journey through /dicom-web is tested
 * once that service lands.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, VIEWPORT, watchPageProblems } from './support/chromium';
import { screenshot } from './support/screenshots';
import { seriesFromFile, startStubDicomWeb, type StubDicomWeb } from './support/stub-dicomweb';
import { waitFor } from './support/wait';
import { ensureWebBuild, WEB_DIST } from './support/web-build';

const CT_FILE = '/usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm';

describe('image viewer component (stub DICOMweb, real CT file, real Chromium)', () => {
  let stub: StubDicomWeb;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const series = seriesFromFile(CT_FILE, 3);

  // In-page helpers (strings of code would hide type errors; `globalThis` keeps the Node tsconfig happy).
  const viewerState = () =>
    page.evaluate(() => {
      const v = (globalThis as any).__viewer.handle.viewport;
      const cam = v.getCamera();
      return {
        index: v.getCurrentImageIdIndex() as number,
        voi: v.getProperties().voiRange as { lower: number; upper: number },
        parallelScale: cam.parallelScale as number,
        focalPoint: cam.focalPoint as number[],
      };
    });
  /** Canvas position (CSS px, page coordinates) of image pixel (column i, row j). */
  const pagePoint = (i: number, j: number) =>
    page.evaluate(
      ([ci, cj]) => {
        const v = (globalThis as any).__viewer.handle.viewport;
        const [x, y] = v.worldToCanvas(v.getImageData().imageData.indexToWorld([ci, cj, 0]));
        const rect = v.canvas.getBoundingClientRect();
        return { x: rect.left + x, y: rect.top + y };
      },
      [i, j] as const,
    );
  /** Displayed grey level (red channel) at the centre of each image pixel. */
  const greys = (points: [number, number][]) =>
    page.evaluate((pts) => {
      const v = (globalThis as any).__viewer.handle.viewport;
      const canvas = v.canvas;
      const ctx = canvas.getContext('2d');
      const dpr = canvas.width / canvas.clientWidth;
      const imageData = v.getImageData().imageData;
      return pts.map(([i, j]) => {
        const [x, y] = v.worldToCanvas(imageData.indexToWorld([i, j, 0]));
        return ctx.getImageData(Math.floor(x * dpr), Math.floor(y * dpr), 1, 1).data[0] as number;
      });
    }, points);
  const index = async () =>
    Number(await page.getByTestId('viewer-viewport').getAttribute('data-image-index'));
  const choose = async (testId: string, label: string) => {
    await page.getByTestId(testId).getByText(label, { exact: true }).click();
  };
  const drag = async (
    from: { x: number; y: number },
    to: { x: number; y: number },
    button: 'left' | 'middle' | 'right' = 'left',
  ) => {
    await page.mouse.move(from.x, from.y);
    await page.mouse.down({ button });
    await page.mouse.move(to.x, to.y, { steps: 8 });
    await page.mouse.up({ button });
  };

  /** Expected grey of each pixel under a linear VOI from lower to upper (Cornerstone's mapping). */
  function reference(points: [number, number][], voi: { lower: number; upper: number }) {
    const d = series.decoded;
    return points.map(([i, j]) => {
      const hu = d.stored[j * d.columns + i] * d.slope + d.intercept;
      return Math.max(0, Math.min(255, ((hu - voi.lower) / (voi.upper - voi.lower)) * 255));
    });
  }
  /** Pixels whose values spread across the window without clipping: a strict comparison. */
  function samplePoints(voi: { lower: number; upper: number }, n = 8): [number, number][] {
    const d = series.decoded;
    const inside: { i: number; j: number; hu: number }[] = [];
    for (let j = 8; j < d.rows - 8; j += 3) {
      for (let i = 8; i < d.columns - 8; i += 3) {
        const hu = d.stored[j * d.columns + i] * d.slope + d.intercept;
        const margin = (voi.upper - voi.lower) * 0.05;
        if (hu > voi.lower + margin && hu < voi.upper - margin) inside.push({ i, j, hu });
      }
    }
    inside.sort((a, b) => a.hu - b.hu);
    expect(inside.length).toBeGreaterThanOrEqual(n);
    return Array.from(
      { length: n },
      (_, k) => inside[Math.floor((k * (inside.length - 1)) / (n - 1))],
    ).map((p) => [p.i, p.j] as [number, number]);
  }

  beforeAll(async () => {
    ensureWebBuild();
    stub = await startStubDicomWeb({ distDir: WEB_DIST, series, token: 'component-test-token' });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: VIEWPORT });
    problems = watchPageProblems(page);
    const q = new URLSearchParams({
      root: `${stub.url}/dicom-web`,
      study: stub.studyUid,
      series: stub.seriesUid,
      token: stub.token,
    });
    await page.goto(`${stub.url}/viewer-harness.html?${q}`);
    await page.waitForFunction(
      () => (globalThis as any).__viewer || (globalThis as any).__viewerError,
      undefined,
      { timeout: 30_000 },
    );
    await page
      .locator('[data-testid="viewer-viewport"][data-rendered="true"]')
      .waitFor({ timeout: 30_000 });
    // Nearest-neighbour display so each canvas pixel shows one stored value exactly.
    await page.evaluate(() => {
      const { handle, cs } = (globalThis as any).__viewer;
      handle.viewport.setProperties({ interpolationType: cs.Enums.InterpolationType.NEAREST });
      handle.viewport.render();
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stub?.close();
  });

  it('loads the series over WADO-RS with the Bearer token and renders the first image', async () => {
    expect(await page.evaluate(() => (globalThis as any).__viewerError ?? null)).toBeNull();
    expect(await page.getByTestId('viewer-viewport').getAttribute('data-state')).toBe('ready');
    expect(await page.getByTestId('viewer-index').textContent()).toBe('图像 1 / 3');
    expect(stub.frameRequests.length).toBeGreaterThanOrEqual(1);
    expect(stub.frameRequests.every((r) => r.authorization === `Bearer ${stub.token}`)).toBe(true);
    const state = await viewerState();
    expect(state.index).toBe(0);
  });

  it('shows the stored CT values through window presets, matching a reference decoded in Node', async () => {
    for (const [label, voi] of [
      ['肺窗', { lower: -1350, upper: 150 }],
      ['纵隔窗', { lower: -135, upper: 215 }],
    ] as const) {
      await page.getByTestId('viewer-preset').click();
      await page.locator('.ant-select-item-option', { hasText: label }).click();
      const state = await waitFor(
        viewerState,
        (s) => s.voi?.lower === voi.lower && s.voi?.upper === voi.upper,
        `${label} VOI`,
      );
      expect(state.voi).toEqual(voi);
      const points = samplePoints(voi);
      const expected = reference(points, voi);
      const shown = await waitFor(
        () => greys(points),
        (g) => g.every((v, k) => Math.abs(v - expected[k]) <= 2),
        `${label} pixels ${JSON.stringify(expected.map(Math.round))}`,
      );
      expect(shown.length).toBe(points.length);
      // The readout names the window in the viewer's language.
      expect(await page.getByTestId('viewer-window').textContent()).toBe(
        `窗宽 ${voi.upper - voi.lower} / 窗位 ${(voi.upper + voi.lower) / 2}`,
      );
    }
  });

  it('scrolls the stack with the wheel and the buttons, fetching each frame once with the token', async () => {
    const centre = await pagePoint(64, 64);
    await page.mouse.move(centre.x, centre.y);
    await page.mouse.wheel(0, 120);
    await waitFor(index, (i) => i === 1, 'wheel to image 2');
    await page.getByTestId('viewer-next').click();
    await waitFor(index, (i) => i === 2, 'next to image 3');
    expect(await page.getByTestId('viewer-index').textContent()).toBe('图像 3 / 3');
    await page.getByTestId('viewer-prev').click();
    await waitFor(index, (i) => i === 1, 'previous to image 2');
    const paths = new Set(stub.frameRequests.map((r) => r.path));
    expect(paths).toEqual(
      new Set(
        series.instances.map(
          (i) =>
            `/dicom-web/studies/${stub.studyUid}/series/${stub.seriesUid}/instances/${i.sopInstanceUid}/frames/1`,
        ),
      ),
    );
    expect(stub.frameRequests.every((r) => r.authorization === `Bearer ${stub.token}`)).toBe(true);
  });

  it('plays the stack as cine, looping, and stops on pause', async () => {
    await page.getByTestId('viewer-cine').click();
    const seen: number[] = [];
    await waitFor(
      async () => {
        const i = await index();
        if (seen.at(-1) !== i) seen.push(i);
        return seen;
      },
      (s) => s.length >= 5,
      'cine to advance through the stack',
    );
    expect(new Set(seen)).toEqual(new Set([0, 1, 2]));
    await page.getByTestId('viewer-cine').click();
    const stoppedAt = await index();
    await page.waitForTimeout(400);
    expect(await index()).toBe(stoppedAt);
  });

  it('zooms and pans with the tools, and resets', async () => {
    const before = await viewerState();
    const centre = await pagePoint(64, 64);
    await choose('viewer-tools', '缩放');
    await drag(centre, { x: centre.x, y: centre.y + 120 });
    const zoomed = await waitFor(
      viewerState,
      (s) => Math.abs(s.parallelScale - before.parallelScale) > 1e-3,
      'zoom to change the scale',
    );
    expect(zoomed.parallelScale).not.toBeCloseTo(before.parallelScale, 3);

    await choose('viewer-tools', '平移');
    const start = await pagePoint(64, 64);
    await drag(start, { x: start.x + 60, y: start.y + 30 });
    const moved = await waitFor(
      () => pagePoint(64, 64),
      (p) => Math.abs(p.x - start.x - 60) <= 2,
      'pan to move the image',
    );
    expect(moved.y - start.y).toBeCloseTo(30, -0.5);

    await page.getByRole('button', { name: '复位' }).click();
    const reset = await waitFor(
      viewerState,
      (s) => Math.abs(s.parallelScale - before.parallelScale) < 1e-6,
      'reset camera',
    );
    expect(reset.focalPoint.map((v) => Math.round(v * 1000))).toEqual(
      before.focalPoint.map((v) => Math.round(v * 1000)),
    );
  });

  it('measures a length in millimetres from the pixel spacing, and an angle in degrees', async () => {
    await choose('viewer-tools', '测距');
    await drag(await pagePoint(20, 64), await pagePoint(100, 64));
    const expectedMm = 80 * series.decoded.pixelSpacing[1];
    // The annotation exists from mouse-down and follows the drag: wait for it to settle on the end point.
    const length = await waitFor(
      () =>
        page
          .locator('[data-testid="viewer-measurements"] li[data-kind="length"]')
          .first()
          .getAttribute('data-value')
          .catch(() => null),
      (v) => v !== null && Math.abs(Number(v) - expectedMm) < 0.5,
      'a length measurement',
    ).catch(() =>
      page
        .locator('[data-testid="viewer-measurements"] li[data-kind="length"]')
        .first()
        .getAttribute('data-value'),
    );
    expect(Math.abs(Number(length) - expectedMm)).toBeLessThan(0.5);

    await choose('viewer-tools', '测角');
    const [a, b, c] = [await pagePoint(30, 30), await pagePoint(30, 90), await pagePoint(90, 90)];
    await drag(a, b);
    await page.mouse.move(c.x, c.y, { steps: 8 });
    await page.mouse.down();
    await page.mouse.up();
    const angle = await waitFor(
      () =>
        page
          .locator('[data-testid="viewer-measurements"] li[data-kind="angle"]')
          .first()
          .getAttribute('data-value')
          .catch(() => null),
      (v) => v !== null && Math.abs(Number(v) - 90) < 1,
      'an angle measurement',
    ).catch(() =>
      page
        .locator('[data-testid="viewer-measurements"] li[data-kind="angle"]')
        .first()
        .getAttribute('data-value'),
    );
    expect(Math.abs(Number(angle) - 90)).toBeLessThan(1);
    await screenshot(page, 'viewer-component-zh-CN');
    expect(problems).toEqual([]);
  });
});
