/**
 * A real Orthanc (Debian's `orthanc` + `orthanc-dicomweb`) as the archive on the other side of a
 * machine test, in a network namespace of its own.
 *
 * Orthanc 1.10 listens on every interface (no bind option), so it never runs on the host: each
 * `OrthancPeer.prepare()` makes a namespace `hzorthanc-<pid>-<n>` with loopback and one end of a
 * veth pair on a private /30 of 10.214.0.0/16 that no interface uses; the host holds the other end.
 * Orthanc in the namespace reaches the host only at `hostAddress` (where the test relays to the
 * server under test, which listens on loopback), and the host reaches Orthanc only at
 * `nsAddress`. `start()` writes a configuration into a temporary directory and waits until its
 * REST API answers; `stop()` ends the process and removes the namespace, the link and the
 * directory. A test process that dies leaves a namespace the next `prepare()` removes (named
 * after the dead pid, its processes killed first); an exit handler cleans what a crash skips.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeSlash30, removeStaleNamespaces } from '../../media/support/link-emulator';

const run = promisify(execFile);

const BINARY = '/usr/sbin/Orthanc';
const DICOMWEB_PLUGIN = '/usr/share/orthanc/plugins/libOrthancDicomWeb.so';
const PREFIX = 'hzorthanc-';
const DIR_PREFIX = 'huizhen-';
/** Orthanc's ports inside its namespace; nothing else listens there. */
export const ORTHANC_HTTP_PORT = 8042;
export const ORTHANC_DICOM_PORT = 4242;

/** A DICOMweb server Orthanc's plugin sends to (its `DicomWeb.Servers` entry). */
export interface OrthancDicomwebServer {
  url: string;
  /** Sent with every request, e.g. `{ Authorization: 'Bearer hz_sk_…' }`. */
  httpHeaders?: Record<string, string>;
  /** HTTP Basic credentials. */
  username?: string;
  password?: string;
}

/** A DICOM modality Orthanc knows (its `DicomModalities` entry). */
export interface OrthancModality {
  aeTitle: string;
  host: string;
  port: number;
}

export interface OrthancStartOptions {
  /** Orthanc's own AE title (what it calls as, what it answers to). */
  aeTitle: string;
  dicomwebServers?: Record<string, OrthancDicomwebServer>;
  modalities?: Record<string, OrthancModality>;
}

/** One REST answer from Orthanc, read whole. */
export interface OrthancReply {
  status: number;
  text: string;
  body: any;
}

let counter = 0;
const live = new Set<OrthancPeer>();
let exitHookInstalled = false;

function quietly(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  } catch {
    /* already gone */
  }
}

/** Kills what still runs in a namespace, then deletes it (its veth pair goes with it). */
function removeNamespace(namespace: string): void {
  let pids = '';
  try {
    pids = execFileSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8', timeout: 10_000 });
  } catch {
    /* no such namespace */
  }
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* exited meanwhile */
    }
  }
  quietly('ip', ['netns', 'del', namespace]);
}

/** A dead run's namespace: its Orthanc killed, the namespace and its configuration directory gone. */
function removeStale(namespace: string): void {
  removeNamespace(namespace);
  for (const entry of readdirSync(tmpdir()))
    if (entry.startsWith(`${DIR_PREFIX}${namespace}-`))
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
}

/**
 * The packages are a test need (scripts/prepare-machine.sh installs them): when they are missing
 * and this process is root, that script is run once to install them; only a machine that cannot
 * (not root, no apt) skips the Orthanc tests, with the reason.
 */
function installedOrInstall(): string | null {
  if (existsSync(BINARY) && existsSync(DICOMWEB_PLUGIN)) return null;
  const missing = 'Orthanc is not installed (orthanc, orthanc-dicomweb)';
  if (process.getuid?.() !== 0) return `${missing} and this is not root to install it`;
  try {
    execFileSync('bash', [join(process.cwd(), 'scripts/prepare-machine.sh')], {
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 10 * 60_000,
    });
  } catch (e) {
    const stderr = String((e as { stderr?: Buffer }).stderr ?? '').trim();
    return `${missing} and scripts/prepare-machine.sh could not install it: ${stderr.slice(-300) || (e as Error).message}`;
  }
  return existsSync(BINARY) && existsSync(DICOMWEB_PLUGIN)
    ? null
    : `${missing} even after scripts/prepare-machine.sh`;
}

export class OrthancPeer {
  private child: ChildProcess | null = null;
  /** Orthanc's configuration, index and storage, and the test's files (`scratch`): one directory, named after the namespace so the next run removes it when this process dies. */
  private readonly dir: string;
  private output = '';
  private stopped = false;

  private constructor(
    readonly namespace: string,
    readonly hostDevice: string,
    /** The host's end of the /30: where Orthanc reaches the server under test. */
    readonly hostAddress: string,
    /** Orthanc's end of the /30. */
    readonly nsAddress: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${namespace}-`));
  }

  /** Why Orthanc cannot run here (after trying to install it), or null when it can. */
  static unsupportedReason(): string | null {
    if (process.platform !== 'linux') return 'not Linux (Orthanc runs in a network namespace)';
    const missing = installedOrInstall();
    if (missing) return missing;
    if (process.getuid?.() !== 0) return 'not root (network namespaces need root)';
    try {
      execFileSync('ip', ['netns', 'list'], { stdio: 'ignore' });
    } catch {
      return '`ip netns` unavailable (install iproute2)';
    }
    return null;
  }

  /** The namespace and its link to the host; Orthanc itself starts with `start()`. */
  static async prepare(): Promise<OrthancPeer> {
    removeStaleNamespaces(PREFIX, removeStale);
    const n = counter++;
    const namespace = `${PREFIX}${process.pid}-${n}`;
    const tag = `${(process.pid % 100000).toString(36)}${n.toString(36)}`;
    const hostDevice = `hzoh${tag}`.slice(0, 15);
    const nsDevice = `hzon${tag}`.slice(0, 15);
    const [hostAddress, nsAddress] = await freeSlash30(214);
    const peer = new OrthancPeer(namespace, hostDevice, hostAddress, nsAddress);
    live.add(peer);
    if (!exitHookInstalled) {
      exitHookInstalled = true;
      process.once('exit', () => {
        for (const p of live) p.stopNow();
      });
    }
    const ip = (...args: string[]) => run('ip', args);
    try {
      await ip('netns', 'add', namespace);
      await ip('link', 'add', hostDevice, 'type', 'veth', 'peer', 'name', nsDevice);
      await ip('link', 'set', 'dev', nsDevice, 'netns', namespace);
      // No IPv6 on the link: nothing but what the test sends crosses it.
      writeFileSync(`/proc/sys/net/ipv6/conf/${hostDevice}/disable_ipv6`, '1');
      await ip('addr', 'add', `${hostAddress}/30`, 'dev', hostDevice);
      await ip('link', 'set', 'dev', hostDevice, 'up');
      await ip('-n', namespace, 'addr', 'add', `${nsAddress}/30`, 'dev', nsDevice);
      await ip('-n', namespace, 'link', 'set', 'dev', nsDevice, 'up');
      await ip('-n', namespace, 'link', 'set', 'dev', 'lo', 'up');
    } catch (e) {
      await peer.stop();
      throw e;
    }
    return peer;
  }

  /** Orthanc's REST API, as the host reaches it across the link. */
  get url(): string {
    return `http://${this.nsAddress}:${ORTHANC_HTTP_PORT}`;
  }

  /** A directory for the test's own files, removed with Orthanc's. */
  scratch(name: string): string {
    const path = join(this.dir, 'scratch', name);
    mkdirSync(path, { recursive: true });
    return path;
  }

  /** What Orthanc printed (its log) so far. */
  get log(): string {
    return this.output;
  }

  /** What Orthanc printed after `mark` (an earlier `log.length`): what one request made it say. */
  logSince(mark: number): string {
    return this.output.slice(mark);
  }

  /** Writes the configuration and starts Orthanc in the namespace; resolves when its REST API answers. */
  async start(o: OrthancStartOptions): Promise<void> {
    if (this.child) throw new Error('Orthanc is already running');
    const servers: Record<string, object> = {};
    for (const [name, s] of Object.entries(o.dicomwebServers ?? {}))
      servers[name] = {
        Url: s.url,
        ...(s.httpHeaders ? { HttpHeaders: s.httpHeaders } : {}),
        ...(s.username !== undefined ? { Username: s.username, Password: s.password ?? '' } : {}),
      };
    const modalities: Record<string, object> = {};
    for (const [name, m] of Object.entries(o.modalities ?? {}))
      modalities[name] = { AET: m.aeTitle, Host: m.host, Port: m.port };
    const config = {
      Name: `huizhen-test-${this.namespace}`,
      StorageDirectory: join(this.dir, 'storage'),
      IndexDirectory: join(this.dir, 'index'),
      StorageCompression: false,
      HttpPort: ORTHANC_HTTP_PORT,
      DicomServerEnabled: true,
      DicomAet: o.aeTitle,
      DicomPort: ORTHANC_DICOM_PORT,
      DicomCheckCalledAet: true,
      // Only the modalities it is told about may store into it, as a hospital would set it up.
      DicomAlwaysAllowStore: false,
      DicomModalities: modalities,
      // The namespace is the boundary: the host across the link is the only remote client.
      RemoteAccessAllowed: true,
      AuthenticationEnabled: false,
      SaveJobs: false,
      // Orthanc's own SCU and HTTP client give up well inside a test's budget.
      DicomScuTimeout: 30,
      HttpTimeout: 30,
      Plugins: [DICOMWEB_PLUGIN],
      DicomWeb: { Enable: true, Root: '/dicom-web/', Servers: servers },
    };
    const file = join(this.dir, 'orthanc.json');
    writeFileSync(file, JSON.stringify(config, null, 2));
    // `ip netns exec` execs Orthanc: the child's pid is Orthanc's.
    const child = spawn('ip', ['netns', 'exec', this.namespace, BINARY, file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    // Kept whole: a test's Orthanc prints a few kilobytes.
    const keep = (d: Buffer) => (this.output += d.toString());
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(`Orthanc exited with ${child.exitCode}: ${this.output.slice(-1500)}`);
      try {
        const system = await this.rest('GET', '/system');
        if (system.status === 200) return;
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline)
        throw new Error(`Orthanc did not answer in 60 s: ${this.output.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** A call to Orthanc's REST API; a body that is not bytes goes as JSON. Never throws on a status. */
  async rest(method: string, path: string, body?: unknown): Promise<OrthancReply> {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : JSON.stringify(body);
    const res = await fetch(this.url + path, {
      method,
      body: payload,
      headers: Buffer.isBuffer(body)
        ? { 'content-type': 'application/dicom' }
        : body === undefined
          ? {}
          : { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(120_000),
    });
    const text = await res.text();
    let parsed: any = text;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, text, body: parsed };
  }

  /** Stores a DICOM file in Orthanc (as a modality's push would) and answers Orthanc's ids for it. */
  async upload(file: string): Promise<{ instance: string; study: string }> {
    const r = await this.rest('POST', '/instances', readFileSync(file));
    if (r.status !== 200) throw new Error(`Orthanc refused ${file}: ${r.status} ${r.text}`);
    return { instance: r.body.ID, study: r.body.ParentStudy };
  }

  /** An instance's file as Orthanc stores it. */
  async file(instanceId: string): Promise<Buffer> {
    const res = await fetch(`${this.url}/instances/${instanceId}/file`, {
      signal: AbortSignal.timeout(60_000),
    });
    if (res.status !== 200) throw new Error(`Orthanc has no file for ${instanceId}: ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  /** Ends Orthanc and removes the namespace, its link and the configuration directory. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    this.stopNow();
  }

  /** The synchronous part of `stop()`, also what the exit handler runs. */
  private stopNow(): void {
    if (this.stopped) return;
    this.stopped = true;
    live.delete(this);
    if (this.child && this.child.exitCode === null) this.child.kill('SIGKILL');
    removeNamespace(this.namespace);
    // Deleting the namespace destroys the pair only eventually; the host end goes now.
    quietly('ip', ['link', 'del', this.hostDevice]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
