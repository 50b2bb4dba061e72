import { io, type Socket } from 'socket.io-client';
import request from 'supertest';

/** A signed-in /events client that keeps every event it receives. */
export interface Listener {
  socket: Socket;
  events: { type: string; data: Record<string, any> }[];
  /** Resolves with the first event (already received or coming) that matches, or rejects after ms. */
  waitFor(
    type: string,
    match?: (data: Record<string, any>) => boolean,
    ms?: number,
  ): Promise<{ type: string; data: Record<string, any> }>;
  about(consultationId: string): { type: string; data: Record<string, any> }[];
}

export function listen(url: string, token?: string): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const socket = io(`${url}/events`, {
      auth: token ? { token } : {},
      transports: ['websocket'],
      reconnection: false,
    });
    const events: Listener['events'] = [];
    const waiters: { type: string; match: (d: any) => boolean; done: (e: any) => void }[] = [];
    socket.on('event', (e) => {
      events.push(e);
      for (const w of [...waiters]) {
        if (w.type === e.type && w.match(e.data)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.done(e);
        }
      }
    });
    socket.once('ready', () =>
      resolve({
        socket,
        events,
        waitFor(type, match = () => true, ms = 3000) {
          const seen = events.find((e) => e.type === type && match(e.data));
          if (seen) return Promise.resolve(seen);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no ${type} event within ${ms} ms`)), ms);
            waiters.push({ type, match, done: (e) => (clearTimeout(t), res(e)) });
          });
        },
        about(consultationId) {
          return events.filter((e) => e.data?.consultationId === consultationId);
        },
      }),
    );
    socket.once('connect_error', (e) => {
      socket.close();
      reject(e);
    });
  });
}

/** supertest with a bearer token. */
export function as(url: string, token: string | null) {
  const agent = request(url);
  const auth = (r: request.Test) => (token ? r.set('authorization', `Bearer ${token}`) : r);
  return {
    get: (path: string) => auth(agent.get(path)),
    post: (path: string, body?: object) => auth(agent.post(path)).send(body ?? {}),
    put: (path: string, body?: object) => auth(agent.put(path)).send(body ?? {}),
    raw: (path: string, type: string, bytes: Buffer) =>
      auth(agent.post(path)).set('content-type', type).send(bytes),
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A PDF that is really one: pdfkit writes it. */
export async function tinyPdf(): Promise<Buffer> {
  const { default: PDFDocument } = await import('pdfkit');
  return new Promise((resolve) => {
    const doc = new PDFDocument();
    const chunks: Buffer[] = [];
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.text('ECG 12-lead');
    doc.end();
  });
}

/**
 * A study as the archive indexes it (the row only, no instances), for api tests without the
 * imaging app: a request names only studies that are stored and that its author may read.
 */
export async function storedStudy(
  schema: { query: (sql: string, params: unknown[]) => Promise<unknown> },
  studyInstanceUid: string,
  organizationId: string,
): Promise<string> {
  await schema.query(
    `INSERT INTO imaging_study (study_instance_uid, deid_uid, organization_id, study_json) VALUES ($1, $2, $3, '{}')`,
    [studyInstanceUid, `2.25.${Date.now()}${Math.floor(Math.random() * 1e6)}`, organizationId],
  );
  return studyInstanceUid;
}
