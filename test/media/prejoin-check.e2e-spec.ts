/**
 * The pre-join check (camera, microphone, speaker, a probe of the path) in the web client against
 * the real single-node server (demo province, embedded database, real mediasoup) with Debian's
 * Chromium (fake camera and microphone, two of each): the township doctor's browser runs inside an
 * emulated link (test/media/support/link-emulator.ts). On a clean link the check shows the camera's preview, a
 * microphone level, the probe's figures and advice, and the doctor joins (through the waiting
 * room) with the camera and microphone chosen there. On a thin, lossy uplink the probe's
 * figures say so and the advice is to join with audio only, which the room then is.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '../browser/support/wait';
import { ensureWebBuild } from '../browser/support/web-build';
import { CHROMIUM_ARGS, launchAcrossLink } from './support/browser';
import { LinkEmulator } from './support/link-emulator';
import {
  type DemoServer,
  RoomJourney,
  phase,
  startDemoServer,
  tileState,
} from './support/room-journey';
import { tcpRelay } from './support/tcp-relay';

// Page-side code below runs in Chromium; the test project has no DOM typings.
declare const window: any;

const why = LinkEmulator.unsupportedReason();
if (why) process.stderr.write(`pre-join check tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

interface CheckFigures {
  verdict: string | null;
  kbps: string | null;
  rtt: string | null;
  loss: string | null;
  advice: (string | null)[];
}

async function checkFigures(p: Page): Promise<CheckFigures> {
  const value = (id: string) => p.getByTestId(id).getAttribute('data-value');
  return {
    verdict: await p.getByTestId('precheck-network').getAttribute('data-verdict'),
    kbps: await value('precheck-bitrate'),
    rtt: await value('precheck-rtt'),
    loss: await value('precheck-loss'),
    advice: await Promise.all(
      (await p.getByTestId('precheck-advice').all()).map((a) => a.getAttribute('data-key')),
    ),
  };
}

/** The check's figures once the probe has a verdict and its advice shows. */
function verdictOf(p: Page, timeoutMs: number): Promise<CheckFigures> {
  return waitFor(
    () => checkFigures(p),
    (f) => f.verdict !== 'pending' && f.advice.some((a) => a?.startsWith('link')),
    'the probe’s verdict and advice',
    timeoutMs,
  );
}

const shown = (f: CheckFigures) =>
  `verdict ${f.verdict}, ${Math.round(Number(f.kbps))} kbit/s available, round trip ${Math.round(Number(f.rtt))} ms, loss ${f.loss === '' ? '—' : Number(f.loss).toFixed(1)} %, advice ${f.advice.join(', ')}`;

/** Picks the last non-default option of one of the check's device selects; returns its device id. */
async function pickLast(p: Page, testId: string): Promise<string> {
  await p.getByTestId(testId).click();
  const options = p.locator('.ant-select-dropdown:visible .ant-select-item-option');
  await waitFor(
    () => options.count(),
    (n) => n >= 2,
    `${testId} options`,
    10_000,
  );
  await options.last().click();
  const chosen = await p.evaluate(() =>
    JSON.parse(window.localStorage.getItem('huizhen.room.devices') ?? '{}'),
  );
  return testId === 'precheck-camera' ? chosen.cameraId : chosen.micId;
}

suite(
  'the pre-join check: devices, a probe of the path to the media server, advice (Chromium, real server, emulated link)',
  () => {
    let link: LinkEmulator;
    let app: DemoServer;
    let relay: Awaited<ReturnType<typeof tcpRelay>>;
    let hostBrowser: Browser;
    let nsBrowser: Browser;
    let journey: RoomJourney;
    let specialist: Page;
    let doctor: Page;
    const report: string[] = [];
    const origin = () => `http://127.0.0.1:${new URL(app.url).port}`;

    beforeAll(async () => {
      ensureWebBuild();
      link = await LinkEmulator.start({ name: 'precheck' });
      app = await startDemoServer({ MEDIA_LISTEN_IP: link.hostAddress, MEDIA_WORKERS: '1' });
      const appPort = Number(new URL(app.url).port);
      relay = await tcpRelay(link.hostAddress, appPort);
      await link.forward(appPort, relay.port);
      // Two fake cameras (and Chromium's fake microphones) to choose from.
      const twoCameras = CHROMIUM_ARGS.map((a) =>
        a === '--use-fake-device-for-media-stream' ? `${a}=device-count=2` : a,
      );
      [hostBrowser, nsBrowser] = await launchAcrossLink(link, twoCameras);
      journey = await new RoomJourney(app.url, origin()).logIn();
      [specialist, doctor] = await Promise.all([
        journey.page(hostBrowser, 'specialist'),
        journey.page(nsBrowser, 'township'),
      ]);
    }, 300_000);

    afterAll(async () => {
      if (report.length) process.stdout.write(`pre-join check:\n${report.join('\n')}\n`);
      await journey?.close();
      await nsBrowser?.close().catch(() => undefined);
      await hostBrowser?.close().catch(() => undefined);
      await relay?.close();
      await app?.close();
      await link?.stop();
    }, 60_000);

    it('shows the preview, a microphone level and the probe’s figures with advice, then joins with the devices chosen there', async () => {
      await link.allowAll();
      await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0 });
      const id = await journey.consultation('视频会诊：入会前检查');
      await journey.hostOpens(id, specialist);
      await doctor.goto(`${origin()}/room/${id}?check=1`);
      await doctor.getByTestId('precheck').waitFor({ timeout: 20_000 });
      expect(await phase(doctor)).toBe('checking');
      // The camera's preview shows frames.
      await waitFor(
        () =>
          doctor
            .getByTestId('precheck-preview')
            .evaluate((v: any) => ({ w: v.videoWidth, t: v.currentTime })),
        (v) => v.w > 0 && v.t > 0,
        'the camera preview playing',
        15_000,
      );
      expect(await doctor.getByTestId('precheck-preview').getAttribute('data-camera')).toBe('ok');
      // The probe runs and nobody in the room sees the doctor meanwhile.
      const probing = await waitFor(
        async () => app.media.probes.size,
        (n) => n > 0,
        'a probe running on the media node',
        15_000,
      );
      expect(probing).toBe(1);
      expect(await specialist.getByTestId('waiting-peer').count()).toBe(0);
      expect([...app.media.rooms.values()].reduce((n, r) => n + r.peers.size, 0)).toBe(1);
      // Another camera and microphone (Chromium's second fake camera, a fake microphone).
      const cameraId = await pickLast(doctor, 'precheck-camera');
      const micId = await pickLast(doctor, 'precheck-mic');
      expect(cameraId).toBeTruthy();
      expect(micId).toBeTruthy();
      await waitFor(
        () => doctor.getByTestId('precheck-preview').getAttribute('data-camera'),
        (c) => c === 'ok',
        'the chosen camera open',
        10_000,
      );
      // The fake microphone beeps: the meter moves.
      const peak = await waitFor(
        async () =>
          Number(await doctor.getByTestId('precheck-mic-level').getAttribute('data-peak')),
        (n) => n > 0,
        'a microphone level',
        15_000,
      );
      // The test sound plays.
      await doctor.getByTestId('precheck-speaker-test').click();
      await waitFor(
        () => doctor.getByTestId('precheck-speaker-test').getAttribute('data-played'),
        (p) => p === '1',
        'the test sound played',
        10_000,
      );
      const figures = await verdictOf(doctor, 40_000);
      report.push(`  clean link: ${shown(figures)}; microphone peak ${peak} %`);
      // Figures measured on the real path: an estimate, a round trip; loopback carries video.
      expect(Number(figures.kbps)).toBeGreaterThan(0);
      expect(figures.rtt).not.toBe('');
      expect(['good', 'fair']).toContain(figures.verdict);
      expect(figures.advice).not.toContain('linkPoor');
      // The probe is gone from the node once done.
      await waitFor(
        async () => app.media.probes.size,
        (n) => n === 0,
        'the probe closed',
        10_000,
      );

      await doctor.getByTestId('precheck-join').click();
      await waitFor(
        () => phase(doctor),
        (p) => p === 'waiting',
        'the doctor in the waiting room',
        20_000,
      );
      await journey.admitAndJoin(specialist, doctor);
      // The room sends exactly the devices chosen in the check.
      const devices = await doctor.evaluate(() => window.huizhenRoom.devices());
      expect(devices).toEqual({ camera: cameraId, mic: micId });
      await waitFor(
        () => tileState(specialist),
        (s) => s === 'flowing',
        'the doctor’s media at the specialist',
        30_000,
      );
      // A later join of this browser goes straight in (no ?check) with the remembered devices.
      await specialist.getByTestId('end-room').click();
      await doctor.getByTestId('room-ended').waitFor({ timeout: 15_000 });
    }, 180_000);

    it('on a 1 Mbit/s link with 1 % loss the check does not advise audio only', async () => {
      await link.allowAll();
      const id = await journey.consultation('视频会诊：入会前检查（一般网络）');
      await link.setBoth({ rateKbps: 1000, delayMs: 50, lossPct: 1 });
      try {
        await doctor.goto(`${origin()}/room/${id}?check=1`);
        await doctor.getByTestId('precheck').waitFor({ timeout: 30_000 });
        const figures = await verdictOf(doctor, 60_000);
        report.push(`  1 Mbit/s, 100 ms round trip, 1 % loss: ${shown(figures)}`);
        expect(figures.advice).not.toContain('linkPoor');
        expect(['good', 'fair']).toContain(figures.verdict);
        expect(await doctor.getByTestId('precheck-join').getAttribute('class')).toContain(
          'ant-btn-primary',
        );
      } finally {
        await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0 });
      }
    }, 120_000);

    it('on a thin, lossy uplink the figures say so and the advice is audio only; the room then joins with audio only', async () => {
      await link.allowAll();
      const id = await journey.consultation('视频会诊：入会前检查（弱网）');
      await journey.hostOpens(id, specialist);
      // A township's uplink: 200 kbit/s, 300 ms round trip, 5 % loss (the downlink left clean, so the page itself loads).
      await link.set({
        up: { rateKbps: 200, delayMs: 150, lossPct: 5 },
        down: { rateKbps: 0, delayMs: 150, lossPct: 0 },
      });
      try {
        await doctor.goto(`${origin()}/room/${id}?check=1`);
        await doctor.getByTestId('precheck').waitFor({ timeout: 30_000 });
        const figures = await verdictOf(doctor, 60_000);
        report.push(`  200 kbit/s up, 300 ms round trip, 5 % loss: ${shown(figures)}`);
        expect(figures.verdict).toBe('poor');
        expect(figures.advice).toContain('linkPoor');
        const advice = doctor.locator('[data-testid="precheck-advice"][data-key="linkPoor"]');
        expect(await advice.textContent()).toContain('仅音频进入');
        // The advised button is the primary one.
        expect(
          await doctor.getByTestId('precheck-join-audio-only').getAttribute('class'),
        ).toContain('ant-btn-primary');
        await doctor.getByTestId('precheck-join-audio-only').click();
        await waitFor(
          () => phase(doctor),
          (p) => p === 'waiting',
          'the doctor in the waiting room',
          30_000,
        );
        await specialist.getByTestId('admit').click({ timeout: 20_000 });
        await waitFor(
          () => phase(doctor),
          (p) => p === 'joined',
          'doctor joined',
          30_000,
        );
        // Audio only: no video received, the camera published paused (to be switched on later).
        await waitFor(
          () => doctor.getByTestId('toggle-audio-only').textContent(),
          (t) => t?.replace(/\s/g, '') === '恢复视频',
          'the room in audio-only mode',
          20_000,
        );
        expect((await doctor.getByTestId('toggle-camera').textContent())?.replace(/\s/g, '')).toBe(
          '开启摄像头',
        );
      } finally {
        await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0 });
      }
      await specialist.getByTestId('end-room').click();
      await doctor.getByTestId('room-ended').waitFor({ timeout: 30_000 });
    }, 240_000);
  },
);
