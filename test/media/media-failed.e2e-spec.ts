import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CallEvents, type CallEvent } from '@huizhen/call-events';
import { MediaRoomsService } from '../../apps/media/src/media-rooms.service';
import {
  type MediaTestApp,
  RawSignalingClient,
  VIDEO_RTP_PARAMETERS,
  startMediaApp,
  waitFor,
} from './support/media-harness';

// The media node notices by itself that a peer's media never flowed (no RTP either way on its
// transports noMediaMs after it was admitted) and reports it as a call event; a client's
// mediaFailed is only a hint, recorded when the node saw nothing either.
describe('media that never flows is reported by the media node', () => {
  let media: MediaTestApp;
  const published: Omit<CallEvent, 'id' | 'at' | 'node'>[] = [];
  const noMediaMs = MediaRoomsService.NO_MEDIA_MS;

  beforeAll(async () => {
    MediaRoomsService.NO_MEDIA_MS = 1500;
    media = await startMediaApp({ MEDIA_WORKERS: '1' });
    const calls = media.app.get(CallEvents);
    const publish = calls.publish.bind(calls);
    calls.publish = (e) => {
      published.push({
        kind: e.kind,
        room: e.room,
        practitionerId: e.practitionerId,
        role: e.role,
      });
      publish(e);
    };
  });
  afterAll(async () => {
    MediaRoomsService.NO_MEDIA_MS = noMediaMs;
    await media?.close();
  });

  it('a peer whose send transport never connects is media_failed; the client hint is then recorded', async () => {
    const room = 'consult-no-media';
    const c = await RawSignalingClient.connect(media.url, {
      token: media.token(room, 'host', 'host-no-media'),
    });
    try {
      await c.ok('join', { room });
      // A hint before anything was expected: nothing to judge, nothing recorded.
      expect(await c.ok('mediaFailed', { reason: 'no_media' })).toEqual({ recorded: false });
      const t = await c.ok('createTransport', { direction: 'send' });
      // Produced, but the transport is never connected (ICE never completes): no RTP reaches the node.
      await c.ok('produce', {
        transportId: t.id,
        kind: 'video',
        rtpParameters: VIDEO_RTP_PARAMETERS,
        source: 'camera',
      });
      const failed = await waitFor(
        'media_failed event',
        () => published.find((e) => e.kind === 'media_failed' && e.room === room),
        8000,
        100,
      );
      expect(failed).toMatchObject({ practitionerId: 'host-no-media', role: 'host' });
      expect(published.filter((e) => e.room === room).map((e) => e.kind)).toEqual([
        'joined',
        'media_failed',
      ]);
      // The client says so too: the node agrees, and records it once.
      expect(await c.ok('mediaFailed', { reason: 'no_media', sendState: 'failed' })).toEqual({
        recorded: true,
      });
      expect(published.filter((e) => e.kind === 'media_failed' && e.room === room)).toHaveLength(1);
      const bad = await c.request('mediaFailed', { reason: 'no_media', extra: 1 });
      expect(bad.error).toMatchObject({ code: 'invalid_message', field: 'extra' });
    } finally {
      c.close();
    }
  });

  it('a peer with nothing to send or receive gets no verdict', async () => {
    const room = 'consult-quiet';
    const c = await RawSignalingClient.connect(media.url, {
      token: media.token(room, 'host', 'host-quiet'),
    });
    try {
      await c.ok('join', { room });
      await c.ok('createTransport', { direction: 'recv' });
      await new Promise((r) => setTimeout(r, 4500));
      expect(published.filter((e) => e.room === room).map((e) => e.kind)).toEqual(['joined']);
    } finally {
      c.close();
    }
  });
});
