import type { RoomRole } from '@huizhen/room-token';

/** socket.io namespace of the media signaling. Handshake: `auth: { token, resume? }`. */
export const MEDIA_NAMESPACE = '/media';

export type MediaKind = 'audio' | 'video';
export type MediaSource = 'camera' | 'mic' | 'screen';
export type TransportDirection = 'send' | 'recv';

/** Opaque JSON the SFU understands (mediasoup RTP/DTLS/ICE structures); shape-checked, not typed here. */
export type RtpCapabilitiesJson = Record<string, unknown>;
export type RtpParametersJson = Record<string, unknown>;
export type DtlsParametersJson = Record<string, unknown>;

export interface PeerInfo {
  peerId: string;
  practitionerId: string;
  name: string;
  role: RoomRole;
  admitted: boolean;
  audioOnly: boolean;
}

export interface ProducerInfo {
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  paused: boolean;
}

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface TransportInfo {
  id: string;
  direction: TransportDirection;
  iceParameters: Record<string, unknown>;
  iceCandidates: Record<string, unknown>[];
  dtlsParameters: DtlsParametersJson;
}

// ---- requests (client -> server, every one acknowledged) ----

export interface JoinRequest {
  /** Must equal the room the token names. */
  room: string;
  /** Resume key from an earlier join: re-attach to that peer (same transports, producers, consumers). */
  resume?: string;
  /**
   * Join fast: create these transports at admission and answer them in `setup` (no createTransport
   * round trip; `send` is dropped for observers).
   */
  transports?: TransportDirection[];
  /**
   * Join fast: the device's capabilities, loaded from router capabilities the client kept from an
   * earlier join, and `rtpCapabilitiesKey()` of those. When the key matches this node's router,
   * admission also creates (running) consumers of the room's producers and answers them in `setup`.
   */
  rtpCapabilities?: RtpCapabilitiesJson;
  routerCapabilitiesKey?: string;
}
/**
 * What a fast join set up at admission. `consumers` are created running (not paused) on the new,
 * not yet connected receive transport: the SFU asks the sender for a key frame when that transport
 * connects, so none is lost and no resumeConsumer is needed.
 */
export interface MediaSetup {
  transports: TransportInfo[];
  /** Empty when the client sent no device capabilities or its router key did not match. */
  consumers: ConsumeResult[];
}
export interface JoinResult {
  peerId: string;
  resumeKey: string;
  role: RoomRole;
  status: 'waiting' | 'admitted';
  /** True when this join re-attached to an existing peer. */
  resumed: boolean;
  iceServers: IceServer[];
  peers: PeerInfo[];
  /** Set once admitted. */
  rtpCapabilities?: RtpCapabilitiesJson;
  /** Producers of the other peers (once admitted). */
  producers: ProducerInfo[];
  /** Resumed peers: what the server still holds for this peer. */
  transports: string[];
  ownProducers: ProducerInfo[];
  consumers: { consumerId: string; producerId: string }[];
  /** A fresh join that asked for `transports` and was admitted at once. */
  setup?: MediaSetup;
}

export interface CreateTransportRequest {
  direction: TransportDirection;
}
export interface ConnectTransportRequest {
  transportId: string;
  dtlsParameters: DtlsParametersJson;
}
export interface ProduceRequest {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParametersJson;
  source: MediaSource;
  paused?: boolean;
}
export interface ConsumeRequest {
  producerId: string;
  /** The peer's receive transport; defaults to its only one. */
  transportId?: string;
  /** The client's device capabilities: sent with the first consume, remembered after. */
  rtpCapabilities?: RtpCapabilitiesJson;
}
export interface ConsumeResult {
  consumerId: string;
  producerId: string;
  peerId: string;
  kind: MediaKind;
  source: MediaSource;
  rtpParameters: RtpParametersJson;
  type: string;
  producerPaused: boolean;
}
export interface ProducerRef {
  producerId: string;
}
export interface ConsumerRef {
  consumerId: string;
}
export interface SetPreferredLayersRequest {
  consumerId: string;
  spatialLayer: number;
  temporalLayer?: number;
}
export interface RestartIceRequest {
  transportId: string;
}
export interface PeerRef {
  peerId: string;
}
export interface MuteRequest {
  peerId: string;
  kind?: MediaKind;
}
export interface SetAudioOnlyRequest {
  enabled: boolean;
}
/** The state of a client's WebRTC transport (RTCPeerConnection.connectionState). */
export type TransportConnectionState =
  'new' | 'connecting' | 'connected' | 'disconnected' | 'failed' | 'closed';
/**
 * A client's hint that its media never flowed after joining (no_media), with its transports'
 * states. The server checks its own view before recording the call as failed.
 */
export interface MediaFailedRequest {
  reason: 'no_media';
  sendState?: TransportConnectionState;
  recvState?: TransportConnectionState;
}
export type Empty = Record<string, never>;

/** Pre-join probe: a short-lived send transport on the media node that nobody in the room sees. */
export interface ProbeRequest {
  /** Must equal the room the token names. */
  room: string;
}
export interface ProbeInfo {
  transport: TransportInfo;
  /** The probe router's capabilities (load the device with them). */
  rtpCapabilities: RtpCapabilitiesJson;
  iceServers: IceServer[];
  /** The node closes the probe this long after it started (probeEnded). */
  maxMs: number;
  /** The most the probe transport accepts (kbit/s). */
  maxKbps: number;
}
export interface ProbeProduceRequest {
  transportId: string;
  kind: MediaKind;
  rtpParameters: RtpParametersJson;
}
/** What the node received of the probe so far. */
export interface ProbeStats {
  elapsedMs: number;
  rtpBytesReceived: number;
  /** The transport's receive bitrate now (kbit/s). */
  recvKbps: number;
  packetsReceived: number;
  packetsLost: number;
  /** Round trip the node measured from RTCP (ms), when known. */
  rttMs: number | null;
}

/** Every request the server answers, its payload and its result. */
export interface MediaRequests {
  join: [JoinRequest, JoinResult];
  getRouterRtpCapabilities: [Empty, { rtpCapabilities: RtpCapabilitiesJson }];
  createTransport: [CreateTransportRequest, TransportInfo];
  connectTransport: [ConnectTransportRequest, Empty];
  produce: [ProduceRequest, { producerId: string }];
  closeProducer: [ProducerRef, Empty];
  pauseProducer: [ProducerRef, Empty];
  resumeProducer: [ProducerRef, Empty];
  consume: [ConsumeRequest, ConsumeResult];
  pauseConsumer: [ConsumerRef, Empty];
  resumeConsumer: [ConsumerRef, Empty];
  setPreferredLayers: [SetPreferredLayersRequest, Empty];
  restartIce: [RestartIceRequest, { iceParameters: Record<string, unknown> }];
  leave: [Empty, Empty];
  admit: [PeerRef, Empty];
  mute: [MuteRequest, { producerIds: string[] }];
  endRoom: [Empty, Empty];
  setAudioOnly: [SetAudioOnlyRequest, Empty];
  /** recorded: the server saw no media of this peer either and recorded its media as failed. */
  mediaFailed: [MediaFailedRequest, { recorded: boolean }];
  /** Pre-join probe (a connection that probes never joins): start, connect, send, read, end. */
  probe: [ProbeRequest, ProbeInfo];
  probeConnect: [ConnectTransportRequest, Empty];
  probeProduce: [ProbeProduceRequest, { producerId: string }];
  probeStats: [Empty, ProbeStats];
  probeEnd: [Empty, Empty];
}
export type MediaRequestName = keyof MediaRequests;

// ---- notifications (server -> client) ----

export type RejoinReason = 'worker_died' | 'server_shutdown' | 'room_reset';

export interface MediaNotifications {
  newProducer: ProducerInfo;
  producerClosed: { producerId: string; peerId: string };
  consumerClosed: { consumerId: string; producerId: string };
  consumerPaused: { consumerId: string };
  consumerResumed: { consumerId: string };
  consumerLayersChanged: {
    consumerId: string;
    spatialLayer: number | null;
    temporalLayer: number | null;
  };
  score: { consumerId?: string; producerId?: string; score: number; producerScore?: number };
  activeSpeaker: { peerId: string; producerId: string };
  peerJoined: PeerInfo;
  peerLeft: { peerId: string };
  peerWaiting: PeerInfo;
  admitted: {
    rtpCapabilities: RtpCapabilitiesJson;
    producers: ProducerInfo[];
    peers: PeerInfo[];
    setup?: MediaSetup;
  };
  muted: { kind: MediaKind; by: string; producerIds: string[] };
  roomEnded: { by: string };
  rejoin: { reason: RejoinReason };
  /**
   * Why: low_score (the mean score of the video received), low_bandwidth (the node's estimate of
   * the bitrate it can send this peer stayed below what video needs), loss (this peer reports
   * heavy loss). The node has already paused or capped the video it sends this peer.
   */
  suggestAudioOnly: {
    reason: 'low_score' | 'low_bandwidth' | 'loss';
    score: number;
    availableKbps?: number;
    lossPct?: number;
  };
  /** Dynacast, to a producer's owner: the highest spatial layer any consumer wants now (-1: nobody); send no higher. */
  producerLayers: { producerId: string; maxSpatialLayer: number };
  /** The node closed this connection's probe (its time limit, or the worker went away). */
  probeEnded: { reason: 'time_limit' | 'worker_closed' };
}
export type MediaNotificationName = keyof MediaNotifications;

// ---- acknowledgements ----

export type SignalingErrorCode =
  | 'invalid_message' // payload fails validation
  | 'payload_too_large'
  | 'unknown_request'
  | 'rate_limited'
  | 'not_joined' // request before a successful join
  | 'not_admitted' // still in the waiting room
  | 'forbidden' // role does not allow it
  | 'room_mismatch' // token names another room
  | 'room_ended'
  | 'not_found' // unknown transport/producer/consumer/peer id
  | 'resume_failed' // the peer to resume is gone: join again from scratch
  | 'cannot_consume'
  | 'unavailable' // no media worker right now
  | 'rejected' // the SFU refused the parameters (duplicate MID or SSRC, transport connected twice...); message says why
  | 'server_error';

export interface SignalingErrorBody {
  code: SignalingErrorCode;
  message: string;
  field?: string;
}

export type Ack<T> =
  { data: T; error?: undefined } | { error: SignalingErrorBody; data?: undefined };
