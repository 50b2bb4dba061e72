/**
 * Quality that fits the link, in Chromium through the emulated township link:
 * on 2 Mbps / 200 ms RTT / 3 % loss each way, what each side receives is at least 640x360 at
 * 15 fps (from getStats), because the camera is captured at 720p with three simulcast layers. On
 * 300 kbps / 300 ms RTT / 5 % the township's camera goes thin (one layer, full frame rate, sized to
 * its uplink estimate) and the specialist's picture keeps moving; when the link is clean again the
 * camera is back to simulcast. On 100 kbps / 300 ms / 5 % the camera goes off or thin by itself,
 * the audio keeps playing both ways, and the picture comes back when the link recovers.
 * The township doctor's browser runs inside the link's namespace, the specialist's on the host;
 * the media node listens on the link's host end only, so all the doctor's media crosses the shaper.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, bundleTestPage, servePage } from './support/browser';
import { LinkEmulator } from './support/link-emulator';
import { type MediaTestApp, startMediaApp } from './support/media-harness';

const why = LinkEmulator.unsupportedReason();
const maybe = why ? describe.skip : describe;
if (why) process.stderr.write(`link-quality: skipped (${why})\n`);

/** Relays host:<listen port> to 127.0.0.1:port, so the namespace reaches servers bound to loopback. */
async function relay(
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((c) => {
    const u = createConnection({ host: '127.0.0.1', port });
    c.pipe(u).pipe(c);
    const end = () => (c.destroy(), u.destroy());
    c.on('error', end).on('close', end);
    u.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

interface Received {
  width: number;
  height: number;
  frames: number;
  at: number;
}

/** The busiest inbound video stream of the page (the bandwidth probe has no frames). */
function received(page: Page): Promise<Received> {
  return page.evaluate(async () => {
    const h = (globalThis as any).huizhen;
    let best = { width: 0, height: 0, frames: 0, at: performance.now() };
    for (const r of h.client?.remoteTracks ?? []) {
      if (r.kind !== 'video') continue;
      const report = await r.consumer.getStats();
      report.forEach((s: any) => {
        if (s.type === 'inbound-rtp' && (s.framesDecoded ?? 0) > best.frames) {
          best = {
            width: s.frameWidth ?? 0,
            height: s.frameHeight ?? 0,
            frames: s.framesDecoded,
            at: performance.now(),
          };
        }
      });
    }
    return best;
  });
}

/** What the page's audio receivers concealed so far (samples), for a share over a window. */
function audioSamples(page: Page): Promise<{ concealed: number; total: number }> {
  return page.evaluate(async () => {
    const h = (globalThis as any).huizhen;
    const sum = { concealed: 0, total: 0 };
    for (const r of h.client?.remoteTracks ?? []) {
      if (r.kind !== 'audio') continue;
      (await r.consumer.getStats()).forEach((s: any) => {
        if (s.type !== 'inbound-rtp') return;
        sum.concealed += s.concealedSamples ?? 0;
        sum.total += s.totalSamplesReceived ?? 0;
      });
    }
    return sum;
  });
}

/** The camera sender's encodings as the browser holds them (active, ceiling, frame rate), and its estimate. */
function cameraSending(page: Page): Promise<{
  active: { rid?: string; maxBitrate?: number; maxFramerate?: number }[];
  kbps: number | null;
}> {
  return page.evaluate(async () => {
    const h = (globalThis as any).huizhen;
    const producer = h.client?.producerOf('camera');
    const encodings: any[] = producer?.rtpSender?.getParameters().encodings ?? [];
    let kbps: number | null = null;
    (await h.client.transports.send.getStats()).forEach((s: any) => {
      if (
        s.type === 'candidate-pair' &&
        s.nominated &&
        typeof s.availableOutgoingBitrate === 'number'
      )
        kbps = Math.round(s.availableOutgoingBitrate / 1000);
    });
    return {
      active: encodings
        .filter((e) => e.active !== false)
        .map((e) => ({ rid: e.rid, maxBitrate: e.maxBitrate, maxFramerate: e.maxFramerate })),
      kbps,
    };
  });
}

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  let v = await read();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 500));
    v = await read();
  }
  return v;
}

maybe('quality that fits the link (Chromium through an emulated township link)', () => {
  let link: LinkEmulator;
  let media: MediaTestApp;
  let hostBrowser: Browser;
  let nsBrowser: Browser;
  const closers: (() => Promise<unknown>)[] = [];
  /** The test page at http://127.0.0.1:<port>/: served on the host, forwarded on the same port inside the namespace. */
  let pageOrigin: string;

  beforeAll(async () => {
    link = await LinkEmulator.start({ name: 'quality' });
    closers.push(() => link.stop());
    media = await startMediaApp({ MEDIA_LISTEN_IP: link.hostAddress, MEDIA_WORKERS: '1' });
    closers.unshift(() => media.close());
    const page = await servePage(await bundleTestPage());
    closers.unshift(() => page.close());
    pageOrigin = page.url;
    const pagePort = Number(new URL(page.url).port);
    const appPort = Number(new URL(media.url).port);
    for (const port of [pagePort, appPort]) {
      const r = await relay(link.hostAddress, port);
      closers.unshift(() => r.close());
      await link.forward(port, r.port);
    }
    [hostBrowser, nsBrowser] = await Promise.all([
      chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS }),
      chromium.launch({
        executablePath: link.wrapper('/usr/bin/chromium'),
        headless: true,
        args: CHROMIUM_ARGS,
      }),
    ]);
    closers.unshift(
      () => nsBrowser.close(),
      () => hostBrowser.close(),
    );
  }, 120_000);

  afterAll(async () => {
    for (const c of closers) await c().catch(() => undefined);
  }, 60_000);

  const open = async (
    browser: Browser,
    room: string,
    role: 'host' | 'township_doctor',
    sub: string,
  ) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageOrigin);
    await page.waitForFunction(() => !!(globalThis as any).huizhen);
    const r = await page.evaluate((o) => (globalThis as any).huizhen.start(o), {
      url: media.url,
      room,
      token: media.token(room, role, sub),
      publish: true,
      autoAdmit: role === 'host',
    });
    expect(r.ok).toBe(true);
    // What the sender's audio-first guard decided, for the failure message.
    await page.evaluate(() => {
      const h = (globalThis as any).huizhen;
      h.client.on('videoCap', (d: unknown) => h.log.push({ event: 'videoCap', data: d }));
      h.client.on('suggestAudioOnly', (d: unknown) =>
        h.log.push({ event: 'suggestAudioOnly', data: d }),
      );
    });
    return page;
  };

  it('2 Mbps / 200 ms RTT / 3 %: each side receives at least 640x360 at 15 fps', async () => {
    await link.setBoth({ rateKbps: 2000, delayMs: 100, lossPct: 3, queueMs: 300 });
    const room = `quality-${Date.now().toString(36)}`;
    const specialist = await open(hostBrowser, room, 'host', 'quality-specialist');
    const doctor = await open(nsBrowser, room, 'township_doctor', 'quality-doctor');
    // Let the bandwidth estimates ramp up, then watch 6 s.
    await new Promise((r) => setTimeout(r, 12_000));
    const a = await Promise.all([received(doctor), received(specialist)]);
    await new Promise((r) => setTimeout(r, 6_000));
    const b = await Promise.all([received(doctor), received(specialist)]);
    const seen = ['township receives', 'specialist receives'].map((who, i) => ({
      who,
      resolution: `${b[i].width}x${b[i].height}`,
      fps: Math.round(((b[i].frames - a[i].frames) / ((b[i].at - a[i].at) / 1000)) * 10) / 10,
    }));
    const caps = await Promise.all(
      [doctor, specialist].map((p) =>
        p.evaluate(() =>
          (globalThis as any).huizhen.log.filter((e: { event: string }) =>
            /videoCap|suggestAudioOnly/.test(e.event),
          ),
        ),
      ),
    );
    process.stderr.write(
      `link-quality 2 Mbps / 200 ms / 3 %: ${JSON.stringify(seen)}; caps: ${JSON.stringify(caps)}\n`,
    );
    // The layer is the behaviour (it was 320x180 before, whatever the link); the frame rate is
    // printed above and measured per profile by `npm run bench -- media` (the 15 fps goal):
    // on a shared two-core machine the encoder's rate is the CPU's, so here it only has to move.
    for (const [i, s] of seen.entries()) {
      expect({ ...s, atLeast360: b[i].height >= 360, moving: s.fps >= 5 }).toMatchObject({
        atLeast360: true,
        moving: true,
      });
    }
    await Promise.all([doctor, specialist].map((p) => p.context().close()));
  }, 60_000);

  it('300 kbps / 300 ms RTT / 5 %: the township camera goes thin (one layer, full rate), its picture keeps moving, and simulcast returns on a clean link', async () => {
    // The page's script is too big to load over 300 kbit/s in time: the call starts on a clean link.
    await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 });
    const room = `thin-${Date.now().toString(36)}`;
    const specialist = await open(hostBrowser, room, 'host', 'thin-specialist');
    const doctor = await open(nsBrowser, room, 'township_doctor', 'thin-doctor');
    await link.setBoth({ rateKbps: 300, delayMs: 150, lossPct: 5, queueMs: 300 });
    const sending = () => cameraSending(doctor);
    // The link fills (a queue builds) and the guard caps within a few seconds.
    const thin = await until(sending, (v) => v.active.length === 1, 40_000);
    const a = { video: await received(specialist), audio: await audioSamples(specialist) };
    await new Promise((r) => setTimeout(r, 8_000));
    const b = { video: await received(specialist), audio: await audioSamples(specialist) };
    const fps = (b.video.frames - a.video.frames) / ((b.video.at - a.video.at) / 1000);
    const concealedPct =
      ((b.audio.concealed - a.audio.concealed) / Math.max(1, b.audio.total - a.audio.total)) * 100;
    const log = () =>
      doctor.evaluate(() =>
        (globalThis as any).huizhen.log.filter((e: { event: string }) => e.event === 'videoCap'),
      );
    process.stderr.write(
      `link-quality 300 kbps / 300 ms / 5 %: specialist receives ${b.video.width}x${b.video.height} at ${fps.toFixed(1)} fps, audio concealed ${concealedPct.toFixed(1)} %; township sends ${JSON.stringify(thin)}; caps: ${JSON.stringify(await log())}\n`,
    );
    // Thin-uplink mode: a single layer without a frame-rate cap, its ceiling under the link.
    expect(thin.active).toHaveLength(1);
    expect(thin.active[0].maxFramerate).toBeUndefined();
    expect(thin.active[0].maxBitrate).toBeLessThanOrEqual(300_000 * 0.6);
    // A moving picture: frames keep rising (the rate itself is measured by the bench).
    expect(b.video.frames).toBeGreaterThan(a.video.frames);
    expect(b.audio.total).toBeGreaterThan(a.audio.total);

    // The link recovers: a trial step up finds it clean and the camera is back to simulcast.
    await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 });
    const back = await until(sending, (v) => v.active.length > 1, 90_000);
    process.stderr.write(
      `link-quality restored: township sends ${JSON.stringify(back)}; caps: ${JSON.stringify(await log())}\n`,
    );
    expect(back.active.length).toBeGreaterThan(1);
    await Promise.all([doctor, specialist].map((p) => p.context().close()));
  }, 180_000);

  it('100 kbps / 300 ms RTT / 5 %: the camera goes off or thin by itself, audio continues both ways, and video returns when the link recovers', async () => {
    await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 });
    const room = `thinnest-${Date.now().toString(36)}`;
    const specialist = await open(hostBrowser, room, 'host', 'thinnest-specialist');
    const doctor = await open(nsBrowser, room, 'township_doctor', 'thinnest-doctor');
    await until(
      () => received(specialist),
      (v) => v.frames > 0,
      20_000,
    );
    await link.setBoth({ rateKbps: 100, delayMs: 150, lossPct: 5, queueMs: 300 });
    const sending = () => cameraSending(doctor);
    // Audio first: no simulcast left, at most one thin layer.
    const capped = await until(sending, (v) => v.active.length <= 1, 40_000);
    await new Promise((r) => setTimeout(r, 5_000));
    const a = await Promise.all([audioSamples(specialist), audioSamples(doctor)]);
    await new Promise((r) => setTimeout(r, 10_000));
    const b = await Promise.all([audioSamples(specialist), audioSamples(doctor)]);
    // 15 s on, the thin layer's ceiling (the highest estimate of the last 10 s) follows the link.
    const later = await sending();
    const audio = ['specialist hears', 'township hears'].map((who, i) => ({
      who,
      samples: b[i].total - a[i].total,
      concealedPct:
        Math.round(
          ((b[i].concealed - a[i].concealed) / Math.max(1, b[i].total - a[i].total)) * 1000,
        ) / 10,
    }));
    const log = () =>
      doctor.evaluate(() =>
        (globalThis as any).huizhen.log.filter((e: { event: string }) =>
          /videoCap|suggestAudioOnly/.test(e.event),
        ),
      );
    process.stderr.write(
      `link-quality 100 kbps / 300 ms / 5 %: township sends ${JSON.stringify(capped)}, then ${JSON.stringify(later)}; ${JSON.stringify(audio)}; caps: ${JSON.stringify(await log())}\n`,
    );
    expect(capped.active.length).toBeLessThanOrEqual(1);
    expect(later.active.length).toBeLessThanOrEqual(1);
    for (const x of later.active) expect(x.maxBitrate).toBeLessThanOrEqual(100_000 * 0.6);
    for (const x of audio) {
      // Audio keeps playing (10 s is 480,000 samples at 48 kHz); the bare harness, video
      // crowding it out, concealed 35-73 % here (bench media-quality): a generous bound.
      expect({ ...x, plays: x.samples > 200_000, underQuarter: x.concealedPct < 25 }).toMatchObject(
        { plays: true, underQuarter: true },
      );
    }

    // The link recovers: the guard's trials bring the township's picture back to the specialist.
    await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 });
    const moving = async () => {
      const x = await received(specialist);
      await new Promise((r) => setTimeout(r, 2_000));
      const y = await received(specialist);
      return { ...y, fps: (y.frames - x.frames) / ((y.at - x.at) / 1000) };
    };
    const restoredAt = Date.now();
    const back = await until(moving, (v) => v.fps >= 5, 90_000);
    process.stderr.write(
      `link-quality 100 kbps restored: specialist receives ${back.width}x${back.height} at ${back.fps.toFixed(1)} fps after ${((Date.now() - restoredAt) / 1000).toFixed(1)} s; caps: ${JSON.stringify(await log())}\n`,
    );
    expect(back.fps).toBeGreaterThanOrEqual(5);
    await Promise.all([doctor, specialist].map((p) => p.context().close()));
  }, 200_000);
});
