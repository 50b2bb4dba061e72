import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { signRoomToken } from '@huizhen/room-token';
import {
  AUDIO_RTP_PARAMETERS,
  type MediaTestApp,
  RawSignalingClient,
  VIDEO_RTP_PARAMETERS,
  startMediaApp,
  waitFor,
} from './support/media-harness';

// Signaling without a browser: real media app, real mediasoup workers, socket.io-client by hand.
describe('media signaling (socket.io /media, real mediasoup)', () => {
  let media: MediaTestApp;
  const clients: RawSignalingClient[] = [];
  let roomSeq = 0;
  const newRoom = () => `consult-${Date.now().toString(36)}-${++roomSeq}`;

  let subSeq = 0;
  async function client(
    room: string,
    role: Parameters<MediaTestApp['token']>[1],
    sub = `p-${role}-${++subSeq}`,
  ) {
    const c = await RawSignalingClient.connect(media.url, { token: media.token(room, role, sub) });
    clients.push(c);
    return Object.assign(c, { sub });
  }

  /** A host plus an admitted township doctor, both joined. */
  async function twoParty(room = newRoom()) {
    const host = await client(room, 'host');
    const hostJoin = await host.ok('join', { room });
    const doctor = await client(room, 'township_doctor');
    const doctorJoin = await doctor.ok('join', { room });
    const waiting = await host.next('peerWaiting');
    await host.ok('admit', { peerId: waiting.peerId });
    const admitted = await doctor.next('admitted');
    return { room, host, doctor, hostJoin, doctorJoin, admitted };
  }

  beforeAll(async () => {
    // Small rooms spread over both workers: every two-party room here exercises pipeToRouter.
    media = await startMediaApp({
      MEDIA_WORKERS: '2',
      MEDIA_PEERS_PER_ROUTER: '1',
      MEDIA_PEER_GRACE_SECONDS: '5',
    });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await media?.close();
  });

  it('refuses a handshake without a valid room token', async () => {
    const room = newRoom();
    const secret = media.config.roomTokenSecret;
    const expired = signRoomToken(
      { sub: 'p1', name: 'A', room, role: 'host' },
      secret,
      60,
      Date.now() - 3600_000,
    );
    const forged = signRoomToken(
      { sub: 'p1', name: 'A', room, role: 'host' },
      'another-secret-another-secret-0001',
      60,
    );
    for (const [auth, reason] of [
      [{}, 'malformed'],
      [{ token: 'not.a.jwt' }, 'malformed'],
      [{ token: forged }, 'bad_signature'],
      [{ token: expired }, 'expired'],
    ] as const) {
      const err = await RawSignalingClient.connect(media.url, auth).then(
        () => null,
        (e: Error & { data?: { code: string; reason: string } }) => e,
      );
      expect(err?.data).toEqual({ code: 'unauthorized', reason });
    }
  });

  it('refuses a token issued for another room', async () => {
    const mine = newRoom();
    const c = await client(mine, 'township_doctor');
    const a = await c.request('join', { room: newRoom() });
    expect(a.error).toMatchObject({ code: 'room_mismatch' });
    expect((await c.request('createTransport', { direction: 'recv' })).error).toMatchObject({
      code: 'not_joined',
    });
  });

  it('keeps participants in the waiting room until the host admits them', async () => {
    const room = newRoom();
    const doctor = await client(room, 'township_doctor');
    const join = await doctor.ok('join', { room });
    expect(join).toMatchObject({ status: 'waiting', resumed: false, peers: [], producers: [] });
    expect(join.rtpCapabilities).toBeUndefined();
    expect((await doctor.request('createTransport', { direction: 'recv' })).error).toMatchObject({
      code: 'not_admitted',
    });
    expect((await doctor.request('admit', { peerId: join.peerId })).error).toMatchObject({
      code: 'not_admitted',
    });

    const host = await client(room, 'host');
    const hostJoin = await host.ok('join', { room });
    expect(hostJoin.status).toBe('admitted');
    expect(hostJoin.rtpCapabilities.codecs.map((c: { mimeType: string }) => c.mimeType)).toContain(
      'video/VP8',
    );
    expect(hostJoin.peers).toEqual([
      expect.objectContaining({ peerId: join.peerId, admitted: false, role: 'township_doctor' }),
    ]);

    await host.ok('admit', { peerId: join.peerId });
    const admitted = await doctor.next('admitted');
    expect(admitted.rtpCapabilities.codecs.length).toBeGreaterThan(1);
    expect(admitted.peers).toEqual([
      expect.objectContaining({ peerId: hostJoin.peerId, role: 'host' }),
    ]);
    await host.next('peerJoined', (p) => p.peerId === join.peerId);
    const t = await doctor.ok('createTransport', { direction: 'recv' });
    expect(t.iceCandidates[0]).toMatchObject({ ip: '127.0.0.1' });

    // Admission is remembered for the practitioner: a reload (fresh join) skips the waiting room
    // and replaces the earlier peer.
    doctor.close();
    const again = await client(room, 'township_doctor', doctor.sub);
    const rejoined = await again.ok('join', { room });
    expect(rejoined).toMatchObject({ status: 'admitted', resumed: false });
    expect(rejoined.peerId).not.toBe(join.peerId);
    await host.next('peerLeft', (p) => p.peerId === join.peerId);
  });

  it('lets an observer subscribe but never publish', async () => {
    const { room, host } = await twoParty();
    const send = await host.ok('createTransport', { direction: 'send' });
    await host.ok('produce', {
      transportId: send.id,
      kind: 'video',
      rtpParameters: VIDEO_RTP_PARAMETERS,
      source: 'camera',
    });
    const observer = await client(room, 'observer');
    const oj = await observer.ok('join', { room });
    await host.ok('admit', { peerId: (await host.next('peerWaiting')).peerId });
    const admitted = await observer.next('admitted');
    expect(oj.role).toBe('observer');
    expect((await observer.request('createTransport', { direction: 'send' })).error).toMatchObject({
      code: 'forbidden',
    });
    const recv = await observer.ok('createTransport', { direction: 'recv' });
    expect(
      (
        await observer.request('produce', {
          transportId: recv.id,
          kind: 'video',
          rtpParameters: VIDEO_RTP_PARAMETERS,
          source: 'camera',
        })
      ).error,
    ).toMatchObject({ code: 'forbidden' });
    const c = await observer.ok('consume', {
      producerId: admitted.producers[0].producerId,
      rtpCapabilities: admitted.rtpCapabilities,
    });
    expect(c).toMatchObject({ kind: 'video', source: 'camera', type: 'simple' });
  });

  it('answers malformed messages with error acks and keeps the room working', async () => {
    const { host, doctor, admitted } = await twoParty();
    const bad: [string, unknown[], string][] = [
      ['createTransport', [{ direction: 5 }], 'invalid_message'],
      ['createTransport', ['send'], 'invalid_message'],
      ['createTransport', [{ direction: 'send', extra: 1 }], 'invalid_message'],
      ['createTransport', [{ direction: 'send' }, 'second'], 'invalid_message'],
      [
        'connectTransport',
        [
          {
            transportId: '3f1b7e4e-0000-4000-8000-000000000000',
            dtlsParameters: {
              role: 'client',
              fingerprints: [{ algorithm: 'sha-256', value: 'AA' }],
            },
          },
        ],
        'not_found',
      ],
      [
        'connectTransport',
        [{ transportId: 'x', dtlsParameters: { fingerprints: [] } }],
        'invalid_message',
      ],
      [
        'consume',
        [
          {
            producerId: '3f1b7e4e-0000-4000-8000-000000000000',
            rtpCapabilities: admitted.rtpCapabilities,
          },
        ],
        'not_found',
      ],
      ['consume', [{ producerId: '../../etc/passwd' }], 'invalid_message'],
      ['resumeConsumer', [{ consumerId: 'no-such-consumer' }], 'not_found'],
      ['setPreferredLayers', [{ consumerId: 'c1', spatialLayer: -1 }], 'invalid_message'],
      ['mute', [{ peerId: 'someone' }], 'forbidden'],
      ['endRoom', [{}], 'forbidden'],
      ['noSuchRequest', [{}], 'unknown_request'],
      ['__proto__', [{}], 'unknown_request'],
      [
        'produce',
        [{ transportId: 't', kind: 'video', rtpParameters: { codecs: [] }, source: 'camera' }],
        'invalid_message',
      ],
      [
        'produce',
        [
          {
            transportId: 't',
            kind: 'audio',
            rtpParameters: AUDIO_RTP_PARAMETERS,
            source: 'camera',
          },
        ],
        'invalid_message',
      ],
      ['join', [{ room: 'x'.repeat(500) }], 'invalid_message'],
    ];
    for (const [event, args, code] of bad) {
      const a = await doctor.request(event, ...args);
      expect({ event, error: a.error?.code }).toEqual({ event, error: code });
    }
    // Deep nesting, huge arrays and big strings inside RTP structures.
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const send = await doctor.ok('createTransport', { direction: 'send' });
    const rtp = (extra: object) => ({
      transportId: send.id,
      kind: 'video',
      source: 'camera',
      rtpParameters: { ...VIDEO_RTP_PARAMETERS, ...extra },
    });
    expect((await doctor.request('produce', rtp({ x: deep }))).error?.code).toBe('invalid_message');
    expect(
      (
        await doctor.request(
          'produce',
          rtp({ encodings: Array.from({ length: 1000 }, (_, i) => ({ ssrc: i })) }),
        )
      ).error?.code,
    ).toBe('invalid_message');
    expect((await doctor.request('produce', rtp({ mid: 'm'.repeat(10_000) }))).error?.code).toBe(
      'invalid_message',
    );
    // Semantically wrong parameters reach mediasoup, which says why.
    const wrongCodec = await doctor.request(
      'produce',
      rtp({ codecs: [{ mimeType: 'video/NOPE', payloadType: 96, clockRate: 90000 }] }),
    );
    expect(wrongCodec.error?.code).toBe('invalid_message');
    // A payload over the per-request limit gets an error ack.
    const big = await doctor.request('produce', rtp({ rtcp: { cname: 'c'.repeat(200_000) } }));
    expect(big.error).toMatchObject({ code: 'payload_too_large' });

    // The room still works: the doctor publishes, the host consumes it.
    const { producerId } = await doctor.ok('produce', rtp({}));
    const np = await host.next('newProducer', (p) => p.producerId === producerId);
    expect(np).toMatchObject({ kind: 'video', source: 'camera', paused: false });
    await host.ok('createTransport', { direction: 'recv' });
    const consumed = await host.ok('consume', {
      producerId,
      rtpCapabilities: admitted.rtpCapabilities,
    });
    expect(consumed.producerId).toBe(producerId);
    await host.ok('resumeConsumer', { consumerId: consumed.consumerId });
  });

  it('drops a connection whose packet exceeds maxHttpBufferSize; the client resumes its peer', async () => {
    const { room, doctor, doctorJoin, host } = await twoParty();
    const send = await doctor.ok('createTransport', { direction: 'send' });
    const { producerId } = await doctor.ok('produce', {
      transportId: send.id,
      kind: 'audio',
      rtpParameters: AUDIO_RTP_PARAMETERS,
      source: 'mic',
    });
    const gone = new Promise<string>((r) => doctor.socket.once('disconnect', r));
    doctor.socket.emit('produce', { junk: 'x'.repeat(1_200_000) }, () => undefined);
    expect(await gone).toBe('transport close');
    const again = await RawSignalingClient.connect(media.url, {
      token: media.token(room, 'township_doctor', doctor.sub),
    });
    clients.push(again);
    const resumed = await again.ok('join', { room, resume: doctorJoin.resumeKey });
    expect(resumed).toMatchObject({
      peerId: doctorJoin.peerId,
      resumed: true,
      status: 'admitted',
      transports: [send.id],
    });
    expect(resumed.ownProducers.map((p: { producerId: string }) => p.producerId)).toEqual([
      producerId,
    ]);
    expect(host.events.find((e) => e.event === 'peerLeft')).toBeUndefined();
  });

  it('forwards across workers (pipeToRouter), lets the host mute, pause and end the room', async () => {
    const { room, host, doctor, hostJoin, doctorJoin } = await twoParty();
    expect(media.rooms.rooms.get(room)!.workerSlots().sort()).toEqual([0, 1]);
    const send = await host.ok('createTransport', { direction: 'send' });
    const mic = await host.ok('produce', {
      transportId: send.id,
      kind: 'audio',
      rtpParameters: AUDIO_RTP_PARAMETERS,
      source: 'mic',
    });
    const cam = await host.ok('produce', {
      transportId: send.id,
      kind: 'video',
      rtpParameters: VIDEO_RTP_PARAMETERS,
      source: 'camera',
    });
    await doctor.next('newProducer', (p) => p.producerId === cam.producerId);
    await doctor.ok('createTransport', { direction: 'recv' });
    const caps = (await doctor.ok('getRouterRtpCapabilities')).rtpCapabilities;
    const audio = await doctor.ok('consume', { producerId: mic.producerId, rtpCapabilities: caps });
    const video = await doctor.ok('consume', { producerId: cam.producerId });
    expect([audio.kind, video.kind]).toEqual(['audio', 'video']);
    expect((await doctor.request('consume', { producerId: cam.producerId })).error?.code).toBe(
      'cannot_consume',
    );
    await doctor.ok('setAudioOnly', { enabled: true });
    await doctor.ok('setAudioOnly', { enabled: false });

    // The doctor publishes; the host mutes the doctor's microphone.
    const dsend = await doctor.ok('createTransport', { direction: 'send' });
    const dmic = await doctor.ok('produce', {
      transportId: dsend.id,
      kind: 'audio',
      rtpParameters: AUDIO_RTP_PARAMETERS,
      source: 'mic',
    });
    await host.ok('createTransport', { direction: 'recv' });
    const hc = await host.ok('consume', { producerId: dmic.producerId, rtpCapabilities: caps });
    const muted = await host.ok('mute', { peerId: doctorJoin.peerId });
    expect(muted.producerIds).toEqual([dmic.producerId]);
    expect(await doctor.next('muted')).toEqual({
      kind: 'audio',
      by: hostJoin.peerId,
      producerIds: [dmic.producerId],
    });
    expect(await host.next('consumerPaused')).toEqual({ consumerId: hc.consumerId });

    // Closing a producer tells the consumers.
    await host.ok('closeProducer', { producerId: cam.producerId });
    expect(await doctor.next('producerClosed')).toMatchObject({ producerId: cam.producerId });
    expect(await doctor.next('consumerClosed')).toMatchObject({ consumerId: video.consumerId });

    // The host ends the room: everyone hears it; the old tokens cannot re-open it. (The late
    // client's token is issued before the end: one issued after it can carry the next second,
    // which may open the room again; a clean-clone run hit that.)
    const late = await client(room, 'township_doctor');
    await host.ok('endRoom');
    expect(await doctor.next('roomEnded')).toEqual({ by: hostJoin.peerId });
    expect(media.rooms.rooms.has(room)).toBe(false);
    await new Promise((r) => setTimeout(r, 1100)); // a token issued after the end (next second) may open it again
    expect((await late.request('join', { room })).error).toMatchObject({ code: 'room_ended' });
    const fresh = await client(room, 'host');
    expect((await fresh.ok('join', { room })).status).toBe('admitted');
  });

  it('keeps a peer through a dropped socket for its grace period, then lets it go', async () => {
    const { room, host, doctor, doctorJoin } = await twoParty();
    media.serverSocketOf(doctor.sub)!.conn.close();
    await waitFor('disconnect', () => !doctor.socket.connected);
    expect(media.rooms.rooms.get(room)!.peers.has(doctorJoin.peerId)).toBe(true);
    const peerLeft = await host.next('peerLeft', (p) => p.peerId === doctorJoin.peerId, 9000);
    expect(peerLeft).toEqual({ peerId: doctorJoin.peerId });
    // Too late to resume: the client starts over.
    const back = await client(room, 'township_doctor', doctor.sub);
    expect(
      (await back.request('join', { room, resume: doctorJoin.resumeKey })).error,
    ).toMatchObject({ code: 'resume_failed' });
    expect((await back.ok('join', { room })).status).toBe('admitted'); // admitted before: no waiting room
  });

  it('tells a peer away when the host ended the room that it ended, even with a token issued after the end', async () => {
    const { room, host, doctor, doctorJoin } = await twoParty();
    // The doctor's socket drops (an outage) and stays away while the host ends the room.
    media.serverSocketOf(doctor.sub)!.conn.close();
    await waitFor('disconnect', () => !doctor.socket.connected);
    await host.ok('endRoom');
    await new Promise((r) => setTimeout(r, 1100)); // the reconnect's fresh token carries a later second
    const back = await client(room, 'township_doctor', doctor.sub);
    expect(
      (await back.request('join', { room, resume: doctorJoin.resumeKey })).error,
    ).toMatchObject({ code: 'room_ended' });
    // No new room was opened by the attempt (nobody waits in an empty room).
    expect(media.rooms.rooms.has(room)).toBe(false);
    // An expired token with that resume key is let in only to hear the same.
    const expired = signRoomToken(
      { sub: doctor.sub, name: 'D', room, role: 'township_doctor' },
      media.config.roomTokenSecret,
      1,
      Date.now() - 120_000,
    );
    const late = await RawSignalingClient.connect(media.url, {
      token: expired,
      resume: doctorJoin.resumeKey,
    });
    clients.push(late);
    expect(
      (await late.request('join', { room, resume: doctorJoin.resumeKey })).error,
    ).toMatchObject({ code: 'room_ended' });
    expect((await late.request('join', { room })).error).toMatchObject({ code: 'forbidden' });
    // Another practitioner's key is no pass: the key is checked with its practitioner.
    const stranger = await client(room, 'township_doctor');
    expect(
      (await stranger.request('join', { room, resume: doctorJoin.resumeKey })).error,
    ).toMatchObject({ code: 'resume_failed' });
  });

  it('lets a peer resume with an expired token only together with its resume key', async () => {
    const room = newRoom();
    const host = await client(room, 'host', 'host-exp');
    const hj = await host.ok('join', { room });
    const expired = signRoomToken(
      { sub: 'host-exp', name: 'H', room, role: 'host' },
      media.config.roomTokenSecret,
      1,
      Date.now() - 120_000,
    );
    const wrongKey = await RawSignalingClient.connect(media.url, {
      token: expired,
      resume: 'x'.repeat(32),
    }).catch((e) => e);
    expect(wrongKey.data).toMatchObject({ reason: 'expired' });
    const c = await RawSignalingClient.connect(media.url, { token: expired, resume: hj.resumeKey });
    clients.push(c);
    expect((await c.request('join', { room })).error).toMatchObject({ code: 'forbidden' });
    expect(await c.ok('join', { room, resume: hj.resumeKey })).toMatchObject({
      peerId: hj.peerId,
      resumed: true,
    });
  });

  it('replaces a dead worker on the same port and asks its rooms to rejoin', async () => {
    const { room, host, doctor } = await twoParty();
    const slot = media.rooms.pool.slots[media.rooms.rooms.get(room)!.workerSlots()[0]];
    const { udpPort, tcpPort } = slot;
    const pid = slot.worker!.pid;
    process.kill(pid, 'SIGKILL');
    expect(await host.next('rejoin')).toEqual({ reason: 'worker_died' });
    expect(await doctor.next('rejoin')).toEqual({ reason: 'worker_died' });
    await waitFor('replacement worker', () => slot.worker && slot.worker.pid !== pid);
    expect([slot.udpPort, slot.tcpPort]).toEqual([udpPort, tcpPort]);
    expect(slot.restarts).toBe(1);
    // Rejoin = a fresh join on the same connection; admission is remembered.
    expect((await host.ok('join', { room })).status).toBe('admitted');
    expect((await doctor.ok('join', { room })).status).toBe('admitted');
    const t = await doctor.ok('createTransport', { direction: 'recv' });
    expect(t.id).toBeTruthy();
    const health = await request(media.url).get('/health').expect(200);
    expect(health.body.checks.media).toMatchObject({
      status: 'up',
      workersAlive: 2,
      workers: 2,
      workerRestarts: 1,
    });
    const metrics = await request(media.url).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/huizhen_media_worker_restarts_total 1/);
    expect(metrics.text).toMatch(/huizhen_media_rooms [1-9]/);
    expect(metrics.text).toMatch(/huizhen_media_workers_alive 2/);
  });

  it('carries screen sharing as its own video producer', async () => {
    const { host, doctor } = await twoParty();
    const send = await doctor.ok('createTransport', { direction: 'send' });
    const screen = await doctor.ok('produce', {
      transportId: send.id,
      kind: 'video',
      rtpParameters: { ...VIDEO_RTP_PARAMETERS, mid: '2', encodings: [{ ssrc: 333 }] },
      source: 'screen',
    });
    // The worker's own refusals come back with its reason.
    const dup = await doctor.request('produce', {
      transportId: send.id,
      kind: 'video',
      rtpParameters: { ...VIDEO_RTP_PARAMETERS, mid: '2' },
      source: 'camera',
    });
    expect(dup.error).toMatchObject({
      code: 'rejected',
      message: expect.stringContaining('MID already exists'),
    });
    const cam = await doctor.ok('produce', {
      transportId: send.id,
      kind: 'video',
      rtpParameters: VIDEO_RTP_PARAMETERS,
      source: 'camera',
    });
    const seen = [await host.next('newProducer'), await host.next('newProducer')];
    expect(seen.map((p) => [p.producerId, p.source]).sort()).toEqual(
      [
        [screen.producerId, 'screen'],
        [cam.producerId, 'camera'],
      ].sort(),
    );
  });

  it('tells connected peers to rejoin when the node shuts down gracefully, then stops its workers', async () => {
    const other = await startMediaApp({ MEDIA_WORKERS: '1' });
    const room = newRoom();
    const c = await RawSignalingClient.connect(other.url, { token: other.token(room, 'host') });
    clients.push(c);
    await c.ok('join', { room });
    const pid = other.rooms.pool.slots[0].worker!.pid;
    await other.close();
    expect(await c.next('rejoin')).toEqual({ reason: 'server_shutdown' });
    expect(other.rooms.pool.alive()).toBe(0);
    await waitFor('worker process gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
  });

  it('rate-limits a flood of requests on one connection', async () => {
    const room = newRoom();
    const c = await client(room, 'township_doctor');
    const acks = await Promise.all(
      Array.from({ length: 180 }, () => c.request('getRouterRtpCapabilities', {})),
    );
    const codes = acks.map((a) => a.error?.code);
    expect(codes).toContain('rate_limited');
    expect(codes).toContain('not_joined');
  });
});
