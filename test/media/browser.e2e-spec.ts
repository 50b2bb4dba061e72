import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { TestBrowser, bundleTestPage, servePage } from './support/browser';
import { type MediaTestApp, startMediaApp, waitFor } from './support/media-harness';

interface TrackStats {
  consumerId: string;
  peerId: string;
  kind: 'audio' | 'video';
  source: string;
  framesDecoded: number;
  packetsReceived: number;
  totalSamplesReceived: number;
  frameWidth: number;
}

const stats = (page: Page): Promise<TrackStats[]> =>
  page.evaluate(() => (globalThis as any).huizhen.stats());
const events = (page: Page): Promise<{ event: string; data: any }[]> =>
  page.evaluate(() => (globalThis as any).huizhen.log);

/** Video frames decoded and audio samples received, summed over what the page receives from `peerId`. */
async function flowFrom(page: Page, peerId?: string) {
  const s = (await stats(page)).filter((t) => !peerId || t.peerId === peerId);
  return {
    frames: s.filter((t) => t.kind === 'video').reduce((n, t) => n + t.framesDecoded, 0),
    samples: s.filter((t) => t.kind === 'audio').reduce((n, t) => n + t.totalSamplesReceived, 0),
    audioPackets: s.filter((t) => t.kind === 'audio').reduce((n, t) => n + t.packetsReceived, 0),
  };
}

/** Waits until video frames and audio samples from `peerId` keep rising on `page`. */
async function expectMediaFlowing(page: Page, peerId: string, timeoutMs = 15_000) {
  const first = await waitFor(
    'remote video and audio',
    async () => {
      const f = await flowFrom(page, peerId);
      return f.frames > 0 && f.samples > 0 ? f : null;
    },
    timeoutMs,
    100,
  ).catch(async (e) => {
    // Say what the page saw: the log of client events and the stats of what it receives.
    throw new Error(
      `${e.message} from ${peerId}\nevents: ${JSON.stringify(await events(page))}\nstats: ${JSON.stringify(await stats(page))}`,
    );
  });
  // Rising, not a rate: on a loaded machine a second may pass without a decoded frame.
  const later = await waitFor(
    'video frames and audio still rising',
    async () => {
      const f = await flowFrom(page, peerId);
      return f.frames > first.frames &&
        f.samples > first.samples &&
        f.audioPackets > first.audioPackets
        ? f
        : null;
    },
    timeoutMs,
    250,
  ).catch(async () => flowFrom(page, peerId));
  expect(later.frames).toBeGreaterThan(first.frames);
  expect(later.samples).toBeGreaterThan(first.samples);
  expect(later.audioPackets).toBeGreaterThan(first.audioPackets);
  return later;
}

// Two real Chromium pages through the real SFU: the acceptance path of live consultation.
describe('live consultation in Chromium (mediasoup SFU, socket.io signaling)', () => {
  let media: MediaTestApp;
  let browser: TestBrowser;
  let pageServer: Awaited<ReturnType<typeof servePage>>;
  const room = `consult-browser-${Date.now().toString(36)}`;
  let specialist: Page;
  let doctor: Page;
  let specialistPeer: string;
  let doctorPeer: string;

  async function participant(
    role: Parameters<MediaTestApp['token']>[1],
    sub: string,
    opts: { publish?: boolean; autoAdmit?: boolean; room?: string; tokenRoom?: string } = {},
  ) {
    const { page } = await browser.page(pageServer.url);
    const token = media.token(opts.tokenRoom ?? opts.room ?? room, role, sub);
    const result = await page.evaluate((o) => (globalThis as any).huizhen.start(o), {
      url: media.url,
      room: opts.room ?? room,
      token,
      publish: opts.publish ?? true,
      autoAdmit: opts.autoAdmit ?? false,
    });
    return { page, result: result as { ok: boolean; peerId?: string; code?: string } };
  }

  beforeAll(async () => {
    // One peer per router: the two participants sit on different workers, media crosses via pipeToRouter.
    [media, browser, pageServer] = await Promise.all([
      startMediaApp({ MEDIA_WORKERS: '2', MEDIA_PEERS_PER_ROUTER: '1' }),
      TestBrowser.launch(),
      bundleTestPage().then(servePage),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await pageServer?.close();
    await media?.close();
  });

  it('a township doctor and a specialist see and hear each other', async () => {
    const s = await participant('host', 'specialist-1', { autoAdmit: true });
    expect(s.result.ok).toBe(true);
    const d = await participant('township_doctor', 'doctor-1');
    expect(d.result.ok).toBe(true);
    [specialist, doctor, specialistPeer, doctorPeer] = [
      s.page,
      d.page,
      s.result.peerId!,
      d.result.peerId!,
    ];
    expect((await events(doctor)).map((e) => e.event)).toContain('admitted'); // went through the waiting room
    expect(media.rooms.rooms.get(room)!.workerSlots().sort()).toEqual([0, 1]);
    await Promise.all([
      expectMediaFlowing(doctor, specialistPeer),
      expectMediaFlowing(specialist, doctorPeer),
    ]);
    // Camera video arrives as simulcast; the receiver picks its layer.
    const video = (await stats(doctor)).find((t) => t.kind === 'video')!;
    const layered = await doctor.evaluate(
      (id) =>
        (globalThis as any).huizhen.request('setPreferredLayers', {
          consumerId: id,
          spatialLayer: 0,
        }),
      video.consumerId,
    );
    expect(layered).toEqual({ data: {} });
    // Scores of what it receives, and who speaks, reach the page.
    await waitFor(
      'score and active speaker events',
      async () => {
        const ev = [...(await events(doctor)), ...(await events(specialist))];
        return (
          ev.some((e) => e.event === 'score' && e.data.consumerId) &&
          ev.some(
            (e) =>
              e.event === 'activeSpeaker' && [specialistPeer, doctorPeer].includes(e.data.peerId),
          )
        );
      },
      10_000,
      200,
    ).catch(async (e) => {
      throw new Error(
        `${e.message}: ${JSON.stringify((await events(doctor)).map((x) => x.event))}`,
      );
    });
  });

  it('switches a receiver to audio-only and back (the server pauses its video)', async () => {
    const frames = async () => (await flowFrom(doctor, specialistPeer)).frames;
    expect(
      await doctor.evaluate(() =>
        (globalThis as any).huizhen.request('setAudioOnly', { enabled: true }),
      ),
    ).toEqual({ data: {} });
    await new Promise((r) => setTimeout(r, 500));
    const [f0, a0] = [await frames(), (await flowFrom(doctor, specialistPeer)).samples];
    await new Promise((r) => setTimeout(r, 1200));
    expect(await frames()).toBeLessThanOrEqual(f0 + 2); // at most frames already in flight
    expect((await flowFrom(doctor, specialistPeer)).samples).toBeGreaterThan(a0);
    await doctor.evaluate(() =>
      (globalThis as any).huizhen.request('setAudioOnly', { enabled: false }),
    );
    await expectMediaFlowing(doctor, specialistPeer);
  });

  it('resumes the same peer after the server drops its socket, video never restarting', async () => {
    const before = await stats(doctor);
    const consumerIds = before.map((t) => t.consumerId).sort();
    const framesBefore = (await flowFrom(doctor)).frames;
    media.serverSocketOf('doctor-1')!.conn.close(); // the network cut the signaling connection
    await waitFor(
      'resumed',
      async () => (await events(doctor)).some((e) => e.event === 'resumed'),
      15_000,
      100,
    );
    // And once more the other way: the server closes the namespace connection explicitly.
    media.serverSocketOf('doctor-1')!.disconnect(true);
    await waitFor(
      'resumed twice',
      async () => (await events(doctor)).filter((e) => e.event === 'resumed').length === 2,
      15_000,
      100,
    );
    const log = (await events(doctor)).map((e) => e.event);
    expect(log).not.toContain('rejoined');
    expect(log).not.toContain('trackEnded');
    expect((await stats(doctor)).map((t) => t.consumerId).sort()).toEqual(consumerIds);
    expect((await flowFrom(doctor)).frames).toBeGreaterThan(framesBefore);
    await Promise.all([
      expectMediaFlowing(doctor, specialistPeer),
      expectMediaFlowing(specialist, doctorPeer),
    ]);
    expect((await events(specialist)).map((e) => e.event)).not.toContain('peerLeft');
  });

  it('restarts ICE when only the media path stalls (signaling stays up)', async () => {
    // Freeze the worker carrying the doctor's transports: no packet reaches the doctor's browser,
    // while the signaling connection (Node) stays up; the client restarts ICE, no full rejoin.
    const peer = [...media.rooms.rooms.get(room)!.peers.values()].find(
      (p) => p.claims.sub === 'doctor-1',
    )!;
    const worker = peer.place!.slot.worker!;
    process.kill(worker.pid, 'SIGSTOP');
    try {
      await waitFor(
        'ICE restart requested',
        async () =>
          (await events(doctor)).some((e) => e.event === 'state' && e.data === 'joined') &&
          (await doctor.evaluate(
            () => (globalThis as any).huizhen.client.transports.recv.connectionState,
          )) !== 'connected',
        10_000,
        100,
      );
      await new Promise((r) => setTimeout(r, 4000));
    } finally {
      process.kill(worker.pid, 'SIGCONT');
    }
    await waitFor(
      'ICE restarted by the client',
      async () => (await events(doctor)).some((e) => e.event === 'iceRestarted'),
      15_000,
      100,
    );
    expect((await events(doctor)).map((e) => e.event)).not.toContain('rejoined');
    await expectMediaFlowing(doctor, specialistPeer);
  });

  it('comes back with video within seconds after a worker is SIGKILLed', async () => {
    const slots = media.rooms.rooms.get(room)!.workerSlots();
    const slot = media.rooms.pool.slots[slots[0]];
    const pid = slot.worker!.pid;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    await Promise.all(
      [doctor, specialist].map((p) =>
        waitFor(
          'rejoined',
          async () => (await events(p)).some((e) => e.event === 'rejoined'),
          15_000,
          100,
        ),
      ),
    );
    const peers = await Promise.all(
      [doctor, specialist].map(async (p) =>
        (await events(p)).filter((e) => e.event === 'joined' || e.event === 'rejoined'),
      ),
    );
    expect(peers.every((l) => l.length >= 2)).toBe(true);
    // New peers after the rejoin: read who is who from the room.
    const r = media.rooms.rooms.get(room)!;
    const idOf = (sub: string) => [...r.peers.values()].find((p) => p.claims.sub === sub)!.id;
    await Promise.all([
      expectMediaFlowing(doctor, idOf('specialist-1')),
      expectMediaFlowing(specialist, idOf('doctor-1')),
    ]);
    const recoveredMs = Date.now() - killedAt;
    expect(slot.worker?.pid).not.toBe(pid);
    process.stdout.write(
      `worker SIGKILL -> both sides decoding again (incl. 1 s sampling) in ${recoveredMs} ms\n`,
    );
  });

  it('lets an observer watch but the server refuses its attempts to send', async () => {
    const o = await participant('observer', 'observer-1', { publish: false });
    expect(o.result.ok).toBe(true);
    const r = media.rooms.rooms.get(room)!;
    const idOf = (sub: string) => [...r.peers.values()].find((p) => p.claims.sub === sub)!.id;
    await expectMediaFlowing(o.page, idOf('specialist-1'));
    const send = await o.page.evaluate(() =>
      (globalThis as any).huizhen.request('createTransport', { direction: 'send' }),
    );
    expect(send.error).toMatchObject({ code: 'forbidden' });
    const recvId = await o.page.evaluate(
      () => (globalThis as any).huizhen.client.transports.recv.id,
    );
    const produce = await o.page.evaluate(
      (transportId) =>
        (globalThis as any).huizhen.request('produce', {
          transportId,
          kind: 'audio',
          source: 'mic',
          rtpParameters: {
            codecs: [{ mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 }],
            encodings: [{ ssrc: 5 }],
          },
        }),
      recvId,
    );
    expect(produce.error).toMatchObject({ code: 'forbidden' });
    await o.page.close();
  });

  it('refuses a participant whose token names another room', async () => {
    const x = await participant('township_doctor', 'doctor-2', { tokenRoom: `${room}-other` });
    expect(x.result).toMatchObject({ ok: false, code: 'room_mismatch' });
    expect(await x.page.evaluate(() => (globalThis as any).huizhen.state)).toBe('closed');
  });
});
