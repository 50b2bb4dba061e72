/**
 * A township's network link, emulated in user space (this kernel has neither netem nor tbf).
 *
 * `LinkEmulator.start()` makes a network namespace, two TUN devices (one on the host, one moved
 * into the namespace) on a private /30 of 10.213.0.0/16 that exists only for this link, and a
 * shaper process (link-shaper.py) copying packets between them with, per direction, a token
 * bucket with a bounded queue, a one-way delay and random loss. Processes started with `exec`
 * (or a browser launched through `wrapper()`) live in the namespace and reach the host only at
 * `hostAddress`, through the shaper; there is no other route out of the namespace.
 *
 * "up" is namespace → host (what the township sends), "down" is host → namespace.
 * `allowOnly()` turns the link into a firewall (a hospital's that drops UDP, or lets only TCP to
 * port 443 out) until `allowAll()`.
 * `stop()` removes everything; a test process that dies leaves a namespace that the next
 * `start()` removes (named after the dead pid), and the shaper exits when its stdin closes.
 */
import {
  type ChildProcess,
  execFile,
  execFileSync,
  spawn,
  type SpawnOptions,
} from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LinkDirection {
  /** Token-bucket rate in kbit/s; 0 or absent = unlimited. */
  rateKbps?: number;
  /** One-way delay in ms. */
  delayMs?: number;
  /** Random loss, 0-100 (100 = cut). */
  lossPct?: number;
  /** Tail drop once more than this much data (in ms at the rate) waits in the bucket; default 300. */
  queueMs?: number;
}

export interface LinkProfile {
  /** Namespace → host. */
  up?: LinkDirection;
  /** Host → namespace. */
  down?: LinkDirection;
}

export interface LinkCounters {
  in: number;
  out: number;
  lost: number;
  queueDropped: number;
  bytesOut: number;
  /** Dropped by the link's firewall (`allowOnly`). */
  filtered: number;
}

/** A firewall rule of the link: this protocol (to this port of the host side, or any). */
export interface LinkAllowRule {
  protocol: 'tcp' | 'udp';
  /** The host side's port: the destination of what the township sends, the source of what it gets. */
  port?: number;
}

export interface LinkStartOptions extends LinkProfile {
  /** A short label (letters, digits, dashes) in the namespace's name. */
  name?: string;
}

const PREFIX = 'hzlink-';
const CLEAN: Required<LinkDirection> = { rateKbps: 0, delayMs: 0, lossPct: 0, queueMs: 300 };
let counter = 0;
const live = new Set<LinkEmulator>();

export function linkPython(): string {
  // Debian's interpreter first: a user's pyenv shim may not exist on a clean machine or under `ip netns exec`.
  return existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the namespaces named `<prefix><pid>-…` whose test process is dead (it died without
 * stopping them); `remove` deletes one (default `ip netns del`). Shared with the Orthanc peer of
 * test/machines, whose namespaces hold a process to kill first.
 */
export function removeStaleNamespaces(
  prefix: string,
  remove: (namespace: string) => void = (ns) =>
    execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' }),
): void {
  let list = '';
  try {
    list = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const line of list.split('\n')) {
    const m = new RegExp(`^(${prefix}(\\d+)-\\S+)`).exec(line.trim());
    if (m && Number(m[2]) !== process.pid && !alive(Number(m[2]))) {
      try {
        remove(m[1]);
      } catch {
        /* already gone */
      }
    }
  }
}

/**
 * A /30 of 10.`second`.0.0/16 that no interface on the host uses (other tests may hold links at
 * the same time): [host end, namespace end]. Each kind of link has its own /16.
 */
export async function freeSlash30(second: number): Promise<[string, string]> {
  const { stdout } = await run('ip', ['-o', '-4', 'addr', 'show']);
  const used = new Set(
    [...stdout.matchAll(new RegExp(`10\\.${second}\\.(\\d+)\\.(\\d+)`, 'g'))].map(
      (m) => `${m[1]}.${Math.floor(Number(m[2]) / 4)}`,
    ),
  );
  for (let tries = 0; tries < 1000; tries++) {
    const a = Math.floor(Math.random() * 256);
    const b = Math.floor(Math.random() * 64);
    if (!used.has(`${a}.${b}`))
      return [`10.${second}.${a}.${b * 4 + 1}`, `10.${second}.${a}.${b * 4 + 2}`];
  }
  throw new Error(`no free /30 in 10.${second}.0.0/16`);
}

function full(d: LinkDirection | undefined): Required<LinkDirection> {
  return { ...CLEAN, ...(d ?? {}) };
}

export class LinkEmulator {
  /** The shaper script, from the repository root (tests and the bench run there); change it to run from elsewhere. */
  static shaperPath = join(process.cwd(), 'test/media/support/link-shaper.py');

  private readonly children = new Set<ChildProcess>();
  private readonly waiting = new Map<
    number,
    (reply: { stats?: { up: LinkCounters; down: LinkCounters } }) => void
  >();
  private nextId = 1;
  private profile: { up: Required<LinkDirection>; down: Required<LinkDirection> };
  private beforeCut: { up: Required<LinkDirection>; down: Required<LinkDirection> } | null = null;
  private tmp: string | null = null;
  private stopped = false;

  private constructor(
    readonly namespace: string,
    readonly hostDevice: string,
    readonly nsDevice: string,
    /** The host's end of the /30: what a process in the namespace connects to. */
    readonly hostAddress: string,
    /** The namespace's end of the /30. */
    readonly nsAddress: string,
    private readonly shaper: ChildProcess,
    profile: LinkProfile,
  ) {
    this.profile = { up: full(profile.up), down: full(profile.down) };
  }

  /** Why links cannot be emulated here, or null when they can (root, /dev/net/tun, ip netns, python3). */
  static unsupportedReason(): string | null {
    if (process.platform !== 'linux') return 'not Linux';
    if (process.getuid?.() !== 0) return 'not root (network namespaces and TUN devices need root)';
    if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun';
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    } catch {
      return '`ip netns` unavailable (install iproute2)';
    }
    try {
      execFileSync(linkPython(), ['-c', 'import fcntl, select'], { stdio: 'ignore' });
    } catch {
      return 'python3 unavailable';
    }
    return null;
  }

  /** Removes namespaces left by test processes that died without stopping their links. */
  static removeStale(): void {
    removeStaleNamespaces(PREFIX);
  }

  static async start(o: LinkStartOptions = {}): Promise<LinkEmulator> {
    const why = LinkEmulator.unsupportedReason();
    if (why) throw new Error(`cannot emulate a link here: ${why}`);
    LinkEmulator.removeStale();
    const n = counter++;
    const label = (o.name ?? 'link').replace(/[^A-Za-z0-9-]/g, '-').slice(0, 20);
    const namespace = `${PREFIX}${process.pid}-${n}-${label}`;
    const tag = `${(process.pid % 100000).toString(36)}${n.toString(36)}`;
    const hostDevice = `hzh${tag}`.slice(0, 15);
    const nsDevice = `hzn${tag}`.slice(0, 15);
    const [hostAddress, nsAddress] = await freeSlash30(213);

    const shaper = spawn(linkPython(), [LinkEmulator.shaperPath, hostDevice, nsDevice], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const link = new LinkEmulator(
      namespace,
      hostDevice,
      nsDevice,
      hostAddress,
      nsAddress,
      shaper,
      o,
    );
    live.add(link);
    const lines = createInterface({ input: shaper.stdout! });
    const ready = new Promise<void>((resolve, reject) => {
      shaper.once('exit', (code) =>
        reject(new Error(`link shaper exited with ${code} before it was ready`)),
      );
      shaper.once('error', reject);
      lines.on('line', (line) => {
        const msg = JSON.parse(line) as {
          ready?: boolean;
          id?: number;
          stats?: { up: LinkCounters; down: LinkCounters };
        };
        if (msg.ready) resolve();
        else if (msg.id !== undefined) {
          link.waiting.get(msg.id)?.(msg);
          link.waiting.delete(msg.id);
        }
      });
    });
    try {
      await ready;
      const ip = (...args: string[]) => run('ip', args);
      await ip('netns', 'add', namespace);
      await ip('link', 'set', 'dev', nsDevice, 'netns', namespace);
      // No IPv6 on the link: nothing but what the test sends crosses it.
      writeFileSync(`/proc/sys/net/ipv6/conf/${hostDevice}/disable_ipv6`, '1');
      await run('ip', [
        'netns',
        'exec',
        namespace,
        'sh',
        '-c',
        `echo 1 > /proc/sys/net/ipv6/conf/${nsDevice}/disable_ipv6`,
      ]).catch(() => undefined);
      await ip('addr', 'add', hostAddress, 'peer', nsAddress, 'dev', hostDevice);
      await ip('link', 'set', 'dev', hostDevice, 'mtu', '1500', 'up');
      await ip('-n', namespace, 'addr', 'add', nsAddress, 'peer', hostAddress, 'dev', nsDevice);
      await ip('-n', namespace, 'link', 'set', 'dev', nsDevice, 'mtu', '1500', 'up');
      await ip('-n', namespace, 'link', 'set', 'dev', 'lo', 'up');
      await link.set(o);
    } catch (e) {
      await link.stop();
      throw e;
    }
    return link;
  }

  private send(msg: object): Promise<{ stats?: { up: LinkCounters; down: LinkCounters } }> {
    if (this.stopped || this.shaper.exitCode !== null)
      return Promise.reject(new Error('link stopped'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error('link shaper did not answer in 5 s'));
      }, 5000);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
      this.shaper.stdin!.write(JSON.stringify({ id, ...msg }) + '\n');
    });
  }

  /** Changes the conditions now (packets already queued keep the delay they were given). Unnamed fields keep their values. */
  async set(profile: LinkProfile): Promise<void> {
    this.profile = {
      up: { ...this.profile.up, ...(profile.up ?? {}) },
      down: { ...this.profile.down, ...(profile.down ?? {}) },
    };
    this.beforeCut = null;
    await this.send({ up: this.profile.up, down: this.profile.down });
  }

  /** The same conditions both ways. */
  async setBoth(d: LinkDirection): Promise<void> {
    await this.set({ up: d, down: d });
  }

  /** Conditions in force. */
  get current(): { up: Required<LinkDirection>; down: Required<LinkDirection> } {
    return { up: { ...this.profile.up }, down: { ...this.profile.down } };
  }

  /** Drops every packet both ways (an outage) until `restore()`. */
  async cut(): Promise<void> {
    const before = this.beforeCut ?? this.current;
    await this.send({ up: { lossPct: 100 }, down: { lossPct: 100 } });
    this.beforeCut = before;
  }

  /** Back to the conditions before `cut()`. */
  async restore(): Promise<void> {
    const back = this.beforeCut ?? this.current;
    this.beforeCut = null;
    await this.send({ up: back.up, down: back.down });
  }

  /**
   * A firewall on the link from now on: only IPv4 packets matching a rule cross it (both ways:
   * what the township sends to that protocol and port of the host side, and the answers);
   * everything else, ICMP included, is dropped silently as a hospital's firewall does. Connections
   * open through a rule keep working; rules replace the previous ones.
   */
  async allowOnly(rules: LinkAllowRule[]): Promise<void> {
    await this.send({ allow: rules });
  }

  /** No firewall: everything crosses the link again (the shaping stays). */
  async allowAll(): Promise<void> {
    await this.send({ allow: null });
  }

  /** Packets in, out, lost, tail-dropped and filtered per direction since the start. */
  async counters(): Promise<{ up: LinkCounters; down: LinkCounters }> {
    return (await this.send({ stats: true })).stats!;
  }

  /** The argv that runs `cmd` inside the namespace. */
  argv(cmd: string[]): string[] {
    return ['ip', 'netns', 'exec', this.namespace, ...cmd];
  }

  /** Starts a process inside the namespace; `stop()` kills it if it is still running. */
  exec(cmd: string[], opts: SpawnOptions = {}): ChildProcess {
    const [bin, ...args] = this.argv(cmd);
    const child = spawn(bin, args, { stdio: 'ignore', ...opts });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** Runs a command inside the namespace to its end; resolves with its output. */
  async run(cmd: string[], timeoutMs = 30_000): Promise<{ stdout: string; stderr: string }> {
    const [bin, ...args] = this.argv(cmd);
    return run(bin, args, { timeout: timeoutMs, encoding: 'utf8' });
  }

  /**
   * An executable that runs `binary` inside the namespace with the arguments it is given: for
   * tools that want a path, e.g. playwright's `chromium.launch({ executablePath: link.wrapper('/usr/bin/chromium') })`.
   */
  wrapper(binary: string): string {
    this.tmp ??= mkdtempSync(join(tmpdir(), 'hzlink-'));
    const file = join(this.tmp, binary.replace(/[^A-Za-z0-9]/g, '_'));
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec ${this.namespace} ${binary} "$@"\n`, {
      mode: 0o755,
    });
    return file;
  }

  /**
   * Inside the namespace, relays TCP from 127.0.0.1:`port` to the host end's `hostPort` (default: the
   * same), across the link. A page opened from http://127.0.0.1 is a secure context (camera,
   * microphone) and its ws:// is not upgraded by a CSP, while all its traffic still crosses the link.
   */
  async forward(port: number, hostPort = port): Promise<void> {
    const relay = join(dirname(LinkEmulator.shaperPath), 'link-forward.py');
    const child = this.exec(
      [linkPython(), relay, String(port), this.hostAddress, String(hostPort)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`link relay exited with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', () => resolve());
    });
  }

  /** Kills what runs in the namespace, stops the shaper (its TUN devices go with it) and deletes the namespace. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    for (const c of this.children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
    // Anything else started in the namespace (e.g. a browser's helper processes).
    try {
      const { stdout } = await run('ip', ['netns', 'pids', this.namespace]);
      for (const pid of stdout.split(/\s+/).filter(Boolean).map(Number)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    } catch {
      /* no namespace */
    }
    if (this.shaper.exitCode === null) {
      const exited = new Promise<void>((r) => this.shaper.once('exit', () => r()));
      this.shaper.stdin?.end();
      const timer = setTimeout(() => this.shaper.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    }
    await run('ip', ['netns', 'del', this.namespace]).catch(() => undefined);
    await run('ip', ['link', 'del', this.hostDevice]).catch(() => undefined);
    if (this.tmp) rmSync(this.tmp, { recursive: true, force: true });
  }
}

// A test that throws past its afterAll still removes its namespaces when the process ends.
process.once('exit', () => {
  for (const link of live) {
    if (link['shaper'].exitCode === null) link['shaper'].kill('SIGKILL');
    try {
      execFileSync('ip', ['netns', 'del', link.namespace], { stdio: 'ignore' });
    } catch {
      /* gone */
    }
  }
});
