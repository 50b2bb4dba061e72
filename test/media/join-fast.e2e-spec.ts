import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import {
  type MediaTestApp,
  RawSignalingClient,
  startMediaApp,
  waitFor,
} from './support/media-harness';

// Join fast (issue 24 point 4): the web client opens its /media socket ahead of the join, while the
// consultation page shows the join button. Such a connection lives on its room token only.
describe('media: a connection opened ahead of the join', () => {
  let media: MediaTestApp;
  const clients: RawSignalingClient[] = [];
  let roomSeq = 0;
  const newRoom = () => `warm-${Date.now().toString(36)}-${++roomSeq}`;

  beforeAll(async () => {
    media = await startMediaApp({ MEDIA_WORKERS: '1' });
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await media?.close();
  });

  async function connect(room: string, ttlSeconds: number, sub?: string) {
    const c = await RawSignalingClient.connect(media.url, {
      token: media.token(room, 'host', sub, { ttlSeconds }),
    });
    clients.push(c);
    return c;
  }

  it('joins with one request on an open socket, and is closed when its token expires unjoined', async () => {
    const room = newRoom();
    // Opened ahead, joined later: the join is the same request on the open socket.
    const early = await connect(room, 300);
    await new Promise((r) => setTimeout(r, 200));
    expect(early.socket.connected).toBe(true);
    const joined = await early.ok('join', { room, transports: ['recv', 'send'] });
    expect(joined.status).toBe('admitted');
    expect(joined.setup.transports.map((t: { direction: string }) => t.direction).sort()).toEqual([
      'recv',
      'send',
    ]);

    // Never joined: closed by the server once the token expires (no room, no peer left behind).
    const idle = await connect(newRoom(), 2);
    await waitFor('the unjoined connection to be closed', () => !idle.socket.connected, 6000);
    // A connection that joined stays past its token's expiry (its room connection lives on).
    const room2 = newRoom();
    const inRoom = await connect(room2, 2);
    expect((await inRoom.ok('join', { room: room2 })).status).toBe('admitted');
    await new Promise((r) => setTimeout(r, 3000));
    expect(inRoom.socket.connected).toBe(true);
    expect(early.socket.connected).toBe(true);
  });
});
