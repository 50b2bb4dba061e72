import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import { signRoomToken } from '@huizhen/room-token';
import {
  TestSchema,
  loginAs,
  seedDirectory,
  startTestApp,
  type DirectoryFixture,
} from '@huizhen/testing';
import { ServerModule } from '../../../apps/server/src/server.module';
import { EventsGateway } from '../../../apps/api/src/events/events.gateway';
import { RawSignalingClient } from '../../media/support/media-harness';
import { ALLOWED, PUBLIC_OPERATIONS } from './allowlist';
import { badAccessTokens, client, hs256, send, tinyDicom } from './support/http';
import { operationsOf, type Operation } from './support/openapi';
import {
  badTokenProbes,
  describeSent,
  format,
  isSafe,
  judge,
  order,
  plansFor,
  run,
  usedAllowances,
  type Finding,
  type Outcome,
  type World,
} from './support/probe';
import { buildSide, first, snapshot, type Side } from './support/world';

/**
 * Trust boundaries. Every operation of the live OpenAPI document (plus the DICOMweb
 * and tus routes, which must be in it) is tried by users of a second organization against
 * organization A's resources, built through the real API in the single-process server (api +
 * imaging + media, real PostgreSQL):
 *  (a) without a token and with expired / tampered / alg=none / wrong-key / wrong-audience / room /
 *      garbage tokens: 401 on every non-public operation;
 *  (b) with A's ids in the path;
 *  (c) with A's ids in every id-shaped query or body field the schema declares, the path naming
 *      the attacker's OWN resources (the "attach someone else's study to my consultation" shape),
 *      and the other way round (A's path, the attacker's ids in the body);
 * and fails on any 2xx that crosses an organization (unless allowlisted with a reason, see
 * allowlist.ts), on A's data in any answer, on any 5xx, and on any change to A's world. Then the
 * socket.io namespaces: /events (no way into A's rooms) and /media (no way into A's room).
 *
 * All probes run in beforeAll (the operations come from the live document, so they cannot be
 * jest tests of their own); each test below then lists every finding of its kind, one per line:
 * operation, attacker, what was sent (and which of A's ids it named), status, answer.
 */

const ATTACKERS = [
  'townDoctorB', // a township doctor of another county (another city, another consortium)
  'cityCoordinatorB', // the hub coordinator of another city
  'countyRadiologistB', // a specialist outside A's consortia
  'otherHubCoordinator', // a hub coordinator of another province (no world of its own)
] as const;

/** Routes the document must list (DICOMweb, tus): `{}` stands for any parameter name. */
const MUST_BE_DOCUMENTED = [
  'GET /dicom-web/studies',
  'GET /dicom-web/series',
  'GET /dicom-web/instances',
  'GET /dicom-web/studies/{}/series',
  'GET /dicom-web/studies/{}/instances',
  'GET /dicom-web/studies/{}/series/{}/instances',
  'GET /dicom-web/studies/{}/metadata',
  'GET /dicom-web/studies/{}/series/{}/metadata',
  'GET /dicom-web/studies/{}/series/{}/instances/{}/metadata',
  'GET /dicom-web/studies/{}',
  'GET /dicom-web/studies/{}/series/{}',
  'GET /dicom-web/studies/{}/series/{}/instances/{}',
  'GET /dicom-web/studies/{}/series/{}/instances/{}/frames/{}',
  'GET /dicom-web/studies/{}/series/{}/instances/{}/rendered',
  'GET /dicom-web/studies/{}/series/{}/instances/{}/thumbnail',
  'GET /dicom-web/studies/{}/thumbnail',
  'POST /dicom-web/studies',
  'POST /dicom-web/studies/{}',
  'POST /dicom-web/uploads',
  'HEAD /dicom-web/uploads/{}',
  'PATCH /dicom-web/uploads/{}',
  'DELETE /dicom-web/uploads/{}',
  'POST /api/imaging/studies/{}/consultations',
  'POST /api/imaging/studies/{}/shares',
];
const shape = (key: string) => key.replace(/\{[^}]*\}/g, '{}');

/** Operations whose attacker requests may fail validation (400 with details.fields) for a non-id reason, with why. */
const EXPECTED_VALIDATION: Record<string, string> = {};

describe('trust boundaries: every operation, as users of a second organization', () => {
  let schema: TestSchema;
  let f: DirectoryFixture;
  let server: Awaited<ReturnType<typeof startTestApp>>;
  let doc: any;
  let ops: Operation[] = [];
  let w: World;
  let victim: Side;
  let own: Side;
  let initial: Record<string, string>;
  const token: Record<string, string> = {};
  const outcomes: Outcome[] = [];
  const findings: Finding[] = [];
  const rows: string[][] = [];
  const started = Date.now();
  const timings: Record<string, number> = {};

  const of = (cause: Finding['cause'], who?: string) =>
    findings.filter((x) => x.cause === cause && (!who || x.who === who));
  const report = (list: Finding[]) =>
    list.length ? `${list.length} finding(s):\n${list.map(format).join('\n')}` : 'none';

  beforeAll(async () => {
    schema = await TestSchema.create('trust');
    f = await seedDirectory(schema);
    server = await startTestApp(
      schema.env({
        DIMSE_ENABLED: 'false',
        CONSULT_SWEEP_INTERVAL_SECONDS: '0',
        MEDIA_WORKERS: '1',
      }),
      (config) => ServerModule.forConfig(config),
    );
    const users = [
      'townDoctorA',
      'countyRadiologistA',
      'hubCoordinator',
      'cityRadiologistA',
      'townDoctorB',
      'countyRadiologistB',
      'cityCoordinatorB',
      'otherHubCoordinator',
      'countyAdminA',
      'hubAdmin',
    ];
    for (const u of users) token[u] = await loginAs(server.url, f.user[u].username);
    timings.start = Date.now() - started;

    const docReply = await send(server.url, { method: 'GET', path: '/api/docs/openapi.json' });
    if (docReply.status !== 200)
      throw new Error(
        `the OpenAPI document is not served at /api/docs/openapi.json: ${docReply.status}`,
      );
    doc = docReply.body;
    ops = operationsOf(doc);
    // Routes the document should have but lacks are probed anyway (and the first test fails).
    const documented = new Set(ops.map((o) => shape(o.key)));
    for (const key of MUST_BE_DOCUMENTED) {
      if (documented.has(key)) continue;
      const [method, path0] = key.split(' ');
      let n = 0;
      const path = path0
        .replace(/\{\}/g, () => `{${['study', 'series', 'instance', 'frames'][n++]}}`)
        .replace('/uploads/{study}', '/uploads/{id}');
      ops.push({
        method: method.toLowerCase(),
        path,
        key: `${method} ${path}`,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]),
        query: [],
        inDocument: false,
      });
    }

    victim = await buildSide({
      base: server.url,
      name: 'A',
      users: {
        doctor: 'townDoctorA',
        specialist: 'countyRadiologistA',
        coordinator: 'hubCoordinator',
        admin: 'countyAdminA',
      },
      f,
      token,
      day: '2027-03-08',
    });
    own = await buildSide({
      base: server.url,
      name: 'B',
      users: {
        doctor: 'townDoctorB',
        specialist: 'countyRadiologistB',
        coordinator: 'cityCoordinatorB',
        // The fixture's B has no admin of its own: the hub's registers B's machines.
        admin: 'hubAdmin',
      },
      f,
      token,
      day: '2027-03-09',
    });
    w = {
      base: server.url,
      token,
      victim,
      ownOf: { townDoctorB: own, cityCoordinatorB: own, countyRadiologistB: own },
      substituted: new Set(),
      unknown: new Set(),
    };
    // A's organizations must not show up in another organization's scoped answers either (hub figures, worklists...).
    victim.markers.set(f.org.townA, 'organization');
    victim.markers.set(f.org.countyA, 'organization');
    initial = await snapshot(server.url, victim, token);
    timings.world = Date.now() - started;

    // A room token (another key, another audience) to present as an access token.
    const room = await send(server.url, {
      method: 'POST',
      path: `/api/consultations/${first(own, 'consultation')}/room-token`,
      token: token.townDoctorB,
    });
    const bad: Record<string, string | null> = {
      'no token': null,
      ...badAccessTokens(
        token.townDoctorB,
        server.config.jwtSecret,
        f.org.townA,
        room.body?.token ?? 'x.y.z',
      ),
    };
    const isPublic = (op: Operation) => PUBLIC_OPERATIONS.some((p) => p.op === op.key);

    let before = initial;
    for (const op of order(ops)) {
      const row = [op.key + (op.inDocument ? '' : ' (NOT IN DOCUMENT)')];
      // (a) bad tokens
      const tokenStatuses = new Set<number>();
      for (const { probe, token: t } of await badTokenProbes(w, op, bad)) {
        const o = await run(w, probe, t);
        outcomes.push(o);
        tokenStatuses.add(o.status);
        const sent = describeSent(probe);
        if (o.status >= 500)
          findings.push({
            cause: '5xx',
            op: op.key,
            who: probe.who,
            variant: probe.variant,
            sent,
            status: o.status,
            excerpt: o.excerpt,
          });
        if (isPublic(op)) continue;
        if (o.status !== 401)
          findings.push({
            cause: probe.who === 'no token' ? 'open without a token' : 'not 401 with a bad token',
            op: op.key,
            who: probe.who,
            variant: probe.variant,
            sent,
            status: o.status,
            excerpt: o.excerpt || o.error || '',
          });
      }
      row.push(
        isPublic(op) ? `public ${[...tokenStatuses].join('/')}` : [...tokenStatuses].join('/'),
      );
      // (b), (c) attackers. Sign-in operations (logout ends the session of the token it is sent with) get a throwaway session.
      const session: Record<string, string> = { ...token };
      if (op.path.startsWith('/api/auth/'))
        for (const who of ATTACKERS) session[who] = await loginAs(server.url, f.user[who].username);
      for (const who of ATTACKERS) {
        const cell: string[] = [];
        for (const probe of await plansFor(w, op, who)) {
          const o = await run(w, probe, session[who]);
          outcomes.push(o);
          findings.push(...judge(o));
          const short =
            probe.variant === 'victim ids'
              ? 'V'
              : probe.variant.startsWith('baseline')
                ? 'own'
                : probe.variant.startsWith('victim path')
                  ? 'VO'
                  : probe.variant.startsWith('search')
                    ? 'S'
                    : 'OV';
          cell.push(`${short}:${o.status || 'ERR'}${o.validation ? '!' : ''}`);
        }
        row.push(compact(cell));
      }
      rows.push(row);
      // Did anything of A change? Pin it on this operation.
      if (!isSafe(op) || op.path.startsWith('/dicom-web/uploads')) {
        const after = await snapshot(server.url, victim, token);
        const changed = Object.keys({ ...before, ...after }).filter((k) => before[k] !== after[k]);
        if (changed.length) {
          findings.push({
            cause: 'victim state changed',
            op: op.key,
            who: 'one of the attackers (see the crossings of this operation)',
            variant: 'after all probes of this operation',
            sent: changed.join(', '),
            status: 0,
            excerpt: changed
              .map((k) => `${k}: ${before[k]?.slice(0, 150)} → ${after[k]?.slice(0, 150)}`)
              .join(' | '),
          });
        }
        before = after;
      }
    }
    timings.probes = Date.now() - started;
  }, 900_000);

  afterAll(async () => {
    const lines = [
      `trust boundaries: ${ops.length} operations (${ops.filter((o) => !o.inDocument).length} not in the document), ${outcomes.length} requests, ${Math.round((Date.now() - started) / 1000)} s (server + logins ${timings.start} ms, world ${timings.world} ms, probes ${timings.probes} ms)`,
      'cells: V = A ids in path/body, VO = A path + own ids in body, OV = own path + one A id in the body/query (or a later path param), own = own ids (baseline), S = a search/listing filter (answer checked for A data); "!" = failed validation',
      table([['operation', 'bad tokens', ...ATTACKERS], ...rows]),
      `findings by cause: ${JSON.stringify(Object.fromEntries([...new Set(findings.map((x) => x.cause))].map((c) => [c, findings.filter((x) => x.cause === c).length])))}`,
      ...findings.map(format),
      'denials of requests naming A’s ids that were not 401/403/404 (did the request pass the authorization check first?):',
      ...outcomes
        .filter(
          (o) =>
            (ATTACKERS as readonly string[]).includes(o.probe.who) &&
            o.probe.targets.length &&
            o.status >= 300 &&
            ![401, 403, 404].includes(o.status),
        )
        .map(
          (o) =>
            `  ${o.status} ${o.probe.op.key} as ${o.probe.who} (${o.probe.variant}): ${o.excerpt.slice(0, 200)}`,
        ),
      `allowlist entries that excused nothing this run (still needed?): ${
        ALLOWED.filter((a) => !usedAllowances.has(a))
          .map((a) => `${a.op} [${a.targets ?? ''}${a.leaks ? ` leaks ${a.leaks}` : ''}]`)
          .join('; ') || 'none'
      }`,
      `ids the world lacked (random ids used): ${[...(w?.substituted ?? [])].join('; ') || 'none'}`,
      `world gaps: A ${victim?.missing.join('; ') || 'none'} / B ${own?.missing.join('; ') || 'none'}`,
      `id-shaped places of unknown kind (probed with the nearest kind): ${[...(w?.unknown ?? [])].join('; ') || 'none'}`,
    ];
    console.log(lines.join('\n'));
    await server?.app.close();
    await schema?.drop();
  });

  it('the OpenAPI document lists the DICOMweb, tus and imaging routes', () => {
    const missing = ops.filter((o) => !o.inDocument).map((o) => o.key);
    expect(missing).toEqual([]);
  });

  it('the allowlist names operations that are still in the document', () => {
    const keys = new Set(ops.filter((o) => o.inDocument).map((o) => o.key));
    const stale = [...ALLOWED.map((a) => a.op), ...PUBLIC_OPERATIONS.map((p) => p.op)].filter(
      (k) => !keys.has(k),
    );
    expect(stale).toEqual([]);
  });

  it('the world was built whole (every kind of id has a real value)', () => {
    expect({ A: victim.missing, B: own.missing, substituted: [...w.substituted] }).toEqual({
      A: [],
      B: [],
      substituted: [],
    });
  });

  it('(a) every non-public operation answers 401 without a token', () => {
    const list = of('open without a token');
    if (list.length) throw new Error(report(list));
  });

  it('(a) every non-public operation answers 401 to expired, tampered, alg=none, wrong-key, wrong-audience, room and garbage tokens', () => {
    const list = of('not 401 with a bad token');
    if (list.length) throw new Error(report(list));
  });

  it.each(ATTACKERS)(
    '(b, c) %s gets no 2xx for a request naming organization A’s resources',
    (who) => {
      const list = of('crossing (2xx)', who);
      if (list.length) throw new Error(report(list));
    },
  );

  it.each(ATTACKERS)('(b, c) %s never sees organization A’s data in an answer', (who) => {
    const list = of('leak of organization A data', who);
    if (list.length) throw new Error(report(list));
  });

  it('no request of any kind is answered with a 5xx', () => {
    const list = of('5xx');
    if (list.length) throw new Error(report(list));
  });

  it('organization A’s world is unchanged after every operation', () => {
    const list = of('victim state changed');
    if (list.length) throw new Error(report(list));
  });

  it('the probes are not vacuous: no attacker request failed validation (400 details.fields) or lost its session (401)', () => {
    const attacker = (o: Outcome) => (ATTACKERS as readonly string[]).includes(o.probe.who);
    const invalid = outcomes.filter(
      (o) => attacker(o) && o.validation && !EXPECTED_VALIDATION[o.probe.op.key],
    );
    const unauthenticated = outcomes.filter(
      (o) => attacker(o) && o.status === 401 && !o.probe.op.path.startsWith('/api/auth/'),
    );
    const lines = [
      ...new Set(
        invalid.map(
          (o) =>
            `  ${o.probe.op.key} as ${o.probe.who} (${o.probe.variant}): ${o.validation}\n      sent: ${describeSent(o.probe)}`,
        ),
      ),
      ...new Set(
        unauthenticated.map(
          (o) =>
            `  ${o.probe.op.key} as ${o.probe.who} (${o.probe.variant}): 401 with a valid token (session ended by an earlier probe?) ${o.excerpt}`,
        ),
      ),
    ];
    if (lines.length) throw new Error(`${lines.length} vacuous request(s):\n${lines.join('\n')}`);
  });

  it('afterwards, the attackers still cannot find or read organization A’s study (QIDO-RS, WADO-RS)', async () => {
    const study = first(victim, 'study')!;
    const series = first(victim, 'series')!;
    const got: Record<string, number[]> = {};
    for (const who of ATTACKERS) {
      const c = client(server.url, token[who]);
      const search = await c.go('GET', `/dicom-web/studies?StudyInstanceUID=${study}`);
      const listed = search.status === 200 && Array.isArray(search.body) ? search.body.length : 0;
      const meta = await c.go('GET', `/dicom-web/studies/${study}/metadata`);
      const seriesMeta = await c.go('GET', `/dicom-web/studies/${study}/series/${series}/metadata`);
      got[who] = [listed, meta.status, seriesMeta.status];
    }
    for (const who of ATTACKERS) {
      expect({ who, listed: got[who][0] }).toEqual({ who, listed: 0 });
      expect([403, 404]).toContain(got[who][1]);
      expect([403, 404]).toContain(got[who][2]);
    }
  });

  it('afterwards, organization A’s consultations, patient, referral, booking, shifts, plan, study and upload are as they were built', async () => {
    const now = await snapshot(server.url, victim, token);
    const changed = Object.keys(initial)
      .filter((k) => initial[k] !== now[k])
      .map((k) => `${k}: ${initial[k]} → ${now[k]}`);
    expect(changed).toEqual([]);
  });

  it('the tus door refuses an instance that names organization A’s study (an upload finished by townDoctorB)', async () => {
    const study = first(victim, 'study')!;
    const { bytes } = tinyDicom({ study }, { name: 'PROBE^Upload', id: 'PROBE-UPLOAD' });
    const tus = { 'tus-resumable': '1.0.0' };
    const created = await send(server.url, {
      method: 'POST',
      path: '/dicom-web/uploads',
      token: token.townDoctorB,
      headers: { ...tus, 'upload-length': String(bytes.length) },
    });
    expect(created.status).toBe(201);
    const id = created.headers.get('location')!.split('/').pop();
    const done = await send(server.url, {
      method: 'PATCH',
      path: `/dicom-web/uploads/${id}`,
      token: token.townDoctorB,
      body: bytes,
      contentType: 'application/offset+octet-stream',
      headers: { ...tus, 'upload-offset': '0' },
    });
    expect({ status: done.status, text: done.text }).toEqual({
      status: 422,
      text: expect.stringMatching(/another organization/),
    });
    const instances = await client(server.url, token.townDoctorA).must(
      200,
      'GET',
      `/dicom-web/studies/${study}/instances`,
    );
    expect(instances.body).toHaveLength(1);
  });

  // ---------- socket.io ----------

  describe('/events', () => {
    const sockets: Socket[] = [];
    afterAll(() => sockets.forEach((s) => s.close()));

    function connect(
      auth: Record<string, unknown>,
    ): Promise<{ socket: Socket; events: { name: string; data: any }[] }> {
      return new Promise((resolve, reject) => {
        const socket = io(`${server.url}/events`, {
          auth,
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
        });
        sockets.push(socket);
        const events: { name: string; data: any }[] = [];
        socket.onAny((name, data) => events.push({ name, data }));
        socket.once('ready', () => resolve({ socket, events }));
        socket.once('connect_error', (e) => {
          socket.close();
          reject(e);
        });
      });
    }

    it('refuses a handshake without a valid access token', async () => {
      const room = await send(server.url, {
        method: 'POST',
        path: `/api/consultations/${first(own, 'consultation')}/room-token`,
        token: token.townDoctorB,
      });
      const bad = badAccessTokens(
        token.townDoctorB,
        server.config.jwtSecret,
        f.org.townA,
        room.body.token,
      );
      const accepted: string[] = [];
      for (const [label, t] of Object.entries<string | undefined>({
        'no token': undefined,
        ...bad,
      })) {
        const ok = await connect(t === undefined ? {} : { token: t }).then(
          (c) => (c.socket.close(), true),
          () => false,
        );
        if (ok) accepted.push(label);
      }
      expect(accepted).toEqual([]);
    });

    it('an attacker cannot subscribe to organization A’s rooms and hears nothing of A’s consultations', async () => {
      const consultation = first(victim, 'consultation')!;
      const control = await connect({ token: token.countyRadiologistA }); // a participant: must hear the message
      const ears: Record<string, Awaited<ReturnType<typeof connect>>> = {};
      for (const who of ATTACKERS) ears[who] = await connect({ token: token[who] });
      const rooms = [
        `org:${f.org.townA}`,
        `org:${f.org.countyA}`,
        `user:${f.user.townDoctorA.id}`,
        `user:${f.user.countyRadiologistA.id}`,
        `consultation:${consultation}`,
        consultation,
      ];
      // The gateway takes no client messages; whatever names a client tries, nothing answers and nothing joins.
      const attempts = ATTACKERS.flatMap((who) =>
        [
          'subscribe',
          'join',
          'joinRoom',
          'room:join',
          'consultation:subscribe',
          'consultation.subscribe',
        ].flatMap((name) =>
          rooms.map(async (room) => {
            const ack = await ears[who].socket
              .timeout(400)
              .emitWithAck(name, {
                room,
                consultationId: consultation,
                organizationId: f.org.townA,
              })
              .catch(() => null);
            return ack === null
              ? null
              : `${who} ${name} ${room}: ${JSON.stringify(ack).slice(0, 120)}`;
          }),
        ),
      );
      const answers = (await Promise.all(attempts)).filter((a): a is string => a !== null);
      // What the server holds: each attacker socket is in its own user and organization rooms only.
      const gateway = server.app.get(EventsGateway) as unknown as {
        ns: { sockets: Map<string, { rooms: Set<string>; data: { actor?: { id: string } } }> };
      };
      const roomsOf: Record<string, string[]> = {};
      for (const s of gateway.ns.sockets.values()) {
        const who = ATTACKERS.find((a) => f.user[a].id === s.data.actor?.id);
        if (who) roomsOf[who] = [...s.rooms].filter((r) => r.includes(':')).sort();
      }
      // A's users act: a message in the consultation, a new request submitted to A's county queue.
      const text = `after-subscribe ${Date.now()}`;
      victim.markers.set(text, 'message text');
      await client(server.url, token.townDoctorA).must(
        201,
        'POST',
        `/api/consultations/${consultation}/messages`,
        { body: text },
      );
      await client(server.url, token.townDoctorA).must(201, 'POST', '/api/consultations', {
        patientId: first(victim, 'patient'),
        specialty: 'radiology',
        urgency: 'urgent',
        mode: 'imaging_read',
        clinicalQuestion: '订阅测试',
        submit: true,
      });
      const deadline = Date.now() + 3000;
      while (
        !control.events.some((e) => e.data?.type === 'consultation.message') &&
        Date.now() < deadline
      )
        await new Promise((r) => setTimeout(r, 50));
      expect(control.events.map((e) => e.data?.type)).toContain('consultation.message'); // the negative below means something
      await new Promise((r) => setTimeout(r, 300));
      const heard: string[] = [];
      for (const who of ATTACKERS) {
        for (const e of ears[who].events) {
          const text = JSON.stringify(e.data ?? '');
          const leaked = [...victim.markers.keys()].filter((m) => text.includes(m));
          if (e.name !== 'ready' && (leaked.length || text.includes(f.org.townA)))
            heard.push(`${who} heard ${e.name} ${text.slice(0, 200)}`);
        }
      }
      expect({ answers, heard }).toEqual({ answers: [], heard: [] });
      for (const who of ATTACKERS)
        expect(roomsOf[who]).toEqual(
          [`org:${f.user[who].organizationId}`, `user:${f.user[who].id}`].sort(),
        );
    });
  });

  describe('/media', () => {
    const clients: RawSignalingClient[] = [];
    afterAll(() => clients.forEach((c) => c.close()));
    const connect = async (auth: Record<string, unknown>) => {
      const c = await RawSignalingClient.connect(server.url, auth);
      clients.push(c);
      return c;
    };
    const refused = (auth: Record<string, unknown>) =>
      RawSignalingClient.connect(server.url, auth).then(
        (c) => (c.close(), 'connected'),
        (e: any) => `refused ${e?.data?.reason ?? e?.message}`,
      );

    it('a room token for one’s own consultation does not open organization A’s room', async () => {
      const victimRoom = first(victim, 'consultation')!;
      // A's host is in the room, so there is something to see.
      const hostToken = await client(server.url, token.countyRadiologistA).must(
        200,
        'POST',
        `/api/consultations/${victimRoom}/room-token`,
      );
      const host = await connect({ token: hostToken.body.token });
      await host.ok('join', { room: victimRoom });
      const results: Record<string, unknown> = {};
      for (const who of ['townDoctorB', 'countyRadiologistB'] as const) {
        const mine = await client(server.url, token[who]).must(
          200,
          'POST',
          `/api/consultations/${first(own, 'consultation')}/room-token`,
        );
        const c = await connect({ token: mine.body.token });
        const join = await c.request('join', { room: victimRoom });
        const after = await c.request('getRouterRtpCapabilities', {});
        const admit = await c.request('admit', { peerId: 'x' });
        results[who] = [
          join.error?.code ?? 'JOINED',
          after.error?.code ?? 'ANSWERED',
          admit.error?.code ?? 'ANSWERED',
        ];
      }
      expect(results).toEqual({
        townDoctorB: ['room_mismatch', 'not_joined', 'not_joined'],
        countyRadiologistB: ['room_mismatch', 'not_joined', 'not_joined'],
      });
      expect(
        host.events.filter((e) => e.event === 'peerWaiting' || e.event === 'peerJoined'),
      ).toEqual([]);
    });

    it('forged, tampered, expired, alg=none and access tokens naming organization A’s room are refused', async () => {
      const room = first(victim, 'consultation')!;
      const claims = {
        sub: f.user.townDoctorB.id,
        name: 'townDoctorB',
        room,
        role: 'host' as const,
      };
      const now = Math.floor(Date.now() / 1000);
      const mine = (
        await client(server.url, token.townDoctorB).must(
          200,
          'POST',
          `/api/consultations/${first(own, 'consultation')}/room-token`,
        )
      ).body.token as string;
      const [h, p, s] = mine.split('.');
      const tampered = `${h}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), room, role: 'host' })).toString('base64url')}.${s}`;
      const expired = signRoomToken(
        claims,
        server.config.roomTokenSecret,
        60,
        Date.now() - 3600_000,
      );
      const got = {
        forged: await refused({
          token: signRoomToken(claims, 'a-guessed-room-token-secret-000000000', 600),
        }),
        tampered: await refused({ token: tampered }),
        expired: await refused({ token: expired }),
        'alg=none': await refused({
          token: `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ ...claims, aud: 'huizhen-media', iat: now, exp: now + 600 })).toString('base64url')}.`,
        }),
        'signed with the access-token key': await refused({
          token: hs256(
            { ...claims, aud: 'huizhen-media', iat: now, exp: now + 600 },
            server.config.jwtSecret,
          ),
        }),
        'an access token': await refused({ token: token.townDoctorB }),
        none: await refused({}),
      };
      expect(got).toEqual({
        forged: 'refused bad_signature',
        tampered: 'refused bad_signature',
        expired: 'refused expired',
        'alg=none': 'refused malformed',
        'signed with the access-token key': 'refused bad_signature',
        'an access token': 'refused bad_signature',
        none: 'refused malformed',
      });
      // An expired token with a guessed resume key gets a connection that can only resume that very peer: it cannot.
      const resumed = await RawSignalingClient.connect(server.url, {
        token: expired,
        resume: 'guessed-resume-key',
      }).then(
        async (c) => {
          clients.push(c);
          const a = await c.request('join', { room, resume: 'guessed-resume-key' });
          const b = await c.request('join', { room });
          return [a.error?.code ?? 'JOINED', b.error?.code ?? 'JOINED'];
        },
        (e: any) => [`refused ${e?.data?.reason ?? e?.message}`],
      );
      expect(resumed).not.toContain('JOINED');
    });
  });

  // ---------- the harness itself ----------

  it('the harness notices a real crossing (A shares its study with townDoctorB: WADO-RS answers 2xx and is flagged)', async () => {
    // Runs last (after the "afterwards" and socket checks): the share opens A's study to townDoctorB on purpose.
    const study = first(victim, 'study')!;
    await client(server.url, token.townDoctorA).must(
      201,
      'POST',
      `/api/imaging/studies/${study}/shares`,
      {
        practitionerId: f.user.townDoctorB.id,
        expiresAt: new Date(Date.now() + 86400_000).toISOString(),
      },
    );
    const op = ops.find((o) => o.key === 'GET /dicom-web/studies/{study}/metadata')!;
    const [probe] = await plansFor(w, op, 'townDoctorB');
    const outcome = await run(w, probe, token.townDoctorB);
    expect(outcome.status).toBe(200);
    expect(judge(outcome).map((x) => x.cause)).toContain('crossing (2xx)');
  });
});

function compact(cells: string[]): string {
  const counts = new Map<string, number>();
  for (const c of cells) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(' ');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) =>
    Math.min(70, Math.max(...rows.map((r) => (r[i] ?? '').length))),
  );
  return rows.map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i])).join(' | ')).join('\n');
}
