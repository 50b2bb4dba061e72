/**
 * What a participant actually receives, from getStats() samples of each remote track (the
 * consumer side's inbound-rtp), as pure functions: is the track flowing, stalled (it flowed and
 * stopped: frozen picture, silence) or still waiting for its first frame, and how good is it
 * (loss, jitter, frame rate and bitrate over the last seconds). The server's consumer scores say
 * what the SFU forwards; they stay "good" through an outage, so the bars never come from them alone.
 */
import type { types } from 'mediasoup-client';
import type { MediaKind, MediaSource } from '@huizhen/media-signaling';

/** One getStats() reading of a remote track's inbound-rtp stream. */
export interface InboundSample {
  /** When it was read (ms, any monotonic clock). */
  at: number;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  /** Seconds, as RTCInboundRtpStreamStats reports it. */
  jitter: number;
  /** Video: frames decoded so far. */
  framesDecoded?: number;
}

export interface HealthOptions {
  /** A track that flowed and shows no progress for this long is stalled (default 2 s: with samples every 0.5 s, seen 2-3 s after its last frame). */
  stallMs: number;
  /** Quality is judged over this much history (default 3 s). */
  windowMs: number;
  /** Media that never flowed this long after joining (or after a track appeared) has failed (default 10 s). */
  noMediaMs: number;
}

export const HEALTH_DEFAULTS: HealthOptions = { stallMs: 2000, windowMs: 3000, noMediaMs: 10_000 };

/** waiting: no frame (video) or packet (audio) yet; paused: none expected (muted, camera off, audio-only). */
export type FlowState = 'waiting' | 'flowing' | 'stalled' | 'paused';
export type QualityLevel = 'unknown' | 'good' | 'fair' | 'poor' | 'lost';

/** What the monitor remembers of one track between samples. */
export interface TrackMemory {
  kind: MediaKind;
  /** Since when progress is expected (the track appeared, or was resumed). */
  expectedSince: number;
  /** Last time frames (video) or packets (audio) went up. */
  lastProgressAt: number | null;
  everFlowed: boolean;
  paused: boolean;
  /** Recent samples, oldest first, about windowMs of them. */
  window: InboundSample[];
}

export interface TrackHealth {
  kind: MediaKind;
  state: FlowState;
  level: QualityLevel;
  /** How long nothing arrived (stalled) or has been awaited (waiting), ms. */
  quietMs: number;
  kbps: number | null;
  lossPct: number | null;
  jitterMs: number | null;
  fps: number | null;
}

export function newTrackMemory(kind: MediaKind, at: number): TrackMemory {
  return {
    kind,
    expectedSince: at,
    lastProgressAt: null,
    everFlowed: false,
    paused: false,
    window: [],
  };
}

const progressOf = (kind: MediaKind, s: InboundSample) =>
  kind === 'video' ? (s.framesDecoded ?? 0) : s.packetsReceived;

/**
 * Adds a sample. `expected`: the sender is not paused and this page did not ask for the track to
 * stop (audio-only): only then is silence a problem. A track becoming expected again gets a fresh
 * stallMs before it counts as stalled.
 */
export function observeTrack(
  m: TrackMemory,
  sample: InboundSample,
  expected: boolean,
  opts: HealthOptions = HEALTH_DEFAULTS,
): TrackMemory {
  const prev = m.window[m.window.length - 1];
  const progressed = prev
    ? progressOf(m.kind, sample) > progressOf(m.kind, prev)
    : progressOf(m.kind, sample) > 0;
  const window = [...m.window, sample].filter((s) => sample.at - s.at <= opts.windowMs);
  // Keep one sample at or beyond the window's start so deltas span the whole window.
  const older = m.window.filter((s) => sample.at - s.at > opts.windowMs);
  if (older.length) window.unshift(older[older.length - 1]);
  const resumed = m.paused && expected;
  return {
    kind: m.kind,
    expectedSince: resumed ? sample.at : m.expectedSince,
    lastProgressAt: progressed ? sample.at : m.lastProgressAt,
    everFlowed: m.everFlowed || progressed,
    paused: !expected,
    window,
  };
}

function levelOf(
  kind: MediaKind,
  lossPct: number,
  jitterMs: number,
  fps: number | null,
): Exclude<QualityLevel, 'unknown' | 'lost'> {
  if (kind === 'video') {
    if (lossPct < 2 && jitterMs < 30 && (fps ?? 0) >= 12) return 'good';
    if (lossPct < 8 && jitterMs < 80 && (fps ?? 0) >= 5) return 'fair';
    return 'poor';
  }
  if (lossPct < 2 && jitterMs < 30) return 'good';
  if (lossPct < 8 && jitterMs < 60) return 'fair';
  return 'poor';
}

/** The track's state and quality at `now`. */
export function assessTrack(
  m: TrackMemory,
  now: number,
  opts: HealthOptions = HEALTH_DEFAULTS,
): TrackHealth {
  const none = { kbps: null, lossPct: null, jitterMs: null, fps: null };
  if (m.paused) return { kind: m.kind, state: 'paused', level: 'unknown', quietMs: 0, ...none };
  const since = Math.max(m.lastProgressAt ?? -Infinity, m.expectedSince);
  const quietMs = Math.max(0, now - since);
  if (!m.everFlowed || m.lastProgressAt === null)
    return { kind: m.kind, state: 'waiting', level: 'unknown', quietMs, ...none };
  if (now - since >= opts.stallMs)
    return { kind: m.kind, state: 'stalled', level: 'lost', quietMs, ...none };
  const first = m.window[0];
  const last = m.window[m.window.length - 1];
  const dt = last && first ? (last.at - first.at) / 1000 : 0;
  if (!first || !last || dt <= 0)
    return { kind: m.kind, state: 'flowing', level: 'unknown', quietMs: 0, ...none };
  const received = Math.max(0, last.packetsReceived - first.packetsReceived);
  const lost = Math.max(0, last.packetsLost - first.packetsLost);
  const lossPct = received + lost > 0 ? (100 * lost) / (received + lost) : 0;
  const kbps = (Math.max(0, last.bytesReceived - first.bytesReceived) * 8) / 1000 / dt;
  const fps =
    m.kind === 'video'
      ? Math.max(0, (last.framesDecoded ?? 0) - (first.framesDecoded ?? 0)) / dt
      : null;
  const jitterMs = last.jitter * 1000;
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    kind: m.kind,
    state: 'flowing',
    level: levelOf(m.kind, lossPct, jitterMs, fps),
    quietMs: 0,
    kbps: round(kbps),
    lossPct: round(lossPct),
    jitterMs: round(jitterMs),
    fps: fps === null ? null : round(fps),
  };
}

const ORDER: QualityLevel[] = ['lost', 'poor', 'fair', 'good'];
const worse = (a: QualityLevel, b: QualityLevel): QualityLevel =>
  a === 'unknown' ? b : b === 'unknown' ? a : ORDER[Math.min(ORDER.indexOf(a), ORDER.indexOf(b))];

/** The bars' level from the server's 0-10 score (what the SFU forwards). */
export function levelOfScore(score: number | null): QualityLevel {
  return score === null ? 'unknown' : score >= 8 ? 'good' : score >= 5 ? 'fair' : 'poor';
}

/**
 * A remote participant's tile. lost: everything expected from them stopped arriving ("connection
 * lost, reconnecting"); frozen: their picture stopped while their sound goes on; failed: nothing of
 * theirs ever arrived within noMediaMs; idle: nothing expected (camera and microphone off).
 */
export type TileState = 'waiting' | 'flowing' | 'frozen' | 'lost' | 'failed' | 'idle';

export interface TileHealth {
  state: TileState;
  /** Bars: the worse of what arrives (stats) and the server's score; 'lost' while nothing arrives. */
  level: QualityLevel;
}

export function assessTile(
  tracks: TrackHealth[],
  serverScore: number | null = null,
  opts: HealthOptions = HEALTH_DEFAULTS,
): TileHealth {
  const expected = tracks.filter((t) => t.state !== 'paused');
  if (!expected.length) return { state: 'idle', level: levelOfScore(serverScore) };
  const flowing = expected.filter((t) => t.state === 'flowing');
  const stalled = expected.filter((t) => t.state === 'stalled');
  if (flowing.length) {
    const statsLevel = flowing.reduce<QualityLevel>((l, t) => worse(l, t.level), 'unknown');
    const videoStalled = stalled.some((t) => t.kind === 'video');
    // The picture froze while the sound goes on: at best poor.
    const level = worse(
      worse(statsLevel, levelOfScore(serverScore)),
      videoStalled ? 'poor' : 'unknown',
    );
    return {
      state: videoStalled ? 'frozen' : 'flowing',
      level: level === 'unknown' ? 'unknown' : level,
    };
  }
  if (stalled.length) return { state: 'lost', level: 'lost' };
  // Nothing ever arrived from them.
  if (expected.every((t) => t.quietMs >= opts.noMediaMs)) return { state: 'failed', level: 'lost' };
  return { state: 'waiting', level: 'unknown' };
}

/**
 * The room's verdict on this participant's media: flowing once anything moved (a remote track
 * progressed, or our sending path connected); failed when, noMediaMs after joining, something was
 * expected (we send, or someone sends to us) and nothing ever moved; pending otherwise.
 */
export function mediaVerdict(
  o: { joinedAt: number | null; now: number; everFlowed: boolean; expecting: boolean },
  opts: HealthOptions = HEALTH_DEFAULTS,
): 'pending' | 'flowing' | 'failed' {
  if (o.everFlowed) return 'flowing';
  if (o.joinedAt === null || !o.expecting) return 'pending';
  return o.now - o.joinedAt >= opts.noMediaMs ? 'failed' : 'pending';
}

/** The busiest inbound-rtp stream of a consumer (mediasoup-client's bandwidth probe, SSRC 1234, never carries media). */
export async function inboundSample(
  consumer: types.Consumer,
): Promise<Omit<InboundSample, 'at'> | null> {
  const report = await consumer.getStats();
  let best: Record<string, number> | null = null;
  report.forEach((s: Record<string, number | string>) => {
    if (s.type !== 'inbound-rtp' || s.ssrc === 1234) return;
    if (!best || Number(s.packetsReceived ?? 0) >= Number(best.packetsReceived ?? 0))
      best = s as Record<string, number>;
  });
  if (!best) return null;
  const b: Record<string, number> = best;
  return {
    packetsReceived: b.packetsReceived ?? 0,
    packetsLost: b.packetsLost ?? 0,
    bytesReceived: b.bytesReceived ?? 0,
    jitter: b.jitter ?? 0,
    framesDecoded: b.framesDecoded ?? 0,
  };
}

/** What this participant receives, judged from getStats() every healthIntervalMs (see receive-health). */
export interface RoomHealth {
  /** flowing once anything moved (a remote track, or a transport connected); failed: nothing within noMediaMs of joining. */
  media: 'pending' | 'flowing' | 'failed';
  /** Per remote track, by consumer id. */
  tracks: Record<string, TrackHealth & { peerId: string; source: MediaSource }>;
  /** Per remote participant, by peer id: their tile's state and bars. */
  peers: Record<string, TileHealth>;
}

/** One remote track at a sampling: who and what it is, whether media should arrive, the SFU's score and the reading. */
export interface SampledRemote {
  consumerId: string;
  peerId: string;
  source: MediaSource;
  kind: MediaKind;
  /** Not paused by its sender or by us, and not a video we turned off (audio-only). */
  expected: boolean;
  score: number | undefined;
  /** null: no inbound-rtp yet (or the consumer closed). */
  sample: Omit<InboundSample, 'at'> | null;
}

/** What the room remembers between samplings (updated in place). */
export interface RoomMemory {
  joinedAt: number | null;
  everFlowed: boolean;
  memories: Map<string, TrackMemory>;
}

const NOTHING_YET: Omit<InboundSample, 'at'> = {
  packetsReceived: 0,
  packetsLost: 0,
  bytesReceived: 0,
  jitter: 0,
  framesDecoded: 0,
};

/**
 * The room's health from one sampling of every remote track: each track observed into its
 * memory and judged, each participant's tile from their tracks (and the lowest SFU score), and
 * whether media flows at all. `pathConnected`: a transport of ours is connected, so media that
 * is missing is not our path's fault; `expecting`: there is something to receive or send.
 */
export function assessRoom(
  remotes: SampledRemote[],
  room: RoomMemory,
  facts: { now: number; pathConnected: boolean; expecting: boolean },
  o: HealthOptions,
): RoomHealth {
  const { now } = facts;
  const tracks: RoomHealth['tracks'] = {};
  const byPeer = new Map<string, { health: TrackHealth[]; scores: number[] }>();
  for (const r of remotes) {
    const memory = observeTrack(
      room.memories.get(r.consumerId) ?? newTrackMemory(r.kind, now),
      { ...(r.sample ?? NOTHING_YET), at: now },
      r.expected,
      o,
    );
    room.memories.set(r.consumerId, memory);
    if (memory.everFlowed) room.everFlowed = true;
    const h = assessTrack(memory, now, o);
    tracks[r.consumerId] = { ...h, peerId: r.peerId, source: r.source };
    const peer = byPeer.get(r.peerId) ?? { health: [], scores: [] };
    peer.health.push(h);
    if (typeof r.score === 'number') peer.scores.push(r.score);
    byPeer.set(r.peerId, peer);
  }
  if (facts.pathConnected) room.everFlowed = true;
  const peers: RoomHealth['peers'] = {};
  for (const [peerId, { health, scores }] of byPeer)
    peers[peerId] = assessTile(health, scores.length ? Math.min(...scores) : null, o);
  const media = mediaVerdict(
    { joinedAt: room.joinedAt, now, everFlowed: room.everFlowed, expecting: facts.expecting },
    o,
  );
  return { media, tracks, peers };
}
