import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type MediaTestApp,
  RawSignalingClient,
  VIDEO_RTP_PARAMETERS,
  startMediaApp,
  waitFor,
} from './support/media-harness';

const DTLS = {
  role: 'client',
  fingerprints: [{ algorithm: 'sha-256', value: 'AB:'.repeat(31) + 'AB' }],
};

// The pre-join probe's server side (real media app and mediasoup workers, signaling by hand):
// who may probe, what a probe may do, that nobody in the room sees it, and its limits.
describe('pre-join probe (socket.io /media, real mediasoup)', () => {
  let media: MediaTestApp;
  const clients: RawSignalingClient[] = [];
  let seq = 0;
  const newRoom = () => `probe-room-${Date.now().toString(36)}-${++seq}`;
  async function client(
    room: string,
    role: Parameters<MediaTestApp['token']>[1] = 'township_doctor',
    sub?: string,
  ) {
    const c = await RawSignalingClient.connect(media.url, { token: media.token(room, role, sub) });
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    media = await startMediaApp({ MEDIA_WORKERS: '1' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
    Object.assign(media.rooms.probes.limits, { maxMs: 15_000, perMinute: 6 });
  });
  afterAll(async () => {
    await media?.close();
  });

  it('is refused without a room token, and for a room other than the token’s', async () => {
    const err = await RawSignalingClient.connect(media.url, {}).then(
      () => null,
      (e: Error & { data?: unknown }) => e,
    );
    expect(err?.data).toEqual({ code: 'unauthorized', reason: 'malformed' });
    const mine = newRoom();
    const c = await client(mine);
    expect((await c.request('probe', { room: newRoom() })).error).toMatchObject({
      code: 'room_mismatch',
    });
    expect(media.rooms.probes.size).toBe(0);
    // Nothing else of a probe works before one runs on this connection.
    expect((await c.request('probeStats', {})).error).toMatchObject({ code: 'not_found' });
    expect(
      (
        await c.request('probeProduce', {
          transportId: 'x',
          kind: 'video',
          rtpParameters: VIDEO_RTP_PARAMETERS,
        })
      ).error,
    ).toMatchObject({ code: 'not_found' });
    expect((await c.request('probe', { room: mine, extra: 1 })).error).toMatchObject({
      code: 'invalid_message',
      field: 'extra',
    });
  });

  it('is refused for a room its host ended (a token issued before the end)', async () => {
    const room = newRoom();
    const host = await client(room, 'host');
    await host.ok('join', { room });
    const doctor = await client(room);
    await host.ok('endRoom');
    expect((await doctor.request('probe', { room })).error).toMatchObject({ code: 'room_ended' });
  });

  it('runs a send transport nobody in the room sees, on a connection that never joins', async () => {
    const room = newRoom();
    const host = await client(room, 'host');
    await host.ok('join', { room });
    const doctor = await client(room);
    const info = await doctor.ok('probe', { room });
    expect(info).toMatchObject({ transport: { direction: 'send' }, maxMs: 15_000, maxKbps: 2500 });
    expect(info.transport.iceCandidates.length).toBeGreaterThan(0);
    expect(Array.isArray(info.rtpCapabilities.codecs)).toBe(true);
    await doctor.ok('probeConnect', { transportId: info.transport.id, dtlsParameters: DTLS });
    const { producerId } = await doctor.ok('probeProduce', {
      transportId: info.transport.id,
      kind: 'video',
      rtpParameters: VIDEO_RTP_PARAMETERS,
    });
    expect(producerId).toBeTruthy();
    expect(
      (
        await doctor.request('probeProduce', {
          transportId: info.transport.id,
          kind: 'video',
          rtpParameters: VIDEO_RTP_PARAMETERS,
        })
      ).error,
    ).toMatchObject({ code: 'forbidden' });
    expect(
      (await doctor.request('probeConnect', { transportId: 'another', dtlsParameters: DTLS }))
        .error,
    ).toMatchObject({ code: 'not_found' });
    expect(await doctor.ok('probeStats')).toMatchObject({ rtpBytesReceived: 0, packetsLost: 0 });
    // The room knows nothing of it: one peer, no waiting, no producer announced.
    const theRoom = media.rooms.rooms.get(room)!;
    expect(theRoom.peers.size).toBe(1);
    expect(theRoom.producerInfos()).toEqual([]);
    await new Promise((r) => setTimeout(r, 200));
    expect(host.events.map((e) => e.event).filter((e) => e !== 'score')).toEqual([]);
    // A probing connection does not join; a joined one does not probe.
    expect((await doctor.request('join', { room })).error).toMatchObject({ code: 'forbidden' });
    expect((await host.request('probe', { room })).error).toMatchObject({ code: 'forbidden' });
    // probeEnd closes it.
    expect(media.rooms.probes.size).toBe(1);
    await doctor.ok('probeEnd');
    expect(media.rooms.probes.size).toBe(0);
    expect((await doctor.request('probeStats', {})).error).toMatchObject({ code: 'not_found' });
  });

  it('is closed at its time limit (probeEnded) and when its socket goes', async () => {
    const room = newRoom();
    media.rooms.probes.limits.maxMs = 300;
    const c = await client(room);
    const info = await c.ok('probe', { room });
    expect(info.maxMs).toBe(300);
    expect(await c.next('probeEnded', () => true, 3000)).toEqual({ reason: 'time_limit' });
    expect((await c.request('probeStats', {})).error).toMatchObject({ code: 'not_found' });
    expect(media.rooms.probes.size).toBe(0);
    media.rooms.probes.limits.maxMs = 15_000;
    const d = await client(room);
    await d.ok('probe', { room });
    expect(media.rooms.probes.size).toBe(1);
    d.close();
    await waitFor('probe closed with its socket', () => media.rooms.probes.size === 0, 5000);
  });

  it('runs one probe per practitioner at a time, a few a minute', async () => {
    const room = newRoom();
    media.rooms.probes.limits.perMinute = 3;
    const sub = `rate-${seq}`;
    const first = await client(room, 'township_doctor', sub);
    await first.ok('probe', { room });
    const second = await client(room, 'township_doctor', sub);
    await second.ok('probe', { room });
    // The newer one replaced the first.
    expect(media.rooms.probes.size).toBe(1);
    expect((await first.request('probeStats', {})).error).toMatchObject({ code: 'not_found' });
    await second.ok('probe', { room });
    expect((await second.request('probe', { room })).error).toMatchObject({ code: 'rate_limited' });
    // Another practitioner is not held back.
    const other = await client(room);
    await other.ok('probe', { room });
  });
});
