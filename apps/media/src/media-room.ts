import { randomBytes, randomUUID } from 'node:crypto';
import type { types } from 'mediasoup';
import type { VerifiedRoomToken } from '@huizhen/room-token';
import {
  type ConsumeRequest,
  type ConsumeResult,
  type MediaKind,
  type MediaNotifications,
  type MediaSource,
  type PeerInfo,
  type ProduceRequest,
  type ProducerInfo,
  type RejoinReason,
  SignalingError,
  type TransportDirection,
  type TransportInfo,
  type VideoCap,
} from '@huizhen/media-signaling';
import { DownlinkAdvisor } from './audio-only-advisor';
import { Dynacast, highestWantedLayer } from './dynacast';
import { ROUTER_MEDIA_CODECS } from './media-codecs';
import type { MediaWorkerPool, WorkerSlot } from './media-worker-pool';

/** What a peer's socket must offer the room (the socket.io socket, in production). */
export interface PeerChannel {
  readonly id: string;
  emit(event: string, data: unknown): unknown;
}

export interface RoomSettings {
  peersPerRouter: number;
  maxIncomingBitrate: number;
  maxOutgoingBitrate: number;
  /** Media that never flowed this long after a peer was admitted has failed (default 10 s). */
  noMediaMs?: number;
}

export interface RoomContext {
  pool: MediaWorkerPool;
  settings: RoomSettings;
  log: (level: 'info' | 'warn' | 'error', msg: string, details?: Record<string, unknown>) => void;
  /** The room has no peers left: the owner drops it. */
  onEmpty: (room: Room) => void;
  /** Counts consumers created/closed (metrics). */
  onConsumers?: (delta: number) => void;
  /** An admitted peer left the call (hung up, its grace period ran out, or was replaced by a fresh join). */
  onPeerLeft?: (room: Room, peer: Peer) => void;
  /** An admitted peer's media never flowed (failed), or flowed after all once it had been reported failed. */
  onPeerMedia?: (room: Room, peer: Peer, media: 'failed' | 'flowing') => void;
}

/** What the node knows of a peer's media: pending until RTP moves either way (or nothing was expected yet). */
export type PeerMedia = 'pending' | 'flowing' | 'failed';

/** One router of a room on one worker. A room spreads over several when it outgrows one worker. */
interface RouterPlace {
  router: types.Router;
  slot: WorkerSlot;
  generation: number;
  peers: number;
}

interface ProducerEntry {
  producer: types.Producer;
  peer: Peer;
  place: RouterPlace;
  source: MediaSource;
  /** Simulcast video: what its owner was told to send at most (dynacast). */
  dynacast: Dynacast | null;
}

export class Peer {
  readonly id = randomUUID();
  readonly resumeKey = randomBytes(24).toString('base64url');
  channel: PeerChannel | null = null;
  place: RouterPlace | null = null;
  readonly transports = new Map<string, types.WebRtcTransport>();
  readonly producers = new Map<string, types.Producer>();
  readonly consumers = new Map<string, types.Consumer>();
  rtpCapabilities: types.RtpCapabilities | null = null;
  admitted = false;
  /** When the host admitted it (Date.now()); media is expected from then on. */
  admittedAt: number | null = null;
  media: PeerMedia = 'pending';
  audioOnly = false;
  closed = false;
  graceTimer: NodeJS.Timeout | null = null;
  readonly advisor = new DownlinkAdvisor();
  /** How much video the node sends this peer for its link (audio first): full, low (smallest layer), off (paused). */
  videoCap: VideoCap = 'full';
  /** Per consumer: packets sent and lost (receiver reports) at the last look, for the loss since. */
  readonly lossCounters = new Map<string, { sent: number; lost: number }>();

  constructor(readonly claims: VerifiedRoomToken) {}

  get role() {
    return this.claims.role;
  }

  info(): PeerInfo {
    return {
      peerId: this.id,
      practitionerId: this.claims.sub,
      name: this.claims.name,
      role: this.claims.role,
      admitted: this.admitted,
      audioOnly: this.audioOnly,
    };
  }

  notify<K extends keyof MediaNotifications>(event: K, data: MediaNotifications[K]): void {
    this.channel?.emit(event, data);
  }

  transport(id: string, direction?: TransportDirection): types.WebRtcTransport {
    const t = this.transports.get(id);
    if (!t || (direction && t.appData.direction !== direction)) {
      throw new SignalingError(
        'not_found',
        `no ${direction ?? ''}${direction ? ' ' : ''}transport ${id} of this peer`,
        'transportId',
      );
    }
    return t;
  }

  consumer(id: string): types.Consumer {
    const c = this.consumers.get(id);
    if (!c) throw new SignalingError('not_found', `no consumer ${id} of this peer`, 'consumerId');
    return c;
  }

  producer(id: string): types.Producer {
    const p = this.producers.get(id);
    if (!p) throw new SignalingError('not_found', `no producer ${id} of this peer`, 'producerId');
    return p;
  }
}

/** A consultation's live room: its peers, and routers on one or more workers. */
export class Room {
  readonly peers = new Map<string, Peer>();
  /** Practitioners the host admitted: they skip the waiting room when they come back (rejoin, reload). */
  readonly admittedPractitioners = new Set<string>();
  private places: RouterPlace[] = [];
  private readonly producers = new Map<string, ProducerEntry>();
  private readonly pipes = new Map<string, Promise<void>>();
  private speakerObserver: types.ActiveSpeakerObserver | null = null;
  private placing: Promise<unknown> = Promise.resolve();
  /** True while the room tears its media down on purpose: no per-object notifications. */
  private quiet = false;
  private closed = false;
  private readonly advisorTimer: NodeJS.Timeout;
  private checkingMedia = false;

  constructor(
    readonly id: string,
    private readonly ctx: RoomContext,
  ) {
    this.advisorTimer = setInterval(() => {
      void this.adviseAudioOnly();
      void this.watchMedia();
    }, 2000);
    this.advisorTimer.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  workerSlots(): number[] {
    return this.places.map((p) => p.slot.index);
  }

  consumerCount(): number {
    let n = 0;
    for (const p of this.peers.values()) n += p.consumers.size;
    return n;
  }

  admittedPeers(except?: Peer): Peer[] {
    return [...this.peers.values()].filter((p) => p.admitted && p !== except && !p.closed);
  }

  hosts(): Peer[] {
    return [...this.peers.values()].filter((p) => p.role === 'host' && !p.closed);
  }

  broadcast<K extends keyof MediaNotifications>(
    event: K,
    data: MediaNotifications[K],
    except?: Peer,
  ): void {
    for (const p of this.admittedPeers(except)) p.notify(event, data);
  }

  producerInfos(except?: Peer): ProducerInfo[] {
    return [...this.producers.values()]
      .filter((e) => e.peer !== except)
      .map((e) => this.producerInfo(e));
  }

  ownProducerInfos(peer: Peer): ProducerInfo[] {
    return [...this.producers.values()]
      .filter((e) => e.peer === peer)
      .map((e) => this.producerInfo(e));
  }

  private producerInfo(e: ProducerEntry): ProducerInfo {
    return {
      producerId: e.producer.id,
      peerId: e.peer.id,
      kind: e.producer.kind,
      source: e.source,
      paused: e.producer.paused,
    };
  }

  // ---- placement ----

  /** Puts an admitted peer on a router: the room's least-full one, or a new one on another worker when all are full. */
  async place(peer: Peer): Promise<RouterPlace> {
    const run = this.placing.then(() => this.placeNow(peer));
    this.placing = run.catch(() => undefined);
    return run;
  }

  private async placeNow(peer: Peer): Promise<RouterPlace> {
    if (peer.place && !peer.place.router.closed) return peer.place;
    this.places = this.places.filter((p) => !p.router.closed);
    const cap = this.ctx.settings.peersPerRouter;
    let target = [...this.places].sort((a, b) => a.peers - b.peers)[0] as RouterPlace | undefined;
    if (!target || target.peers >= cap) {
      const slot = this.ctx.pool.pick(new Set(this.places.map((p) => p.slot.index)));
      if (slot) target = await this.createPlace(slot);
      else if (!target)
        throw new SignalingError(
          'unavailable',
          'no media worker is running; try again in a moment',
        );
    }
    if (peer.closed || this.closed)
      throw new SignalingError('not_joined', 'the peer left while it was being placed');
    peer.place = target!;
    target!.peers++;
    target!.slot.load++;
    return target!;
  }

  private async createPlace(slot: WorkerSlot): Promise<RouterPlace> {
    const worker = slot.worker;
    if (!worker || worker.closed)
      throw new SignalingError(
        'unavailable',
        'the media worker is restarting; try again in a moment',
      );
    const router = await worker.createRouter({
      mediaCodecs: ROUTER_MEDIA_CODECS,
      appData: { room: this.id },
    });
    const place: RouterPlace = { router, slot, generation: slot.generation, peers: 0 };
    // A dead worker closes its routers (and everything on them) before anyone hears of it: start over for the whole room.
    router.on('workerclose', () => this.reset('worker_died'));
    if (this.closed) {
      router.close();
      throw new SignalingError('not_joined', 'the room closed');
    }
    this.places.push(place);
    if (!this.speakerObserver || this.speakerObserver.closed) {
      this.speakerObserver = await router.createActiveSpeakerObserver({
        interval: 300,
        appData: { routerId: router.id },
      });
      this.speakerObserver.on('dominantspeaker', ({ producer }) => {
        const e = this.producers.get(producer.id);
        if (e) this.broadcast('activeSpeaker', { peerId: e.peer.id, producerId: producer.id });
      });
    }
    this.ctx.log('info', 'room router created', {
      room: this.id,
      worker: slot.index,
      routers: this.places.length,
    });
    return place;
  }

  rtpCapabilities(peer: Peer): types.RtpCapabilities {
    if (!peer.place || peer.place.router.closed)
      throw new SignalingError('not_admitted', 'the peer has no router yet');
    return peer.place.router.rtpCapabilities;
  }

  /** Makes a producer living on another worker's router available on `target` (once per producer and router). */
  private async ensurePiped(entry: ProducerEntry, target: RouterPlace): Promise<void> {
    if (entry.place === target) return;
    const key = `${entry.producer.id}>${target.router.id}`;
    let p = this.pipes.get(key);
    if (!p) {
      p = entry.place.router
        .pipeToRouter({ producerId: entry.producer.id, router: target.router })
        .then(() => undefined);
      this.pipes.set(key, p);
      p.catch(() => this.pipes.delete(key));
    }
    await p;
  }

  // ---- transports ----

  async createTransport(peer: Peer, direction: TransportDirection): Promise<TransportInfo> {
    if (direction === 'send' && peer.role === 'observer')
      throw new SignalingError('forbidden', 'observers receive only; they cannot send media');
    const place = await this.place(peer);
    const webRtcServer = place.slot.webRtcServer;
    if (!webRtcServer || place.router.closed)
      throw new SignalingError('unavailable', 'the media worker is restarting; rejoin');
    // One transport per direction: asking again replaces the old one (a client starting its media over).
    for (const t of peer.transports.values()) if (t.appData.direction === direction) t.close();
    const transport = await place.router.createWebRtcTransport({
      webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: 1_000_000,
      appData: { direction, peerId: peer.id },
    });
    if (peer.closed) {
      transport.close();
      throw new SignalingError('not_joined', 'the peer left');
    }
    peer.transports.set(transport.id, transport);
    transport.observer.on('close', () => peer.transports.delete(transport.id));
    if (direction === 'send')
      await transport.setMaxIncomingBitrate(this.ctx.settings.maxIncomingBitrate);
    else await transport.setMaxOutgoingBitrate(this.ctx.settings.maxOutgoingBitrate);
    return {
      id: transport.id,
      direction,
      iceParameters: transport.iceParameters as unknown as Record<string, unknown>,
      iceCandidates: transport.iceCandidates as unknown as Record<string, unknown>[],
      dtlsParameters: transport.dtlsParameters as unknown as Record<string, unknown>,
    };
  }

  async connectTransport(
    peer: Peer,
    transportId: string,
    dtlsParameters: Record<string, unknown>,
  ): Promise<void> {
    await peer
      .transport(transportId)
      .connect({ dtlsParameters: dtlsParameters as unknown as types.DtlsParameters });
  }

  async restartIce(peer: Peer, transportId: string): Promise<Record<string, unknown>> {
    return (await peer.transport(transportId).restartIce()) as unknown as Record<string, unknown>;
  }

  // ---- producers ----

  async produce(peer: Peer, req: ProduceRequest): Promise<string> {
    if (peer.role === 'observer')
      throw new SignalingError('forbidden', 'observers receive only; they cannot send media');
    const transport = peer.transport(req.transportId, 'send');
    if (peer.producers.size >= 6)
      throw new SignalingError('forbidden', 'a peer sends at most 6 streams');
    const producer = await transport.produce({
      kind: req.kind,
      rtpParameters: req.rtpParameters as unknown as types.RtpParameters,
      paused: req.paused ?? false,
      appData: { source: req.source, peerId: peer.id },
    });
    const place = peer.place!;
    if (peer.closed || transport.closed || place.router.closed) {
      producer.close();
      throw new SignalingError('not_joined', 'the peer or its transport closed meanwhile');
    }
    const layers = producer.rtpParameters.encodings?.length ?? 1;
    const entry: ProducerEntry = {
      producer,
      peer,
      place,
      source: req.source,
      dynacast: producer.kind === 'video' && layers > 1 ? new Dynacast(layers) : null,
    };
    peer.producers.set(producer.id, producer);
    this.producers.set(producer.id, entry);
    producer.observer.on('close', () => this.forgetProducer(entry));
    producer.on('score', (scores) => {
      if (scores.length)
        peer.notify('score', {
          producerId: producer.id,
          score: Math.min(...scores.map((s) => s.score)),
        });
    });
    if (producer.kind === 'audio') void this.observeSpeaker(entry);
    this.broadcast('newProducer', this.producerInfo(entry), peer);
    return producer.id;
  }

  private async observeSpeaker(entry: ProducerEntry): Promise<void> {
    const observer = this.speakerObserver;
    const primary =
      this.places.find(
        (p) => !p.router.closed && observer && p.router.id === observer.appData.routerId,
      ) ?? this.places[0];
    if (!observer || observer.closed || !primary) return;
    try {
      await this.ensurePiped(entry, primary);
      await observer.addProducer({ producerId: entry.producer.id });
    } catch (e) {
      if (!entry.producer.closed)
        this.ctx.log('warn', 'active speaker observer could not add a producer', {
          room: this.id,
          error: String(e),
        });
    }
  }

  private forgetProducer(entry: ProducerEntry): void {
    const id = entry.producer.id;
    entry.peer.producers.delete(id);
    this.producers.delete(id);
    for (const key of [...this.pipes.keys()]) if (key.startsWith(`${id}>`)) this.pipes.delete(key);
    if (!this.quiet && !entry.place.router.closed)
      this.broadcast('producerClosed', { producerId: id, peerId: entry.peer.id }, entry.peer);
  }

  closeProducer(peer: Peer, producerId: string): void {
    peer.producer(producerId).close();
  }

  async pauseProducer(peer: Peer, producerId: string, pause: boolean): Promise<void> {
    const p = peer.producer(producerId);
    if (pause) await p.pause();
    else await p.resume();
  }

  /** Host mutes another peer: the server pauses its producers of that kind and tells it. */
  async mute(host: Peer, target: Peer, kind: MediaKind): Promise<string[]> {
    const ids: string[] = [];
    for (const p of target.producers.values()) {
      if (p.kind !== kind) continue;
      await p.pause();
      ids.push(p.id);
    }
    target.notify('muted', { kind, by: host.id, producerIds: ids });
    return ids;
  }

  // ---- consumers ----

  async consume(peer: Peer, req: ConsumeRequest): Promise<ConsumeResult> {
    const entry = this.producers.get(req.producerId);
    if (!entry)
      throw new SignalingError(
        'not_found',
        `no producer ${req.producerId} in this room`,
        'producerId',
      );
    if (entry.peer === peer)
      throw new SignalingError('cannot_consume', 'a peer does not consume its own producer');
    if (req.rtpCapabilities)
      peer.rtpCapabilities = req.rtpCapabilities as unknown as types.RtpCapabilities;
    if (!peer.rtpCapabilities)
      throw new SignalingError(
        'invalid_message',
        'send rtpCapabilities with the first consume',
        'rtpCapabilities',
      );
    let transport: types.WebRtcTransport | undefined;
    if (req.transportId) transport = peer.transport(req.transportId, 'recv');
    else transport = [...peer.transports.values()].find((t) => t.appData.direction === 'recv');
    if (!transport)
      throw new SignalingError('not_found', 'create a recv transport first', 'transportId');
    const place = peer.place!;
    await this.ensurePiped(entry, place);
    if (
      !place.router.canConsume({
        producerId: entry.producer.id,
        rtpCapabilities: peer.rtpCapabilities,
      })
    ) {
      throw new SignalingError(
        'cannot_consume',
        'the device cannot receive this producer (no common codec)',
        'rtpCapabilities',
      );
    }
    for (const c of peer.consumers.values()) {
      if (c.producerId === entry.producer.id && c.appData.transportId === transport.id) {
        throw new SignalingError('cannot_consume', 'already consuming this producer', 'producerId');
      }
    }
    const consumer = await transport.consume({
      producerId: entry.producer.id,
      rtpCapabilities: peer.rtpCapabilities,
      // Always start paused: the client resumes once its side is ready (no lost key frame).
      paused: true,
      ...(entry.producer.kind === 'video' && entry.source === 'camera'
        ? { preferredLayers: { spatialLayer: 2 } }
        : {}),
      appData: {
        peerId: peer.id,
        transportId: transport.id,
        clientPaused: true,
        source: entry.source,
        wantedSpatial: null,
        wantedTemporal: null,
      },
    });
    if (peer.closed || transport.closed) {
      consumer.close();
      throw new SignalingError('not_joined', 'the peer or its transport closed meanwhile');
    }
    peer.consumers.set(consumer.id, consumer);
    this.ctx.onConsumers?.(1);
    if (consumer.kind === 'video' && peer.videoCap === 'low')
      await this.applyLayers(peer, consumer).catch(() => undefined);
    consumer.observer.on('close', () => {
      peer.consumers.delete(consumer.id);
      peer.lossCounters.delete(consumer.id);
      this.ctx.onConsumers?.(-1);
      if (!this.quiet && !peer.closed && !place.router.closed)
        peer.notify('consumerClosed', { consumerId: consumer.id, producerId: consumer.producerId });
    });
    consumer.on('producerpause', () => peer.notify('consumerPaused', { consumerId: consumer.id }));
    consumer.on('producerresume', () =>
      peer.notify('consumerResumed', { consumerId: consumer.id }),
    );
    consumer.on('score', (s) =>
      peer.notify('score', {
        consumerId: consumer.id,
        score: s.score,
        producerScore: s.producerScore,
      }),
    );
    consumer.on('layerschange', (l) =>
      peer.notify('consumerLayersChanged', {
        consumerId: consumer.id,
        spatialLayer: l?.spatialLayer ?? null,
        temporalLayer: l?.temporalLayer ?? null,
      }),
    );
    return {
      consumerId: consumer.id,
      producerId: entry.producer.id,
      peerId: entry.peer.id,
      kind: consumer.kind,
      source: entry.source,
      rtpParameters: consumer.rtpParameters as unknown as Record<string, unknown>,
      type: consumer.type,
      producerPaused: consumer.producerPaused,
    };
  }

  async pauseConsumer(peer: Peer, consumerId: string, pause: boolean): Promise<void> {
    const c = peer.consumer(consumerId);
    c.appData.clientPaused = pause;
    if (pause) await c.pause();
    else if (!(c.kind === 'video' && (peer.audioOnly || peer.videoCap === 'off'))) await c.resume();
    this.refreshDynacast(c.producerId);
  }

  async setPreferredLayers(
    peer: Peer,
    consumerId: string,
    spatialLayer: number,
    temporalLayer?: number,
  ): Promise<void> {
    const c = peer.consumer(consumerId);
    if (c.type !== 'simulcast' && c.type !== 'svc')
      throw new SignalingError('invalid_message', 'this consumer has a single layer', 'consumerId');
    c.appData.wantedSpatial = spatialLayer;
    c.appData.wantedTemporal = temporalLayer ?? null;
    await this.applyLayers(peer, c);
    this.refreshDynacast(c.producerId);
  }

  /** A video consumer's preferred layers: what its receiver asked for, no more than its link's cap allows. */
  private async applyLayers(peer: Peer, c: types.Consumer): Promise<void> {
    if (c.closed || (c.type !== 'simulcast' && c.type !== 'svc')) return;
    const wantedSpatial = c.appData.wantedSpatial as number | null;
    const wantedTemporal = c.appData.wantedTemporal as number | null;
    // Capped: the smallest layer at the frame rate the receiver asked for (all of it by default):
    // halving it saved little of a small layer and made a thin link's picture stutter; a trial up
    // from off gets a quarter of the frames (DownlinkAdvisor.lowTemporalLayer).
    if (peer.videoCap === 'low') {
      const trial = peer.advisor.lowTemporalLayer;
      const temporal = trial === null ? wantedTemporal : Math.min(trial, wantedTemporal ?? trial);
      await c.setPreferredLayers({
        spatialLayer: 0,
        ...(temporal !== null ? { temporalLayer: temporal } : {}),
      });
    } else
      await c.setPreferredLayers({
        spatialLayer: wantedSpatial ?? 9,
        ...(wantedTemporal !== null ? { temporalLayer: wantedTemporal } : {}),
      });
  }

  /** Audio-only: the server stops forwarding video to this peer (and forwards it again when turned off). */
  async setAudioOnly(peer: Peer, enabled: boolean): Promise<void> {
    peer.audioOnly = enabled;
    for (const c of peer.consumers.values()) {
      if (c.kind !== 'video') continue;
      if (enabled) await c.pause();
      else if (!c.appData.clientPaused && peer.videoCap !== 'off') await c.resume();
    }
    this.refreshDynacast();
  }

  /**
   * Every 2 s, per receiving peer: the node's estimate of the bitrate it can send it (its receive
   * transport) and the loss it reports on what it was sent decide how much video it gets (audio
   * first: capped to the smallest layer, or paused, and back by trial), and whether to suggest
   * audio-only. Then dynacast follows what is wanted.
   */
  private async adviseAudioOnly(): Promise<void> {
    const now = Date.now();
    for (const peer of [...this.peers.values()]) {
      if (peer.audioOnly || !peer.channel || peer.closed) continue;
      const recv = [...peer.transports.values()].find(
        (t) => t.appData.direction === 'recv' && !t.closed,
      );
      if (!recv || !peer.consumers.size) continue;
      try {
        const sample = await this.downlinkSample(peer, recv);
        const advice = peer.advisor.observe(sample, now);
        if (advice.cap !== peer.videoCap)
          await this.setVideoCap(peer, advice.cap, sample.availableKbps, sample.lossPct);
        else if (advice.relayer)
          for (const c of [...peer.consumers.values()])
            if (c.kind === 'video') await this.applyLayers(peer, c);
        if (advice.suggest) peer.notify('suggestAudioOnly', advice.suggest);
      } catch {
        // a transport or consumer closed meanwhile: next round
      }
    }
    this.refreshDynacast();
  }

  private async downlinkSample(peer: Peer, recv: types.WebRtcTransport) {
    const [ts] = await recv.getStats();
    const consumers = [...peer.consumers.values()].filter((c) => !c.closed);
    let sent = 0;
    let lost = 0;
    let rttMs: number | null = null;
    for (const c of consumers) {
      if (c.paused || c.producerPaused) continue;
      const out = (await c.getStats().catch(() => [])).find((x) => x.type === 'outbound-rtp') as
        { packetCount?: number; packetsLost?: number; roundTripTime?: number } | undefined;
      if (!out) continue;
      if (typeof out.roundTripTime === 'number' && out.roundTripTime > 0)
        rttMs = Math.max(rttMs ?? 0, out.roundTripTime);
      const now = { sent: out.packetCount ?? 0, lost: out.packetsLost ?? 0 };
      const was = peer.lossCounters.get(c.id);
      peer.lossCounters.set(c.id, now);
      if (!was) continue;
      sent += Math.max(0, now.sent - was.sent);
      lost += Math.max(0, now.lost - was.lost);
    }
    const scores = consumers
      .filter((c) => c.kind === 'video' && !c.paused && !c.producerPaused)
      .map((c) => c.score.score);
    return {
      scores,
      availableKbps:
        typeof ts?.availableOutgoingBitrate === 'number' && ts.availableOutgoingBitrate > 0
          ? ts.availableOutgoingBitrate / 1000
          : null,
      lossPct: sent + lost > 20 ? (lost / (sent + lost)) * 100 : null,
      rttMs,
    };
  }

  /** Applies a peer's link cap to the video it receives: off pauses it (the peer hears consumerPaused), low caps its layers. */
  private async setVideoCap(
    peer: Peer,
    cap: VideoCap,
    availableKbps: number | null,
    lossPct: number | null,
  ): Promise<void> {
    const was = peer.videoCap;
    peer.videoCap = cap;
    this.ctx.log('info', 'video to a peer capped for its link', {
      room: this.id,
      peer: peer.id,
      from: was,
      to: cap,
      availableKbps,
      lossPct,
    });
    for (const c of [...peer.consumers.values()]) {
      if (c.kind !== 'video' || c.closed) continue;
      if (cap === 'off') {
        if (!c.paused) {
          await c.pause();
          peer.notify('consumerPaused', { consumerId: c.id });
        }
        continue;
      }
      await this.applyLayers(peer, c);
      if (was === 'off' && c.paused && !c.appData.clientPaused && !peer.audioOnly) {
        await c.resume();
        if (!c.producerPaused) peer.notify('consumerResumed', { consumerId: c.id });
      }
    }
  }

  /** Dynacast: tells each simulcast producer's owner the highest layer wanted now (see dynacast.ts). */
  private refreshDynacast(producerId?: string): void {
    const now = Date.now();
    for (const entry of this.producers.values()) {
      if (
        !entry.dynacast ||
        entry.producer.closed ||
        (producerId && entry.producer.id !== producerId)
      )
        continue;
      const wants = [];
      for (const p of this.peers.values()) {
        for (const c of p.consumers.values()) {
          if (c.producerId !== entry.producer.id || c.closed) continue;
          wants.push({ paused: c.paused, spatialLayer: c.preferredLayers?.spatialLayer });
        }
      }
      const tell = entry.dynacast.update(highestWantedLayer(wants, entry.dynacast.layers), now);
      if (tell !== null)
        entry.peer.notify('producerLayers', {
          producerId: entry.producer.id,
          maxSpatialLayer: tell,
        });
    }
  }

  // ---- media that never flows ----

  /**
   * Whether RTP moved between this peer and the node: its sending transport received RTP, or its
   * receiving one sent some (probation padding aside). null while nothing is expected yet: it
   * sends nothing unpaused and receives nothing unpaused (alone with camera and microphone off).
   */
  async mediaFlowed(peer: Peer): Promise<boolean | null> {
    let moved = false;
    for (const t of [...peer.transports.values()]) {
      if (t.closed) continue;
      const [st] = await t.getStats().catch(() => []);
      if (!st) continue;
      if (
        t.appData.direction === 'send'
          ? st.rtpBytesReceived > 0
          : st.rtpBytesSent - (st.probationBytesSent ?? 0) > 0
      )
        moved = true;
    }
    if (moved) return true;
    const sends = [...peer.producers.values()].some((p) => !p.closed && !p.paused);
    const receives = [...peer.consumers.values()].some(
      (c) => !c.closed && !c.paused && !c.producerPaused,
    );
    return sends || receives ? false : null;
  }

  /**
   * Sets a peer's media verdict from the node's own view; `limitReached`: the time it had is over
   * (noMediaMs since it was admitted, or its client says nothing came). Tells the owner on a change to failed, or from
   * failed to flowing.
   */
  async judgeMedia(peer: Peer, limitReached: boolean): Promise<PeerMedia> {
    if (peer.media === 'flowing' || peer.closed || !peer.admitted) return peer.media;
    const flowed = await this.mediaFlowed(peer);
    if (peer.closed || (peer.media as PeerMedia) === 'flowing') return peer.media;
    if (flowed) {
      const was = peer.media;
      peer.media = 'flowing';
      if (was === 'failed') this.ctx.onPeerMedia?.(this, peer, 'flowing');
    } else if (flowed === false && limitReached && peer.media === 'pending') {
      peer.media = 'failed';
      this.ctx.log('warn', 'media never flowed for a peer', {
        room: this.id,
        peer: peer.id,
        practitioner: peer.claims.sub,
        transports: peer.transports.size,
      });
      this.ctx.onPeerMedia?.(this, peer, 'failed');
    }
    return peer.media;
  }

  /** Every 2 s: peers admitted noMediaMs ago whose media has not been seen to flow (or was reported failed). */
  private async watchMedia(): Promise<void> {
    if (this.checkingMedia || this.closed) return;
    this.checkingMedia = true;
    try {
      const now = Date.now();
      const limit = this.ctx.settings.noMediaMs ?? 10_000;
      for (const peer of [...this.peers.values()]) {
        if (peer.media === 'flowing' || !peer.admitted || peer.admittedAt === null) continue;
        await this.judgeMedia(peer, now - peer.admittedAt >= limit).catch(() => undefined);
      }
    } finally {
      this.checkingMedia = false;
    }
  }

  // ---- peers ----

  addPeer(peer: Peer): void {
    this.peers.set(peer.id, peer);
  }

  /** Closes a peer's media and removes it; the others hear peerLeft. */
  closePeer(peer: Peer): void {
    if (peer.closed) return;
    peer.closed = true;
    if (peer.graceTimer) clearTimeout(peer.graceTimer);
    for (const t of peer.transports.values()) t.close();
    if (peer.place) {
      peer.place.peers--;
      if (peer.place.generation === peer.place.slot.generation) peer.place.slot.load--;
      peer.place = null;
    }
    this.peers.delete(peer.id);
    if (peer.admitted) this.ctx.onPeerLeft?.(this, peer);
    if (peer.admitted) this.broadcast('peerLeft', { peerId: peer.id });
    else for (const h of this.hosts()) h.notify('peerLeft', { peerId: peer.id });
    if (this.peers.size === 0) this.ctx.onEmpty(this);
  }

  /**
   * Drops all media of the room (routers on every worker) and asks connected peers to join
   * again; peers away in their grace period are closed (they come back with a fresh join).
   */
  reset(reason: RejoinReason): void {
    if (this.closed || this.quiet) return;
    this.quiet = true;
    try {
      this.ctx.log('warn', 'room reset', { room: this.id, reason, peers: this.peers.size });
      this.dropMedia();
      for (const peer of [...this.peers.values()]) {
        if (!peer.channel) this.closePeer(peer);
      }
    } finally {
      this.quiet = false;
    }
    for (const peer of this.peers.values()) peer.notify('rejoin', { reason });
  }

  private dropMedia(): void {
    for (const peer of this.peers.values()) {
      if (peer.place) {
        if (peer.place.generation === peer.place.slot.generation) peer.place.slot.load--;
        peer.place = null;
      }
    }
    this.speakerObserver = null;
    for (const p of this.places) p.router.close();
    this.places = [];
    this.producers.clear();
    this.pipes.clear();
    for (const peer of this.peers.values()) {
      peer.transports.clear();
      peer.producers.clear();
      peer.consumers.clear();
    }
  }

  close(): void {
    if (this.closed) return;
    this.quiet = true;
    clearInterval(this.advisorTimer);
    for (const peer of this.peers.values()) {
      peer.closed = true;
      if (peer.graceTimer) clearTimeout(peer.graceTimer);
    }
    this.dropMedia();
    this.peers.clear();
    this.closed = true;
  }
}
