import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Socket } from 'socket.io';
import { signRoomToken } from '@huizhen/room-token';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { MediaGateway } from '../../apps/media/src/media.gateway';
import { RawSignalingClient, waitFor } from './support/media-harness';

// In the single-process server /events and /media share one socket.io engine. The heartbeat
// PROTOCOL.md promises for /media (ping every 5 s, 5 s to answer) must be the engine's, whichever
// gateway Nest created first: a client that stops answering is gone within 10 s, not 45 s.
describe('the /media heartbeat on the single-process server', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;

  beforeAll(async () => {
    schema = await TestSchema.create('mediahb', { migrate: false });
    app = await startTestApp(schema.env({ MEDIA_WORKERS: '1' }), (config) =>
      ServerModule.forConfig(config),
    );
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('is 5 s / 5 s on the engine /events shares, and a silent client is dropped within pingInterval + pingTimeout', async () => {
    const nsp = app.app.get(MediaGateway).namespace!;
    const io = nsp.server as unknown as {
      _nsps: Map<string, unknown>;
      engine: { opts: { pingInterval: number; pingTimeout: number } };
    };
    expect([...io._nsps.keys()]).toEqual(expect.arrayContaining(['/events', '/media']));
    expect(io.engine.opts).toMatchObject({ pingInterval: 5000, pingTimeout: 5000 });

    const room = 'consult-heartbeat';
    const token = signRoomToken(
      { sub: 'p-hb', name: 'Host', room, role: 'host' },
      app.config.roomTokenSecret,
      60,
    );
    const c = await RawSignalingClient.connect(app.url, { token });
    try {
      // The handshake told the client the same figures.
      const engine = (
        c.socket.io as unknown as {
          engine: {
            _pingInterval: number;
            _pingTimeout: number;
            _sendPacket: (type: string, ...a: unknown[]) => void;
          };
        }
      ).engine;
      expect([engine._pingInterval, engine._pingTimeout]).toEqual([5000, 5000]);
      await c.ok('join', { room });
      const server = [...nsp.sockets.values()][0] as Socket;
      let gone: { at: number; reason: string } | null = null;
      server.on('disconnect', (reason) => (gone = { at: Date.now(), reason }));
      // The client dies as a frozen laptop does: its connection stays open, it answers nothing.
      const send = engine._sendPacket.bind(engine);
      engine._sendPacket = (type, ...rest) => (type === 'pong' ? undefined : send(type, ...rest));
      const silentFrom = Date.now();
      const seen = await waitFor('the server noticing the silent client', () => gone, 15_000, 50);
      const afterMs = seen.at - silentFrom;
      process.stdout.write(`/media: silent client dropped after ${afterMs} ms (${seen.reason})\n`);
      expect(seen.reason).toBe('ping timeout');
      // pingInterval + pingTimeout is 10 s (measured 10.0-10.1 s); the engine Nest made for /events
      // took 45 s. The bound leaves room for a busy event loop and still tells the two apart.
      expect(afterMs).toBeLessThan(20_000);
    } finally {
      c.close();
    }
  }, 30_000);
});
