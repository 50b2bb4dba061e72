/**
 * A coturn TURN server (Debian's `coturn` package, `turnserver`) for one test, with the REST
 * credential scheme the media node hands out (`use-auth-secret` + `static-auth-secret`, see
 * apps/media/src/turn-credentials.ts): TURN over UDP and TCP on `port` and over TLS on `tlsPort`
 * (443 by default, as a hospital firewall that lets only HTTPS out needs), all on one address only
 * (an emulated link's host end), relaying only to `peerIps` (the media server's address), so it
 * never carries anything anywhere else. Its system service is never used: the test runs its own
 * process with its own configuration, and `stop()` ends it.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CoturnOptions {
  /** The one address it listens on and relays from. */
  listenIp: string;
  /** coturn `static-auth-secret`: the media node's TURN_SECRET. */
  secret: string;
  /** The only addresses it relays to (the media server's). */
  peerIps: string[];
  /** PEM certificate (chain) and key for TLS. */
  cert: string;
  key: string;
  /** TURN over UDP and TCP; default 3478. */
  port?: number;
  /** TURN over TLS (and DTLS); default 443. */
  tlsPort?: number;
  /** Relay ports, inclusive; default 49160-49260. */
  relayPorts?: [number, number];
  realm?: string;
}

const BINARY = '/usr/bin/turnserver';

export class Coturn {
  private output = '';

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly listenIp: string,
    readonly port: number,
    readonly tlsPort: number,
  ) {
    child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** Why coturn cannot run here, or null. */
  static unsupportedReason(): string | null {
    if (!existsSync(BINARY))
      return 'no turnserver (apt-get install coturn; scripts/prepare-machine.sh)';
    try {
      execFileSync(BINARY, ['--version'], { stdio: 'ignore' });
    } catch {
      return 'turnserver does not run';
    }
    return null;
  }

  static async start(o: CoturnOptions): Promise<Coturn> {
    const why = Coturn.unsupportedReason();
    if (why) throw new Error(`cannot run coturn: ${why}`);
    const port = o.port ?? 3478;
    const tlsPort = o.tlsPort ?? 443;
    const [minPort, maxPort] = o.relayPorts ?? [49160, 49260];
    const dir = mkdtempSync(join(tmpdir(), 'hzturn-'));
    writeFileSync(join(dir, 'cert.pem'), o.cert, { mode: 0o600 });
    writeFileSync(join(dir, 'key.pem'), o.key, { mode: 0o600 });
    const conf = [
      `listening-ip=${o.listenIp}`,
      `relay-ip=${o.listenIp}`,
      `listening-port=${port}`,
      `tls-listening-port=${tlsPort}`,
      `min-port=${minPort}`,
      `max-port=${maxPort}`,
      `realm=${o.realm ?? 'huizhen'}`,
      'use-auth-secret',
      `static-auth-secret=${o.secret}`,
      'fingerprint',
      `cert=${join(dir, 'cert.pem')}`,
      `pkey=${join(dir, 'key.pem')}`,
      // Relay to the media server only: nothing else is a permitted peer.
      'denied-peer-ip=0.0.0.0-255.255.255.255',
      ...o.peerIps.map((ip) => `allowed-peer-ip=${ip}`),
      'no-multicast-peers',
      // Its own database (REST credentials need none, but it opens one): never the system's /var/lib/turn.
      `userdb=${join(dir, 'turndb')}`,
      'no-cli',
      'no-software-attribute',
      `pidfile=${join(dir, 'turnserver.pid')}`,
      'log-file=stdout',
      'simple-log',
    ];
    writeFileSync(join(dir, 'turnserver.conf'), conf.join('\n') + '\n');
    const child = spawn(BINARY, ['-c', join(dir, 'turnserver.conf')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const turn = new Coturn(child, dir, o.listenIp, port, tlsPort);
    try {
      await turn.ready();
    } catch (e) {
      await turn.stop();
      throw new Error(`${(e as Error).message}\n${turn.log()}`);
    }
    return turn;
  }

  /** TURN_URLS for the media node: UDP, TCP, and TLS on the TLS port. */
  urls(): { udp: string; tcp: string; tls: string } {
    return {
      udp: `turn:${this.listenIp}:${this.port}?transport=udp`,
      tcp: `turn:${this.listenIp}:${this.port}?transport=tcp`,
      tls: `turns:${this.listenIp}:${this.tlsPort}?transport=tcp`,
    };
  }

  /** What it logged so far. */
  log(): string {
    return this.output;
  }

  /** Until both TCP listeners accept (coturn opens UDP and TCP together). */
  private async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const accepts = (port: number) =>
      new Promise<boolean>((resolve) => {
        const s = connect({ host: this.listenIp, port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
    for (;;) {
      if (this.child.exitCode !== null)
        throw new Error(`turnserver exited with ${this.child.exitCode}`);
      if ((await accepts(this.port)) && (await accepts(this.tlsPort))) return;
      if (Date.now() > deadline) throw new Error('turnserver did not open its ports in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((r) => this.child.once('exit', () => r()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
