import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import { signRoomToken } from '@huizhen/room-token';
import { TestSchema, startTestApp } from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { RawSignalingClient } from './support/media-harness';

// The single-process server (api + imaging + media, one port) carries /media too.
describe('media mounted in the single-process server', () => {
  let schema: TestSchema;
  let app: Awaited<ReturnType<typeof startTestApp>>;

  beforeAll(async () => {
    schema = await TestSchema.create('mediasrv', { migrate: false });
    app = await startTestApp(schema.env({ MEDIA_WORKERS: '1' }), (config) =>
      ServerModule.forConfig(config),
    );
  });
  afterAll(async () => {
    await app?.app.close();
    await schema?.drop();
  });

  it('reports its workers on /health and joins a room on /media with a token derived from JWT_SECRET', async () => {
    const health = await request(app.url).get('/health').expect(200);
    expect(health.body.checks.media).toMatchObject({ status: 'up', workersAlive: 1, workers: 1 });
    const room = 'consult-server-mount';
    const token = signRoomToken(
      { sub: 'p-host', name: 'Host', room, role: 'host' },
      app.config.roomTokenSecret,
      60,
    );
    const c = await RawSignalingClient.connect(app.url, { token });
    try {
      const join = await c.ok('join', { room });
      expect(join).toMatchObject({ status: 'admitted', role: 'host' });
      expect(join.rtpCapabilities.codecs.length).toBeGreaterThan(1);
    } finally {
      c.close();
    }
  });
});
