// The test page's script (bundled with esbuild): drives the real client library in Chromium
// and exposes what the tests and the bench read through `window.huizhen`.
import { MediaClient, MediaRequestError, type RemoteTrack } from '@huizhen/media-client';

declare const window: any;
declare const document: any;
declare const navigator: any;

interface StartOptions {
  url: string;
  room: string;
  token: string;
  publish?: boolean;
  autoAdmit?: boolean;
}

const t0 = performance.now();
const log: { at: number; event: string; data?: unknown }[] = [];
let client: MediaClient | null = null;
let firstFrameAt: number | null = null;
let joinStartedAt = 0;
const elements = new Map<string, any>();

function record(event: string, data?: unknown) {
  log.push({ at: Math.round(performance.now() - t0), event, data });
}

function attach(r: RemoteTrack) {
  const el = document.createElement(r.kind === 'video' ? 'video' : 'audio');
  el.autoplay = true;
  el.muted = r.kind === 'video';
  el.playsInline = true;
  el.srcObject = new window.MediaStream([r.track]);
  document.body.appendChild(el);
  elements.set(r.consumerId, el);
  void el.play?.().catch(() => undefined);
  if (r.kind === 'video' && firstFrameAt === null) void watchFirstFrame(r);
}

async function watchFirstFrame(r: RemoteTrack) {
  while (firstFrameAt === null && !r.consumer.closed) {
    const s = await inbound(r);
    if (s && s.framesDecoded > 0) {
      firstFrameAt = performance.now();
      record('firstFrame', { ms: Math.round(firstFrameAt - joinStartedAt) });
      return;
    }
    await new Promise((res) => setTimeout(res, 10));
  }
}

async function inbound(r: RemoteTrack): Promise<any | null> {
  const report = await r.consumer.getStats();
  let best: any = null;
  report.forEach((s: any) => {
    // Skip mediasoup-client's bandwidth probe (SSRC 1234, never decodes a frame).
    if (
      s.type === 'inbound-rtp' &&
      s.ssrc !== 1234 &&
      (!best || (s.framesDecoded ?? 0) > (best.framesDecoded ?? 0))
    )
      best = s;
  });
  return best;
}

window.huizhen = {
  log,
  get client() {
    return client;
  },
  get state() {
    return client?.state ?? 'none';
  },
  get firstFrameMs() {
    return firstFrameAt === null ? null : Math.round(firstFrameAt - joinStartedAt);
  },
  async start(o: StartOptions) {
    client = new MediaClient({ url: o.url, room: o.room, token: o.token });
    for (const ev of [
      'state',
      'peerJoined',
      'peerLeft',
      'peerWaiting',
      'admitted',
      'muted',
      'roomEnded',
      'resumed',
      'rejoined',
      'iceRestarted',
      'trackEnded',
      'suggestAudioOnly',
    ] as const) {
      client.on(ev, (d?: unknown) => record(ev, d));
    }
    let scores = 0;
    client.on('score', (d) => scores++ < 50 && record('score', d));
    client.on('activeSpeaker', (d) => record('activeSpeaker', d));
    client.on('error', (e) =>
      record('error', { message: e.message, code: (e as MediaRequestError).code }),
    );
    client.on('track', (r) => {
      record('track', { kind: r.kind, source: r.source, consumerId: r.consumerId });
      attach(r);
    });
    client.on('trackEnded', ({ consumerId }) => {
      elements.get(consumerId)?.remove();
      elements.delete(consumerId);
    });
    if (o.autoAdmit)
      client.on(
        'peerWaiting',
        (p) => void client!.admit(p.peerId).catch((e) => record('error', { message: e.message })),
      );
    if (o.publish) {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: 640, height: 480, frameRate: 20 },
      });
      await Promise.all([
        client.publish(stream.getVideoTracks()[0], 'camera'),
        client.publish(stream.getAudioTracks()[0], 'mic'),
      ]);
    }
    // Measured from here: what a participant waits for once the camera is open.
    joinStartedAt = performance.now();
    try {
      const j = await client.join();
      record('joined', { peerId: j.peerId, role: j.role });
      return { ok: true, peerId: j.peerId };
    } catch (e: any) {
      record('joinFailed', { code: e.code, message: e.message });
      return { ok: false, code: e.code, message: e.message };
    }
  },
  /** Per remote track: decoded frames (video), samples and packets (audio). */
  async stats() {
    const out = [];
    for (const r of client?.remoteTracks ?? []) {
      const s = await inbound(r);
      out.push({
        consumerId: r.consumerId,
        peerId: r.peerId,
        kind: r.kind,
        source: r.source,
        framesDecoded: s?.framesDecoded ?? 0,
        packetsReceived: s?.packetsReceived ?? 0,
        totalSamplesReceived: s?.totalSamplesReceived ?? 0,
        frameWidth: s?.frameWidth ?? 0,
      });
    }
    return out;
  },
  async request(name: string, payload: unknown) {
    try {
      return { data: await client!.request(name as never, payload as never) };
    } catch (e: any) {
      return { error: { code: e.code, message: e.message } };
    }
  },
  async leave() {
    await client?.leave();
  },
};
