/**
 * Telling the user what arrives, in the web client's room against the real single-node
 * server (demo province, embedded database, real mediasoup) and Debian's Chromium: a remote tile
 * whose media stops shows 连接中断，正在重连… within 3 s and recovers when it returns; a room
 * whose media never flows (ICE to an unreachable address) says so and the call is recorded failed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '../browser/support/wait';
import { ensureWebBuild } from '../browser/support/web-build';
import { CHROMIUM_ARGS } from './support/browser';
import {
  type DemoRole,
  type DemoServer,
  RoomJourney,
  startDemoServer,
  tileState,
} from './support/room-journey';

// Page-side code below runs in Chromium; the test project has no DOM typings.
declare const window: any;

/**
 * Runs in every page before its scripts: keeps the page's RTCPeerConnections reachable (to cut a
 * sender as a dead uplink would) and, with `blockIce`, rewrites the media server's ICE candidates
 * to 192.0.2.1 (TEST-NET-1: nothing answers), as a server announcing an unreachable address does.
 */
function pageHooks(blockIce: boolean) {
  const w = window as any;
  const Original = w.RTCPeerConnection;
  w.__pcs = [];
  w.RTCPeerConnection = class extends Original {
    constructor(...args: any[]) {
      super(...args);
      w.__pcs.push(this);
    }
    setRemoteDescription(d: any) {
      if (blockIce && d?.sdp)
        d = {
          type: d.type,
          sdp: d.sdp.replace(/^(a=candidate:\S+ \d+ \S+ \d+ )\S+( \d+ typ)/gm, '$1192.0.2.1$2'),
        };
      return super.setRemoteDescription(d);
    }
  };
}

describe('the room tells the user when media stops or never flows (Chromium, real server)', () => {
  let app: DemoServer;
  let browser: Browser;
  let journey: RoomJourney;
  const page = (role: DemoRole, blockIce = false) =>
    journey.page(browser, role, { script: pageHooks, arg: blockIce });
  const call = <T>(role: DemoRole, method: string, path: string) =>
    journey.call<T>(role, method, path);
  const tileLevel = (p: Page) =>
    p.getByTestId('remote-tile').first().getByTestId('quality').getAttribute('data-level');

  beforeAll(async () => {
    ensureWebBuild();
    app = await startDemoServer();
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    journey = await new RoomJourney(app.url).logIn();
  }, 180_000);

  afterAll(async () => {
    await journey?.close();
    await browser?.close();
    await app?.close();
  });

  it('a tile whose media stops says 连接中断，正在重连… within 3 s, with lost bars, and recovers when media returns', async () => {
    const id = await journey.consultation();
    const [specialist, doctor] = await Promise.all([page('specialist'), page('township')]);
    await journey.openRoom(id, specialist, doctor);
    await waitFor(
      () => tileState(specialist),
      (s) => s === 'flowing',
      'the doctor’s media flowing at the specialist',
      20_000,
    );
    await waitFor(
      () => tileLevel(specialist),
      (l) => l === 'good' || l === 'fair',
      'bars from what arrives',
      10_000,
    );

    // The doctor's uplink dies: their browser stops sending (the server is not told; signaling stays up).
    await doctor.evaluate(async () => {
      const w = window as any;
      w.__cut = [];
      for (const pc of w.__pcs) {
        for (const s of pc.getSenders()) {
          if (!s.track) continue;
          w.__cut.push([s, s.track]);
          await s.replaceTrack(null);
        }
      }
    });
    const cutAt = Date.now();
    await waitFor(
      () => tileState(specialist),
      (s) => s === 'lost',
      'the tile saying the connection is lost',
      6000,
    );
    const lostAfterMs = Date.now() - cutAt;
    expect(
      await specialist.getByTestId('remote-tile').first().getByTestId('tile-status').textContent(),
    ).toBe('连接中断，正在重连…');
    expect(await tileLevel(specialist)).toBe('lost');
    // The room itself stays joined (signaling is fine): the tile is what tells.
    expect(await specialist.getByTestId('video-room').getAttribute('data-phase')).toBe('joined');

    await doctor.evaluate(async () => {
      for (const [s, track] of (window as any).__cut) await s.replaceTrack(track);
    });
    const backAt = Date.now();
    await waitFor(
      () => tileState(specialist),
      (s) => s === 'flowing',
      'the tile flowing again',
      10_000,
    );
    const recoveredAfterMs = Date.now() - backAt;
    expect(
      await specialist.getByTestId('remote-tile').first().getByTestId('tile-status').count(),
    ).toBe(0);
    process.stdout.write(
      `remote media cut -> tile "lost" after ${lostAfterMs} ms; restored -> "flowing" after ${recoveredAfterMs} ms\n`,
    );
    // The state is the behaviour; its time (2 s of no frames + 0.5 s sampling, about 2.5 s) is
    // printed above, not asserted on a shared machine.
    expect(lostAfterMs).toBeLessThan(10_000);
    // Nobody's media failed: the call is an ordinary one.
    await specialist.getByTestId('end-room').click();
    await doctor.getByTestId('room-ended').waitFor({ timeout: 15_000 });
    const { calls } = await call<{ calls: { outcome: string; ending: string }[] }>(
      'township',
      'GET',
      `/api/consultations/${id}`,
    );
    expect(calls.at(-1)).toMatchObject({ outcome: 'ok', ending: 'ended_by_host' });
  }, 120_000);

  it('when media never flows (ICE to an unreachable address) the room says what to try and the call is recorded failed', async () => {
    const id = await journey.consultation();
    const [specialist, doctor] = await Promise.all([
      page('specialist', true),
      page('township', true),
    ]);
    const joinedAt = Date.now();
    await journey.openRoom(id, specialist, doctor);
    // Both are "in the room", as before; now the banner comes.
    const banner = specialist.getByTestId('no-media');
    await banner.waitFor({ timeout: 20_000 });
    const bannerAfterMs = Date.now() - joinedAt;
    const text = await banner.textContent();
    expect(text).toContain('音视频未能连通');
    expect(text).toContain('防火墙');
    expect(text).toContain('仅音频');
    expect(text).toContain('TURN');
    await doctor.getByTestId('no-media').waitFor({ timeout: 20_000 });
    // The media node saw no RTP either: it recorded the failure, and the page says so.
    await specialist.getByTestId('no-media-recorded').waitFor({ timeout: 10_000 });
    await waitFor(
      () => tileState(doctor),
      (s) => s === 'failed',
      'the doctor’s tile of the specialist: nothing received',
      15_000,
    );
    const record = await waitFor(
      async () =>
        (
          await call<{
            calls: {
              outcome: string;
              ending: string;
              participants: { mediaFailed: boolean; role: string }[];
            }[];
          }>('township', 'GET', `/api/consultations/${id}`)
        ).calls,
      (calls) =>
        calls.length > 0 &&
        calls[0].outcome === 'failed' &&
        calls[0].participants.every((p) => p.mediaFailed),
      'the call recorded as failed',
      15_000,
    );
    expect(record[0]).toMatchObject({ outcome: 'failed', ending: 'in_progress' });
    process.stdout.write(
      `ICE blocked: no-media banner ${bannerAfterMs} ms after opening the room\n`,
    );
    await specialist.getByTestId('end-room').click();
    const { calls } = await call<{ calls: { outcome: string; ending: string }[] }>(
      'township',
      'GET',
      `/api/consultations/${id}`,
    );
    expect(calls[0]).toMatchObject({ outcome: 'failed' });
    // The consultation page's video record says so too.
    await doctor.goto(`${app.url}/consultations/${id}`);
    const shown = doctor.getByTestId('call-record').first();
    await waitFor(
      () => shown.getAttribute('data-outcome').catch(() => null),
      (o) => o === 'failed',
      'the failed call on the request page',
      15_000,
    );
    await expect(shown.textContent()).resolves.toMatch(/连接失败/);
  }, 120_000);
});
