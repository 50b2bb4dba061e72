import { Counter, Gauge } from 'prom-client';
import { metricsRegistry } from '@huizhen/observability';

interface MediaStats {
  rooms: Map<string, unknown>;
  peerCount(): number;
  consumerCount(): number;
  pool: { alive(): number };
}

/** Services alive in this process (one, except in tests that start several apps). */
const services = new Set<MediaStats>();

export function trackMediaService(s: MediaStats): void {
  services.add(s);
}
export function untrackMediaService(s: MediaStats): void {
  services.delete(s);
}

function sum(f: (s: MediaStats) => number): number {
  let n = 0;
  for (const s of services) n += f(s);
  return n;
}

new Gauge({
  name: 'huizhen_media_rooms',
  help: 'Live consultation rooms on this media node',
  registers: [metricsRegistry],
  collect() {
    this.set(sum((s) => s.rooms.size));
  },
});

new Gauge({
  name: 'huizhen_media_peers',
  help: 'Participants in rooms (admitted, waiting, or within their reconnect grace period)',
  registers: [metricsRegistry],
  collect() {
    this.set(sum((s) => s.peerCount()));
  },
});

new Gauge({
  name: 'huizhen_media_consumers',
  help: 'mediasoup consumers (streams forwarded to a participant)',
  registers: [metricsRegistry],
  collect() {
    this.set(sum((s) => s.consumerCount()));
  },
});

new Gauge({
  name: 'huizhen_media_workers_alive',
  help: 'mediasoup worker processes running',
  registers: [metricsRegistry],
  collect() {
    this.set(sum((s) => s.pool.alive()));
  },
});

export const workerRestarts = new Counter({
  name: 'huizhen_media_worker_restarts_total',
  help: 'mediasoup workers that died and were replaced',
  registers: [metricsRegistry],
});
