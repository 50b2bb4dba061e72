import { io, type Socket } from 'socket.io-client';
import { TestSchema, loginAs, seedDirectory, type DirectoryFixture } from '@huizhen/testing';
import { startApiForTest } from '../api.test-support';
import { SCHEDULING_CLOCK, type SchedulingClock } from './scheduling-terms';

/** Scheduling's clock in tests: Monday 4 January 2027, 08:00 in Shanghai. Real time for everything else. */
export const TEST_NOW = new Date('2027-01-04T00:00:00Z');

export interface SchedulingHarness {
  schema: TestSchema;
  api: Awaited<ReturnType<typeof startApiForTest>>;
  f: DirectoryFixture;
  token: Record<string, string>;
  clock: SchedulingClock;
  as(who: string): Client;
  close(): Promise<void>;
}

export interface Reply {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

export interface Client {
  get(path: string): Promise<Reply>;
  post(path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  patch(path: string, body?: unknown): Promise<Reply>;
  put(path: string, body?: unknown): Promise<Reply>;
  del(path: string): Promise<Reply>;
}

export function client(url: string, token?: string): Client {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {}
    return { status: res.status, body: parsed, text, headers: res.headers };
  };
  return {
    get: (p) => call('GET', p),
    post: (p, b, h) => call('POST', p, b ?? {}, h),
    patch: (p, b) => call('PATCH', p, b ?? {}),
    put: (p, b) => call('PUT', p, b ?? {}),
    del: (p) => call('DELETE', p),
  };
}

export async function startScheduling(
  prefix: string,
  users: string[] = [],
): Promise<SchedulingHarness> {
  const schema = await TestSchema.create(prefix);
  const f = await seedDirectory(schema);
  const api = await startApiForTest(schema);
  const token: Record<string, string> = {};
  for (const key of users.length ? users : Object.keys(f.user))
    token[key] = await loginAs(api.url, f.user[key].username);
  const clock = api.app.get<SchedulingClock>(SCHEDULING_CLOCK);
  clock.now = () => new Date(TEST_NOW);
  return {
    schema,
    api,
    f,
    token,
    clock,
    as: (who) => client(api.url, token[who]),
    close: async () => {
      await api.app.close();
      await schema.drop();
    },
  };
}

export function connectEvents(url: string, token: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(`${url}/events`, {
      auth: { token },
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

/** Collects every `event` a socket receives, to wait for one of a type. */
export function eventLog(s: Socket) {
  const seen: any[] = [];
  const unread: any[] = [];
  const waiters: { type: string; resolve: (e: any) => void }[] = [];
  s.on('event', (e) => {
    seen.push(e);
    const w = waiters.find((x) => x.type === e.type);
    if (w) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(e);
    } else unread.push(e);
  });
  return {
    seen,
    /** The oldest unread event of this type, or the next to come (null after `ms`). */
    next(type: string, ms = 3000): Promise<any> {
      const i = unread.findIndex((e) => e.type === type);
      if (i >= 0) return Promise.resolve(unread.splice(i, 1)[0]);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(null), ms);
        waiters.push({ type, resolve: (e) => (clearTimeout(t), resolve(e)) });
      });
    },
  };
}

export const shiftBody = (
  specialistId: string,
  hosts: string[],
  extra: Record<string, unknown> = {},
) => ({
  specialistId,
  hostOrganizationIds: hosts,
  mode: 'remote_block',
  start: '2027-02-01T09:00',
  end: '2027-02-01T12:00',
  slotMinutes: 30,
  ...extra,
});

/**
 * Real consultation requests written as rows (a patient of the requester's organization, the
 * request, its requester as participant), submitted and waiting: what scheduling books for.
 * SQL keeps the 200-booking race about booking, not about creating requests.
 */
type RequestMode = 'live_video' | 'both' | 'imaging_read';

/** `n` requests (or `{ n, mode }`; live video unless told). */
export async function submittedRequests(
  h: Pick<SchedulingHarness, 'schema' | 'f'>,
  requester: string,
  specialty: string,
  count: number | { n?: number; mode?: RequestMode } = 1,
): Promise<string[]> {
  const { n = 1, mode = 'live_video' } = typeof count === 'number' ? { n: count } : count;
  const u = h.f.user[requester];
  const [p] = await h.schema.query(
    `INSERT INTO patient (organization_id, name, sex, birth_date) VALUES ($1, '测试患者', 'female', '1970-01-01') RETURNING id`,
    [u.organizationId],
  );
  const rows = await h.schema.query(
    `INSERT INTO consultation_request (requesting_organization_id, requester_id, patient_id, specialty, urgency, mode, clinical_question, status, submitted_at)
     SELECT $1, $2, $3, $4, 'routine', $5, '请专家视频会诊', 'submitted', now() FROM generate_series(1, $6::int) RETURNING id`,
    [u.organizationId, u.id, p.id, specialty, mode, n],
  );
  const ids: string[] = rows.map((r) => r.id);
  await h.schema.query(
    `INSERT INTO consultation_participant (consultation_id, practitioner_id, role) SELECT unnest($1::uuid[]), $2, 'requester'`,
    [ids, u.id],
  );
  return ids;
}

export async function submittedRequest(
  h: Pick<SchedulingHarness, 'schema' | 'f'>,
  requester: string,
  specialty: string,
  mode?: 'live_video' | 'both' | 'imaging_read',
): Promise<string> {
  return (await submittedRequests(h, requester, specialty, { n: 1, mode }))[0];
}
