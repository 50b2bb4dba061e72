/**
 * The web room's journeys against the real single-node server (demo province): the two demo
 * roles logged in through the API and in Chromium, a claimed live consultation, and the room
 * opened by the specialist (host) with the township doctor admitted from the waiting room.
 * Shared by the room's browser tests (room-health, network-paths, pre-join check).
 */
import { EmbeddedDataDir, loginAs, startTestApp } from '@huizhen/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { MediaRoomsService } from '../../../apps/media/src/media-rooms.service';
import { ServerModule } from '../../../apps/server/src/server.module';
import { VIEWPORT } from '../../browser/support/chromium';
import { waitFor } from '../../browser/support/wait';

export const DEMO_PASSWORD = 'Huizhen-demo-1';
export type DemoRole = 'township' | 'specialist';
const USERNAMES: Record<DemoRole, string> = {
  township: 'demo-township',
  specialist: 'demo-specialist',
};

/** The single-process server on the embedded database with the demo province; `env` adds to it. */
export async function startDemoServer(env: Record<string, string> = {}) {
  const data = new EmbeddedDataDir();
  const app = await startTestApp(
    data.env({ SEED_DEMO: 'true', CONSULT_SWEEP_INTERVAL_SECONDS: '0', ...env }),
    (config) => ServerModule.forConfig(config),
  );
  const media = app.app.get(MediaRoomsService);
  return {
    ...app,
    media,
    async close(): Promise<void> {
      await app.app.close();
      // The workers go with the app; made sure of, so that jest exits when a file runs alone.
      await media.pool.close();
      data.drop();
    },
  };
}
export type DemoServer = Awaited<ReturnType<typeof startDemoServer>>;

export class RoomJourney {
  private readonly tokens: Partial<Record<DemoRole, string>> = {};
  private readonly contexts: BrowserContext[] = [];

  /** `apiUrl`: where the test talks to the API; `origin`: where the pages come from (default the same). */
  constructor(
    readonly apiUrl: string,
    readonly origin = apiUrl,
  ) {}

  /** Both demo roles' API tokens (for `call`). */
  async logIn(): Promise<this> {
    for (const role of Object.keys(USERNAMES) as DemoRole[])
      this.tokens[role] = await loginAs(this.apiUrl, USERNAMES[role], DEMO_PASSWORD);
    return this;
  }

  async call<T>(role: DemoRole, method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.tokens[role]}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} as ${role}: ${res.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A claimed live consultation of a demo patient with no open request. */
  async consultation(question = '视频会诊：咳嗽两周，请协助判断'): Promise<string> {
    const patients = await this.call<{ items: { id: string }[] }>(
      'township',
      'GET',
      '/api/patients?limit=50',
    );
    const open = await this.call<{ items: { patientId: string }[] }>(
      'township',
      'GET',
      '/api/consultations/worklist?box=sent&limit=200',
    );
    const patient = patients.items.find((p) => !open.items.some((c) => c.patientId === p.id));
    if (!patient) throw new Error('no demo patient without an open request left');
    const c = await this.call<{ id: string }>('township', 'POST', '/api/consultations', {
      patientId: patient.id,
      specialty: 'radiology',
      urgency: 'urgent',
      mode: 'live_video',
      clinicalQuestion: question,
    });
    await this.call('township', 'POST', `/api/consultations/${c.id}/submit`);
    await this.call('specialist', 'POST', `/api/consultations/${c.id}/claim`);
    return c.id;
  }

  /** A page of `browser` logged in as `role` in the web client (zh-CN); `init` runs before every page's scripts. */
  async page(
    browser: Browser,
    role: DemoRole,
    init?: { script: (arg: boolean) => void; arg?: boolean },
  ): Promise<Page> {
    const context = await browser.newContext({
      viewport: VIEWPORT,
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    this.contexts.push(context);
    if (init) await context.addInitScript(init.script, init.arg ?? false);
    const p = await context.newPage();
    await p.goto(`${this.origin}/login`);
    await p.getByLabel('用户名').fill(USERNAMES[role]);
    await p.getByLabel('密码').fill(DEMO_PASSWORD);
    await p.getByRole('button', { name: '登录' }).click();
    await p.getByTestId('welcome').waitFor();
    return p;
  }

  /**
   * The specialist opens the room (joined as host), then the doctor comes in as users do: from
   * the consultation page's 进入视频会诊 (its warm socket joins at the click), through the waiting room.
   */
  async openRoom(id: string, specialist: Page, doctor: Page): Promise<void> {
    await this.hostOpens(id, specialist);
    await doctor.goto(`${this.origin}/consultations/${id}`);
    await doctor.getByTestId('detail-join-room').click({ timeout: 20_000 });
    await doctor.waitForURL(`**/room/${id}`);
    await this.admitAndJoin(specialist, doctor);
  }

  /** The specialist opens the room and is joined (as host, nobody to wait for). */
  async hostOpens(id: string, specialist: Page): Promise<void> {
    await specialist.goto(`${this.origin}/room/${id}`);
    await waitFor(
      () => phase(specialist),
      (p) => p === 'joined',
      'host joined',
      20_000,
    );
  }

  /** The host admits the waiting doctor, who ends up joined. */
  async admitAndJoin(specialist: Page, doctor: Page): Promise<void> {
    await specialist.getByTestId('admit').click({ timeout: 20_000 });
    await waitFor(
      () => phase(doctor),
      (p) => p === 'joined',
      'doctor joined',
      20_000,
    );
  }

  async close(): Promise<void> {
    for (const c of this.contexts.splice(0)) await c.close().catch(() => undefined);
  }
}

/** The room page's phase (data-phase of the video-room element). */
export function phase(p: Page): Promise<string | null> {
  return p.getByTestId('video-room').getAttribute('data-phase');
}

/** The first remote tile's media state (flowing, lost, frozen, waiting, failed). */
export function tileState(p: Page): Promise<string | null> {
  return p.getByTestId('remote-tile').first().getAttribute('data-media-state');
}
