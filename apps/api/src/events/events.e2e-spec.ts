import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';
import { EventsService } from './events.service';

function connect(url: string, token?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(`${url}/events`, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
    });
    s.once('ready', () => resolve(s));
    s.once('connect_error', (e) => {
      s.close();
      reject(e);
    });
  });
}

function nextEvent(s: Socket, ms = 1500): Promise<any> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(null), ms);
    s.once('event', (e) => {
      clearTimeout(t);
      resolve(e);
    });
  });
}

describe('/events: authenticated live notifications, across nodes through Redis', () => {
  let schema: TestSchema;
  let nodeA: Awaited<ReturnType<typeof startApiForTest>>;
  let nodeB: Awaited<ReturnType<typeof startApiForTest>>;
  let f: DirectoryFixture;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    schema = await TestSchema.create('events');
    f = await seedDirectory(schema);
    const redis = { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' };
    nodeA = await startApiForTest(schema, redis);
    nodeB = await startApiForTest(schema, redis);
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await nodeA?.app.close();
    await nodeB?.app.close();
    await schema?.drop();
  });

  it('refuses a handshake without a valid access token', async () => {
    await expect(connect(nodeA.url)).rejects.toThrow(/unauthorized/);
    await expect(connect(nodeA.url, 'forged.token.value')).rejects.toThrow(/unauthorized/);
  });

  it('delivers to the addressed user and organization only, from either node', async () => {
    const doctorA = await connect(nodeB.url, await loginAs(nodeA.url, f.user.townDoctorA.username));
    const doctorB = await connect(nodeB.url, await loginAs(nodeA.url, f.user.townDoctorB.username));
    const specialist = await connect(
      nodeA.url,
      await loginAs(nodeA.url, f.user.countyRadiologistA.username),
    );
    sockets.push(doctorA, doctorB, specialist);
    const events = nodeA.app.get(EventsService);

    // Emitted on node A, received by sockets connected to node B: the Redis adapter at work.
    let gotA = nextEvent(doctorA);
    let gotB = nextEvent(doctorB, 600);
    events.toOrganizations([f.org.townA], {
      type: 'consultation.reported',
      data: { consultationId: 'c1' },
    });
    expect(await gotA).toMatchObject({
      type: 'consultation.reported',
      data: { consultationId: 'c1' },
    });
    expect(await gotB).toBeNull();

    const gotSpecialist = nextEvent(specialist);
    gotA = nextEvent(doctorA, 600);
    gotB = nextEvent(doctorB, 600);
    events.toUsers([f.user.countyRadiologistA.id], { type: 'queue.changed', data: {} });
    expect(await gotSpecialist).toMatchObject({ type: 'queue.changed' });
    expect(await gotA).toBeNull();
    expect(await gotB).toBeNull();
  });
});
