import { EventEmitter } from 'node:events';
import * as mediasoup from 'mediasoup';
import type { types } from 'mediasoup';
import { PortInUseError } from '@huizhen/config';
import type { RtcListenAddress } from './media-listen';

export interface MediaWorkerPoolOptions {
  /** Number of workers; 0 = one per CPU core. */
  count: number;
  /** What each worker's WebRtcServer binds (UDP and TCP on each) and announces (rtcListenPlan). */
  listen: RtcListenAddress[];
  /** Worker i listens on portBase+i (UDP and TCP, the same port on every address); 0 = any free port, kept across restarts. */
  portBase: number;
  log: (level: 'info' | 'warn' | 'error', msg: string, details?: Record<string, unknown>) => void;
}

/** One worker process with its WebRtcServer; the slot outlives the process (a dead worker is replaced in place). */
export interface WorkerSlot {
  readonly index: number;
  worker: types.Worker | null;
  webRtcServer: types.WebRtcServer | null;
  /** The first address's ports (with a port base, every address's). */
  udpPort: number;
  tcpPort: number;
  /** The port of each socket, by `${protocol} ${ip}`: a replacement worker binds the same ones. */
  ports: Map<string, number>;
  /** Peers placed on this worker's routers (kept by the rooms). */
  load: number;
  restarts: number;
  /** Bumps on every new worker process: lets callers tell a replacement from the worker they knew. */
  generation: number;
}

export interface MediaWorkerPoolEvents {
  workerDied: [slot: WorkerSlot, pid: number, error: Error];
  workerReplaced: [slot: WorkerSlot, startedInMs: number];
}

const RESTART_DELAYS_MS = [0, 100, 250, 500, 1000, 2000, 5000];

/** mediasoup workers, one per core, each with a WebRtcServer on its own port; dead ones are replaced. */
export class MediaWorkerPool extends EventEmitter<MediaWorkerPoolEvents> {
  readonly slots: WorkerSlot[] = [];
  private closed = false;
  private readonly restarting = new Map<number, Promise<void>>();
  /** What the workers bind: the plan, less machine addresses that went away (a replacement worker could not bind them). */
  private listen: RtcListenAddress[];

  constructor(private readonly opts: MediaWorkerPoolOptions) {
    super();
    this.listen = [...opts.listen];
  }

  /** The addresses bound and announced now. */
  get listening(): readonly RtcListenAddress[] {
    return this.listen;
  }

  get size(): number {
    return this.slots.length;
  }

  alive(): number {
    return this.slots.filter((s) => s.worker && !s.worker.died && !s.worker.closed).length;
  }

  totalRestarts(): number {
    return this.slots.reduce((n, s) => n + s.restarts, 0);
  }

  async start(): Promise<void> {
    const count = this.opts.count;
    for (let i = 0; i < count; i++) {
      this.slots.push({
        index: i,
        worker: null,
        webRtcServer: null,
        udpPort: 0,
        tcpPort: 0,
        ports: new Map(),
        load: 0,
        restarts: 0,
        generation: 0,
      });
    }
    try {
      // One after another: with a fixed port base each binds its own port; with any-port, no races.
      for (const slot of this.slots) await this.launch(slot);
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** The alive worker carrying the least load, not one of `exclude` (a room never pipes within one worker). */
  pick(exclude: ReadonlySet<number> = new Set()): WorkerSlot | null {
    let best: WorkerSlot | null = null;
    for (const s of this.slots) {
      if (!s.worker || s.worker.died || s.worker.closed || !s.webRtcServer || exclude.has(s.index))
        continue;
      if (!best || s.load < best.load) best = s;
    }
    return best;
  }

  /** Resolves once the slot has a running worker again (or right away if it has one). */
  async whenAlive(index: number): Promise<void> {
    await this.restarting.get(index);
  }

  private async launch(slot: WorkerSlot): Promise<void> {
    const worker = await mediasoup.createWorker({
      logLevel: 'warn',
      appData: { slot: slot.index },
    });
    try {
      const wanted = (key: string) =>
        this.opts.portBase > 0 ? this.opts.portBase + slot.index : (slot.ports.get(key) ?? 0);
      // UDP first on every address, then TCP: the candidates' order is the listenInfos' order.
      const listenInfos = (): types.TransportListenInfo[] =>
        (['udp', 'tcp'] as const).flatMap((protocol) =>
          this.listen.map(({ ip, announcedAddress }) => {
            const port = wanted(`${protocol} ${ip}`);
            return {
              protocol,
              ip,
              ...(announcedAddress ? { announcedAddress } : {}),
              ...(port ? { port } : {}),
            };
          }),
        );
      let webRtcServer: types.WebRtcServer;
      for (;;) {
        try {
          webRtcServer = await worker.createWebRtcServer({ listenInfos: listenInfos() });
          break;
        } catch (e) {
          // An interface gone since start (a VPN, a dock, a changed lease): serve on the others.
          const gone = /address not available \[protocol:\w+, ip:'([^']*)'/.exec(
            e instanceof Error ? e.message : '',
          );
          if (gone && this.listen.length > 1 && this.listen.some((l) => l.ip === gone[1])) {
            this.listen = this.listen.filter((l) => l.ip !== gone[1]);
            this.opts.log('warn', 'media address gone: no longer bound or announced', {
              ip: gone[1],
              listening: this.listen.map((l) => l.ip),
            });
            continue;
          }
          throw this.portError(e, slot) ?? e;
        }
      }
      const dump = await webRtcServer.dump();
      for (const s of dump.udpSockets) slot.ports.set(`udp ${s.ip}`, s.port);
      for (const s of dump.tcpServers) slot.ports.set(`tcp ${s.ip}`, s.port);
      slot.udpPort = dump.udpSockets[0]?.port ?? 0;
      slot.tcpPort = dump.tcpServers[0]?.port ?? 0;
      slot.worker = worker;
      slot.webRtcServer = webRtcServer;
      slot.load = 0;
      slot.generation++;
      worker.on('died', (error) => this.onDied(slot, worker, error));
      if (this.closed) {
        slot.worker = null;
        slot.webRtcServer = null;
        worker.close();
      }
    } catch (e) {
      worker.close();
      throw e;
    }
  }

  /** mediasoup's "uv_udp_bind() failed [protocol:udp, ip:'…', port:40000]: address already in use", as one naming the setting. */
  private portError(e: unknown, slot: WorkerSlot): PortInUseError | null {
    const m =
      /\[protocol:(udp|tcp), ip:'([^']*)', port:(\d+)\]: (address already in use|permission denied)/i.exec(
        e instanceof Error ? e.message : '',
      );
    if (!m) return null;
    const detail = ` (${m[1].toUpperCase()} on ${m[2]}, media worker ${slot.index} of ${this.slots.length}, which use MEDIA_RTC_PORT_BASE to MEDIA_RTC_PORT_BASE+${this.slots.length - 1})`;
    return new PortInUseError(
      Number(m[3]),
      'MEDIA_RTC_PORT_BASE',
      /in use/i.test(m[4]) ? 'in_use' : 'forbidden',
      detail,
    );
  }

  private onDied(slot: WorkerSlot, worker: types.Worker, error: Error): void {
    if (slot.worker !== worker) return;
    slot.worker = null;
    slot.webRtcServer = null;
    slot.load = 0;
    this.opts.log('error', 'mediasoup worker died', {
      slot: slot.index,
      pid: worker.pid,
      error: error.message,
    });
    this.emit('workerDied', slot, worker.pid, error);
    if (this.closed) return;
    const started = Date.now();
    const restart = (async () => {
      for (let attempt = 0; !this.closed; attempt++) {
        await new Promise((r) =>
          setTimeout(r, RESTART_DELAYS_MS[Math.min(attempt, RESTART_DELAYS_MS.length - 1)]),
        );
        if (this.closed) return;
        try {
          // The old process released its ports when it died: same port, so firewalls and announced candidates stay right.
          await this.launch(slot);
          slot.restarts++;
          this.opts.log('warn', 'mediasoup worker replaced', {
            slot: slot.index,
            pid: slot.worker?.pid,
            udpPort: slot.udpPort,
            tcpPort: slot.tcpPort,
            ms: Date.now() - started,
          });
          this.emit('workerReplaced', slot, Date.now() - started);
          return;
        } catch (e) {
          this.opts.log('error', 'mediasoup worker restart failed', {
            slot: slot.index,
            attempt,
            error: e instanceof Error ? e.message : String(e),
          });
        }
      }
    })().finally(() => this.restarting.delete(slot.index));
    this.restarting.set(slot.index, restart);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.slots) {
      const w = s.worker;
      s.worker = null;
      s.webRtcServer = null;
      if (w && !w.closed) w.close();
    }
    await Promise.allSettled([...this.restarting.values()]);
  }
}
