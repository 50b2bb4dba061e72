/* global window, document, navigator, MediaStream */
// Browser side of the bare mediasoup harness (bundled by esbuild): mediasoup-client against
// bare-sfu.mjs over plain fetch, no auth, no UI. Steps run as early as they can: capabilities
// and both transports at once, consumers created unpaused.
import { Device } from 'mediasoup-client';

let call = null;

async function rpc(method, body = {}) {
  const r = await fetch('/rpc', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ method, ...body }),
  });
  const j = await r.json();
  if (j.error) throw new Error(`${method}: ${j.error}`);
  return j.data;
}

function transport(device, t, direction) {
  const tr = direction === 'send' ? device.createSendTransport(t) : device.createRecvTransport(t);
  tr.on('connect', ({ dtlsParameters }, ok, fail) =>
    rpc('connect', { transportId: tr.id, dtlsParameters }).then(ok, fail),
  );
  if (direction === 'send') {
    tr.on('produce', ({ kind, rtpParameters }, ok, fail) =>
      rpc('produce', { peer: call.peer, transportId: tr.id, kind, rtpParameters }).then(ok, fail),
    );
  }
  return tr;
}

async function consumeNew() {
  const c = call;
  if (!c) return;
  const producers = await rpc('producers', { peer: c.peer });
  // Producers gone (their peer left): close their consumers and elements.
  for (const [id, { consumer, el }] of c.consumers) {
    if (producers.some((p) => p.id === id)) continue;
    consumer.close();
    el.remove();
    c.consumers.delete(id);
    c.consumed.delete(id);
  }
  for (const p of producers) {
    if (c.consumed.has(p.id)) continue;
    c.consumed.add(p.id);
    const info = await rpc('consume', {
      peer: c.peer,
      transportId: c.recv.id,
      producerId: p.id,
      rtpCapabilities: c.device.rtpCapabilities,
    });
    const consumer = await c.recv.consume(info);
    const el = document.createElement(consumer.kind);
    el.autoplay = true;
    el.muted = consumer.kind === 'video';
    el.srcObject = new MediaStream([consumer.track]);
    document.body.appendChild(el);
    c.consumers.set(p.id, { consumer, el });
    el.play?.().catch(() => undefined);
  }
}

window.bare = {
  /** Joins as `peer`: opens camera and microphone, publishes them and consumes everyone else. */
  async start({ peer, width = 640, height = 360 }) {
    const started = performance.now();
    const device = new Device();
    const [caps, sendT, recvT, stream] = await Promise.all([
      rpc('caps'),
      rpc('createTransport', { peer, direction: 'send' }),
      rpc('createTransport', { peer, direction: 'recv' }),
      navigator.mediaDevices.getUserMedia({ audio: true, video: { width, height } }),
    ]);
    await device.load({ routerRtpCapabilities: caps });
    call = { peer, device, stream, consumed: new Set(), consumers: new Map(), started };
    call.send = transport(device, sendT, 'send');
    call.recv = transport(device, recvT, 'recv');
    await Promise.all([
      call.send.produce({ track: stream.getVideoTracks()[0] }),
      call.send.produce({ track: stream.getAudioTracks()[0] }),
      consumeNew(),
    ]);
    // Someone joining later: look for their producers now and then.
    call.poll = setInterval(() => void consumeNew().catch(() => undefined), 500);
    return { ok: true };
  },
  async leave() {
    const c = call;
    call = null;
    if (!c) return;
    clearInterval(c.poll);
    c.send?.close();
    c.recv?.close();
    c.stream?.getTracks().forEach((t) => t.stop());
    document.querySelectorAll('video,audio').forEach((e) => e.remove());
    await rpc('leave', { peer: c.peer });
  },
};
