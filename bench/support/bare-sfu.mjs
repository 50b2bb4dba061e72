// A bare mediasoup harness for comparison with our client: mediasoup (the version the repo pins)
// with one worker and router, signaling as JSON over HTTP POST /rpc, the page script from
// bare-page.mjs, no auth, no UI, one room. Measures what mediasoup + Chromium alone cost.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const CODECS = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: {} },
];

/** Starts the harness listening on `host` (HTTP on a free port, WebRTC on UDP `host`, announced as `announced`). */
export async function startBareSfu(repoRoot, { host, announced = host }) {
  const require = createRequire(join(repoRoot, 'package.json'));
  const mediasoup = require('mediasoup');
  const { build } = await import('esbuild');
  const bundle = (
    await build({
      entryPoints: [join(repoRoot, 'bench/support/bare-page.mjs')],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      target: 'chrome120',
      logLevel: 'silent',
    })
  ).outputFiles[0].text;
  const worker = await mediasoup.createWorker({ logLevel: 'error' });
  const router = await worker.createRouter({ mediaCodecs: CODECS });
  const transports = new Map();
  const peers = new Map(); // peer -> { transports: Set, producers: Set }
  const producers = new Map(); // id -> { producer, peer }
  const peerOf = (id) => {
    if (!peers.has(id)) peers.set(id, { transports: new Set(), producers: new Set() });
    return peers.get(id);
  };
  const methods = {
    caps: () => router.rtpCapabilities,
    async createTransport({ peer, direction }) {
      const t = await router.createWebRtcTransport({
        listenInfos: [
          {
            protocol: 'udp',
            ip: host,
            announcedAddress: announced === host ? undefined : announced,
          },
        ],
        appData: { direction },
      });
      transports.set(t.id, t);
      peerOf(peer).transports.add(t);
      return {
        id: t.id,
        iceParameters: t.iceParameters,
        iceCandidates: t.iceCandidates,
        dtlsParameters: t.dtlsParameters,
      };
    },
    async connect({ transportId, dtlsParameters }) {
      await transports.get(transportId).connect({ dtlsParameters });
      return {};
    },
    async produce({ peer, transportId, kind, rtpParameters }) {
      const p = await transports.get(transportId).produce({ kind, rtpParameters });
      producers.set(p.id, { producer: p, peer });
      peerOf(peer).producers.add(p.id);
      return { id: p.id };
    },
    producers: ({ peer }) =>
      [...producers.entries()]
        .filter(([, v]) => v.peer !== peer)
        .map(([id, v]) => ({ id, kind: v.producer.kind })),
    async consume({ transportId, producerId, rtpCapabilities }) {
      const c = await transports
        .get(transportId)
        .consume({ producerId, rtpCapabilities, paused: false });
      return { id: c.id, producerId, kind: c.kind, rtpParameters: c.rtpParameters };
    },
    leave({ peer }) {
      const p = peers.get(peer);
      if (!p) return {};
      for (const id of p.producers) producers.delete(id);
      for (const t of p.transports) {
        transports.delete(t.id);
        t.close();
      }
      peers.delete(peer);
      return {};
    },
  };
  const html =
    '<!doctype html><meta charset="utf-8"><title>bare mediasoup</title><body><script src="/bundle.js"></script></body>';
  const http = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/rpc') {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', async () => {
        let out;
        try {
          const { method, ...args } = JSON.parse(body);
          out = { data: await methods[method](args) };
        } catch (e) {
          out = { error: e.message };
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(out));
      });
    } else if (req.url === '/bundle.js')
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
  });
  await new Promise((r) => http.listen(0, host, r));
  return {
    port: http.address().port,
    version: mediasoup.version,
    async stop() {
      http.closeAllConnections?.();
      await new Promise((r) => http.close(r));
      worker.close();
    },
  };
}
