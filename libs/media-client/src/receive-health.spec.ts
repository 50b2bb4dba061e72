import { describe, expect, it } from '@jest/globals';
import type { MediaKind } from '@huizhen/media-signaling';
import {
  type InboundSample,
  type TrackHealth,
  type TrackMemory,
  type RoomMemory,
  type SampledRemote,
  HEALTH_DEFAULTS,
  assessRoom,
  assessTile,
  assessTrack,
  mediaVerdict,
  newTrackMemory,
  observeTrack,
} from './receive-health';

/** Feeds one sample a second; `f(i)` gives the counters at second i. */
function run(
  kind: MediaKind,
  seconds: number,
  f: (i: number) => Partial<InboundSample>,
  expected: (i: number) => boolean = () => true,
): TrackMemory {
  let m = newTrackMemory(kind, 0);
  for (let i = 1; i <= seconds; i++) {
    m = observeTrack(
      m,
      {
        at: i * 1000,
        packetsReceived: 0,
        packetsLost: 0,
        bytesReceived: 0,
        jitter: 0.005,
        ...f(i),
      },
      expected(i),
    );
  }
  return m;
}

const video =
  (fps: number, lossEvery = 0) =>
  (i: number) => ({
    framesDecoded: i * fps,
    packetsReceived: i * 100,
    packetsLost: lossEvery ? Math.floor((i * 100) / lossEvery) : 0,
    bytesReceived: i * 60_000,
  });
const audio = (i: number) => ({ packetsReceived: i * 50, bytesReceived: i * 4000 });

describe('receive health (from getStats samples of what a page receives)', () => {
  it('a steady video track is flowing and good, with its rates over the window', () => {
    const h = assessTrack(run('video', 6, video(20)), 6000);
    expect(h).toMatchObject({
      state: 'flowing',
      level: 'good',
      fps: 20,
      lossPct: 0,
      kbps: 480,
      jitterMs: 5,
    });
  });

  it('loss and jitter lower the level', () => {
    expect(assessTrack(run('video', 6, video(20, 25)), 6000)).toMatchObject({
      state: 'flowing',
      level: 'fair',
    }); // 4 % loss
    expect(assessTrack(run('video', 6, video(20, 8)), 6000)).toMatchObject({ level: 'poor' }); // 12.5 %
    expect(
      assessTrack(
        run('audio', 6, (i) => ({ ...audio(i), jitter: 0.12 })),
        6000,
      ),
    ).toMatchObject({ level: 'poor', jitterMs: 120 });
    expect(assessTrack(run('video', 6, video(3)), 6000)).toMatchObject({ level: 'poor', fps: 3 });
  });

  it('frames that stop for 2 s make a stalled track (lost), and it flows again when they return', () => {
    // Frames until second 5, then none (the counters stay where they were).
    const frozen = (i: number) => video(20)(Math.min(i, 5));
    expect(assessTrack(run('video', 6, frozen), 6900)).toMatchObject({ state: 'flowing' }); // 1.9 s: not yet
    expect(assessTrack(run('video', 7, frozen), 7000)).toMatchObject({
      state: 'stalled',
      level: 'lost',
      quietMs: 2000,
    });
    const back = (i: number) => video(20)(i <= 5 ? i : i >= 10 ? i - 4 : 5);
    expect(assessTrack(run('video', 10, back), 10_000)).toMatchObject({ state: 'flowing' });
  });

  it('audio counts packets (DTX silence still sends some); none for 2 s is stalled', () => {
    expect(
      assessTrack(
        run('audio', 8, (i) => audio(Math.min(i, 5))),
        8000,
      ),
    ).toMatchObject({ state: 'stalled' });
    expect(
      assessTrack(
        run('audio', 8, (i) => ({ packetsReceived: i * 3, bytesReceived: i * 100 })),
        8000,
      ),
    ).toMatchObject({ state: 'flowing' });
  });

  it('a paused track is not expected to flow; once resumed it gets a fresh 2 s', () => {
    const pausedFrom3 = (i: number) => i < 3;
    expect(
      assessTrack(
        run('video', 8, (i) => video(20)(Math.min(i, 2)), pausedFrom3),
        8000,
      ),
    ).toMatchObject({ state: 'paused' });
    const resumedAt8 = (i: number) => i < 3 || i >= 8;
    const m = run('video', 9, (i) => video(20)(Math.min(i, 2)), resumedAt8);
    expect(assessTrack(m, 9000)).toMatchObject({ state: 'flowing' });
    expect(assessTrack(m, 10_500)).toMatchObject({ state: 'stalled' });
  });

  it('a track that never produced a frame is waiting, not stalled', () => {
    expect(
      assessTrack(
        run('video', 5, () => ({})),
        5000,
      ),
    ).toMatchObject({ state: 'waiting', level: 'unknown', quietMs: 5000 });
  });
});

describe('tile state and bars', () => {
  const t = (
    kind: MediaKind,
    state: TrackHealth['state'],
    level: TrackHealth['level'] = 'good',
    quietMs = 0,
  ): TrackHealth => ({
    kind,
    state,
    level,
    quietMs,
    kbps: null,
    lossPct: null,
    jitterMs: null,
    fps: null,
  });

  it('everything expected stopped: connection lost, whatever the server score says', () => {
    expect(assessTile([t('video', 'stalled', 'lost'), t('audio', 'stalled', 'lost')], 10)).toEqual({
      state: 'lost',
      level: 'lost',
    });
    // Camera off (paused) and the sound stopped: still lost.
    expect(
      assessTile([t('video', 'paused', 'unknown'), t('audio', 'stalled', 'lost')], 10),
    ).toEqual({ state: 'lost', level: 'lost' });
  });

  it('a frozen picture with the sound going on is frozen and at best poor', () => {
    expect(assessTile([t('video', 'stalled', 'lost'), t('audio', 'flowing', 'good')], 10)).toEqual({
      state: 'frozen',
      level: 'poor',
    });
  });

  it('the bars are the worse of what arrives and the server score', () => {
    expect(assessTile([t('video', 'flowing', 'good'), t('audio', 'flowing', 'good')], 10)).toEqual({
      state: 'flowing',
      level: 'good',
    });
    expect(assessTile([t('video', 'flowing', 'fair'), t('audio', 'flowing', 'good')], 10)).toEqual({
      state: 'flowing',
      level: 'fair',
    });
    expect(assessTile([t('video', 'flowing', 'good'), t('audio', 'flowing', 'good')], 3)).toEqual({
      state: 'flowing',
      level: 'poor',
    });
    expect(assessTile([t('video', 'flowing', 'unknown')], null)).toEqual({
      state: 'flowing',
      level: 'unknown',
    });
  });

  it('nothing ever arrived: waiting, then failed after noMediaMs; nothing expected: idle', () => {
    expect(assessTile([t('video', 'waiting', 'unknown', 4000)])).toEqual({
      state: 'waiting',
      level: 'unknown',
    });
    expect(
      assessTile([
        t('video', 'waiting', 'unknown', 10_000),
        t('audio', 'waiting', 'unknown', 10_000),
      ]),
    ).toEqual({ state: 'failed', level: 'lost' });
    expect(assessTile([t('video', 'paused', 'unknown')], 9)).toEqual({
      state: 'idle',
      level: 'good',
    });
  });
});

describe('the room verdict on media that never flowed', () => {
  it('fails 10 s after joining when something was expected and nothing moved', () => {
    expect(mediaVerdict({ joinedAt: 0, now: 9_999, everFlowed: false, expecting: true })).toBe(
      'pending',
    );
    expect(mediaVerdict({ joinedAt: 0, now: 10_000, everFlowed: false, expecting: true })).toBe(
      'failed',
    );
    expect(mediaVerdict({ joinedAt: 0, now: 60_000, everFlowed: true, expecting: true })).toBe(
      'flowing',
    );
    // Alone with nothing to send (an observer in an empty room): no verdict.
    expect(mediaVerdict({ joinedAt: 0, now: 60_000, everFlowed: false, expecting: false })).toBe(
      'pending',
    );
    expect(mediaVerdict({ joinedAt: null, now: 60_000, everFlowed: false, expecting: true })).toBe(
      'pending',
    );
  });
});

describe('the room from one sampling of every remote track', () => {
  const remote = (over: Partial<SampledRemote>): SampledRemote => ({
    consumerId: 'c',
    peerId: 'doctor',
    source: 'camera',
    kind: 'video',
    expected: true,
    score: undefined,
    sample: null,
    ...over,
  });
  const sampling = (room: RoomMemory, now: number, remotes: SampledRemote[]) =>
    assessRoom(remotes, room, { now, pathConnected: false, expecting: true }, HEALTH_DEFAULTS);

  it('judges each track from its memory, each tile from its tracks, and media as flowing once any did', () => {
    const room: RoomMemory = { joinedAt: 0, everFlowed: false, memories: new Map() };
    let health = sampling(room, 0, []);
    for (let s = 1; s <= 3; s++) {
      const frames = s * 15;
      health = sampling(room, s * 1000, [
        remote({
          consumerId: 'v',
          score: 9,
          sample: {
            packetsReceived: s * 60,
            packetsLost: 0,
            bytesReceived: s * 60_000,
            jitter: 0.005,
            framesDecoded: frames,
          },
        }),
        remote({ consumerId: 'a', kind: 'audio', source: 'mic', score: 4, sample: null }),
        remote({ consumerId: 'x', peerId: 'observer', sample: null }),
      ]);
    }
    expect(health.media).toBe('flowing');
    expect(room.everFlowed).toBe(true);
    expect(health.tracks.v).toMatchObject({ state: 'flowing', peerId: 'doctor', source: 'camera' });
    expect(health.tracks.a.state).toBe('waiting');
    expect([...room.memories.keys()].sort()).toEqual(['a', 'v', 'x']);
    // The doctor's tile: flowing video, its bars no better than the lowest SFU score (4 of 10).
    expect(health.peers.doctor.state).toBe('flowing');
    expect(health.peers.doctor.level).toBe(assessTile([health.tracks.v], 4).level);
    expect(health.peers.observer.state).toBe('waiting');
  });

  it('fails when nothing flows within noMediaMs of joining, unless our own path connected', () => {
    const late = HEALTH_DEFAULTS.noMediaMs + 1000;
    const nothing = { joinedAt: 0, everFlowed: false, memories: new Map() };
    expect(sampling(nothing, late, [remote({})]).media).toBe('failed');
    const connected = { joinedAt: 0, everFlowed: false, memories: new Map() };
    const health = assessRoom(
      [remote({})],
      connected,
      { now: late, pathConnected: true, expecting: true },
      HEALTH_DEFAULTS,
    );
    expect(health.media).toBe('flowing');
  });
});
