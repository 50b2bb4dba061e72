// Media bench: (a) join -> first decoded remote frame in Chromium through the built server;
// (b) forwarding capacity of one mediasoup worker (= one core) with synthetic RTP through
// PlainTransports, and what our own Node process spends meanwhile. Loopback only, bounded.
//
// When forked with HUIZHEN_MEDIA_BENCH_ROLE=rtp this file is the RTP generator + sink process
// (kept out of the measured processes).
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { percentile, startServer } from '../support.mjs';
import { PROFILES, linkCalls, loadTestSupport } from '../support/media-calls.mjs';

export const describe =
  'live video: join -> first frame in Chromium (p50/p95), consumers per worker core at <=80% CPU, our Node share; our web client vs a bare mediasoup harness through an emulated township link, per link profile';

// HUIZHEN_BENCH_MEDIA=link runs only the link calls (=base only the rest); HUIZHEN_BENCH_MEDIA_CALLS calls per
// path on the clean link (8), HUIZHEN_BENCH_MEDIA_DEGRADED_CALLS on each other profile (2),
// HUIZHEN_BENCH_MEDIA_WINDOW seconds of stats per path and profile (20).
const SECTIONS = process.env.HUIZHEN_BENCH_MEDIA ?? 'all';

const JOINS = 10;
const ROOMS = 10;
const STEPS = [5, 10, 20, 40, 60, 80, 110]; // subscribers per room; 2 consumers (audio+video) each
// Wall-clock budgets keep the part bounded on a busy machine (other work competing for the cores).
const JOIN_BUDGET_MS = 100_000;
const CAPACITY_BUDGET_MS = 120_000;
const CPU_TARGET = 80;
const VIDEO_PT = 96;
const AUDIO_PT = 111;

if (process.env.HUIZHEN_MEDIA_BENCH_ROLE === 'rtp') rtpProcess();

// ---------------------------------------------------------------- (a) Chromium join latency

async function joinLatency(repoRoot) {
  const require = createRequire(join(repoRoot, 'package.json'));
  const { signRoomToken } = require(
    join(repoRoot, 'dist/apps/server/libs/room-token/src/index.js'),
  );
  const { build } = await import('esbuild');
  const { chromium } = await import('playwright-core');
  const secret = 'bench-room-token-secret-bench-room-token-secret';
  const server = await startServer(repoRoot, {
    ROOM_TOKEN_SECRET: secret,
    MEDIA_LISTEN_IP: '127.0.0.1',
    MEDIA_RTC_PORT_BASE: '0',
    SEED_DEMO: 'false',
  });
  const bundle = (
    await build({
      entryPoints: [join(repoRoot, 'test/media/support/page/entry.ts')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      tsconfig: join(repoRoot, 'tsconfig.json'),
      logLevel: 'silent',
    })
  ).outputFiles[0].text;
  const http = createServer((req, res) => {
    if (req.url === '/bundle.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><body><script src="/bundle.js"></script></body>');
  });
  await new Promise((r) => http.listen(0, '127.0.0.1', r));
  const pageUrl = `http://127.0.0.1:${http.address().port}/`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: (await loadTestSupport(repoRoot)).CHROMIUM_ARGS,
  });
  const room = `bench-${Date.now().toString(36)}`;
  const token = (sub, role) => signRoomToken({ sub, name: sub, room, role }, secret, 600);
  const open = async (sub, role, autoAdmit) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(pageUrl);
    await page.waitForFunction(() => !!globalThis.huizhen);
    const r = await page.evaluate((o) => globalThis.huizhen.start(o), {
      url: server.url,
      room,
      token: token(sub, role),
      publish: true,
      autoAdmit,
    });
    if (!r.ok) throw new Error(`${sub} could not join: ${r.code} ${r.message}`);
    return { page, context };
  };
  const samples = [];
  try {
    await open('bench-specialist', 'host', true);
    const deadline = Date.now() + JOIN_BUDGET_MS;
    for (let i = 0; i < JOINS && Date.now() < deadline; i++) {
      const { page, context } = await open(`bench-doctor-${i}`, 'township_doctor', false);
      await page.waitForFunction(() => globalThis.huizhen.firstFrameMs !== null, null, {
        timeout: 20_000,
        polling: 20,
      });
      samples.push(await page.evaluate(() => globalThis.huizhen.firstFrameMs));
      await page.evaluate(() => globalThis.huizhen.leave());
      await context.close();
    }
  } finally {
    await browser.close();
    await new Promise((r) => http.close(r));
    await server.stop();
  }
  return samples;
}

// ---------------------------------------------------------------- (b) forwarding capacity

function rtpProcess() {
  const tx = createSocket('udp4');
  const sink = createSocket('udp4');
  let received = 0;
  let targets = [];
  sink.on('message', () => received++);
  sink.bind(0, '127.0.0.1', () =>
    tx.bind(0, '127.0.0.1', () => process.send({ type: 'ready', sinkPort: sink.address().port })),
  );
  /** One RTP packet: payload type, SSRC, sequence number, timestamp, marker bit, payload. */
  const rtp = ({ pt, ssrc, seq, ts, marker = false, payload }) => {
    const h = Buffer.alloc(12);
    h[0] = 0x80;
    h[1] = (marker ? 0x80 : 0) | pt;
    h.writeUInt16BE(seq & 0xffff, 2);
    h.writeUInt32BE(ts >>> 0, 4);
    h.writeUInt32BE(ssrc, 8);
    return Buffer.concat([h, payload]);
  };
  const vp8 = (key, size) => {
    const p = Buffer.alloc(size, 0x55);
    p[0] = 0x10;
    p[1] = key ? 0x00 : 0x01;
    if (key) {
      p[4] = 0x9d;
      p[5] = 0x01;
      p[6] = 0x2a;
      p.writeUInt16LE(640, 7);
      p.writeUInt16LE(480, 9);
    }
    return p;
  };
  const audio = Buffer.alloc(100, 0xaa);
  // Per room, on a 10 ms tick: Opus every 2nd tick (50 packets/s); a camera frame every 3rd tick
  // (~33 fps) of 3 packets x 1,000 bytes (~800 kbit/s), a key frame every 2 s.
  let tick = 0;
  let frame = 0;
  setInterval(() => {
    tick++;
    const videoNow = tick % 3 === 0;
    if (videoNow) frame++;
    for (const t of targets) {
      if (tick % 2 === 0) {
        const seq = t.aseq++;
        tx.send(
          rtp({ pt: AUDIO_PT, ssrc: t.audioSsrc, seq, ts: seq * 960, payload: audio }),
          t.port,
          '127.0.0.1',
        );
      }
      if (videoNow) {
        const key = frame % 66 === 1;
        for (let k = 0; k < 3; k++)
          tx.send(
            rtp({
              pt: VIDEO_PT,
              ssrc: t.videoSsrc,
              seq: t.vseq++,
              ts: frame * 2700,
              marker: k === 2,
              payload: vp8(key && k === 0, 1000),
            }),
            t.port,
            '127.0.0.1',
          );
      }
    }
  }, 10);
  process.on('message', (m) => {
    if (m.type === 'targets') targets = m.targets.map((t) => ({ ...t, vseq: 1, aseq: 1 }));
    if (m.type === 'count') process.send({ type: 'count', received });
    if (m.type === 'stop') process.exit(0);
  });
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, clock ticks (100/s)
}

async function forwardingCapacity(repoRoot) {
  const require = createRequire(join(repoRoot, 'package.json'));
  const { MediaWorkerPool } = require(
    join(repoRoot, 'dist/apps/server/apps/media/src/media-worker-pool.js'),
  );
  const { ROUTER_MEDIA_CODECS } = require(
    join(repoRoot, 'dist/apps/server/apps/media/src/media-codecs.js'),
  );
  const pool = new MediaWorkerPool({
    count: 1,
    listenIp: '127.0.0.1',
    announcedAddress: null,
    portBase: 0,
    log: () => {},
  });
  await pool.start();
  const worker = pool.slots[0].worker;
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, HUIZHEN_MEDIA_BENCH_ROLE: 'rtp' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const fromChild = (type) =>
    new Promise((r) => {
      const f = (m) => m.type === type && (child.off('message', f), r(m));
      child.on('message', f);
    });
  const { sinkPort } = await fromChild('ready');
  const li = { protocol: 'udp', ip: '127.0.0.1' };
  const rooms = [];
  let events = 0;
  for (let i = 0; i < ROOMS; i++) {
    const router = await worker.createRouter({ mediaCodecs: ROUTER_MEDIA_CODECS });
    const input = await router.createPlainTransport({
      listenInfo: li,
      comedia: true,
      rtcpMux: true,
    });
    const videoSsrc = 1000 + i,
      audioSsrc = 2000 + i;
    const video = await input.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/VP8',
            payloadType: VIDEO_PT,
            clockRate: 90000,
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
          },
        ],
        encodings: [{ ssrc: videoSsrc }],
      },
    });
    const audio = await input.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48000, channels: 2 }],
        encodings: [{ ssrc: audioSsrc }],
      },
    });
    video.on('score', () => events++);
    rooms.push({
      router,
      video,
      audio,
      port: input.tuple.localPort,
      videoSsrc,
      audioSsrc,
      subscribers: 0,
    });
  }
  child.send({
    type: 'targets',
    targets: rooms.map((r) => ({ port: r.port, videoSsrc: r.videoSsrc, audioSsrc: r.audioSsrc })),
  });
  // Outgoing like WebRTC: every forwarded packet is SRTP-encrypted (AEAD_AES_256_GCM, what Chromium negotiates here).
  const key = Buffer.alloc(44, 7).toString('base64');
  const addSubscriber = async (r) => {
    const t = await r.router.createPlainTransport({
      listenInfo: li,
      rtcpMux: true,
      comedia: false,
      enableSrtp: true,
      srtpCryptoSuite: 'AEAD_AES_256_GCM',
    });
    await t.connect({
      ip: '127.0.0.1',
      port: sinkPort,
      srtpParameters: { cryptoSuite: 'AEAD_AES_256_GCM', keyBase64: key },
    });
    for (const p of [r.video, r.audio]) {
      const c = await t.consume({ producerId: p.id, rtpCapabilities: r.router.rtpCapabilities });
      // What the room code listens to per consumer (forwarded to the participant's socket).
      c.on('score', () => events++);
      c.on('layerschange', () => events++);
    }
    r.subscribers++;
  };
  const rows = [];
  const ticks = 100; // USER_HZ
  let consumers = 0;
  let stopped = null;
  const deadline = Date.now() + CAPACITY_BUDGET_MS;
  try {
    for (const perRoom of STEPS) {
      for (const r of rooms)
        while (r.subscribers < perRoom && Date.now() < deadline) await addSubscriber(r);
      if (Date.now() > deadline) {
        stopped = `time budget (${CAPACITY_BUDGET_MS / 1000} s) reached while adding subscribers`;
        break;
      }
      consumers = 2 * rooms.reduce((n, r) => n + r.subscribers, 0);
      await new Promise((r) => setTimeout(r, 2000)); // key frames reach the new consumers
      const w0 = cpuTicks(worker.pid),
        me0 = process.cpuUsage(),
        c0 = (child.send({ type: 'count' }), (await fromChild('count')).received),
        t0 = Date.now();
      await new Promise((r) => setTimeout(r, 4000));
      const w1 = cpuTicks(worker.pid),
        me1 = process.cpuUsage(me0),
        c1 = (child.send({ type: 'count' }), (await fromChild('count')).received),
        t1 = Date.now();
      const secs = (t1 - t0) / 1000;
      const workerCpu = ((w1 - w0) / ticks / secs) * 100;
      const ourCpu = ((me1.user + me1.system) / 1e6 / secs) * 100;
      const sinkPps = Math.round((c1 - c0) / secs);
      const expectedPps = (consumers / 2) * 150;
      rows.push({
        metric: 'forwarding step',
        rooms: ROOMS,
        subscribersPerRoom: perRoom,
        consumers,
        workerCpuPct: workerCpu,
        ourNodeCpuPct: ourCpu,
        sinkPacketsPerSec: sinkPps,
        expectedPacketsPerSec: expectedPps,
      });
      if (workerCpu >= CPU_TARGET) break;
      if (sinkPps < 0.6 * expectedPps && perRoom >= 20) {
        stopped = `forwarded ${sinkPps} of ${expectedPps} packets/s at ${consumers} consumers: worker or sink starved (machine busy)`;
        break;
      }
    }
  } finally {
    child.send({ type: 'stop' });
    await pool.close();
  }
  return { rows, events, stopped };
}

/**
 * Consumers one core carries at CPU_TARGET: interpolated between the steps around it; if the ramp
 * never got there, from the CPU cost per packet actually forwarded at the largest step (CPU time
 * stays honest on a busy machine, a starved worker just forwards less).
 */
function consumersAtTarget(steps) {
  const above = steps.findIndex((s) => s.workerCpuPct >= CPU_TARGET);
  if (above > 0) {
    const a = steps[above - 1],
      b = steps[above];
    return {
      value: Math.round(
        a.consumers +
          ((CPU_TARGET - a.workerCpuPct) / (b.workerCpuPct - a.workerCpuPct)) *
            (b.consumers - a.consumers),
      ),
      how: 'interpolated between ramp steps',
    };
  }
  const last = steps[above === 0 ? 0 : steps.length - 1];
  const served = last.sinkPacketsPerSec / 75; // a consumer here forwards 75 packets/s on average (100 video, 50 audio)
  return {
    value: Math.round((CPU_TARGET / last.workerCpuPct) * served),
    how: `from CPU per forwarded packet at ${last.consumers} consumers (${last.workerCpuPct.toFixed(1)}% CPU)`,
  };
}

async function linkRows(repoRoot, notes) {
  const env = process.env;
  const r = await linkCalls(repoRoot, {
    callsClean: Number(env.HUIZHEN_BENCH_MEDIA_CALLS ?? 8),
    callsDegraded: Number(env.HUIZHEN_BENCH_MEDIA_DEGRADED_CALLS ?? 2),
    windowSeconds: Number(env.HUIZHEN_BENCH_MEDIA_WINDOW ?? 20),
    // HUIZHEN_BENCH_MEDIA_PROFILES=0,2: only those profiles (indexes into PROFILES).
    profiles: env.HUIZHEN_BENCH_MEDIA_PROFILES
      ? env.HUIZHEN_BENCH_MEDIA_PROFILES.split(',').map((i) => PROFILES[Number(i)])
      : PROFILES,
    log: (m) => console.log(`  [media link] ${m}`),
  });
  if (r.skipped) {
    notes.push(r.skipped);
    return [];
  }
  notes.push(...r.notes);
  notes.push(
    "join -> first frame through the link: ours = the township doctor clicks the consultation page's join button (the room chunk, a room token and the /media socket already opened by that page; then the join request, transports and running consumers in its answer, ICE/DTLS, the camera and publishing alongside) until a remote video frame is decoded; bare = the same page steps with mediasoup-client over plain HTTP; calls alternate bare/ours, the township's browser inside the namespace, the specialist's on the host",
  );
  notes.push(
    'window rows: the last call of each path and profile held 3 s + the window; resolution of the busiest received video stream, fps and kbps from getStats deltas, frozen = totalFreezesDuration share, concealed = concealedSamples / totalSamplesReceived',
  );
  const rows = [];
  if (r.admitMs !== null)
    rows.push({
      metric: 'ours: first call through the waiting room (host admits), clean',
      value: r.admitMs,
      unit: 'ms',
    });
  const byProfile = new Map();
  for (const f of r.firstFrame)
    byProfile.set(f.profile, { ...byProfile.get(f.profile), [f.path]: f });
  for (const [profile, { bare, ours }] of byProfile) {
    for (const f of [bare, ours]) {
      rows.push({
        metric: `${f.path}: join -> first frame p50, ${profile}`,
        value: f.p50,
        unit: 'ms',
        p90: f.p90,
        n: f.n,
        failed: f.failed,
        samples: f.samples.join(' '),
      });
    }
    if (bare.p50 > 0 && ours.p50 > 0)
      rows.push({
        metric: `ours / bare p50, ${profile}`,
        value: ours.p50 / bare.p50,
        unit: 'x',
        goal: profile === 'clean' ? '<= 1.2' : '',
      });
  }
  for (const w of r.windows) {
    rows.push({
      metric: `${w.path}: ${w.direction}, ${w.profile}`,
      value: w.resolution,
      unit: 'resolution',
      fps: w.fps,
      videoKbps: w.videoKbps,
      frozenPct: w.frozenPct,
      audioKbps: w.audioKbps,
      concealedPct: w.concealedPct,
    });
  }
  return rows;
}

export async function run({ repoRoot }) {
  const notes = [
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  ];
  const rows = [];
  if (SECTIONS !== 'link') rows.push(...(await baseRows(repoRoot, notes)));
  if (SECTIONS !== 'base') rows.push(...(await linkRows(repoRoot, notes)));
  notes.push(
    `load average at end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  return { rows, notes };
}

async function baseRows(repoRoot, notes) {
  const latencies = await joinLatency(repoRoot);
  const sorted = [...latencies].sort((a, b) => a - b);
  const { rows: steps, events, stopped } = await forwardingCapacity(repoRoot);
  if (stopped) notes.push(`ramp stopped early: ${stopped}`);
  const perCore = consumersAtTarget(steps);
  notes.push(`consumers per core ${perCore.how}`);
  const maxOurs = Math.max(...steps.map((s) => s.ourNodeCpuPct));
  notes.push(
    `join latency samples (ms): ${latencies.join(', ')}; measured in the page from client.join() (camera already open) to the first decoded frame of the host's video, including the waiting room (the host auto-admits) and this client's own publishing`,
  );
  notes.push(
    `forwarding: ${ROOMS} rooms, each one publisher (VP8 ~800 kbit/s at 100 packets/s + Opus 50 packets/s) through a PlainTransport, subscribers on SRTP (AEAD_AES_256_GCM) PlainTransports; one worker; CPU from /proc/<pid>/stat; ${events} score/layer events reached our process`,
  );
  notes.push('goals: >= 500 consumers per core, our process <= 5%, join -> first frame <= 1 s p50');
  return [
    {
      metric: 'join -> first remote frame p50',
      value: percentile(sorted, 50),
      unit: 'ms',
      goal: '<= 1000',
    },
    { metric: 'join -> first remote frame p95', value: percentile(sorted, 95), unit: 'ms' },
    {
      metric: 'consumers per worker core at 80% CPU',
      value: perCore.value,
      unit: 'consumers',
      goal: '>= 500',
    },
    {
      metric: 'our Node process CPU (max over steps)',
      value: maxOurs,
      unit: '% of a core',
      goal: '<= 5',
    },
    { metric: 'join samples', value: latencies.length, unit: 'joins' },
    ...steps.map((s) => ({
      metric: `step ${s.consumers} consumers`,
      value: s.workerCpuPct,
      unit: 'worker CPU %',
      ourNodeCpuPct: s.ourNodeCpuPct,
      sinkPacketsPerSec: s.sinkPacketsPerSec,
      expectedPacketsPerSec: s.expectedPacketsPerSec,
    })),
  ];
}
