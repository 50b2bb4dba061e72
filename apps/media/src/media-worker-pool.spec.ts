import { afterEach, describe, expect, it } from '@jest/globals';
import { MediaWorkerPool } from './media-worker-pool';

describe('MediaWorkerPool listening on several addresses', () => {
  let pool: MediaWorkerPool | null = null;
  afterEach(async () => {
    await pool?.close();
    pool = null;
  });

  it('binds each address (its own port with any-port), and serves on the others when one is gone', async () => {
    const logs: { msg: string; details?: Record<string, unknown> }[] = [];
    // 192.0.2.123 (TEST-NET-1) is on no interface here: like a VPN address gone since the plan was made.
    pool = new MediaWorkerPool({
      count: 1,
      listen: [{ ip: '127.0.0.1' }, { ip: '192.0.2.123' }, { ip: '127.0.0.2' }],
      portBase: 0,
      log: (_l, msg, details) => logs.push({ msg, details }),
    });
    await pool.start();
    expect(pool.listening.map((l) => l.ip)).toEqual(['127.0.0.1', '127.0.0.2']);
    expect(logs).toEqual([
      {
        msg: 'media address gone: no longer bound or announced',
        details: { ip: '192.0.2.123', listening: ['127.0.0.1', '127.0.0.2'] },
      },
    ]);
    const slot = pool.slots[0];
    expect([...slot.ports.keys()].sort()).toEqual([
      'tcp 127.0.0.1',
      'tcp 127.0.0.2',
      'udp 127.0.0.1',
      'udp 127.0.0.2',
    ]);
    const router = await slot.worker!.createRouter({ mediaCodecs: [] });
    const transport = await router.createWebRtcTransport({
      webRtcServer: slot.webRtcServer!,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
    });
    expect(transport.iceCandidates.map((c) => `${c.protocol} ${c.address}:${c.port}`)).toEqual(
      ['udp 127.0.0.1', 'udp 127.0.0.2', 'tcp 127.0.0.1', 'tcp 127.0.0.2'].map(
        (k) => `${k}:${slot.ports.get(k)}`,
      ),
    );
  });
});
