import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { Module } from '@nestjs/common';
import { createClient } from 'redis';
import { CallEvents, NODE, type CallEvent } from '@huizhen/call-events';
import { PlatformModule } from '@huizhen/platform-http';
import { signRoomToken } from '@huizhen/room-token';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { startApiForTest } from '../../apps/api/src/api.test-support';
import { ConsultationCalls } from '../../apps/api/src/consultations/consultation-calls';
import { as } from '../../apps/api/src/consultations/consultation.test-support';
import { MediaModule } from '../../apps/media/src/media.module';
import { RawSignalingClient } from './support/media-harness';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The compose layout: a media node and the api as separate apps, call events between them on a
 * Redis stream. The media node reports a call while the api is down; the api records it when
 * it comes up, once, and ignores rooms that are no consultation.
 */
describe('call events from a media node to the api through Redis', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let api: Awaited<ReturnType<typeof startApiForTest>> | null = null;
  let media: Awaited<ReturnType<typeof startTestApp>>;
  let env: Record<string, string>;
  let stream: string;
  let consultationId: string;
  const redis = createClient({ url: REDIS_URL });

  beforeAll(async () => {
    schema = await TestSchema.create('callevents');
    f = await seedDirectory(schema);
    stream = `huizhen-test:${schema.name}:call-events`;
    env = { REDIS_URL, CALL_EVENTS_STREAM: stream, CONSULT_SWEEP_INTERVAL_SECONDS: '0' };
    await redis.connect();
    media = await startTestApp(schema.env({ ...env, MEDIA_WORKERS: '1' }), (config) => {
      @Module({ imports: [PlatformModule.forRoot({ config, database: false }), MediaModule] })
      class MediaNodeUnderTest {}
      return MediaNodeUnderTest;
    });
  });
  afterAll(async () => {
    await api?.app.close();
    await media?.app.close();
    await redis.del(stream).catch(() => undefined);
    await redis.quit().catch(() => undefined);
    await schema?.drop();
  });

  it('records a call the media node reported while the api was down, once', async () => {
    // A live consultation, set up with the api up; then the api goes away.
    api = await startApiForTest(schema, env);
    const doctor = as(api.url, await loginAs(api.url, f.user.townDoctorA.username));
    const radiologist = as(api.url, await loginAs(api.url, f.user.countyRadiologistA.username));
    const patient = await doctor
      .post('/api/patients', { name: '赵小红', sex: 'female', birthDate: '1990-02-03' })
      .expect(201);
    const { id } = (
      await doctor
        .post('/api/consultations', {
          patientId: patient.body.id,
          specialty: 'radiology',
          urgency: 'routine',
          mode: 'live_video',
          clinicalQuestion: '视频会诊：咳嗽两周',
        })
        .expect(201)
    ).body;
    consultationId = id;
    await doctor.post(`/api/consultations/${id}/submit`).expect(200);
    await radiologist.post(`/api/consultations/${id}/claim`).expect(200);
    const hostToken = (await radiologist.post(`/api/consultations/${id}/room-token`).expect(200))
      .body.token;
    const guestToken = (await doctor.post(`/api/consultations/${id}/room-token`).expect(200)).body
      .token;
    await api.app.close();
    api = null;

    const host = await RawSignalingClient.connect(media.url, { token: hostToken });
    const guest = await RawSignalingClient.connect(media.url, { token: guestToken });
    // A room that is no consultation (a test room, another platform's token secret reused): not recorded.
    const stray = await RawSignalingClient.connect(media.url, {
      token: signRoomToken(
        { sub: f.user.countyRadiologistB.id, name: 'x', room: 'lobby', role: 'host' },
        media.config.roomTokenSecret,
        60,
      ),
    });
    try {
      await host.ok('join', { room: id });
      const waiting = await guest.ok('join', { room: id });
      await host.ok('admit', { peerId: waiting.peerId });
      await stray.ok('join', { room: 'lobby' });
      await guest.ok('leave');
      await host.ok('leave');
    } finally {
      host.close();
      guest.close();
      stray.close();
    }
    // On the stream, waiting for a reader: joined ×2 and left ×2 for the consultation, joined and left for the lobby.
    const waitingEvents = async () =>
      ((await redis.xRange(stream, '-', '+')) ?? []).flatMap((m) =>
        m?.message ? [JSON.parse(String(m.message.event)) as CallEvent] : [],
      );
    const deadline = Date.now() + 5000;
    while ((await waitingEvents()).length < 6 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    const sent = await waitingEvents();
    expect(sent.filter((e) => e.room === id).map((e) => e.kind)).toEqual([
      'joined',
      'joined',
      'left',
      'left',
    ]);
    expect(sent.filter((e) => e.room === 'lobby').map((e) => e.kind)).toEqual(['joined', 'left']);

    // The api comes back and catches up.
    const back = new Date();
    api = await startApiForTest(schema, env);
    const reader = as(api.url, await loginAs(api.url, f.user.townDoctorA.username));
    let calls: any[] = [];
    for (
      const until = Date.now() + 10_000;
      Date.now() < until;
      await new Promise((r) => setTimeout(r, 100))
    ) {
      calls = (await reader.get(`/api/consultations/${id}`).expect(200)).body.calls;
      if (calls[0]?.endedAt) break;
    }
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ ending: 'everyone_left', endedBy: null });
    // The assigned radiologist was in the room: the request went in session when the api caught up.
    expect((await reader.get(`/api/consultations/${id}`).expect(200)).body.status).toBe(
      'in_session',
    );
    // ... as of the radiologist's join, not of the catch-up.
    const hostJoined = sent.find((e) => e.room === id && e.kind === 'joined' && e.role === 'host')!;
    const [started] = await schema.query(
      `SELECT at, actor_id::text AS actor, details FROM consultation_status_history WHERE consultation_id = $1 AND transition = 'start_session'`,
      [id],
    );
    expect(started).toMatchObject({
      actor: f.user.countyRadiologistA.id,
      details: { reportedBy: 'media', joinedAt: hostJoined.at },
    });
    expect(new Date(started.at).toISOString()).toBe(hostJoined.at);
    expect(new Date(started.at).getTime()).toBeLessThan(back.getTime());
    expect(
      calls[0].participants.map((p: { practitionerId: string; role: string }) => [
        p.practitionerId,
        p.role,
      ]),
    ).toEqual([
      [f.user.countyRadiologistA.id, 'host'],
      [f.user.townDoctorA.id, 'township_doctor'],
    ]);
    // Delivered again (a reader that died before acknowledging): nothing new.
    expect(await api.app.get(ConsultationCalls).record(sent)).toBe(0);
    const rows = await schema.query(
      'SELECT consultation_id::text AS room, kind FROM consultation_call_event ORDER BY occurred_at, id',
    );
    expect(rows).toEqual(['joined', 'joined', 'left', 'left'].map((kind) => ({ room: id, kind })));
    // Every event was acknowledged by the api's group: none is left pending.
    const pending = (await redis.xPending(stream, 'api')) as { pending: number };
    expect(pending.pending).toBe(0);
    expect(api.app.get(CallEvents).stream).toBe(stream);
  });

  it('takes over what a reader that died had taken and not acknowledged; a reader shut down cleanly leaves the group', async () => {
    await api?.app.close();
    api = null;
    // The previous api left the group on its way out, with nothing pending.
    expect((await redis.xInfoConsumers(stream, 'api')).map((c) => c.name)).toEqual([]);
    const event: CallEvent = {
      id: randomUUID(),
      kind: 'joined',
      room: consultationId,
      practitionerId: f.user.countyRadiologistA.id,
      role: 'host',
      at: new Date().toISOString(),
      node: 'test',
    };
    await redis.xAdd(stream, '*', { event: JSON.stringify(event) });
    // A reader takes it and dies before storing it.
    const taken = await redis.xReadGroup(
      'api',
      'dead-reader',
      { key: stream, id: '>' },
      { COUNT: 10 },
    );
    expect((taken as { messages: unknown[] }[])[0].messages).toHaveLength(1);
    const idle = CallEvents.CLAIM_IDLE_MS;
    CallEvents.CLAIM_IDLE_MS = 300;
    try {
      api = await startApiForTest(schema, env);
      const stored = async () =>
        (
          await schema.query('SELECT kind FROM consultation_call_event WHERE event_id = $1', [
            event.id,
          ])
        ).length;
      for (const until = Date.now() + 10_000; Date.now() < until && (await stored()) === 0;)
        await new Promise((r) => setTimeout(r, 100));
      expect(await stored()).toBe(1);
      expect(((await redis.xPending(stream, 'api')) as { pending: number }).pending).toBe(0);
    } finally {
      CallEvents.CLAIM_IDLE_MS = idle;
    }
  });

  it('closes the call of a media node that stopped reporting, at its last sign of life, once', async () => {
    // The previous test left the radiologist in the room on media node "test", which reports no more.
    const calls = api!.app.get(ConsultationCalls);
    const callEvents = api!.app.get(CallEvents);
    const [joined] = await schema.query(
      `SELECT occurred_at FROM consultation_call_event WHERE consultation_id = $1 AND media_node = 'test' AND kind = 'joined'`,
      [consultationId],
    );
    const lastSign = new Date(joined.occurred_at).getTime();
    // The live media node of this test says it is alive.
    expect(Number(await redis.hGet(callEvents.nodesKey, NODE))).toBeGreaterThan(
      Date.now() - 2 * CallEvents.HEARTBEAT_MS,
    );
    // Within a minute of its last event nothing is decided.
    expect(await calls.closeLostCalls(new Date(lastSign + 30_000))).toBe(0);
    // A node that said it was alive since is not stopped either.
    await redis.hSet(callEvents.nodesKey, 'test', String(lastSign + 50_000));
    expect(await calls.closeLostCalls(new Date(lastSign + 90_000))).toBe(0);
    // Silent for over a minute: the radiologist counts as gone from its last heartbeat.
    expect(await calls.closeLostCalls(new Date(lastSign + 120_000))).toBe(1);
    expect(await calls.closeLostCalls(new Date(lastSign + 180_000))).toBe(0);
    await redis.hDel(callEvents.nodesKey, 'test');
    const reader = as(api!.url, await loginAs(api!.url, f.user.townDoctorA.username));
    const records = (await reader.get(`/api/consultations/${consultationId}`).expect(200)).body
      .calls;
    expect(records.at(-1)).toMatchObject({
      ending: 'media_node_lost',
      endedAt: new Date(lastSign + 50_000).toISOString(),
      seconds: 50,
    });
    expect(records.at(-1).participants).toEqual([
      expect.objectContaining({
        practitionerId: f.user.countyRadiologistA.id,
        present: false,
        seconds: 50,
      }),
    ]);
    const stored = await schema.query(
      `SELECT kind, media_node FROM consultation_call_event WHERE consultation_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT 1`,
      [consultationId],
    );
    expect(stored).toEqual([{ kind: 'lost', media_node: 'test' }]);
  });
});
