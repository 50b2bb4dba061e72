/**
 * The emulated township link itself (test/media/support/link-emulator.ts): what a test puts on
 * it is what goes through — delay, rate, loss, a cut and its end — and stop() leaves nothing.
 * Traffic stays between this process and a client inside the test's own namespace.
 */
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LinkEmulator, linkPython } from './support/link-emulator';

// The client side, run inside the namespace.
const CLIENT = `
import json, socket, sys, time
mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if mode == 'connect':
    out = []
    for _ in range(n):
        t = time.monotonic()
        s = socket.create_connection((host, port), timeout=5)
        out.append((time.monotonic() - t) * 1000)
        s.close()
        time.sleep(0.05)
    print(json.dumps(out))
elif mode == 'send':
    s = socket.create_connection((host, port), timeout=30)
    s.sendall(b'x' * n)
    s.shutdown(socket.SHUT_WR)
    s.recv(1)
    s.close()
elif mode == 'recv':
    s = socket.create_connection((host, port), timeout=30)
    first, total = None, 0
    while True:
        d = s.recv(65536)
        if not d:
            break
        if first is None:
            first = time.monotonic()
        total += len(d)
    print(json.dumps({'bytes': total, 'ms': (time.monotonic() - first) * 1000}))
elif mode == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for i in range(n):
        s.sendto(i.to_bytes(4, 'big') + b'x' * 96, (host, port))
        time.sleep(0.001)
`;

const why = LinkEmulator.unsupportedReason();
if (why) process.stderr.write(`link emulator tests skipped: ${why}\n`);
const suite = why ? describe.skip : describe;

// The namespace is the test's own: any port is free in it.
const RELAY_PORT = 8080;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

suite('emulated township link (user-space TUN shaper in a test namespace)', () => {
  let link: LinkEmulator;
  let tcp: Server;
  let tcpPort: number;
  /** What the host's TCP server does with a connection: 'sink' times what arrives, a number sends that many bytes. */
  let tcpMode: 'sink' | number = 'sink';
  let lastSink: Promise<{ bytes: number; ms: number }> = Promise.resolve({ bytes: 0, ms: 0 });

  const client = async (mode: string, port: number, n: number): Promise<string> =>
    (
      await link.run(
        [linkPython(), '-c', CLIENT, mode, link.hostAddress, String(port), String(n)],
        60_000,
      )
    ).stdout;

  beforeAll(async () => {
    link = await LinkEmulator.start({ name: 'selftest' });
    tcp = createServer((s: Socket) => {
      if (tcpMode === 'sink') {
        let first = 0;
        let bytes = 0;
        lastSink = new Promise((resolve) => {
          s.on('data', (d) => {
            first ||= performance.now();
            bytes += d.length;
          });
          s.on('end', () => {
            resolve({ bytes, ms: performance.now() - first });
            s.end('k');
          });
        });
      } else {
        s.end(Buffer.alloc(tcpMode, 120));
      }
      s.on('error', () => undefined);
    });
    await new Promise<void>((r) => tcp.listen(0, link.hostAddress, r));
    tcpPort = (tcp.address() as { port: number }).port;
  }, 30_000);

  afterAll(async () => {
    await new Promise((r) => tcp?.close(r));
    await link?.stop();
  });

  it('puts the configured one-way delays on a round trip (TCP connect ≈ up + down delay)', async () => {
    await link.set({ up: { delayMs: 30 }, down: { delayMs: 70 } });
    const rtts = JSON.parse(await client('connect', tcpPort, 7)) as number[];
    expect(median(rtts)).toBeGreaterThanOrEqual(98);
    expect(median(rtts)).toBeLessThan(140);

    await link.setBoth({ delayMs: 10 });
    const faster = JSON.parse(await client('connect', tcpPort, 7)) as number[];
    expect(median(faster)).toBeGreaterThanOrEqual(19);
    expect(median(faster)).toBeLessThan(50);
  }, 30_000);

  it('limits each direction to its rate (within ±30 %)', async () => {
    const bytes = 200_000;
    // Uplink 800 kbit/s: 200 KB take 2.0 s.
    await link.set({ up: { rateKbps: 800, delayMs: 20 }, down: { rateKbps: 0, delayMs: 20 } });
    tcpMode = 'sink';
    await client('send', tcpPort, bytes);
    const up = await lastSink;
    expect(up.bytes).toBe(bytes);
    const upKbps = (bytes * 8) / up.ms;
    expect(upKbps).toBeGreaterThan(800 * 0.7);
    expect(upKbps).toBeLessThan(800 * 1.3);

    // Downlink 1,600 kbit/s: 200 KB take 1.0 s.
    await link.set({ up: { rateKbps: 0 }, down: { rateKbps: 1600 } });
    tcpMode = bytes;
    const down = JSON.parse(await client('recv', tcpPort, 0)) as { bytes: number; ms: number };
    expect(down.bytes).toBe(bytes);
    const downKbps = (bytes * 8) / down.ms;
    expect(downKbps).toBeGreaterThan(1600 * 0.7);
    expect(downKbps).toBeLessThan(1600 * 1.3);
    tcpMode = 'sink';
  }, 60_000);

  it('loses the configured share of packets, and a cut stops everything until restore', async () => {
    await link.set({
      up: { rateKbps: 0, delayMs: 5, lossPct: 20 },
      down: { rateKbps: 0, delayMs: 5, lossPct: 0 },
    });
    const udp = createSocket('udp4');
    let received = 0;
    udp.on('message', () => received++);
    await new Promise<void>((r) => udp.bind(0, link.hostAddress, r));
    const port = udp.address().port;
    const settle = () => new Promise((r) => setTimeout(r, 200));
    try {
      const sent = 2000;
      await client('udp', port, sent);
      await settle();
      // 20 % of 2,000: σ ≈ 18 packets, so ±80 is more than 4σ.
      expect(received).toBeGreaterThan(sent * 0.8 - 80);
      expect(received).toBeLessThan(sent * 0.8 + 80);

      await link.set({ up: { lossPct: 0 } });
      await link.cut();
      received = 0;
      await client('udp', port, 200);
      await settle();
      expect(received).toBe(0);
      // TCP cannot connect through a cut either.
      await expect(
        link.run(
          [linkPython(), '-c', CLIENT, 'connect', link.hostAddress, String(tcpPort), '1'],
          20_000,
        ),
      ).rejects.toThrow();

      await link.restore();
      expect(link.current.up.lossPct).toBe(0);
      await client('udp', port, 200);
      await settle();
      expect(received).toBe(200);
      expect(JSON.parse(await client('connect', tcpPort, 1))).toHaveLength(1);
      const c = await link.counters();
      expect(c.up.lost).toBeGreaterThan(200);
    } finally {
      udp.close();
    }
  }, 60_000);

  it('relays 127.0.0.1 inside the namespace to the host end, across the link (pages as secure contexts)', async () => {
    await link.set({
      up: { rateKbps: 0, delayMs: 40, lossPct: 0 },
      down: { rateKbps: 0, delayMs: 40, lossPct: 0 },
    });
    await link.forward(RELAY_PORT, tcpPort);
    tcpMode = 50_000;
    const started = performance.now();
    const { stdout } = await link.run([
      linkPython(),
      '-c',
      CLIENT,
      'recv',
      '127.0.0.1',
      String(RELAY_PORT),
      '0',
    ]);
    tcpMode = 'sink';
    expect((JSON.parse(stdout) as { bytes: number }).bytes).toBe(50_000);
    // The relay's own connection to the host end takes a round trip (80 ms) before any byte.
    expect(performance.now() - started).toBeGreaterThan(80);
    const c = await link.counters();
    expect(c.down.bytesOut).toBeGreaterThan(50_000);
  }, 30_000);

  it('stop() removes the namespace, both TUN devices and the shaper', async () => {
    const other = await LinkEmulator.start({
      name: 'stoptest',
      up: { delayMs: 5 },
      down: { delayMs: 5 },
    });
    const sleeper = other.exec(['sleep', '60']);
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).toContain(other.namespace);
    await other.stop();
    expect(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(
      other.namespace,
    );
    expect(() =>
      execFileSync('ip', ['link', 'show', other.hostDevice], { stdio: 'ignore' }),
    ).toThrow();
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(other.nsDevice);
    expect(execFileSync('ip', ['-o', '-4', 'addr'], { encoding: 'utf8' })).not.toContain(
      other.hostAddress,
    );
    await new Promise((r) => setTimeout(r, 100));
    expect(sleeper.exitCode !== null || sleeper.signalCode !== null).toBe(true);
  }, 30_000);
});
