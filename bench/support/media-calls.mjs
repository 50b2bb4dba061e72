/* global window, document, history */
// Calls through an emulated township link, for bench/parts/media.mjs: join -> first decoded remote
// frame for a bare mediasoup harness (bare-sfu.mjs) and for our web client's room, alternating
// call by call in the same run, and per link profile what each side receives over a window.
//
// Layout: one LinkEmulator (test/media/support/link-emulator.ts) — a namespace reachable only at
// the host end of a private /30. The built server and the bare harness listen on that host
// address (nothing on other interfaces). The specialist's Chromium runs on the host, the township
// doctor's Chromium inside the namespace, so everything the township sends or receives (page,
// signaling, media) crosses the shaper. Both browsers open pages from http://127.0.0.1:<port>
// (a secure context for the camera, no CSP upgrade of ws://) through TCP relays to the host address.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { percentile } from '../support.mjs';
import { startBareSfu } from './bare-sfu.mjs';
import { qualityCalls } from './media-quality.mjs';

const PASSWORD = 'Huizhen-demo-1';

/** Symmetric profiles: rate, one-way delay (half the RTT) and loss, each way. */
export const PROFILES = [
  { name: 'clean', link: { rateKbps: 0, delayMs: 0, lossPct: 0 } },
  { name: '2 Mbps / 200 ms RTT / 3 %', link: { rateKbps: 2000, delayMs: 100, lossPct: 3 } },
  { name: '300 kbps / 300 ms RTT / 5 %', link: { rateKbps: 300, delayMs: 150, lossPct: 5 } },
  { name: '100 kbps / 300 ms RTT / 5 %', link: { rateKbps: 100, delayMs: 150, lossPct: 5 } },
];

// Every RTCPeerConnection a page makes, with when it was made; stats read from them.
const INIT = () => {
  const Orig = window.RTCPeerConnection;
  const pcs = [];
  // HUIZHEN_BENCH_MEDIA_TIMELINE: each connection's steps (ms since the page's clock origin).
  const steps = [];
  window.__pcSteps = (since) =>
    steps.filter((x) => x.at >= since).map((x) => `${x.step} ${Math.round(x.at - since)}`);
  let n = 0;
  window.RTCPeerConnection = class extends Orig {
    constructor(...a) {
      super(...a);
      const id = ++n;
      pcs.push({ pc: this, at: performance.now() });
      const mark = (step) => steps.push({ step: `pc${id} ${step}`, at: performance.now() });
      this.addEventListener('connectionstatechange', () => mark(this.connectionState));
      this.addEventListener('icegatheringstatechange', () =>
        mark(`gathering ${this.iceGatheringState}`),
      );
      for (const f of ['setRemoteDescription', 'setLocalDescription']) {
        const orig = this[f].bind(this);
        this[f] = async (...args) => {
          mark(`${f} ${args[0]?.type ?? ''}`);
          const r = await orig(...args);
          mark(`${f} done`);
          return r;
        };
      }
    }
  };
  const open = (since) =>
    pcs.filter((p) => p.at >= since && p.pc.signalingState !== 'closed').map((p) => p.pc);
  /** Ms from `since` to the first decoded video frame on a connection made after `since`, or null. */
  window.__firstFrame = async (since, timeoutMs) => {
    window.__firstPacketAt = 0;
    const end = performance.now() + timeoutMs;
    while (performance.now() < end) {
      for (const pc of open(since)) {
        const r = await pc.getStats().catch(() => null);
        let frames = 0;
        let packets = 0;
        r?.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video' && s.ssrc !== 1234) {
            frames = Math.max(frames, s.framesDecoded ?? 0);
            packets = Math.max(packets, s.packetsReceived ?? 0);
          }
        });
        if (packets > 0 && !window.__firstPacketAt) window.__firstPacketAt = performance.now();
        if (frames > 0) return performance.now() - since;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    return null;
  };
  /** Inbound RTP counters per SSRC over the open connections. */
  window.__inbound = async () => {
    const out = {};
    for (const pc of open(0)) {
      const r = await pc.getStats().catch(() => null);
      r?.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.ssrc === 1234) return;
        out[`${s.kind}:${s.ssrc}:${s.id}`] = {
          kind: s.kind,
          bytes: s.bytesReceived ?? 0,
          frames: s.framesDecoded ?? 0,
          width: s.frameWidth ?? 0,
          height: s.frameHeight ?? 0,
          freeze: s.totalFreezesDuration ?? 0,
          samples: s.totalSamplesReceived ?? 0,
          concealed: s.concealedSamples ?? 0,
        };
      });
    }
    return { at: performance.now(), streams: out };
  };
};

/** In the page: its connections' steps since the call started, and the first video packet. */
const pcTimeline = () =>
  [
    ...window.__pcSteps(window.__since),
    `first packet ${Math.round((window.__firstPacketAt || 0) - window.__since)}`,
  ].join(', ');

/** What a page received between two __inbound() samples: the busiest video stream, all audio. */
function received(a, b) {
  const secs = (b.at - a.at) / 1000;
  let video = null;
  let audioSamples = 0,
    audioConcealed = 0,
    audioBytes = 0;
  for (const [k, s] of Object.entries(b.streams)) {
    const p = a.streams[k] ?? { bytes: 0, frames: 0, freeze: 0, samples: 0, concealed: 0 };
    if (s.kind === 'video') {
      const d = {
        frames: s.frames - p.frames,
        bytes: s.bytes - p.bytes,
        freeze: s.freeze - p.freeze,
        width: s.width,
        height: s.height,
      };
      if (!video || d.frames > video.frames) video = d;
    } else if (s.bytes > p.bytes) {
      // Live audio only: a stream whose sender left keeps playing out concealment (100 %).
      audioSamples += s.samples - p.samples;
      audioConcealed += s.concealed - p.concealed;
      audioBytes += s.bytes - p.bytes;
    }
  }
  return {
    resolution: video && video.frames > 0 ? `${video.width}x${video.height}` : 'none',
    fps: video ? video.frames / secs : 0,
    videoKbps: video ? (video.bytes * 8) / secs / 1000 : 0,
    frozenPct: video ? Math.min(100, (video.freeze / secs) * 100) : 100,
    audioKbps: (audioBytes * 8) / secs / 1000,
    concealedPct: audioSamples > 0 ? (audioConcealed / audioSamples) * 100 : 100,
  };
}

/** Relays TCP from 127.0.0.1:<port> (the same number when free) to host:port. */
async function relay(host, port) {
  const server = createServer((c) => {
    const u = createConnection({ host, port });
    c.pipe(u).pipe(c);
    const end = () => (c.destroy(), u.destroy());
    c.on('error', end).on('close', end);
    u.on('error', end).on('close', end);
  });
  await new Promise((res) => {
    server.once('error', () => server.listen(0, '127.0.0.1', res));
    server.listen(port, '127.0.0.1', res);
  }).catch(() => undefined);
  return {
    port: server.address().port,
    close: () => new Promise((r) => (server.closeAllConnections?.(), server.close(r))),
  };
}

/** The built server on the link's host address (embedded database, the demo province seeded). */
async function startServerOn(repoRoot, host, port) {
  const dataDir = mkdtempSync(join(tmpdir(), 'huizhen-bench-media-'));
  // The embedded database and no Redis: one self-contained server, as `npm start` gives a new user.
  const { DATABASE_URL: _db, REDIS_URL: _redis, ...inherited } = process.env;
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist/apps/server/apps/server/src/main.js')],
    {
      cwd: repoRoot,
      env: {
        ...inherited,
        PORT: String(port),
        HOST: host,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        SEED_DEMO: 'true',
        MEDIA_LISTEN_IP: host,
        MEDIA_ANNOUNCED_ADDRESS: host,
        MEDIA_RTC_PORT_BASE: '0',
        // Plain HTTP only (the pages come from 127.0.0.1), and no fixed HTTPS port to collide with other servers.
        HTTPS_PORT: '0',
        DIMSE_HOST: '127.0.0.1',
        DIMSE_PORT: '0',
      },
      stdio: [
        'ignore',
        process.env.HUIZHEN_BENCH_SERVER_LOG
          ? openSync(process.env.HUIZHEN_BENCH_SERVER_LOG, 'a')
          : 'ignore',
        'inherit',
      ],
    },
  );
  const url = `http://${host}:${port}`;
  const deadline = Date.now() + 400_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (
      await fetch(`${url}/health`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error('server did not become healthy in 400 s');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    url,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePortOn(host) {
  const s = createServer();
  await new Promise((r) => s.listen(0, host, r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * The test support the bench shares with test/media (TypeScript, bundled here): the link emulator
 * and the media tests' Chromium flags (one list: test/media/support/chromium-args.ts).
 */
export async function loadTestSupport(repoRoot) {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'huizhen-bench-link-'));
  const file = join(dir, 'test-support.mjs');
  const out = await build({
    stdin: {
      contents:
        "export { LinkEmulator } from './link-emulator.ts';\nexport { CHROMIUM_ARGS } from './chromium-args.ts';\n",
      resolveDir: join(repoRoot, 'test/media/support'),
      loader: 'ts',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    logLevel: 'silent',
  });
  writeFileSync(file, out.outputFiles[0].text);
  const mod = await import(pathToFileURL(file).href);
  rmSync(dir, { recursive: true, force: true });
  mod.LinkEmulator.shaperPath = join(repoRoot, 'test/media/support/link-shaper.py');
  return mod;
}

/**
 * Runs the calls. Options: callsClean (per path on the clean link), callsDegraded (per path on
 * each other profile), windowSeconds (stats window per path and profile), profiles (names);
 * quality ({settleSeconds, windowSeconds, recoverSeconds}): instead of the join calls, one call per
 * path and profile started clean, the link changed during it (media-quality.mjs).
 */
export async function linkCalls(
  repoRoot,
  {
    callsClean = 8,
    callsDegraded = 2,
    windowSeconds = 20,
    profiles = PROFILES,
    log = () => {},
    quality = null,
  } = {},
) {
  const { LinkEmulator, CHROMIUM_ARGS } = await loadTestSupport(repoRoot);
  const why = LinkEmulator.unsupportedReason();
  if (why) return { skipped: `link emulation unavailable: ${why}` };
  const { chromium } = await import('playwright-core');
  const link = await LinkEmulator.start({ name: 'bench-media' });
  const cleanups = [() => link.stop()];
  const results = { firstFrame: [], windows: [], admitMs: null, notes: [] };
  try {
    const host = link.hostAddress;
    const server = await startServerOn(repoRoot, host, await freePortOn(host));
    cleanups.unshift(() => server.stop());
    const serverPort = Number(new URL(server.url).port);
    const bare = await startBareSfu(repoRoot, { host });
    cleanups.unshift(() => bare.stop());
    results.notes.push(
      `bare harness: mediasoup ${bare.version}, one worker, VP8 single layer at 640x360 + Opus, consumers unpaused, signaling over HTTP POST`,
    );
    // Pages come from 127.0.0.1 on both sides (relays); the same port numbers where free.
    const hostRelays = [await relay(host, serverPort), await relay(host, bare.port)];
    cleanups.unshift(async () => Promise.all(hostRelays.map((r) => r.close())));
    await link.forward(serverPort, serverPort);
    await link.forward(bare.port, bare.port);
    const app = {
      host: `http://127.0.0.1:${hostRelays[0].port}`,
      township: `http://127.0.0.1:${serverPort}`,
    };
    const bareUrl = {
      host: `http://127.0.0.1:${hostRelays[1].port}/`,
      township: `http://127.0.0.1:${bare.port}/`,
    };

    const hostBrowser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    cleanups.unshift(() => hostBrowser.close());
    const nsBrowser = await chromium.launch({
      executablePath: link.wrapper('/usr/bin/chromium'),
      headless: true,
      args: CHROMIUM_ARGS,
    });
    cleanups.unshift(() => nsBrowser.close());
    const newPage = async (browser) => {
      const context = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
      await context.addInitScript(INIT);
      return context.newPage();
    };

    // Our client: a live consultation of the demo township doctor, claimed by the demo specialist.
    const login = async (username) => {
      const r = await fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      if (!r.ok) throw new Error(`login ${username}: ${r.status} ${await r.text()}`);
      return (await r.json()).accessToken;
    };
    const api = async (token, method, path, body) => {
      const r = await fetch(`${server.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await r.text();
      if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    };
    const [townshipToken, specialistToken] = [
      await login('demo-township'),
      await login('demo-specialist'),
    ];
    const patients = await api(townshipToken, 'GET', '/api/patients?limit=1');
    const consultation = await api(townshipToken, 'POST', '/api/consultations', {
      patientId: patients.items[0].id,
      specialty: 'radiology',
      urgency: 'urgent',
      mode: 'live_video',
      clinicalQuestion: '基准测试：视频会诊首帧时间',
    });
    await api(townshipToken, 'POST', `/api/consultations/${consultation.id}/submit`);
    await api(specialistToken, 'POST', `/api/consultations/${consultation.id}/claim`);

    const uiLogin = async (page, origin, username) => {
      await page.goto(`${origin}/login`, { timeout: 300_000 });
      await page.getByLabel('用户名').fill(username);
      await page.getByLabel('密码').fill(PASSWORD);
      await page.getByRole('button', { name: '登录' }).click();
      await page.getByTestId('welcome').waitFor({ timeout: 300_000 });
    };
    const specialist = await newPage(hostBrowser);
    const township = await newPage(nsBrowser);
    await Promise.all([
      uiLogin(specialist, app.host, 'demo-specialist'),
      uiLogin(township, app.township, 'demo-township'),
    ]);
    await specialist.goto(`${app.host}/room/${consultation.id}`);
    await specialist.waitForFunction(
      () =>
        document.querySelector('[data-testid="video-room"]')?.getAttribute('data-phase') ===
        'joined',
      null,
      { timeout: 30_000 },
    );
    // The host admits whoever waits.
    await specialist.evaluate(() =>
      setInterval(() => document.querySelector('[data-testid="admit"]')?.click(), 50),
    );
    await township.goto(`${app.township}/consultations/${consultation.id}`);
    await township.getByTestId('detail-join-room').waitFor({ timeout: 60_000 });

    const bareHost = await newPage(hostBrowser);
    const bareTownship = await newPage(nsBrowser);
    await bareHost.goto(bareUrl.host);
    await bareTownship.goto(bareUrl.township);
    await bareHost.waitForFunction(() => !!window.bare);
    await bareTownship.waitForFunction(() => !!window.bare);
    await bareHost.evaluate(() => window.bare.start({ peer: 'host' }));

    let callNo = 0;
    const calls = {
      /** Township doctor clicks 进入视频会诊 on the consultation page (room chunk loaded after the first call). */
      async ours(timeoutMs) {
        const ms = await township.evaluate(async (t) => {
          const since = performance.now();
          window.__since = since;
          window.__clickAt = Date.now();
          document.querySelector('[data-testid="detail-join-room"]').click();
          return window.__firstFrame(since, t);
        }, timeoutMs);
        // HUIZHEN_BENCH_MEDIA_TIMELINE=1: the client's join steps, ms after the click.
        if (process.env.HUIZHEN_BENCH_MEDIA_TIMELINE) {
          const steps = await township.evaluate(() =>
            (window.huizhenRoom?.timeline?.() ?? []).map(
              (s) => `${s.step} ${s.at - window.__clickAt}`,
            ),
          );
          log(
            `timeline (ms after click): ${steps.join(', ')}; first frame ${Math.round(ms ?? -1)}`,
          );
          log(`  ours pcs: ${await township.evaluate(pcTimeline)}`);
        }
        return {
          ms,
          leave: async () => {
            await township.evaluate(() => history.back());
            await township.getByTestId('detail-join-room').waitFor({ timeout: 60_000 });
          },
        };
      },
      async bare(timeoutMs) {
        const ms = await bareTownship.evaluate(
          async ({ t, peer }) => {
            const since = performance.now();
            window.__since = since;
            const started = window.bare.start({ peer });
            const first = await window.__firstFrame(since, t);
            await started;
            return first;
          },
          { t: timeoutMs, peer: `township-${callNo++}` },
        );
        if (process.env.HUIZHEN_BENCH_MEDIA_TIMELINE)
          log(`  bare pcs (${Math.round(ms ?? -1)}): ${await bareTownship.evaluate(pcTimeline)}`);
        return { ms, leave: () => bareTownship.evaluate(() => window.bare.leave()) };
      },
    };
    const pages = {
      ours: { down: township, up: specialist },
      bare: { down: bareTownship, up: bareHost },
    };

    // The first call of our client goes through the waiting room (the host admits it).
    const first = await calls.ours(60_000);
    results.admitMs = first.ms;
    await first.leave();
    await new Promise((r) => setTimeout(r, 1000));
    // Quality only (bench/parts/media-quality.mjs): calls started clean, the link changed mid-call.
    if (quality) {
      await qualityCalls({ link, calls, pages, profiles, received, results, log, ...quality });
      return results;
    }

    for (const profile of profiles) {
      await link.setBoth({ ...profile.link, queueMs: 300 });
      const n = profile.name === 'clean' ? callsClean : callsDegraded;
      const timeoutMs = profile.link.rateKbps && profile.link.rateKbps <= 300 ? 90_000 : 30_000;
      const samples = { bare: [], ours: [] };
      for (let i = 0; i < n; i++) {
        for (const path of i % 2 ? ['ours', 'bare'] : ['bare', 'ours']) {
          const last = i === n - 1;
          const call = await calls[path](timeoutMs);
          samples[path].push(call.ms);
          log(
            `${profile.name} ${path} call ${i + 1}/${n}: ${call.ms === null ? 'no frame' : `${Math.round(call.ms)} ms`}`,
          );
          if (last) {
            // Let the call settle, then watch what both sides receive.
            await new Promise((r) => setTimeout(r, 3000));
            const a = await Promise.all([
              pages[path].down.evaluate(() => window.__inbound()),
              pages[path].up.evaluate(() => window.__inbound()),
            ]);
            await new Promise((r) => setTimeout(r, windowSeconds * 1000));
            const b = await Promise.all([
              pages[path].down.evaluate(() => window.__inbound()),
              pages[path].up.evaluate(() => window.__inbound()),
            ]);
            results.windows.push({
              profile: profile.name,
              path,
              direction: 'township receives (down)',
              ...received(a[0], b[0]),
            });
            results.windows.push({
              profile: profile.name,
              path,
              direction: 'specialist receives (up)',
              ...received(a[1], b[1]),
            });
          }
          await call.leave();
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
      for (const path of ['bare', 'ours']) {
        const ok = samples[path].filter((x) => x !== null).sort((x, y) => x - y);
        results.firstFrame.push({
          profile: profile.name,
          path,
          n: samples[path].length,
          failed: samples[path].length - ok.length,
          p50: percentile(ok, 50),
          p90: percentile(ok, 90),
          samples: samples[path].map((x) => (x === null ? null : Math.round(x))),
        });
      }
      await link.setBoth({ rateKbps: 0, delayMs: 0, lossPct: 0 });
    }
    results.notes.push(
      `link: namespace ${link.namespace}, ${link.nsAddress} <-> ${link.hostAddress}/30, shaper per direction: token bucket (tail drop beyond 300 ms queued), one-way delay, random loss; profiles symmetric`,
    );
    return results;
  } finally {
    for (const c of cleanups)
      await Promise.resolve()
        .then(c)
        .catch((e) => log(`cleanup: ${e.message}`));
  }
}
