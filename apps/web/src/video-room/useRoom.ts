/**
 * The live room as React state: one MediaClient (libs/media-client: socket.io /media +
 * mediasoup-client) per page, the local camera/mic, remote tracks by peer, scores, and the
 * waiting room. Everything the page shows comes from the client's events.
 */
import {
  MediaClient,
  type MediaClientState,
  type RemoteTrack,
  type RoomHealth,
} from '@huizhen/media-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { mediaApi, type RoomRole } from '../api/media';
import { chosenDevices, openDevices } from './devices';
import type { RoomEntry } from './room-entry';
import { takeRoomTicket, takeWarmRoom } from './room-tickets';

export interface RoomPeer {
  peerId: string;
  practitionerId: string;
  name: string;
  role: string;
  admitted: boolean;
}

export interface RemoteTile {
  peerId: string;
  video: MediaStreamTrack | null;
  audio: MediaStreamTrack | null;
  screen: MediaStreamTrack | null;
  videoPaused: boolean;
  consumerIds: string[];
}

export type RoomPhase = 'preparing' | MediaClientState | 'ended' | 'failed';

export interface RoomState {
  phase: RoomPhase;
  role: RoomRole | null;
  error: unknown;
  local: MediaStream | null;
  localScreen: MediaStreamTrack | null;
  micOn: boolean;
  cameraOn: boolean;
  audioOnly: boolean;
  /** No camera/mic could be opened: the user takes part without sending. */
  deviceProblem: string | null;
  tiles: RemoteTile[];
  peers: Map<string, RoomPeer>;
  waiting: RoomPeer[];
  /** consumerId -> score (0-10) of what this page receives; producerId -> score of what it sends. */
  scores: Map<string, number>;
  sendScore: number | null;
  /** The server suggested audio-only (mean video score low for 10 s). */
  suggestAudioOnly: boolean;
  mutedBy: string | null;
  activeSpeaker: string | null;
  /** What this page actually receives (getStats every 0.5 s): per-peer tile state and bars, and whether media ever flowed. */
  health: RoomHealth | null;
  /** Media never flowed within 10 s of joining; recorded: the media server agreed and recorded the call as failed. */
  mediaFailed: { recorded: boolean | null } | null;
}

const INITIAL: RoomState = {
  phase: 'preparing',
  role: null,
  error: null,
  local: null,
  localScreen: null,
  micOn: true,
  cameraOn: true,
  audioOnly: false,
  deviceProblem: null,
  tiles: [],
  peers: new Map(),
  waiting: [],
  scores: new Map(),
  sendScore: null,
  suggestAudioOnly: false,
  mutedBy: null,
  activeSpeaker: null,
  health: null,
  mediaFailed: null,
};

/** Diagnostics for support staff (and the browser tests): `huizhenRoom.stats()` in the devtools console. */
interface RoomDiagnostics {
  state: () => string;
  health: () => RoomHealth | null;
  /** Join steps, ms since join() (the debug timeline). */
  timeline: () => { step: string; ms: number; at: number }[];
  /** The devices the room's camera and microphone tracks come from. */
  devices: () => { camera: string | null; mic: string | null };
  stats: () => Promise<
    {
      consumerId: string;
      peerId: string;
      kind: string;
      source: string;
      framesDecoded: number;
      packetsReceived: number;
      totalSamplesReceived: number;
    }[]
  >;
}

async function statsOf(client: MediaClient) {
  const out: Awaited<ReturnType<RoomDiagnostics['stats']>> = [];
  for (const r of client.remoteTracks) {
    const report = await r.consumer.getStats();
    let best = { framesDecoded: 0, packetsReceived: 0, totalSamplesReceived: 0 };
    // mediasoup-client's bandwidth probe shows as an extra inbound stream with no frames: keep the busiest.
    report.forEach((s: any) => {
      if (s.type !== 'inbound-rtp') return;
      const cand = {
        framesDecoded: s.framesDecoded ?? 0,
        packetsReceived: s.packetsReceived ?? 0,
        totalSamplesReceived: s.totalSamplesReceived ?? 0,
      };
      if (cand.packetsReceived >= best.packetsReceived) best = cand;
    });
    out.push({
      consumerId: r.consumerId,
      peerId: r.peerId,
      kind: r.kind,
      source: r.source,
      ...best,
    });
  }
  return out;
}

function upsertTile(tiles: RemoteTile[], r: RemoteTrack): RemoteTile[] {
  const track = r.track as unknown as MediaStreamTrack;
  const existing = tiles.find((t) => t.peerId === r.peerId) ?? {
    peerId: r.peerId,
    video: null,
    audio: null,
    screen: null,
    videoPaused: false,
    consumerIds: [],
  };
  const next: RemoteTile = {
    ...existing,
    consumerIds: [...new Set([...existing.consumerIds, r.consumerId])],
  };
  if (r.source === 'screen') next.screen = track;
  else if (r.kind === 'video') next.video = track;
  else next.audio = track;
  return [...tiles.filter((t) => t.peerId !== r.peerId), next];
}

/** `entry`: what the pre-join check handed over (its open devices, audio only), or a direct join. */
export function useRoom(
  consultationId: string,
  entry: RoomEntry = { stream: null, audioOnly: false },
) {
  const [state, setState] = useState<RoomState>(INITIAL);
  const clientRef = useRef<MediaClient | null>(null);
  const localRef = useRef<MediaStream | null>(null);
  const screenRef = useRef<MediaStreamTrack | null>(null);
  const patch = useCallback(
    (p: Partial<RoomState> | ((s: RoomState) => Partial<RoomState>)) =>
      setState((s) => ({ ...s, ...(typeof p === 'function' ? p(s) : p) })),
    [],
  );

  useEffect(() => {
    let disposed = false;
    let client: MediaClient | null = null;
    const offs: (() => void)[] = [];
    (async () => {
      // The consultation page opened the socket with a prefetched token while it showed the join
      // button (room-tickets.ts warmRoom): joining is one request on it. Else a new connection.
      const warm = await takeWarmRoom(consultationId);
      if (disposed) {
        warm?.client.close();
        return;
      }
      const ticket = warm?.ticket ?? (await takeRoomTicket(consultationId));
      if (disposed) return;
      let first = true;
      client =
        warm?.client ??
        new MediaClient({
          url: window.location.origin,
          room: ticket.room,
          // Each (re)connect asks for a fresh token: the first one is already in hand.
          token: async () => {
            if (first) {
              first = false;
              return ticket.token;
            }
            return (await mediaApi.roomToken(consultationId)).token;
          },
        });
      clientRef.current = client;
      const c = client;
      const deviceOf = (t?: MediaStreamTrack) => t?.getSettings().deviceId ?? null;
      (window as unknown as { huizhenRoom?: RoomDiagnostics }).huizhenRoom = {
        state: () => c.state,
        health: () => c.health,
        stats: () => statsOf(c),
        timeline: () => c.timeline,
        devices: () => ({
          camera: deviceOf(localRef.current?.getVideoTracks()[0]),
          mic: deviceOf(localRef.current?.getAudioTracks()[0]),
        }),
      };
      patch({ role: ticket.role });
      const addPeer = (p: RoomPeer) => patch((s) => ({ peers: new Map(s.peers).set(p.peerId, p) }));
      offs.push(
        // 'closed' follows 'roomEnded': keep saying why.
        c.on('state', (phase) => patch((s) => (s.phase === 'ended' ? {} : { phase }))),
        c.on('track', (r) => patch((s) => ({ tiles: upsertTile(s.tiles, r) }))),
        c.on('trackEnded', ({ peerId, consumerId }) =>
          patch((s) => {
            const remaining = c.remoteTracks.filter((t) => t.peerId === peerId);
            const scores = new Map(s.scores);
            scores.delete(consumerId);
            const tiles = s.tiles.filter((t) => t.peerId !== peerId);
            if (!remaining.length) return { tiles, scores };
            let rebuilt = tiles;
            for (const t of remaining) rebuilt = upsertTile(rebuilt, t);
            return { tiles: rebuilt, scores };
          }),
        ),
        c.on('peerJoined', (p) => {
          addPeer(p);
          patch((s) => ({
            waiting: s.waiting.filter(
              (w) => w.peerId !== p.peerId && w.practitionerId !== p.practitionerId,
            ),
          }));
        }),
        c.on('peerLeft', ({ peerId }) =>
          patch((s) => {
            const peers = new Map(s.peers);
            peers.delete(peerId);
            return {
              peers,
              tiles: s.tiles.filter((t) => t.peerId !== peerId),
              waiting: s.waiting.filter((w) => w.peerId !== peerId),
            };
          }),
        ),
        c.on('peerWaiting', (p) =>
          patch((s) => ({ waiting: [...s.waiting.filter((w) => w.peerId !== p.peerId), p] })),
        ),
        c.on('consumerPaused', ({ consumerId }) => {
          const r = c.remoteTracks.find((t) => t.consumerId === consumerId);
          if (r?.kind === 'video')
            patch((s) => ({
              tiles: s.tiles.map((t) => (t.peerId === r.peerId ? { ...t, videoPaused: true } : t)),
            }));
        }),
        c.on('consumerResumed', ({ consumerId }) => {
          const r = c.remoteTracks.find((t) => t.consumerId === consumerId);
          if (r?.kind === 'video')
            patch((s) => ({
              tiles: s.tiles.map((t) => (t.peerId === r.peerId ? { ...t, videoPaused: false } : t)),
            }));
        }),
        c.on('score', (d) => {
          if ('consumerId' in d && d.consumerId)
            patch((s) => ({ scores: new Map(s.scores).set(d.consumerId as string, d.score) }));
          else if ('producerId' in d) patch({ sendScore: d.score });
        }),
        c.on('activeSpeaker', (d) => patch({ activeSpeaker: d.peerId })),
        c.on('suggestAudioOnly', () => patch({ suggestAudioOnly: true })),
        c.on('muted', (d) => {
          if (d.kind === 'audio')
            localRef.current?.getAudioTracks().forEach((t) => (t.enabled = false));
          else localRef.current?.getVideoTracks().forEach((t) => (t.enabled = false));
          patch(
            d.kind === 'audio'
              ? { micOn: false, mutedBy: d.by }
              : { cameraOn: false, mutedBy: d.by },
          );
        }),
        c.on('roomEnded', () => patch({ phase: 'ended' })),
        c.on('health', (health) => patch({ health })),
        c.on('mediaFailed', (mediaFailed) => patch({ mediaFailed })),
      );
      // The socket opens and the room is joined while the camera starts: the first remote frame
      // needs no camera of ours; what we send is produced as soon as the camera is there.
      const joining = c.join();
      joining.catch(() => undefined);
      let local: MediaStream | null = null;
      let deviceProblem: string | null = null;
      if (ticket.role !== 'observer') {
        if (entry.stream) local = entry.stream;
        else {
          // The devices chosen in an earlier check (remembered), else the defaults; no camera: the microphone alone.
          const opened = await openDevices(chosenDevices());
          local = opened.stream;
          if (opened.camera !== 'ok')
            deviceProblem =
              opened.error instanceof Error
                ? opened.error.message
                : String(opened.error ?? opened.camera);
        }
        c.mark('camera');
      }
      if (disposed) {
        local?.getTracks().forEach((t) => t.stop());
        return;
      }
      localRef.current = local;
      // Audio only (the check advised it): the camera is published paused, to be switched on later.
      if (entry.audioOnly) local?.getVideoTracks().forEach((t) => (t.enabled = false));
      patch({
        local,
        deviceProblem,
        cameraOn: !!local?.getVideoTracks().length && !entry.audioOnly,
        micOn: !!local?.getAudioTracks().length,
      });
      await Promise.all(
        (local?.getTracks() ?? []).map((track) =>
          track.kind === 'audio'
            ? c.publish(track, 'mic')
            : c.publish(track, 'camera', { paused: entry.audioOnly }),
        ),
      );
      const joined = await joining;
      if (disposed) return;
      for (const p of joined.peers) if (p.admitted) addPeer(p);
      if (entry.audioOnly) {
        await c.setAudioOnly(true);
        patch({ audioOnly: true });
      }
    })().catch((error) => {
      if (!disposed) patch({ phase: 'failed', error });
    });
    return () => {
      disposed = true;
      for (const off of offs) off();
      void client?.leave();
      localRef.current?.getTracks().forEach((t) => t.stop());
      screenRef.current?.stop();
      clientRef.current = null;
      delete (window as unknown as { huizhenRoom?: RoomDiagnostics }).huizhenRoom;
    };
    // The entry is the page's for its whole life (a new check remounts the room).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [consultationId, patch]);

  const toggleMic = useCallback(async () => {
    const on = !state.micOn;
    localRef.current?.getAudioTracks().forEach((t) => (t.enabled = on));
    patch({ micOn: on, mutedBy: null });
    await clientRef.current?.setPublishingPaused('mic', !on);
  }, [state.micOn, patch]);

  const toggleCamera = useCallback(async () => {
    const on = !state.cameraOn;
    localRef.current?.getVideoTracks().forEach((t) => (t.enabled = on));
    patch({ cameraOn: on });
    await clientRef.current?.setPublishingPaused('camera', !on);
  }, [state.cameraOn, patch]);

  const toggleAudioOnly = useCallback(async () => {
    const on = !state.audioOnly;
    await clientRef.current?.setAudioOnly(on);
    patch({ audioOnly: on, suggestAudioOnly: false });
  }, [state.audioOnly, patch]);

  const stopScreen = useCallback(async () => {
    const track = screenRef.current;
    screenRef.current = null;
    track?.stop();
    patch({ localScreen: null });
    await clientRef.current?.unpublish('screen');
  }, [patch]);

  const toggleScreen = useCallback(async () => {
    if (screenRef.current) return stopScreen();
    const stream = await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    const track = stream.getVideoTracks()[0];
    screenRef.current = track;
    track.addEventListener('ended', () => void stopScreen());
    patch({ localScreen: track });
    await clientRef.current?.publish(track, 'screen');
  }, [stopScreen, patch]);

  const admit = useCallback(
    async (peerId: string) => {
      await clientRef.current?.admit(peerId);
      patch((s) => ({ waiting: s.waiting.filter((w) => w.peerId !== peerId) }));
    },
    [patch],
  );

  const mutePeer = useCallback((peerId: string) => clientRef.current?.mute(peerId, 'audio'), []);
  const endRoom = useCallback(() => clientRef.current?.endRoom(), []);
  const leave = useCallback(async () => {
    await clientRef.current?.leave();
    localRef.current?.getTracks().forEach((t) => t.stop());
    patch({ phase: 'closed' });
  }, [patch]);

  return {
    state,
    toggleMic,
    toggleCamera,
    toggleAudioOnly,
    toggleScreen,
    admit,
    mutePeer,
    endRoom,
    leave,
  };
}

/** Mean score (0-10) of what this page receives from a peer, or null while none arrived. */
export function tileScore(state: RoomState, tile: RemoteTile): number | null {
  const scores = tile.consumerIds
    .map((id) => state.scores.get(id))
    .filter((s): s is number => typeof s === 'number');
  return scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null;
}
