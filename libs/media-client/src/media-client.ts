import { Device, type types } from 'mediasoup-client';
import { io, type Socket } from 'socket.io-client';
import {
  type Ack,
  type ConsumeResult,
  type IceServer,
  type JoinResult,
  MEDIA_NAMESPACE,
  type MediaKind,
  type MediaNotifications,
  type MediaRequestName,
  type MediaRequests,
  type MediaSetup,
  type MediaSource,
  type PeerInfo,
  type ProducerInfo,
  type RtpCapabilitiesJson,
  type SignalingErrorCode,
  type TransportInfo,
  rtpCapabilitiesKey,
} from '@huizhen/media-signaling';
import type { VideoCap } from '@huizhen/media-signaling';
import { debugging, keepRouterCaps, keptRouterCaps } from './client-memory';
import { Emitter } from './emitter';
import { CAMERA_CAPTURE, type CameraEncoding, cameraEncodings } from './publish-profile';
import { SendGovernor } from './send-governor';
import {
  HEALTH_DEFAULTS,
  type HealthOptions,
  type RoomHealth,
  type SampledRemote,
  type TrackMemory,
  assessRoom,
  inboundSample,
} from './receive-health';

/** The parts of a browser MediaStreamTrack the client touches (no DOM typings needed to build it). */
export interface TrackLike {
  readonly id: string;
  readonly kind: string;
  readonly readyState?: string;
  enabled: boolean;
  stop(): void;
}

export type MediaClientState =
  'idle' | 'connecting' | 'waiting' | 'joined' | 'reconnecting' | 'rejoining' | 'closed';

export interface RemoteTrack {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  track: TrackLike;
  /** mediasoup-client Consumer: getStats(), rtpReceiver. */
  consumer: types.Consumer;
  /** The sender paused it (muted, camera off): nothing is expected to arrive. */
  producerPaused: boolean;
}

export interface MediaClientOptions {
  /** Origin of the media node (or the single server), e.g. `https://huizhen.example.org`. */
  url: string;
  room: string;
  /** Room token, or a function fetching a fresh one (called on every (re)connect). */
  token: string | (() => string | Promise<string>);
  /** Ack timeout per request (default 10 s). */
  requestTimeoutMs?: number;
  /** Consume every producer of the room as it appears (default true). */
  autoConsume?: boolean;
  /** Time a transport may sit in `disconnected` before an ICE restart (default 2 s). */
  iceRestartAfterMs?: number;
  /** After an ICE restart, time to get back to `connected` before a full rejoin (default 8 s). */
  iceRestartGiveUpMs?: number;
  /**
   * Simulcast encodings for camera video (default: by the capture's size, see publish-profile:
   * 1/4, 1/2 and full size from 540 lines up). The camera is asked for 720p first (CAMERA_CAPTURE)
   * unless `cameraCapture` is false.
   */
  cameraEncodings?: types.RtpEncodingParameters[];
  /** Ask the camera track for CAMERA_CAPTURE (1280x720) before publishing it (default true). */
  cameraCapture?: boolean;
  /** mediasoup-client handler (tests); default: detected from the browser. */
  handlerName?: types.BuiltinHandlerName;
  /** socket.io transports (default websocket only). */
  transports?: ('websocket' | 'polling')[];
  /** How often what arrives is sampled with getStats() (default 0.5 s; 0: never, no health events). */
  healthIntervalMs?: number;
  /** Stall and no-media limits (default 2 s and 10 s). */
  health?: Partial<HealthOptions>;
}

export interface MediaClientEvents {
  state: [MediaClientState];
  track: [RemoteTrack];
  trackEnded: [{ consumerId: string; producerId: string; peerId: string }];
  peerJoined: [PeerInfo];
  peerLeft: [{ peerId: string }];
  peerWaiting: [PeerInfo];
  admitted: [];
  muted: [MediaNotifications['muted']];
  consumerPaused: [{ consumerId: string }];
  consumerResumed: [{ consumerId: string }];
  consumerLayersChanged: [MediaNotifications['consumerLayersChanged']];
  score: [MediaNotifications['score']];
  activeSpeaker: [MediaNotifications['activeSpeaker']];
  suggestAudioOnly: [MediaNotifications['suggestAudioOnly']];
  roomEnded: [{ by: string }];
  /** The signaling connection came back and re-attached to the same peer (media kept flowing). */
  resumed: [{ afterMs: number }];
  /** Media was set up again from scratch (worker died, resume impossible, ICE gone). */
  rejoined: [{ reason: string; afterMs: number }];
  iceRestarted: [{ direction: 'send' | 'recv' }];
  /** Every healthIntervalMs while in the room. */
  health: [RoomHealth];
  /** The camera's video was capped or turned off (or back) to fit the uplink: audio first. */
  videoCap: [
    { source: MediaSource; cap: VideoCap; availableKbps: number | null; lossPct: number | null },
  ];
  /** Media never flowed within noMediaMs of joining; the server was told (recorded: it agreed and recorded the call as failed). */
  mediaFailed: [{ recorded: boolean | null }];
  error: [Error];
}

export class MediaRequestError extends Error {
  constructor(
    readonly code: SignalingErrorCode | 'timeout' | 'disconnected' | 'closed',
    message: string,
    readonly request?: string,
  ) {
    super(message);
    this.name = 'MediaRequestError';
  }
}

/** Thrown inside a superseded (re)join: a newer one took over. */
class Superseded extends Error {}

interface Published {
  track: TrackLike;
  producer: types.Producer | null;
  paused: boolean;
  /** Camera only: keeps its encodings fitting the uplink and what the room watches. */
  governor?: SendGovernor | null;
}

/**
 * A participant in a Huizhen consultation room: signaling over socket.io /media, media with
 * mediasoup-client. Survives real networks: a dropped socket resumes the same peer, a dropped
 * media path restarts ICE, and anything worse (a dead SFU worker) rejoins from scratch, re-publishing
 * the same tracks.
 */
export class MediaClient extends Emitter<MediaClientEvents> {
  private readonly socket: Socket;
  private device: Device | null = null;
  private deviceCaps = '';
  /** Join fast: the device loaded (before the socket connects) from the router capabilities kept from an earlier join. */
  private devicePreload: Promise<void> | null = null;
  /** The socket was opened ahead of the join (warm()): joining is one request on it. */
  private warmed = false;
  private joinStarted = Date.now();
  /** Join steps with their time since the client was made (the debug timeline; `localStorage['huizhen.media.debug'] = '1'` prints it). */
  readonly timeline: { step: string; ms: number; at: number }[] = [];
  private sendTransport: types.Transport | null = null;
  private recvTransport: types.Transport | null = null;
  private sendTransportReady: Promise<types.Transport> | null = null;
  private readonly published = new Map<MediaSource, Published>();
  private readonly remote = new Map<string, RemoteTrack>();
  private readonly consuming = new Set<string>();
  private iceServers: IceServer[] = [];
  private joinInfo: JoinResult | null = null;
  private _state: MediaClientState = 'idle';
  private epoch = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private pendingJoin: { reason: string; started: number } | null = null;
  private readonly pendingProducers = new Map<string, ProducerInfo>();
  private disconnectedAt = 0;
  private joinedOnce: ((v: JoinResult) => void) | null = null;
  private joinFailed: ((e: Error) => void) | null = null;
  private readonly iceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly opts: Required<Omit<MediaClientOptions, 'handlerName' | 'health'>> &
    Pick<MediaClientOptions, 'handlerName'>;
  private readonly healthOpts: HealthOptions;
  private readonly monitor = {
    timer: null as ReturnType<typeof setInterval> | null,
    sampling: false,
    joinedAt: null as number | null,
    everFlowed: false,
    reported: false,
    memories: new Map<string, TrackMemory>(),
    scores: new Map<string, number>(),
    audioOnly: false,
    last: null as RoomHealth | null,
  };

  constructor(options: MediaClientOptions) {
    super();
    this.opts = {
      requestTimeoutMs: 10_000,
      autoConsume: true,
      iceRestartAfterMs: 2_000,
      iceRestartGiveUpMs: 8_000,
      cameraEncodings: [],
      cameraCapture: true,
      transports: ['websocket'],
      healthIntervalMs: 500,
      ...options,
    };
    this.healthOpts = { ...HEALTH_DEFAULTS, ...options.health };
    this.socket = io(this.opts.url.replace(/\/$/, '') + MEDIA_NAMESPACE, {
      autoConnect: false,
      // Its own connection: in a web app another socket (e.g. /events) on the same origin would
      // otherwise share one Manager, whose options (transports, reconnection delays) would win.
      forceNew: true,
      transports: this.opts.transports,
      reconnectionDelay: 250,
      reconnectionDelayMax: 2000,
      timeout: 5000,
      auth: (cb) => {
        const token = this.opts.token;
        const resume = this.joinInfo?.resumeKey;
        Promise.resolve(typeof token === 'function' ? token() : token).then(
          (t) => cb(resume ? { token: t, resume } : { token: t }),
          (e) => {
            this.emit('error', e instanceof Error ? e : new Error(String(e)));
            cb({});
          },
        );
      },
    });
    this.wireSocket();
  }

  get state(): MediaClientState {
    return this._state;
  }
  get peerId(): string | null {
    return this.joinInfo?.peerId ?? null;
  }
  get role() {
    return this.joinInfo?.role ?? null;
  }
  get remoteTracks(): RemoteTrack[] {
    return [...this.remote.values()];
  }
  get transports(): { send: types.Transport | null; recv: types.Transport | null } {
    return { send: this.sendTransport, recv: this.recvTransport };
  }
  /** The latest judgement of what arrives (null before the first sample). */
  get health(): RoomHealth | null {
    return this.monitor.last;
  }
  producerOf(source: MediaSource): types.Producer | null {
    return this.published.get(source)?.producer ?? null;
  }

  private setState(s: MediaClientState): void {
    if (this._state === s) return;
    this._state = s;
    this.emit('state', s);
  }

  /**
   * Join fast: opens the signaling socket (the room token's handshake) and loads the device from
   * kept router capabilities, without joining, so that a later join() is one request on an open
   * socket. The page that shows the join button calls it; whoever warms a client closes it
   * (close()) when the user goes elsewhere. Idempotent; no effect after join() or close().
   */
  warm(): void {
    if (this._state !== 'idle' || this.warmed) return;
    this.warmed = true;
    this.mark('warm');
    this.socket.connect();
    this.preloadDevice();
  }

  /** Connects (unless warm) and joins; resolves once admitted and media is set up (after the waiting room, if any). */
  join(): Promise<JoinResult> {
    if (this._state !== 'idle') throw new Error('join() once per client');
    this.joinStarted = Date.now();
    this.setState('connecting');
    this.mark('join');
    return new Promise<JoinResult>((resolve, reject) => {
      this.joinedOnce = resolve;
      this.joinFailed = reject;
      if (this.socket.connected) {
        // Warm: the socket is open, join on it now.
        void this.serial(() => this.fullJoin('join')).catch((e) => this.failed(e));
        return;
      }
      // Not yet connected (or warm and still connecting): the connect handler joins.
      if (!this.socket.active) this.socket.connect();
      this.preloadDevice();
    });
  }

  /** Closes a client without leaving a room (a warm socket nobody used). */
  close(): void {
    if (this._state === 'closed') return;
    if (this._state === 'idle') {
      this.warmed = false;
      this.shutdown();
    } else void this.leave();
  }

  /** While the socket connects: load the device from the capabilities kept from the last join. */
  private preloadDevice(): void {
    if (this.devicePreload || this.device) return;
    const kept = keptRouterCaps(this.opts.url);
    if (kept) this.devicePreload = this.loadDevice(kept, null).catch(() => undefined);
  }

  /** Records a join step in the timeline (and prints it when debugging). */
  mark(step: string): void {
    const at = Date.now();
    const ms = at - this.joinStarted;
    this.timeline.push({ step, ms, at });
    if (this.timeline.length > 200) this.timeline.shift();
    if (debugging()) console.debug(`[huizhen media] +${ms} ms ${step}`);
  }

  /** Sends a request and waits for its ack; throws MediaRequestError. */
  async request<K extends MediaRequestName>(
    name: K,
    payload: MediaRequests[K][0],
  ): Promise<MediaRequests[K][1]> {
    if (this._state === 'closed')
      throw new MediaRequestError('closed', 'the client is closed', name);
    // Never let socket.io buffer a request across a reconnect: it would run before the resume.
    if (!this.socket.connected)
      throw new MediaRequestError('disconnected', 'signaling is reconnecting', name);
    let ack: Ack<MediaRequests[K][1]>;
    try {
      ack = await this.socket.timeout(this.opts.requestTimeoutMs).emitWithAck(name, payload);
    } catch {
      throw new MediaRequestError(
        this.socket.connected ? 'timeout' : 'disconnected',
        `${name}: no answer in ${this.opts.requestTimeoutMs} ms`,
        name,
      );
    }
    if (ack.error) throw new MediaRequestError(ack.error.code, ack.error.message, name);
    return ack.data as MediaRequests[K][1];
  }

  // ---- publishing ----

  /** Publishes a camera/mic/screen track (paused: produced paused); kept across resumes and re-published after a rejoin. */
  async publish(
    track: TrackLike,
    source: MediaSource,
    opts: { paused?: boolean } = {},
  ): Promise<string> {
    if (this.joinInfo?.role === 'observer')
      throw new MediaRequestError('forbidden', 'observers cannot publish', 'produce');
    const existing = this.published.get(source);
    if (existing?.producer && !existing.producer.closed) {
      if (existing.track !== track) {
        await existing.producer.replaceTrack({ track: track as never });
        existing.track = track;
      }
      return existing.producer.id;
    }
    // paused: produced paused (an audio-only start keeps the camera ready to switch on).
    const entry: Published = { track, producer: null, paused: opts.paused ?? false };
    this.published.set(source, entry);
    if (this._state !== 'joined') return ''; // produced when the media setup runs
    return this.produce(source, entry, this.epoch);
  }

  async unpublish(source: MediaSource): Promise<void> {
    const entry = this.published.get(source);
    this.published.delete(source);
    if (!entry?.producer) return;
    const id = entry.producer.id;
    entry.producer.close();
    await this.request('closeProducer', { producerId: id }).catch(() => undefined);
  }

  async setPublishingPaused(source: MediaSource, paused: boolean): Promise<void> {
    const entry = this.published.get(source);
    if (!entry) return;
    entry.paused = paused;
    if (!entry.producer) return;
    if (paused) entry.producer.pause();
    else entry.producer.resume();
    await this.request(paused ? 'pauseProducer' : 'resumeProducer', {
      producerId: entry.producer.id,
    });
  }

  private async produce(source: MediaSource, entry: Published, epoch: number): Promise<string> {
    const transport = await this.ensureSendTransport(epoch);
    const video = entry.track.kind === 'video';
    const camera = source === 'camera' && video ? await this.cameraEncodingsFor(entry.track) : null;
    entry.governor?.stop();
    entry.governor = null;
    const producer = await transport.produce({
      track: entry.track as never,
      // The same track is produced again after a rejoin: never let mediasoup-client stop it.
      stopTracks: false,
      ...(camera ? { encodings: camera, codecOptions: { videoGoogleStartBitrate: 1000 } } : {}),
      ...(source === 'screen' ? { encodings: [{ maxBitrate: 1_500_000 }] } : {}),
      ...(!video ? { codecOptions: { opusFec: true, opusDtx: true } } : {}),
      appData: { source, paused: entry.paused },
    });
    this.check(epoch);
    entry.producer = producer;
    if (camera) {
      entry.governor = new SendGovernor(transport, producer, camera as CameraEncoding[], (cap, s) =>
        this.emit('videoCap', { source, cap, availableKbps: s.availableKbps, lossPct: s.lossPct }),
      );
    }
    if (entry.paused) producer.pause();
    producer.on('trackended', () => void this.unpublish(source));
    return producer.id;
  }

  /** The camera at 720p where it has it (CAMERA_CAPTURE), then layers for the size it gives. */
  private async cameraEncodingsFor(track: TrackLike): Promise<types.RtpEncodingParameters[]> {
    if (this.opts.cameraEncodings.length) return this.opts.cameraEncodings;
    const t = track as TrackLike & {
      applyConstraints?: (c: unknown) => Promise<void>;
      getSettings?: () => { height?: number };
    };
    if (this.opts.cameraCapture && t.applyConstraints)
      await t.applyConstraints(CAMERA_CAPTURE).catch(() => undefined);
    return cameraEncodings(t.getSettings?.().height ?? 0);
  }

  private ensureSendTransport(epoch: number): Promise<types.Transport> {
    if (this.sendTransport && !this.sendTransport.closed)
      return Promise.resolve(this.sendTransport);
    if (!this.sendTransportReady) {
      this.sendTransportReady = this.createTransport('send', epoch).then(
        (t) => (this.sendTransport = t),
      );
      this.sendTransportReady.catch(() => (this.sendTransportReady = null));
    }
    return this.sendTransportReady;
  }

  // ---- receiving ----

  /** Receives one producer (done automatically unless autoConsume is off). */
  async consume(producer: ProducerInfo): Promise<RemoteTrack | null> {
    return this.consumeIn(producer, this.epoch);
  }

  private async consumeIn(p: ProducerInfo, epoch: number): Promise<RemoteTrack | null> {
    if (p.peerId === this.peerId || this.consuming.has(p.producerId)) return null;
    for (const r of this.remote.values()) if (r.producerId === p.producerId) return r;
    this.consuming.add(p.producerId);
    try {
      const recv = this.recvTransport;
      if (!recv || !this.device) return null;
      const r: ConsumeResult = await this.request('consume', {
        producerId: p.producerId,
        transportId: recv.id,
        rtpCapabilities: this.device.rtpCapabilities as unknown as RtpCapabilitiesJson,
      });
      this.check(epoch);
      return await this.attachConsumer(recv, r, epoch, true);
    } catch (e) {
      if (e instanceof Superseded) return null;
      // The producer went away meanwhile: nothing to show.
      if (e instanceof MediaRequestError && (e.code === 'not_found' || e.code === 'cannot_consume'))
        return null;
      throw e;
    } finally {
      this.consuming.delete(p.producerId);
    }
  }

  /** The local side of a server consumer; `resume`: it was created paused (consume), else it already runs (fast join). */
  private async attachConsumer(
    recv: types.Transport,
    r: ConsumeResult,
    epoch: number,
    resume: boolean,
  ): Promise<RemoteTrack> {
    const consumer = await recv.consume({
      id: r.consumerId,
      producerId: r.producerId,
      kind: r.kind,
      rtpParameters: r.rtpParameters as unknown as types.RtpParameters,
      appData: { peerId: r.peerId, source: r.source },
    });
    this.check(epoch);
    const remote: RemoteTrack = {
      consumerId: r.consumerId,
      producerId: r.producerId,
      peerId: r.peerId,
      kind: r.kind,
      source: r.source,
      track: consumer.track as unknown as TrackLike,
      consumer,
      producerPaused: r.producerPaused,
    };
    this.remote.set(r.consumerId, remote);
    this.emit('track', remote);
    if (resume) await this.request('resumeConsumer', { consumerId: r.consumerId });
    return remote;
  }

  private dropRemote(consumerId: string): void {
    const r = this.remote.get(consumerId);
    if (!r) return;
    this.remote.delete(consumerId);
    this.monitor.memories.delete(consumerId);
    this.monitor.scores.delete(consumerId);
    r.consumer.close();
    this.emit('trackEnded', { consumerId, producerId: r.producerId, peerId: r.peerId });
  }

  async setPreferredLayers(
    consumerId: string,
    spatialLayer: number,
    temporalLayer?: number,
  ): Promise<void> {
    await this.request('setPreferredLayers', {
      consumerId,
      spatialLayer,
      ...(temporalLayer !== undefined ? { temporalLayer } : {}),
    });
  }

  /** Audio-only: the server stops sending video to this client (for a weak link). */
  async setAudioOnly(enabled: boolean): Promise<void> {
    await this.request('setAudioOnly', { enabled });
    this.monitor.audioOnly = enabled;
  }

  // ---- host ----

  admit(peerId: string) {
    return this.request('admit', { peerId });
  }
  mute(peerId: string, kind: MediaKind = 'audio') {
    return this.request('mute', { peerId, kind });
  }
  endRoom() {
    return this.request('endRoom', {});
  }

  /** Leaves the room for good. */
  async leave(): Promise<void> {
    if (this._state === 'closed') return;
    if (this.socket.connected && this._state !== 'idle')
      await this.request('leave', {}).catch(() => undefined);
    this.shutdown();
  }

  private shutdown(): void {
    this.epoch++;
    if (this.monitor.timer) clearInterval(this.monitor.timer);
    this.monitor.timer = null;
    this.closeMedia();
    this.setState('closed');
    this.socket.disconnect();
    this.joinFailed?.(new MediaRequestError('closed', 'the client closed before joining'));
    this.joinFailed = null;
  }

  // ---- what arrives ----

  private startMonitor(): void {
    const m = this.monitor;
    m.joinedAt ??= Date.now();
    if (m.timer || !this.opts.healthIntervalMs) return;
    m.timer = setInterval(() => {
      if (m.sampling || this._state === 'closed') return;
      m.sampling = true;
      void this.sampleHealth()
        .catch(() => undefined)
        .finally(() => (m.sampling = false));
    }, this.opts.healthIntervalMs);
  }

  private async sampleHealth(): Promise<void> {
    const m = this.monitor;
    const remotes = [...this.remote.values()];
    const samples = await Promise.all(
      remotes.map((r) => (r.consumer.closed ? null : inboundSample(r.consumer).catch(() => null))),
    );
    const live = remotes.flatMap((r, i): SampledRemote[] =>
      this.remote.has(r.consumerId)
        ? [
            {
              consumerId: r.consumerId,
              peerId: r.peerId,
              source: r.source,
              kind: r.kind,
              expected:
                !r.producerPaused && !r.consumer.paused && !(m.audioOnly && r.kind === 'video'),
              score: m.scores.get(r.consumerId),
              sample: samples[i],
            },
          ]
        : [],
    );
    const { media, tracks, peers } = assessRoom(
      live,
      m,
      {
        now: Date.now(),
        // Our path to the media server works: whatever else is missing is not ours.
        pathConnected: [this.sendTransport, this.recvTransport].some(
          (t) => t && !t.closed && t.connectionState === 'connected',
        ),
        expecting: remotes.length > 0 || [...this.published.values()].some((p) => !!p.producer),
      },
      this.healthOpts,
    );
    m.last = { media, tracks, peers };
    this.emit('health', m.last);
    if (media === 'failed' && !m.reported) {
      m.reported = true;
      const state = (t: types.Transport | null) => (t && !t.closed ? t.connectionState : undefined);
      const answer = await this.request('mediaFailed', {
        reason: 'no_media',
        sendState: state(this.sendTransport),
        recvState: state(this.recvTransport),
      }).catch(() => null);
      this.emit('mediaFailed', { recorded: answer ? answer.recorded : null });
    }
  }

  // ---- connection lifecycle ----

  private check(epoch: number): void {
    if (epoch !== this.epoch || this._state === 'closed') throw new Superseded('superseded');
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const run = this.chain.then(f);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private wireSocket(): void {
    const s = this.socket;
    s.on('connect', () => {
      // Warm (no join asked for yet): the socket waits open for join().
      if (this._state === 'idle') {
        this.mark('socket (warm)');
        return;
      }
      const resume = !!this.joinInfo;
      void this.serial(() => (resume ? this.resume() : this.fullJoin('join'))).catch((e) =>
        this.failed(e),
      );
    });
    s.on('disconnect', (reason) => {
      if (this._state === 'closed') return;
      this.mark(`socket dropped (${reason})`);
      this.disconnectedAt = Date.now();
      if (this._state !== 'idle') this.setState('reconnecting');
      // A server-side drop does not reconnect by itself in socket.io: do it (the server keeps our
      // peer). A warm socket the server closed (its token expired unused) stays closed: join() opens it.
      if (reason === 'io server disconnect' && this._state !== 'idle')
        setTimeout(() => this._state !== 'closed' && s.connect(), 250);
    });
    s.on('connect_error', (e: Error & { data?: { reason?: string } }) => {
      if (!s.active && this._state !== 'closed') {
        // Refused by the server (bad or expired token): no automatic retry.
        this.failed(
          new MediaRequestError(
            'forbidden',
            `media server refused the connection: ${e.data?.reason ?? e.message}`,
          ),
        );
      }
    });
    const on = <K extends keyof MediaNotifications>(
      event: K,
      f: (d: MediaNotifications[K]) => void,
    ) => s.on(event as string, f as never);
    on('newProducer', (p) => {
      if (!this.opts.autoConsume) return;
      // Announced while our media is still being set up: consume it once the receive transport exists.
      if (!this.recvTransport) this.pendingProducers.set(p.producerId, p);
      else void this.consumeIn(p, this.epoch).catch((e) => this.emit('error', e));
    });
    on('producerClosed', ({ producerId }) => {
      this.pendingProducers.delete(producerId);
      for (const r of [...this.remote.values()])
        if (r.producerId === producerId) this.dropRemote(r.consumerId);
    });
    on('consumerClosed', ({ consumerId }) => this.dropRemote(consumerId));
    on('consumerPaused', (d) => {
      const r = this.remote.get(d.consumerId);
      if (r) r.producerPaused = true;
      this.emit('consumerPaused', d);
    });
    on('consumerResumed', (d) => {
      const r = this.remote.get(d.consumerId);
      if (r) r.producerPaused = false;
      this.emit('consumerResumed', d);
    });
    on('consumerLayersChanged', (d) => this.emit('consumerLayersChanged', d));
    on('score', (d) => {
      if ('consumerId' in d && d.consumerId) this.monitor.scores.set(d.consumerId, d.score);
      this.emit('score', d);
    });
    on('activeSpeaker', (d) => this.emit('activeSpeaker', d));
    on('peerJoined', (d) => this.emit('peerJoined', d));
    on('peerLeft', (d) => this.emit('peerLeft', d));
    on('peerWaiting', (d) => this.emit('peerWaiting', d));
    on('suggestAudioOnly', (d) => this.emit('suggestAudioOnly', d));
    // Dynacast: the highest layer of our camera anyone wants now (-1: nobody); the rest is switched off.
    on('producerLayers', ({ producerId, maxSpatialLayer }) => {
      for (const entry of this.published.values())
        if (entry.producer?.id === producerId) entry.governor?.setMaxSpatialLayer(maxSpatialLayer);
    });
    on('admitted', (d) => {
      void this.serial(() => this.onAdmitted(d)).catch((e) => this.failed(e));
    });
    on('muted', (d) => {
      for (const entry of this.published.values()) {
        if (entry.producer && d.producerIds.includes(entry.producer.id)) {
          entry.paused = true;
          entry.producer.pause();
        }
      }
      this.emit('muted', d);
    });
    on('rejoin', ({ reason }) => {
      void this.serial(() => this.fullJoin(reason)).catch((e) => this.failed(e));
    });
    on('roomEnded', (d) => {
      this.emit('roomEnded', d);
      this.shutdown();
    });
  }

  private failed(e: unknown): void {
    if (e instanceof Superseded) return;
    const err = e instanceof Error ? e : new Error(String(e));
    if (
      this.joinFailed &&
      err instanceof MediaRequestError &&
      ['forbidden', 'room_mismatch', 'room_ended', 'invalid_message'].includes(err.code)
    ) {
      this.joinFailed(err);
      this.joinFailed = null;
      this.joinedOnce = null;
      this.shutdown();
      return;
    }
    if (err instanceof MediaRequestError && err.code === 'room_ended') {
      // The host ended the room while this client was away (a resume after a dropped socket
      // missed the roomEnded notice): the same ending, not an error to retry forever.
      this.emit('roomEnded', { by: '' });
      this.shutdown();
      return;
    }
    this.emit('error', err);
    // Anything else (timeouts, a worker lost mid-setup): try again from scratch while connected.
    if (this.socket.connected && this._state !== 'closed') {
      setTimeout(() => {
        if (this.socket.connected && this._state !== 'closed')
          void this.serial(() => this.fullJoin('retry')).catch((x) => this.failed(x));
      }, 1000);
    }
  }

  /** Joins from scratch: new peer on the server, new transports; re-publishes what we published. */
  private async fullJoin(reason: string): Promise<void> {
    const started = Date.now();
    const epoch = ++this.epoch;
    const first = !this.joinInfo;
    this.setState(first ? 'connecting' : 'rejoining');
    this.closeMedia();
    await this.devicePreload;
    this.devicePreload = null;
    this.check(epoch);
    this.mark('socket');
    // Join fast: transports (and, with a device that fits, running consumers) in the join's answer.
    const join = await this.request('join', {
      room: this.opts.room,
      transports: ['recv', 'send'],
      ...(this.device
        ? {
            rtpCapabilities: this.device.rtpCapabilities as unknown as RtpCapabilitiesJson,
            routerCapabilitiesKey: rtpCapabilitiesKey(JSON.parse(this.deviceCaps)),
          }
        : {}),
    });
    this.check(epoch);
    this.mark(join.status === 'waiting' ? 'join: waiting' : 'join: admitted');
    this.joinInfo = join;
    this.iceServers = join.iceServers;
    if (join.role === 'host' || join.status === 'waiting')
      for (const p of join.peers) if (!p.admitted) this.emit('peerWaiting', p);
    if (join.status === 'waiting') {
      // The host admits us later: the 'admitted' notification finishes the join.
      this.pendingJoin = { reason, started };
      this.setState('waiting');
      return;
    }
    await this.setUpMedia(join.rtpCapabilities!, join.producers, epoch, join.setup);
    this.joined(reason, started);
  }

  private async onAdmitted(d: MediaNotifications['admitted']): Promise<void> {
    const epoch = this.epoch;
    const pending = this.pendingJoin ?? { reason: 'admitted', started: Date.now() };
    this.pendingJoin = null;
    this.emit('admitted');
    this.mark('admitted');
    await this.setUpMedia(d.rtpCapabilities, d.producers, epoch, d.setup);
    this.joined(pending.reason, pending.started);
  }

  private joined(reason: string, started: number): void {
    this.setState('joined');
    this.mark('joined');
    this.startMonitor();
    // Tracks published while the media was being set up (the camera started alongside the join).
    if (this.joinInfo?.role !== 'observer') {
      const epoch = this.epoch;
      for (const [source, entry] of this.published)
        if (!entry.producer)
          void this.produce(source, entry, epoch).catch(
            (e) => !(e instanceof Superseded) && this.emit('error', e),
          );
    }
    if (this.joinedOnce) {
      this.joinedOnce(this.joinInfo!);
      this.joinedOnce = null;
      this.joinFailed = null;
    } else {
      this.emit('rejoined', { reason, afterMs: Date.now() - started });
    }
  }

  /** Socket came back: re-attach to the same peer; media never stopped. Falls back to a full join. */
  private async resume(): Promise<void> {
    const epoch = this.epoch;
    let r: JoinResult;
    try {
      r = await this.request('join', { room: this.opts.room, resume: this.joinInfo!.resumeKey });
    } catch (e) {
      if (e instanceof MediaRequestError && (e.code === 'resume_failed' || e.code === 'forbidden'))
        return this.fullJoin('resume_failed');
      throw e;
    }
    this.check(epoch);
    this.mark(`socket: resumed (${r.status})`);
    const ours = [this.sendTransport, this.recvTransport].filter(
      (t): t is types.Transport => !!t && !t.closed,
    );
    if (r.status === 'admitted' && ours.some((t) => !r.transports.includes(t.id)))
      return this.fullJoin('transport_lost');
    this.joinInfo = r;
    if (r.status === 'waiting') {
      this.setState('waiting');
      return; // still in the waiting room; the 'admitted' notification finishes the join
    }
    if (!this.recvTransport || this.recvTransport.closed) {
      // Admitted while we were away: set the media up now.
      const pending = this.pendingJoin ?? { reason: 'admitted', started: Date.now() };
      this.pendingJoin = null;
      await this.setUpMedia(r.rtpCapabilities!, r.producers, epoch);
      this.joined(pending.reason, pending.started);
      return;
    }
    // Reconcile what changed while we were away.
    const live = new Set(r.consumers.map((c) => c.consumerId));
    for (const id of [...this.remote.keys()]) if (!live.has(id)) this.dropRemote(id);
    const own = new Set(r.ownProducers.map((p) => p.producerId));
    for (const [source, entry] of this.published) {
      if (entry.producer && !own.has(entry.producer.id)) {
        entry.producer.close();
        entry.producer = null;
      }
      if (!entry.producer) await this.produce(source, entry, epoch);
    }
    if (this.opts.autoConsume) await Promise.all(r.producers.map((p) => this.consumeIn(p, epoch)));
    for (const t of ours)
      if (t.connectionState === 'failed' || t.connectionState === 'disconnected')
        void this.restartIce(t, epoch);
    this.setState('joined');
    this.emit('resumed', { afterMs: this.disconnectedAt ? Date.now() - this.disconnectedAt : 0 });
  }

  /** Loads the device for these router capabilities unless it already is (epoch null: a preload, never superseded). */
  private async loadDevice(caps: RtpCapabilitiesJson, epoch: number | null): Promise<void> {
    const capsKey = JSON.stringify(caps);
    if (this.device && this.deviceCaps === capsKey) return;
    const device = new Device(
      this.opts.handlerName ? { handlerName: this.opts.handlerName } : undefined,
    );
    await device.load({ routerRtpCapabilities: caps as unknown as types.RtpCapabilities });
    if (epoch !== null) this.check(epoch);
    this.device = device;
    this.deviceCaps = capsKey;
    this.mark(epoch === null ? 'device (kept capabilities)' : 'device');
  }

  private async setUpMedia(
    caps: RtpCapabilitiesJson,
    producers: ProducerInfo[],
    epoch: number,
    setup?: MediaSetup,
  ): Promise<void> {
    await this.loadDevice(caps, epoch);
    keepRouterCaps(this.opts.url, caps);
    const publishes = this.joinInfo?.role === 'observer' ? [] : [...this.published.entries()];
    const given = new Map((setup?.transports ?? []).map((t) => [t.direction, t]));
    const sendInfo = given.get('send');
    if (sendInfo) {
      const send = this.buildTransport(sendInfo);
      this.sendTransport = send;
      this.sendTransportReady = Promise.resolve(send);
    }
    // Both transports at once (or as the join answered them); the send one only when there is something to send.
    const recvInfo = given.get('recv');
    const [recv] = await Promise.all([
      recvInfo ? this.buildTransport(recvInfo) : this.createTransport('recv', epoch),
      publishes.length && !sendInfo ? this.ensureSendTransport(epoch) : Promise.resolve(null),
    ]);
    this.recvTransport = recv;
    this.mark('transports');
    const toConsume = new Map(producers.map((p) => [p.producerId, p]));
    for (const [id, p] of this.pendingProducers) toConsume.set(id, p);
    this.pendingProducers.clear();
    // Consumers the join already made (running): only their local side is left to do.
    const made = this.opts.autoConsume ? (setup?.consumers ?? []) : [];
    for (const c of made) {
      toConsume.delete(c.producerId);
      this.consuming.add(c.producerId);
    }
    await Promise.all([
      ...made.map((c) =>
        this.attachConsumer(recv, c, epoch, false)
          .then(() => this.mark(`consumer ${c.kind}`))
          .finally(() => this.consuming.delete(c.producerId)),
      ),
      ...(this.opts.autoConsume
        ? [...toConsume.values()].map((p) => this.consumeIn(p, epoch))
        : []),
      ...publishes.map(([source, entry]) => this.produce(source, entry, epoch)),
    ]);
  }

  private async createTransport(
    direction: 'send' | 'recv',
    epoch: number,
  ): Promise<types.Transport> {
    const info = await this.request('createTransport', { direction });
    this.check(epoch);
    return this.buildTransport(info);
  }

  private buildTransport(info: TransportInfo): types.Transport {
    const direction = info.direction;
    const device = this.device!;
    const params = {
      id: info.id,
      iceParameters: info.iceParameters as unknown as types.IceParameters,
      iceCandidates: info.iceCandidates as unknown as types.IceCandidate[],
      dtlsParameters: info.dtlsParameters as unknown as types.DtlsParameters,
      iceServers: this.iceServers as never,
    };
    const t =
      direction === 'send'
        ? device.createSendTransport(params)
        : device.createRecvTransport(params);
    // Not waited for: ICE starts at once, and connectTransport (sent first, on the ordered socket)
    // reaches the node before the browser's DTLS hello can, which needs ICE to finish (a round trip).
    // Should it fail, the transport fails and the ICE restart / rejoin logic takes over.
    t.on('connect', ({ dtlsParameters }, ok) => {
      this.request('connectTransport', {
        transportId: t.id,
        dtlsParameters: dtlsParameters as unknown as Record<string, unknown>,
      }).catch((e) => this.emit('error', e as Error));
      ok();
    });
    if (direction === 'send') {
      t.on('produce', ({ kind, rtpParameters, appData }, ok, fail) => {
        this.request('produce', {
          transportId: t.id,
          kind,
          rtpParameters: rtpParameters as unknown as Record<string, unknown>,
          source: appData.source as MediaSource,
          ...(appData.paused ? { paused: true } : {}),
        }).then(({ producerId }) => ok({ id: producerId }), fail);
      });
    }
    t.on('connectionstatechange', (state) => {
      this.mark(`${t.direction} transport ${state}`);
      this.watchTransport(t, state);
    });
    return t;
  }

  /** Media path dropped while signaling may be fine: restart ICE; if that does not help, rejoin. */
  private watchTransport(t: types.Transport, state: types.ConnectionState): void {
    const timer = this.iceTimers.get(t.id);
    if (state === 'connected' || state === 'closed') {
      if (timer) clearTimeout(timer);
      this.iceTimers.delete(t.id);
      return;
    }
    if ((state === 'disconnected' || state === 'failed') && !timer) {
      const epoch = this.epoch;
      const delay = state === 'failed' ? 0 : this.opts.iceRestartAfterMs;
      this.iceTimers.set(
        t.id,
        setTimeout(() => void this.restartIce(t, epoch), delay),
      );
    }
  }

  private async restartIce(t: types.Transport, epoch: number): Promise<void> {
    if (epoch !== this.epoch || t.closed || !this.socket.connected) {
      this.iceTimers.delete(t.id);
      return;
    }
    try {
      const { iceParameters } = await this.request('restartIce', { transportId: t.id });
      await t.restartIce({ iceParameters: iceParameters as unknown as types.IceParameters });
      this.emit('iceRestarted', { direction: t.direction });
    } catch (e) {
      if (!(e instanceof MediaRequestError && e.code === 'disconnected'))
        this.emit('error', e as Error);
    }
    this.iceTimers.set(
      t.id,
      setTimeout(() => {
        this.iceTimers.delete(t.id);
        if (
          epoch === this.epoch &&
          !t.closed &&
          t.connectionState !== 'connected' &&
          this.socket.connected
        ) {
          void this.serial(() => this.fullJoin('ice_failed')).catch((e) => this.failed(e));
        }
      }, this.opts.iceRestartGiveUpMs),
    );
  }

  private closeMedia(): void {
    for (const timer of this.iceTimers.values()) clearTimeout(timer);
    this.iceTimers.clear();
    for (const id of [...this.remote.keys()]) this.dropRemote(id);
    for (const entry of this.published.values()) {
      entry.producer?.close();
      entry.producer = null;
    }
    this.sendTransport?.close();
    this.recvTransport?.close();
    this.sendTransport = null;
    this.recvTransport = null;
    this.sendTransportReady = null;
    this.consuming.clear();
    this.pendingProducers.clear();
  }
}
