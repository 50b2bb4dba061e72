import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CallEvents } from '@huizhen/call-events';
import { verifyRoomToken } from '@huizhen/room-token';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ServerModule } from '../../apps/server/src/server.module';
import { as } from '../../apps/api/src/consultations/consultation.test-support';
import { get, stow } from '../imaging/support/dicomweb-client';
import { RawSignalingClient } from '../media/support/media-harness';

const CT = join('/usr/lib/python3/dist-packages/pydicom/data/test_files', 'CT_small.dcm');

/**
 * The single-process server, as a township and a county hospital use it: the township
 * uploads a CT, asks radiology, the county radiologist reads the study through the
 * consultation (imaging and consultations agreeing on who takes part), and both get a
 * token for the live room.
 */
describe('consultation + imaging + media in one server', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  const token: Record<string, string> = {};

  beforeAll(async () => {
    schema = await TestSchema.create('server');
    f = await seedDirectory(schema);
    server = await startTestApp(
      schema.env({ DIMSE_ENABLED: 'false', CONSULT_SWEEP_INTERVAL_SECONDS: '0' }),
      (config) => ServerModule.forConfig(config),
    );
    for (const who of [
      'townDoctorA',
      'countyRadiologistA',
      'countyRadiologistB',
      'countyCardiologistA',
    ])
      token[who] = await loginAs(server.url, f.user[who].username);
  });
  afterAll(async () => {
    await server?.app.close();
    await schema?.drop();
  });

  it('routes the study with the request: the claiming radiologist reads it, others do not', async () => {
    const up = await stow(server.url, token.townDoctorA, [readFileSync(CT)]);
    expect(up.status).toBe(200);
    const studyUid: string = (
      await get(server.url, token.townDoctorA, '/dicom-web/studies')
    ).json()[0]['0020000D'].Value[0];
    expect(studyUid).toMatch(/^[0-9.]+$/);

    const doctor = as(server.url, token.townDoctorA);
    const patient = await doctor
      .post('/api/patients', { name: '王小东', sex: 'male', birthDate: '1968-04-12' })
      .expect(201);
    const draft = await doctor
      .post('/api/consultations', {
        patientId: patient.body.id,
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'both',
        clinicalQuestion: '右下肺阴影，请协助判断',
        studyInstanceUids: [studyUid],
        // pydicom's CT names CompressedSamples^CT1 (the image check at the door wants a reason).
        patientMismatches: [{ studyInstanceUid: studyUid, reason: '测试样例影像' }],
      })
      .expect(201);
    const id = draft.body.id;

    // Before it is submitted, the county radiologist has no business with the study.
    expect(
      (await get(server.url, token.countyRadiologistA, `/dicom-web/studies/${studyUid}/metadata`))
        .status,
    ).toBe(403);
    await doctor.post(`/api/consultations/${id}/submit`).expect(200);
    // Routed to county A's radiology queue: the radiologist there reads; the cardiologist and county B do not.
    expect(
      (await get(server.url, token.countyRadiologistA, `/dicom-web/studies/${studyUid}/metadata`))
        .status,
    ).toBe(200);
    expect(
      (await get(server.url, token.countyCardiologistA, `/dicom-web/studies/${studyUid}/metadata`))
        .status,
    ).toBe(403);
    expect(
      (await get(server.url, token.countyRadiologistB, `/dicom-web/studies/${studyUid}/metadata`))
        .status,
    ).toBe(403);

    await as(server.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/claim`)
      .expect(200);
    const frame = await get(
      server.url,
      token.countyRadiologistA,
      `/dicom-web/studies/${studyUid}/metadata`,
    );
    expect(frame.status).toBe(200);
    expect(frame.json()[0]['00100010'].Value[0].Alphabetic).toBeDefined();

    // The live room: both participants get a room token naming the room and their role.
    const host = await as(server.url, token.countyRadiologistA)
      .post(`/api/consultations/${id}/room-token`)
      .expect(200);
    const guest = await doctor.post(`/api/consultations/${id}/room-token`).expect(200);
    const secret = server.config.roomTokenSecret;
    expect(verifyRoomToken(host.body.token, secret)).toMatchObject({
      room: id,
      role: 'host',
      sub: f.user.countyRadiologistA.id,
    });
    expect(verifyRoomToken(guest.body.token, secret)).toMatchObject({
      room: id,
      role: 'township_doctor',
      sub: f.user.townDoctorA.id,
    });
    await as(server.url, token.countyRadiologistB)
      .post(`/api/consultations/${id}/room-token`)
      .expect(403);
    await as(server.url, null).post(`/api/consultations/${id}/room-token`).expect(401);

    // The call, as the media node reports it: the radiologist opens the room, admits the township
    // doctor, the doctor drops out and comes back, and the radiologist ends the room.
    const calls = server.app.get(CallEvents);
    const radiologist = await RawSignalingClient.connect(server.url, { token: host.body.token });
    const township = await RawSignalingClient.connect(server.url, { token: guest.body.token });
    try {
      await radiologist.ok('join', { room: id });
      const waiting = await township.ok('join', { room: id });
      expect(waiting.status).toBe('waiting');
      await radiologist.ok('admit', { peerId: waiting.peerId });
      await township.next('admitted');
      await calls.drained();
      // The assigned radiologist in the room: the request is in session (no client had to say so).
      const live = (
        await as(server.url, token.townDoctorA).get(`/api/consultations/${id}`).expect(200)
      ).body;
      expect(live.status).toBe('in_session');
      expect(live.statusHistory.at(-1)).toMatchObject({
        transition: 'start_session',
        actorId: f.user.countyRadiologistA.id,
      });
      const during = live.calls;
      expect(during).toHaveLength(1);
      expect(during[0]).toMatchObject({ endedAt: null, ending: 'in_progress' });
      expect(
        during[0].participants.map((p: { displayName: string; role: string; present: boolean }) => [
          p.displayName,
          p.role,
          p.present,
        ]),
      ).toEqual([
        ['countyRadiologistA', 'host', true],
        ['townDoctorA', 'township_doctor', true],
      ]);
      await township.ok('leave');
      const again = await as(server.url, token.townDoctorA)
        .post(`/api/consultations/${id}/room-token`)
        .expect(200);
      const back = await RawSignalingClient.connect(server.url, { token: again.body.token });
      try {
        // Admitted once, admitted again without waiting.
        expect((await back.ok('join', { room: id })).status).toBe('admitted');
        await radiologist.ok('endRoom');
      } finally {
        back.close();
      }
    } finally {
      radiologist.close();
      township.close();
    }
    await calls.drained();
    const detail = (
      await as(server.url, token.countyRadiologistA).get(`/api/consultations/${id}`).expect(200)
    ).body;
    expect(detail.calls).toHaveLength(1);
    const [call] = detail.calls;
    expect(call).toMatchObject({ ending: 'ended_by_host', endedBy: f.user.countyRadiologistA.id });
    expect(Date.parse(call.endedAt)).toBeGreaterThanOrEqual(Date.parse(call.startedAt));
    expect(call.participants).toHaveLength(2);
    for (const p of call.participants) {
      expect(p.present).toBe(false);
      expect(p.lastLeftAt).toBe(call.endedAt);
      expect(p.seconds).toBeLessThanOrEqual(call.seconds);
    }
    const stored = await schema.query(
      `SELECT kind, practitioner_id FROM consultation_call_event WHERE consultation_id = $1 ORDER BY occurred_at, id`,
      [id],
    );
    expect(stored.map((r: { kind: string }) => r.kind)).toEqual([
      'joined',
      'joined',
      'left',
      'joined',
      'ended',
    ]);
    // Someone who may not see the consultation sees no call record either.
    await as(server.url, token.countyRadiologistB).get(`/api/consultations/${id}`).expect(403);
    // The hub counts the call for the township that asked and the hospital that read.
    const metrics = (
      await as(server.url, await loginAs(server.url, f.user.hubCoordinator.username))
        .get('/api/consultations/metrics')
        .expect(200)
    ).body;
    const figures = Object.fromEntries(
      metrics.institutions.map(
        (i: { organizationId: string; videoCalls: number; videoMinutes: number }) => [
          i.organizationId,
          [i.videoCalls, i.videoMinutes],
        ],
      ),
    );
    const minutes = Math.round(call.seconds / 60);
    expect(figures[f.org.townA]).toEqual([1, minutes]);
    expect(figures[f.org.countyA]).toEqual([1, minutes]);
    expect(figures[f.org.countyB]).toBeUndefined();
  });
});
