/**
 * Every network path a media connection can take, in the web client's room against the real
 * single-node server (demo province, embedded database, real mediasoup) with Debian's Chromium and
 * coturn: the township doctor's browser runs inside an emulated link
 * (test/media/support/link-emulator.ts) whose firewall leaves exactly one way for media — UDP to the media server; TCP to it when UDP is
 * blocked (a hospital firewall); and only through TURN over UDP, over TCP, or over TLS on port 443
 * — and each call must decode video both ways, over the path getStats() says was selected. Then an
 * outage of the link: the specialist's tile of the doctor says the connection is lost while the link is down (the time is printed: about 2.5 s),
 * and media flows again when the link returns.
 *
 * Traffic stays on this machine: loopback and the test's own /30 (the media server, coturn and a
 * relay for the page all listen on the link's host end; coturn relays only to the media server).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { loadTlsMaterial } from '@huizhen/platform-http';
import { waitFor } from '../browser/support/wait';
import { ensureWebBuild } from '../browser/support/web-build';
import { CHROMIUM_ARGS, launchAcrossLink } from './support/browser';
import { Coturn } from './support/coturn';
import { MediaGateway } from '../../apps/media/src/media.gateway';
import { type LinkAllowRule, LinkEmulator } from './support/link-emulator';
import { tcpRelay } from './support/tcp-relay';
import { type DemoServer, RoomJourney, startDemoServer, tileState } from './support/room-journey';

const TURN_SECRET = 'network-paths-turn-secret-0000000001';
// Page-side code below runs in Chromium; the test project has no DOM typings.
declare const window: any;

const why = LinkEmulator.unsupportedReason() ?? Coturn.unsupportedReason();
if (why) process.stderr.write(`network path tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

/** Runs in every page before its scripts: keeps the page's RTCPeerConnections reachable for getStats(). */
function keepPeerConnections() {
  const w = window as any;
  const Original = w.RTCPeerConnection;
  w.__pcs = [];
  w.RTCPeerConnection = class extends Original {
    constructor(...args: any[]) {
      super(...args);
      w.__pcs.push(this);
    }
  };
}

interface Candidate {
  candidateType: string;
  protocol: string;
  relayProtocol?: string;
  address: string;
  port: number;
}
interface PathStats {
  state: string;
  local: Candidate | null;
  remote: Candidate | null;
  framesDecoded: number;
  framesEncoded: number;
}

/** Per open RTCPeerConnection of the page (send and receive transport): the selected candidate pair and the video it carried. */
function selectedPaths(): Promise<PathStats[]> {
  const w = window as any;
  return Promise.all(
    w.__pcs
      .filter((pc: any) => pc.connectionState !== 'closed')
      .map(async (pc: any) => {
        const stats: Map<string, any> = await pc.getStats();
        const byId = new Map<string, any>();
        stats.forEach((s: any) => byId.set(s.id, s));
        let pair: any = null;
        let framesDecoded = 0;
        let framesEncoded = 0;
        stats.forEach((s: any) => {
          if (s.type === 'transport' && s.selectedCandidatePairId)
            pair = byId.get(s.selectedCandidatePairId);
          if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
          if (s.type === 'outbound-rtp' && s.kind === 'video')
            framesEncoded += s.framesEncoded ?? 0;
        });
        const candidate = (id: string | undefined) => {
          const c = id ? byId.get(id) : null;
          return c
            ? {
                candidateType: c.candidateType,
                protocol: c.protocol,
                relayProtocol: c.relayProtocol,
                address: c.address,
                port: c.port,
              }
            : null;
        };
        return {
          state: pc.connectionState,
          local: candidate(pair?.localCandidateId),
          remote: candidate(pair?.remoteCandidateId),
          framesDecoded,
          framesEncoded,
        };
      }),
  );
}

suite(
  'every network path: UDP, TCP, TURN over UDP, TCP and TLS/443, and an outage (Chromium, real server, coturn)',
  () => {
    let link: LinkEmulator;
    let turn: Coturn;
    let app: DemoServer;
    let journey: RoomJourney;
    let relay: Awaited<ReturnType<typeof tcpRelay>>;
    let hostBrowser: Browser;
    let nsBrowser: Browser;
    let tlsDir: string;
    let rtc: { udp: number; tcp: number };
    let specialist: Page;
    let doctor: Page;
    const report: string[] = [];

    const origin = () => `http://127.0.0.1:${new URL(app.url).port}`;

    /** The specialist (host) opens the room, the doctor (inside the link) comes in through the waiting room; both see each other. */
    async function callThroughLink(): Promise<{ id: string; flowingMs: number }> {
      const id = await journey.consultation('视频会诊：网络路径测试');
      await journey.hostOpens(id, specialist);
      const started = Date.now();
      await doctor.goto(`${origin()}/room/${id}`);
      await journey.admitAndJoin(specialist, doctor);
      for (const [who, p] of [
        ['the doctor’s media at the specialist', specialist],
        ['the specialist’s media at the doctor', doctor],
      ] as const)
        await waitFor(
          () => tileState(p),
          (s) => s === 'flowing',
          who,
          30_000,
        );
      return { id, flowingMs: Date.now() - started };
    }

    /** The host ends the room and the doctor is told (after an outage its socket may first have to reconnect). */
    async function endCall(): Promise<void> {
      await specialist.getByTestId('end-room').click();
      await doctor.getByTestId('room-ended').waitFor({ timeout: 30_000 });
    }

    /** Both of the doctor's transports connected over one pair, and video decoded both ways (frames still growing). */
    async function doctorsPath(): Promise<{ local: Candidate; remote: Candidate }> {
      const paths = await waitFor(
        () => doctor.evaluate(selectedPaths),
        (ps) => ps.length >= 2 && ps.every((p) => p.state === 'connected' && p.local && p.remote),
        'the doctor’s send and receive transports connected',
        15_000,
      );
      const first = paths.map((p) => p.framesDecoded).reduce((a, b) => a + b, 0);
      const atSpecialist = async () =>
        (await specialist.evaluate(selectedPaths)).reduce((n, p) => n + p.framesDecoded, 0);
      const specialistFirst = await atSpecialist();
      // Video keeps arriving both ways over that path.
      await waitFor(
        async () => (await doctor.evaluate(selectedPaths)).reduce((n, p) => n + p.framesDecoded, 0),
        (n) => n >= first + 10,
        'the doctor decoding more of the specialist’s video',
        10_000,
      );
      await waitFor(
        atSpecialist,
        (n) => n >= specialistFirst + 10,
        'the specialist decoding more of the doctor’s video',
        10_000,
      );
      // Read again: at the instant both transports connected the camera may not have encoded a
      // frame yet (the join on a warm socket can beat the camera's start).
      const sending = await doctor.evaluate(selectedPaths);
      expect(sending.some((p) => p.framesEncoded > 0)).toBe(true);
      // One path for both transports (same kind of candidate, same protocol).
      const shape = (p: PathStats) =>
        `${p.local!.candidateType}/${p.local!.protocol}/${p.local!.relayProtocol ?? '-'} -> ${p.remote!.protocol}:${p.remote!.port}`;
      expect(new Set(paths.map(shape)).size).toBe(1);
      return { local: paths[0].local!, remote: paths[0].remote! };
    }

    beforeAll(async () => {
      const build = ensureWebBuild();
      const setupStarted = Date.now();
      link = await LinkEmulator.start({ name: 'netpaths' });
      const host = link.hostAddress;
      // A certificate for the TURN server's address, from a CA of the test's own (the platform's helper).
      tlsDir = mkdtempSync(join(tmpdir(), 'hz-netpaths-tls-'));
      const tls = await loadTlsMaterial(
        { dataDir: tlsDir, tls: { certFile: null, keyFile: null } } as Parameters<
          typeof loadTlsMaterial
        >[0],
        { hostname: 'turn.huizhen.test', ipv4: [host], ipv6: [] },
      );
      turn = await Coturn.start({
        listenIp: host,
        secret: TURN_SECRET,
        peerIps: [host],
        cert: tls.cert,
        key: tls.key,
        tlsPort: 443,
      });
      const urls = turn.urls();
      app = await startDemoServer({
        // Media on the link's host end only: the doctor inside reaches it there, the specialist too.
        MEDIA_LISTEN_IP: host,
        MEDIA_WORKERS: '1',
        TURN_URLS: [urls.udp, urls.tcp, urls.tls].join(','),
        TURN_SECRET,
      });
      const slot = app.media.pool.slots[0];
      rtc = { udp: slot.udpPort, tcp: slot.tcpPort };
      // The doctor's pages come from 127.0.0.1 inside the namespace, across the link, to the app.
      const appPort = Number(new URL(app.url).port);
      relay = await tcpRelay(host, appPort);
      await link.forward(appPort, relay.port);
      const caSpki = createHash('sha256')
        .update(
          new X509Certificate(tls.ca!.certPem).publicKey.export({ type: 'spki', format: 'der' }),
        )
        .digest('base64');
      // The doctor's browser trusts the test CA (as a hospital's machines trust the TURN server's certificate).
      [hostBrowser, nsBrowser] = await launchAcrossLink(link, [
        ...CHROMIUM_ARGS,
        `--ignore-certificate-errors-spki-list=${caSpki}`,
      ]);
      journey = await new RoomJourney(app.url, origin()).logIn();
      [specialist, doctor] = await Promise.all([
        journey.page(hostBrowser, 'specialist', { script: keepPeerConnections }),
        journey.page(nsBrowser, 'township', { script: keepPeerConnections }),
      ]);
      report.push(
        `  setup: web build ${build.built ? `${build.ms} ms` : 'reused'}; link, coturn, server, two browsers and logins ${Date.now() - setupStarted} ms`,
      );
    }, 300_000);

    afterAll(async () => {
      if (report.length) process.stdout.write(`network paths:\n${report.join('\n')}\n`);
      await journey?.close();
      await nsBrowser?.close().catch(() => undefined);
      await hostBrowser?.close().catch(() => undefined);
      await relay?.close();
      await app?.close();
      await turn?.stop();
      await link?.stop();
      if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    }, 60_000);

    /** What every case lets through besides media: the doctor's page and socket (TCP to the app's relay). */
    const signaling = (): LinkAllowRule => ({
      protocol: 'tcp',
      port: relay.port,
    });

    const cases: {
      name: string;
      allow: () => LinkAllowRule[] | null;
      expect: (path: { local: Candidate; remote: Candidate }) => void;
    }[] = [
      {
        name: 'UDP (nothing blocked)',
        allow: () => null,
        expect: ({ local, remote }) => {
          expect(local).toMatchObject({ candidateType: 'host', protocol: 'udp' });
          expect(remote).toMatchObject({
            protocol: 'udp',
            address: link.hostAddress,
            port: rtc.udp,
          });
        },
      },
      {
        name: 'TCP (UDP blocked, as a hospital firewall)',
        allow: () => [{ protocol: 'tcp' }],
        expect: ({ local, remote }) => {
          // The browser's end of an active TCP candidate shows as host or peer-reflexive (the
          // connection's own port); what matters: TCP straight to the media server, no relay.
          expect(['host', 'prflx']).toContain(local.candidateType);
          expect(local.protocol).toBe('tcp');
          expect(remote).toMatchObject({
            candidateType: 'host',
            protocol: 'tcp',
            address: link.hostAddress,
            port: rtc.tcp,
          });
        },
      },
      {
        name: 'TURN over UDP (only UDP to the TURN port)',
        allow: () => [signaling(), { protocol: 'udp', port: turn.port }],
        expect: ({ local, remote }) => {
          expect(local).toMatchObject({ candidateType: 'relay', relayProtocol: 'udp' });
          expect(remote).toMatchObject({
            candidateType: 'host',
            protocol: 'udp',
            address: link.hostAddress,
            port: rtc.udp,
          });
        },
      },
      {
        name: 'TURN over TCP (only TCP to the TURN port)',
        allow: () => [signaling(), { protocol: 'tcp', port: turn.port }],
        expect: ({ local, remote }) => {
          expect(local).toMatchObject({ candidateType: 'relay', relayProtocol: 'tcp' });
          expect(remote).toMatchObject({
            candidateType: 'host',
            protocol: 'udp',
            address: link.hostAddress,
            port: rtc.udp,
          });
        },
      },
      {
        name: 'TURN over TLS on 443 (only TCP to port 443)',
        allow: () => [signaling(), { protocol: 'tcp', port: 443 }],
        expect: ({ local, remote }) => {
          expect(local).toMatchObject({ candidateType: 'relay', relayProtocol: 'tls' });
          expect(remote).toMatchObject({
            candidateType: 'host',
            protocol: 'udp',
            address: link.hostAddress,
            port: rtc.udp,
          });
        },
      },
    ];

    it.each(cases.map((c) => [c.name, c] as const))(
      'a call over %s decodes video both ways over that path',
      async (name, c) => {
        const allow = c.allow();
        if (allow) await link.allowOnly(allow);
        else await link.allowAll();
        try {
          const { flowingMs } = await callThroughLink();
          const path = await doctorsPath();
          c.expect(path);
          const filtered = (await link.counters()).up.filtered;
          report.push(
            `  ${name}: ${path.local.candidateType}/${path.local.protocol}${path.local.relayProtocol ? ` (relay over ${path.local.relayProtocol})` : ''} -> ${path.remote.protocol} ${path.remote.address}:${path.remote.port}; both tiles flowing ${flowingMs} ms after the doctor opened the room; ${filtered} packets filtered so far`,
          );
          await endCall();
        } catch (e) {
          throw new Error(`${(e as Error).message}\ncoturn log:\n${turn.log().slice(-3000)}`);
        } finally {
          await link.allowAll();
        }
      },
      90_000,
    );

    it('an outage of the link: the specialist’s tile of the doctor says lost while the link is down (about 2.5 s, printed), media flows again after it, and the host’s end reaches the doctor', async () => {
      await link.allowAll();
      await callThroughLink();
      await link.cut();
      const cutAt = Date.now();
      await waitFor(
        () => tileState(specialist),
        (s) => s === 'lost',
        'the specialist’s tile of the doctor saying the connection is lost',
        6000,
      );
      const lostAfterMs = Date.now() - cutAt;
      expect(
        await specialist
          .getByTestId('remote-tile')
          .first()
          .getByTestId('tile-status')
          .textContent(),
      ).toBe('连接中断，正在重连…');
      const doctorLostAfterMs = await waitFor(
        () => tileState(doctor),
        (s) => s === 'lost',
        'the doctor’s tile of the specialist saying the connection is lost',
        6000,
      ).then(() => Date.now() - cutAt);
      // A 5 s outage in all.
      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - cutAt))));
      await link.restore();
      const backAt = Date.now();
      await waitFor(
        () => tileState(specialist),
        (s) => s === 'flowing',
        'flowing again at the specialist',
        30_000,
      );
      const specialistBackMs = Date.now() - backAt;
      await waitFor(
        () => tileState(doctor),
        (s) => s === 'flowing',
        'flowing again at the doctor',
        30_000,
      );
      const doctorBackMs = Date.now() - backAt;
      report.push(
        `  outage of ${backAt - cutAt} ms: tile "lost" at the specialist after ${lostAfterMs} ms (at the doctor ${doctorLostAfterMs} ms); after the link returned, "flowing" at the specialist after ${specialistBackMs} ms, at the doctor after ${doctorBackMs} ms`,
      );
      // The 3 s goal is measured here and in the media bench (printed above); the assertion is
      // the behaviour: the tile said so while the link was still down, not a time on a shared machine.
      expect(lostAfterMs).toBeLessThan(backAt - cutAt);
      // The host ends the room and the doctor's page says so, even when its socket is dropped by
      // the heartbeat after the link returned and comes back only after the end (its resume then
      // answers room_ended; it once opened a new room and waited there for good).
      const endedAt = Date.now();
      await endCall();
      const steps = await doctor.evaluate(() =>
        (window as any).huizhenRoom
          ?.timeline()
          .filter((s: any) => /socket|resum|join|admitted/.test(s.step))
          .map((s: any) => s.step),
      );
      report.push(
        `  after the outage the host ended the room: the doctor's page said so after ${Date.now() - endedAt} ms; its signaling steps: ${(steps ?? []).join(' → ')}`,
      );
    }, 120_000);

    it('a doctor whose socket the node dropped during an outage, back only after the host ended the room, is told it ended (not left in a new waiting room)', async () => {
      await link.allowAll();
      await callThroughLink();
      // The race a clean-clone run hit, made certain: the link goes down, the node drops the
      // doctor's socket as its heartbeat does, the host ends the room meanwhile, the link returns.
      await link.cut();
      const cutAt = Date.now();
      const gateway = app.app.get(MediaGateway);
      for (const s of gateway.namespace!.sockets.values())
        if (
          (s.data as { session?: { claims: { role: string } } }).session?.claims.role ===
          'township_doctor'
        )
          s.conn.close();
      await specialist.getByTestId('end-room').click();
      await specialist.getByTestId('room-ended').waitFor({ timeout: 10_000 });
      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - cutAt))));
      await link.restore();
      const backAt = Date.now();
      await doctor.getByTestId('room-ended').waitFor({ timeout: 30_000 });
      const steps = await doctor.evaluate(() =>
        (window as any).huizhenRoom
          ?.timeline()
          .filter((s: any) => /socket|resum|join|admitted/.test(s.step))
          .map((s: any) => s.step),
      );
      expect(await doctor.getByTestId('room-ended').textContent()).toContain(
        '主持人已结束本次视频会诊',
      );
      // Nobody opened the room again behind the end.
      expect(app.media.rooms.size).toBe(0);
      report.push(
        `  socket dropped by the node in an outage, room ended meanwhile: the doctor's page said so ${Date.now() - backAt} ms after the link returned; its signaling steps: ${(steps ?? []).join(' → ')}`,
      );
    }, 120_000);
  },
);
