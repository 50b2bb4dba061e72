import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import os from 'node:os';
import { HUIZHEN_CONFIG, type HuizhenConfig, machineAddresses } from '@huizhen/config';
import { CallEvents } from '@huizhen/call-events';
import { HealthRegistry } from '@huizhen/observability';
import { RoomTokenError, type VerifiedRoomToken, verifyRoomToken } from '@huizhen/room-token';
import {
  type ConsumeResult,
  type JoinRequest,
  type JoinResult,
  type MediaRequestName,
  type MediaSetup,
  type MediaRequests,
  SignalingError,
  rtpCapabilitiesKey,
} from '@huizhen/media-signaling';
import { trackMediaService, untrackMediaService, workerRestarts } from './media-metrics';
import { Peer, type PeerChannel, Room } from './media-room';
import { MediaProbes, type Probe } from './media-probe';
import { MediaWorkerPool } from './media-worker-pool';
import { type RtcListenPlan, rtcListenPlan } from './media-listen';
import { iceServersFor } from './turn-credentials';

/** One signaling connection: who it is (from the room token) and which peer it drives. */
export interface MediaSession {
  channel: PeerChannel & { disconnect(close?: boolean): unknown };
  claims: VerifiedRoomToken;
  /** Admitted with an expired token only to resume its live peer. */
  resumeOnly: boolean;
  peer: Peer | null;
  room: Room | null;
  /** A pre-join probe this connection runs (such a connection never joins). */
  probe?: Probe | null;
  /** The socket went away (a probe started meanwhile is closed at once). */
  gone?: boolean;
}

type Handlers = {
  [K in MediaRequestName]: (
    s: MediaSession,
    req: MediaRequests[K][0],
  ) => Promise<MediaRequests[K][1]> | MediaRequests[K][1];
};

/** Rooms of this media node: placement on workers, joins and resumes, roles, worker failures. */
@Injectable()
export class MediaRoomsService
  implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown
{
  /** A peer admitted this long ago with no RTP moving to or from it: its media failed (a call event). */
  static NO_MEDIA_MS = 10_000;
  private readonly logger = new Logger('Media');
  readonly rooms = new Map<string, Room>();
  /** Rooms the host ended, with when: tokens issued before that cannot re-open them. */
  private readonly endedRooms = new Map<string, number>();
  /**
   * Resume keys of the peers of rooms the host ended (with their room, practitioner and when): a
   * peer away at the end (a dropped socket in its grace period) resumes into "room_ended", never
   * into a new empty room whose waiting room nobody would open.
   */
  private readonly endedPeers = new Map<string, { room: string; sub: string; at: number }>();
  readonly pool: MediaWorkerPool;
  /** Pre-join probes: send transports on routers no room uses (media-probe.ts). */
  readonly probes: MediaProbes;
  /** The addresses the workers bind and put in ICE candidates (fixed at start). */
  readonly listenPlan: RtcListenPlan;
  private consumers = 0;
  private shuttingDown = false;
  /** Join fast: what a fresh join asked to have set up at its admission (now, or when the host admits it). */
  private readonly joinPlans = new WeakMap<Peer, JoinRequest>();
  /** rtpCapabilitiesKey() per router capabilities object (the same for every router of a codec list). */
  private readonly capsKeys = new WeakMap<object, string>();

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly health: HealthRegistry,
    private readonly calls: CallEvents,
  ) {
    const log = (
      level: 'info' | 'warn' | 'error',
      msg: string,
      details?: Record<string, unknown>,
    ) => this.logger[level === 'info' ? 'log' : level]({ msg, ...details });
    this.listenPlan = rtcListenPlan(
      config.mediaListenIp,
      config.mediaAnnouncedAddress,
      machineAddresses(),
    );
    this.pool = new MediaWorkerPool({
      count: config.mediaWorkers || os.cpus().length,
      listen: this.listenPlan.addresses,
      portBase: config.mediaRtcPortBase,
      log,
    });
    this.pool.on('workerReplaced', () => workerRestarts.inc());
    this.probes = new MediaProbes(this.pool);
  }

  async onModuleInit(): Promise<void> {
    await this.pool.start();
    await this.calls.announceMediaNode();
    trackMediaService(this);
    this.health.register('media', async () => {
      const alive = this.pool.alive();
      // Up while at least one worker serves: a dead one is being replaced and its rooms rejoin elsewhere.
      return {
        status: alive > 0 ? 'up' : 'down',
        workersAlive: alive,
        workers: this.pool.size,
        workerRestarts: this.pool.totalRestarts(),
        rooms: this.rooms.size,
        peers: this.peerCount(),
        probes: this.probes.size,
      };
    });
    const plan = this.listenPlan;
    this.logger.log({
      msg: 'media workers started',
      announced: plan.announced,
      source: plan.source,
      workers: this.pool.slots.map((s) => ({ pid: s.worker?.pid, udp: s.udpPort, tcp: s.tcpPort })),
    });
    // Only when it was not chosen: loopback by MEDIA_LISTEN_IP (the tests) is deliberate.
    if (!plan.reachableFromOutside && plan.source !== 'listen_ip') {
      this.logger.warn({
        msg: `media is announced only on loopback (${plan.announced.join(', ')}): browsers on other machines will join rooms but receive no audio or video; set MEDIA_ANNOUNCED_ADDRESS (this machine's LAN or public address) or MEDIA_LISTEN_IP`,
        announced: plan.announced,
      });
    }
  }

  /**
   * Graceful stop, part 1 (sockets still open): no new joins; connected peers are told to rejoin,
   * which their clients do once this node (or another behind the same address) is back.
   */
  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
    for (const room of this.rooms.values()) {
      for (const p of room.peers.values()) {
        p.notify('rejoin', { reason: 'server_shutdown' });
        // Their call continues elsewhere (a rejoin there is a new "joined"); here it ends.
        if (p.admitted)
          this.calls.publish({
            kind: 'left',
            room: room.id,
            practitionerId: p.claims.sub,
            role: p.role,
          });
      }
    }
  }

  /** Part 2 (sockets closed): rooms and workers go. */
  async onApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    this.probes.closeAll();
    untrackMediaService(this);
    await this.pool.close();
  }

  peerCount(): number {
    let n = 0;
    for (const r of this.rooms.values()) n += r.peers.size;
    return n;
  }

  consumerCount(): number {
    return this.consumers;
  }

  /** Handshake: a valid room token, or an expired one that comes with the resume key of its live peer. */
  authenticate(auth: unknown): { claims: VerifiedRoomToken; resumeOnly: boolean } {
    const a = (typeof auth === 'object' && auth !== null ? auth : {}) as {
      token?: unknown;
      resume?: unknown;
    };
    try {
      return { claims: verifyRoomToken(a.token, this.config.roomTokenSecret), resumeOnly: false };
    } catch (e) {
      if (
        e instanceof RoomTokenError &&
        e.code === 'expired' &&
        e.expiredClaims &&
        typeof a.resume === 'string'
      ) {
        const peer = this.findPeerByResumeKey(e.expiredClaims.room, a.resume);
        if (peer && peer.claims.sub === e.expiredClaims.sub)
          return { claims: e.expiredClaims, resumeOnly: true };
        // Its room ended meanwhile: let it in to hear so (its join answers room_ended).
        if (this.endedPeer(e.expiredClaims, a.resume))
          return { claims: e.expiredClaims, resumeOnly: true };
      }
      throw e;
    }
  }

  /** Whether this resume key was a peer of this practitioner in this room when its host ended it. */
  private endedPeer(claims: VerifiedRoomToken, key: string): boolean {
    const ended = this.endedPeers.get(key);
    return !!ended && ended.room === claims.room && ended.sub === claims.sub;
  }

  private findPeerByResumeKey(roomId: string, key: string): Peer | undefined {
    const room = this.rooms.get(roomId);
    if (!room) return undefined;
    for (const p of room.peers.values()) if (p.resumeKey === key && !p.closed) return p;
    return undefined;
  }

  async handle(session: MediaSession, name: MediaRequestName, payload: unknown): Promise<unknown> {
    if (session.resumeOnly && !(name === 'join' && (payload as JoinRequest).resume)) {
      throw new SignalingError(
        'forbidden',
        'this connection carries an expired room token: it may only resume its peer',
      );
    }
    return (this.handlers[name] as (s: MediaSession, p: unknown) => unknown)(session, payload);
  }

  /** The socket went away: keep the peer for its grace period so a reconnect resumes it. */
  socketClosed(session: MediaSession, reason: string): void {
    session.gone = true;
    if (session.probe) this.probes.close(session.probe);
    const peer = session.peer;
    const room = session.room;
    session.peer = null;
    if (!peer || !room || peer.channel !== session.channel) return;
    peer.channel = null;
    if (reason === 'client namespace disconnect') {
      room.closePeer(peer);
      return;
    }
    peer.graceTimer = setTimeout(() => {
      if (!peer.channel) room.closePeer(peer);
    }, this.config.mediaPeerGraceSeconds * 1000);
    peer.graceTimer.unref();
  }

  private requirePeer(session: MediaSession, mustBeAdmitted: boolean): { peer: Peer; room: Room } {
    const { peer, room } = session;
    if (!peer || !room || peer.closed)
      throw new SignalingError('not_joined', 'join the room first');
    if (mustBeAdmitted && !peer.admitted)
      throw new SignalingError('not_admitted', 'waiting for the host to admit you');
    return { peer, room };
  }

  private requireHost(session: MediaSession): { peer: Peer; room: Room } {
    const r = this.requirePeer(session, true);
    if (r.peer.role !== 'host') throw new SignalingError('forbidden', 'only the host may do this');
    return r;
  }

  private otherPeer(room: Room, peerId: string): Peer {
    const p = room.peers.get(peerId);
    if (!p || p.closed)
      throw new SignalingError('not_found', `no peer ${peerId} in this room`, 'peerId');
    return p;
  }

  private roomFor(id: string): Room {
    let room = this.rooms.get(id);
    if (!room || room.isClosed) {
      room = new Room(id, {
        pool: this.pool,
        settings: {
          peersPerRouter: this.config.mediaPeersPerRouter,
          maxIncomingBitrate: this.config.mediaMaxIncomingBitrate,
          maxOutgoingBitrate: this.config.mediaMaxOutgoingBitrate,
          noMediaMs: MediaRoomsService.NO_MEDIA_MS,
        },
        log: (level, msg, details) =>
          this.logger[level === 'info' ? 'log' : level]({ msg, ...details }),
        onEmpty: (r) => {
          r.close();
          if (this.rooms.get(r.id) === r) this.rooms.delete(r.id);
        },
        onConsumers: (d) => (this.consumers += d),
        onPeerLeft: (r, p) =>
          this.calls.publish({
            kind: 'left',
            room: r.id,
            practitionerId: p.claims.sub,
            role: p.role,
          }),
        onPeerMedia: (r, p, media) =>
          this.calls.publish({
            kind: media === 'failed' ? 'media_failed' : 'media_flowing',
            room: r.id,
            practitionerId: p.claims.sub,
            role: p.role,
          }),
      });
      this.rooms.set(id, room);
    }
    return room;
  }

  private attach(session: MediaSession, room: Room, peer: Peer): void {
    const previous = peer.channel;
    if (peer.graceTimer) clearTimeout(peer.graceTimer);
    peer.graceTimer = null;
    peer.channel = session.channel;
    session.peer = peer;
    session.room = room;
    // A resume can arrive before the server noticed the old connection died: retire the old one.
    if (previous && previous !== session.channel)
      (previous as MediaSession['channel']).disconnect(true);
  }

  private async join(session: MediaSession, req: JoinRequest): Promise<JoinResult> {
    const claims = session.claims;
    this.checkRoom(claims, req.room);
    if (session.probe !== undefined)
      throw new SignalingError('forbidden', 'a connection that probed does not join: open another');
    if (req.resume) {
      // A peer away when the host ended its room: ended, even with a token issued after the end
      // (a reconnect fetches a fresh one, which could otherwise open a new room and wait there).
      if (this.endedPeer(claims, req.resume))
        throw new SignalingError('room_ended', 'the host ended this consultation room');
      const peer = this.findPeerByResumeKey(claims.room, req.resume);
      const room = this.rooms.get(claims.room);
      if (!peer || !room || peer.claims.sub !== claims.sub)
        throw new SignalingError('resume_failed', 'nothing to resume: join again', 'resume');
      this.attach(session, room, peer);
      return this.joinResult(room, peer, true);
    }
    const room = this.roomFor(claims.room);
    if (session.resumeOnly)
      throw new SignalingError('forbidden', 'an expired room token may only resume');
    // A fresh join replaces this practitioner's earlier peer (a reload, a second tab, a rejoin after a worker died).
    if (session.peer && !session.peer.closed) session.room?.closePeer(session.peer);
    for (const p of [...room.peers.values()]) if (p.claims.sub === claims.sub) room.closePeer(p);
    const liveRoom = this.roomFor(claims.room); // closing the last peer may have dropped the room
    const peer = new Peer(claims);
    liveRoom.addPeer(peer);
    this.attach(session, liveRoom, peer);
    if (req.transports?.length) this.joinPlans.set(peer, req);
    if (claims.role === 'host' || liveRoom.admittedPractitioners.has(claims.sub)) {
      const setup = await this.admit(liveRoom, peer, false);
      return { ...this.joinResult(liveRoom, peer, false), ...(setup ? { setup } : {}) };
    }
    for (const h of liveRoom.hosts()) h.notify('peerWaiting', peer.info());
    return this.joinResult(liveRoom, peer, false);
  }

  /** The request names the token's room, which is open (not ended for tokens issued before its end) on a node not stopping. */
  private checkRoom(claims: VerifiedRoomToken, room: string): void {
    if (room !== claims.room)
      throw new SignalingError(
        'room_mismatch',
        'the room token was issued for another room',
        'room',
      );
    if (this.shuttingDown)
      throw new SignalingError('unavailable', 'this media node is shutting down');
    const endedAt = this.endedRooms.get(claims.room);
    if (endedAt !== undefined && claims.iat <= endedAt)
      throw new SignalingError('room_ended', 'the host ended this consultation room');
  }

  /**
   * Pre-join probe: the token's practitioner measures its path to this node before joining (a
   * send transport on a router no room uses, closed after PROBE_LIMITS.maxMs, when the socket
   * goes, or on probeEnd). Checked like a join: the token's own room, open; never on a connection
   * that joined (nor may this one join afterwards). Nobody in the room hears of it.
   */
  private async startProbe(session: MediaSession, room: string) {
    this.checkRoom(session.claims, room);
    if (session.peer || session.room)
      throw new SignalingError(
        'forbidden',
        'a connection in the room does not probe: open another',
      );
    if (session.probe) this.probes.close(session.probe);
    const { probe, info } = await this.probes.start(
      session.claims,
      iceServersFor(this.config.turn, session.claims.sub),
    );
    probe.onClosed = (reason) => session.channel.emit('probeEnded', { reason });
    session.probe = probe;
    if (session.gone) this.probes.close(probe);
    return info;
  }

  private requireProbe(session: MediaSession): Probe {
    if (!session.probe || session.probe.closed)
      throw new SignalingError(
        'not_found',
        'no probe running on this connection: send probe first',
      );
    return session.probe;
  }

  /**
   * Join fast, at admission: the transports the join asked for and, when the device it loaded
   * fits this router, running consumers of every producer in the room (one answer instead of
   * createTransport, consume and resumeConsumer round trips). A consumer that cannot be made is
   * left to the client's ordinary consume.
   */
  private async fastSetup(room: Room, peer: Peer): Promise<MediaSetup | undefined> {
    const plan = this.joinPlans.get(peer);
    this.joinPlans.delete(peer);
    if (!plan?.transports?.length) return undefined;
    const directions = plan.transports.filter((d) => d === 'recv' || peer.role !== 'observer');
    const transports = await Promise.all(directions.map((d) => room.createTransport(peer, d)));
    const recv = transports.find((t) => t.direction === 'recv');
    const consumers: ConsumeResult[] = [];
    const routerCaps = room.rtpCapabilities(peer);
    let key = this.capsKeys.get(routerCaps);
    if (!key) this.capsKeys.set(routerCaps, (key = rtpCapabilitiesKey(routerCaps)));
    if (recv && plan.rtpCapabilities && plan.routerCapabilitiesKey === key) {
      const made = await Promise.all(
        room.producerInfos(peer).map(async (p) => {
          try {
            const c = await room.consume(peer, {
              producerId: p.producerId,
              transportId: recv.id,
              rtpCapabilities: plan.rtpCapabilities,
            });
            // Running before the client has it is safe here: the transport is not connected yet, and
            // the SFU requests a key frame for its consumers when it connects.
            await room.pauseConsumer(peer, c.consumerId, false);
            return c;
          } catch (e) {
            if (e instanceof SignalingError) return null;
            throw e;
          }
        }),
      );
      for (const c of made) if (c) consumers.push(c);
    }
    return { transports, consumers };
  }

  private joinResult(room: Room, peer: Peer, resumed: boolean): JoinResult {
    const admitted = peer.admitted && !!peer.place;
    const others = [...room.peers.values()].filter(
      (p) => p !== peer && !p.closed && (p.admitted || peer.role === 'host'),
    );
    return {
      peerId: peer.id,
      resumeKey: peer.resumeKey,
      role: peer.role,
      status: peer.admitted ? 'admitted' : 'waiting',
      resumed,
      iceServers: iceServersFor(this.config.turn, peer.claims.sub),
      peers: peer.admitted ? others.map((p) => p.info()) : [],
      ...(admitted
        ? { rtpCapabilities: room.rtpCapabilities(peer) as unknown as Record<string, unknown> }
        : {}),
      producers: peer.admitted ? room.producerInfos(peer) : [],
      transports: [...peer.transports.keys()],
      ownProducers: room.ownProducerInfos(peer),
      consumers: [...peer.consumers.values()].map((c) => ({
        consumerId: c.id,
        producerId: c.producerId,
      })),
    };
  }

  private async admit(room: Room, peer: Peer, notify: boolean): Promise<MediaSetup | undefined> {
    peer.admitted = true;
    peer.admittedAt = Date.now();
    room.admittedPractitioners.add(peer.claims.sub);
    await room.place(peer);
    this.calls.publish({
      kind: 'joined',
      room: room.id,
      practitionerId: peer.claims.sub,
      role: peer.role,
    });
    // Should that fail (a worker going away meanwhile), the client sets its media up request by request.
    const setup = await this.fastSetup(room, peer).catch((e: unknown) => {
      this.logger.warn({
        msg: 'fast join setup failed; the client sets up by requests',
        room: room.id,
        peer: peer.id,
        error: e instanceof Error ? e.message : String(e),
      });
      return undefined;
    });
    if (notify) {
      peer.notify('admitted', {
        rtpCapabilities: room.rtpCapabilities(peer) as unknown as Record<string, unknown>,
        producers: room.producerInfos(peer),
        peers: room.admittedPeers(peer).map((p) => p.info()),
        ...(setup ? { setup } : {}),
      });
    }
    room.broadcast('peerJoined', peer.info(), peer);
    return setup;
  }

  private readonly handlers: Handlers = {
    join: (s, req) => this.join(s, req),
    getRouterRtpCapabilities: async (s) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.place(peer);
      return { rtpCapabilities: room.rtpCapabilities(peer) as unknown as Record<string, unknown> };
    },
    createTransport: (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      return room.createTransport(peer, req.direction);
    },
    connectTransport: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.connectTransport(peer, req.transportId, req.dtlsParameters);
      return {};
    },
    produce: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      return { producerId: await room.produce(peer, req) };
    },
    closeProducer: (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      room.closeProducer(peer, req.producerId);
      return {};
    },
    pauseProducer: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.pauseProducer(peer, req.producerId, true);
      return {};
    },
    resumeProducer: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.pauseProducer(peer, req.producerId, false);
      return {};
    },
    consume: (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      return room.consume(peer, req);
    },
    pauseConsumer: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.pauseConsumer(peer, req.consumerId, true);
      return {};
    },
    resumeConsumer: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.pauseConsumer(peer, req.consumerId, false);
      return {};
    },
    setPreferredLayers: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.setPreferredLayers(peer, req.consumerId, req.spatialLayer, req.temporalLayer);
      return {};
    },
    restartIce: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      return { iceParameters: await room.restartIce(peer, req.transportId) };
    },
    leave: (s) => {
      const { peer, room } = s;
      s.peer = null;
      if (peer && room && peer.channel === s.channel) room.closePeer(peer);
      return {};
    },
    admit: async (s, req) => {
      const { room } = this.requireHost(s);
      const target = this.otherPeer(room, req.peerId);
      if (!target.admitted) await this.admit(room, target, true);
      return {};
    },
    mute: async (s, req) => {
      const { peer, room } = this.requireHost(s);
      const target = this.otherPeer(room, req.peerId);
      return { producerIds: await room.mute(peer, target, req.kind ?? 'audio') };
    },
    endRoom: (s) => {
      const { peer, room } = this.requireHost(s);
      this.endedRooms.set(room.id, Math.floor(Date.now() / 1000));
      for (const p of room.peers.values())
        this.endedPeers.set(p.resumeKey, { room: room.id, sub: p.claims.sub, at: Date.now() });
      this.forgetOldEndings();
      const channels = [...room.peers.values()]
        .map((p) => p.channel)
        .filter((c): c is MediaSession['channel'] => !!c && c !== s.channel);
      for (const p of room.peers.values()) p.notify('roomEnded', { by: peer.id });
      this.calls.publish({
        kind: 'ended',
        room: room.id,
        practitionerId: peer.claims.sub,
        role: peer.role,
      });
      room.close();
      this.rooms.delete(room.id);
      s.peer = null;
      // The notification goes out before the disconnect packet on each socket.
      for (const c of channels) c.disconnect(true);
      return {};
    },
    mediaFailed: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      // The client's word is a hint: the node records a failure only if it saw no RTP either.
      const media = await room.judgeMedia(peer, true);
      this.logger.log({
        msg: 'a client says its media never flowed',
        room: room.id,
        peer: peer.id,
        sendState: req.sendState,
        recvState: req.recvState,
        node: media,
      });
      return { recorded: media === 'failed' };
    },
    probe: (s, req) => this.startProbe(s, req.room),
    probeConnect: async (s, req) => {
      await this.probes.connect(this.requireProbe(s), req.transportId, req.dtlsParameters);
      return {};
    },
    probeProduce: async (s, req) => ({
      producerId: await this.probes.produce(this.requireProbe(s), req),
    }),
    probeStats: (s) => this.probes.stats(this.requireProbe(s)),
    probeEnd: (s) => {
      if (s.probe) this.probes.close(s.probe);
      return {};
    },
    setAudioOnly: async (s, req) => {
      const { peer, room } = this.requirePeer(s, true);
      await room.setAudioOnly(peer, req.enabled);
      return {};
    },
  };

  private forgetOldEndings(): void {
    const cutoff = Date.now() / 1000 - 24 * 3600; // no room token lives longer
    for (const [id, at] of this.endedRooms) if (at < cutoff) this.endedRooms.delete(id);
    // A resume comes within the grace period; a room token lives 10 minutes: an hour is plenty.
    for (const [key, p] of this.endedPeers)
      if (p.at < Date.now() - 3600_000) this.endedPeers.delete(key);
  }
}
