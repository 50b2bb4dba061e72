import type { types } from 'mediasoup';
import type { VerifiedRoomToken } from '@huizhen/room-token';
import {
  type ProbeInfo,
  type ProbeProduceRequest,
  type ProbeStats,
  SignalingError,
  type TransportInfo,
} from '@huizhen/media-signaling';
import { ROUTER_MEDIA_CODECS } from './media-codecs';
import type { MediaWorkerPool, WorkerSlot } from './media-worker-pool';

/** What bounds the probes a node runs (see PROTOCOL.md "Pre-join probe"). */
export interface ProbeLimits {
  /** A probe is closed this long after it started, whatever the client does. */
  maxMs: number;
  /** Probes per practitioner within a minute (a new one also closes their running one). */
  perMinute: number;
  /** Probes running at once on this node. */
  concurrent: number;
  /** What a probe's transport accepts (bit/s): the probe measures up to here. */
  maxIncomingBitrate: number;
}

export const PROBE_LIMITS: ProbeLimits = {
  maxMs: 15_000,
  perMinute: 6,
  concurrent: 16,
  maxIncomingBitrate: 2_500_000,
};

/** One running probe: a send transport on the node's probe router, owned by one connection. */
export interface Probe {
  readonly owner: VerifiedRoomToken;
  readonly started: number;
  readonly transport: types.WebRtcTransport;
  readonly producers: types.Producer[];
  timer: NodeJS.Timeout;
  closed: boolean;
  onClosed: ((reason: 'time_limit' | 'worker_closed') => void) | null;
}

/**
 * Pre-join probes: a short-lived WebRTC send transport on the same WebRtcServer (ports, addresses,
 * TURN) a room's transports use, on a router of its own that no room shares: whatever the client
 * sends there is measured (the transport's receive figures, its producers' loss and round trip)
 * and seen by nobody. Rooms, peers and call events never hear of a probe.
 */
export class MediaProbes {
  private readonly routers = new Map<
    number,
    { router: Promise<types.Router>; generation: number }
  >();
  private readonly running = new Set<Probe>();
  /** Start times per practitioner within the last minute. */
  private readonly recent = new Map<string, number[]>();
  /** The live probe of each practitioner (one at a time). */
  private readonly byPractitioner = new Map<string, Probe>();

  constructor(
    private readonly pool: MediaWorkerPool,
    readonly limits: ProbeLimits = { ...PROBE_LIMITS },
  ) {}

  get size(): number {
    return this.running.size;
  }

  /** Starts a probe for this token's practitioner; the caller has checked the room. */
  async start(
    owner: VerifiedRoomToken,
    iceServers: ProbeInfo['iceServers'],
  ): Promise<{ probe: Probe; info: ProbeInfo }> {
    const now = Date.now();
    const times = (this.recent.get(owner.sub) ?? []).filter((t) => t > now - 60_000);
    if (times.length >= this.limits.perMinute) {
      throw new SignalingError(
        'rate_limited',
        `at most ${this.limits.perMinute} probes a minute; try again shortly`,
      );
    }
    const earlier = this.byPractitioner.get(owner.sub);
    if (earlier) this.close(earlier);
    if (this.running.size >= this.limits.concurrent)
      throw new SignalingError(
        'unavailable',
        'the media server is busy probing; try again shortly',
      );
    times.push(now);
    this.recent.set(owner.sub, times);
    const slot = this.pool.pick();
    if (!slot?.webRtcServer)
      throw new SignalingError('unavailable', 'no media worker is running; try again in a moment');
    const router = await this.routerOn(slot);
    const transport = await router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      appData: { probe: true, practitioner: owner.sub },
    });
    await transport.setMaxIncomingBitrate(this.limits.maxIncomingBitrate);
    const probe: Probe = {
      owner,
      started: Date.now(),
      transport,
      producers: [],
      closed: false,
      onClosed: null,
      timer: setTimeout(() => this.close(probe, 'time_limit'), this.limits.maxMs),
    };
    probe.timer.unref();
    transport.observer.on('close', () => this.close(probe, 'worker_closed'));
    this.running.add(probe);
    this.byPractitioner.set(owner.sub, probe);
    this.forgetOld(now);
    const info: TransportInfo = {
      id: transport.id,
      direction: 'send',
      iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
      iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
      dtlsParameters: transport.dtlsParameters as unknown as Record<string, unknown>,
    };
    return {
      probe,
      info: {
        transport: info,
        rtpCapabilities: router.rtpCapabilities as unknown as Record<string, unknown>,
        iceServers,
        maxMs: this.limits.maxMs,
        maxKbps: Math.round(this.limits.maxIncomingBitrate / 1000),
      },
    };
  }

  async connect(
    probe: Probe,
    transportId: string,
    dtlsParameters: Record<string, unknown>,
  ): Promise<void> {
    this.transportOf(probe, transportId);
    await probe.transport.connect({
      dtlsParameters: dtlsParameters as unknown as types.DtlsParameters,
    });
  }

  async produce(probe: Probe, req: ProbeProduceRequest): Promise<string> {
    this.transportOf(probe, req.transportId);
    if (probe.producers.some((p) => p.kind === req.kind))
      throw new SignalingError('forbidden', `a probe sends one ${req.kind} stream`);
    const producer = await probe.transport.produce({
      kind: req.kind,
      rtpParameters: req.rtpParameters as unknown as types.RtpParameters,
      appData: { probe: true },
    });
    if (probe.closed) {
      producer.close();
      throw new SignalingError('not_found', 'the probe ended meanwhile');
    }
    probe.producers.push(producer);
    return producer.id;
  }

  /** What the node received so far: bitrate, bytes, and its producers' loss and round trip (RTCP). */
  async stats(probe: Probe): Promise<ProbeStats> {
    const [t] = await probe.transport.getStats();
    let packets = 0;
    let lost = 0;
    let rttMs: number | null = null;
    for (const p of probe.producers) {
      for (const s of await p.getStats().catch(() => [])) {
        packets += s.packetCount ?? 0;
        lost += s.packetsLost ?? 0;
        if (typeof s.roundTripTime === 'number' && s.roundTripTime > 0)
          rttMs = Math.max(rttMs ?? 0, s.roundTripTime);
      }
    }
    return {
      elapsedMs: Date.now() - probe.started,
      rtpBytesReceived: t?.rtpBytesReceived ?? 0,
      recvKbps: Math.round((t?.recvBitrate ?? 0) / 1000),
      packetsReceived: packets,
      packetsLost: lost,
      rttMs,
    };
  }

  close(probe: Probe, reason?: 'time_limit' | 'worker_closed'): void {
    if (probe.closed) return;
    probe.closed = true;
    clearTimeout(probe.timer);
    this.running.delete(probe);
    if (this.byPractitioner.get(probe.owner.sub) === probe)
      this.byPractitioner.delete(probe.owner.sub);
    if (!probe.transport.closed) probe.transport.close();
    if (reason) probe.onClosed?.(reason);
  }

  closeAll(): void {
    for (const p of [...this.running]) this.close(p);
    for (const { router } of this.routers.values())
      void router.then((r) => r.close()).catch(() => undefined);
    this.routers.clear();
  }

  private transportOf(probe: Probe, transportId: string): void {
    if (probe.closed)
      throw new SignalingError(
        'not_found',
        'the probe ended (time limit or closed): start another',
      );
    if (probe.transport.id !== transportId)
      throw new SignalingError(
        'not_found',
        `no probe transport ${transportId} on this connection`,
        'transportId',
      );
  }

  /** The probe router of a worker (one per worker process, made when first needed; a replaced worker gets a new one). */
  private async routerOn(slot: WorkerSlot): Promise<types.Router> {
    const held = this.routers.get(slot.index);
    if (held && held.generation === slot.generation) {
      const router = await held.router.catch(() => null);
      if (router && !router.closed) return router;
    }
    const router = slot.worker!.createRouter({
      mediaCodecs: ROUTER_MEDIA_CODECS,
      appData: { probe: true },
    });
    this.routers.set(slot.index, { router, generation: slot.generation });
    return router;
  }

  private forgetOld(now: number): void {
    for (const [sub, times] of this.recent)
      if (!times.some((t) => t > now - 60_000)) this.recent.delete(sub);
  }
}
