import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '@huizhen/config';
import { deriveRoomTokenSecret } from '@huizhen/room-token';

const base = {
  NODE_ENV: 'test',
  JWT_SECRET: 'jwt-secret-jwt-secret-jwt-secret-0001',
  DATA_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...base, ...env });
    return [];
  } catch (e) {
    return (e as ConfigError).problems;
  }
}

describe('media settings', () => {
  it('defaults: any free port and loopback in tests, room token key derived from JWT_SECRET', () => {
    const c = loadConfig(base);
    expect(c).toMatchObject({
      mediaRtcPortBase: 0,
      mediaListenIp: '127.0.0.1',
      mediaPeersPerRouter: 16,
      mediaPeerGraceSeconds: 30,
    });
    expect(c.roomTokenSecret).toBe(deriveRoomTokenSecret(base.JWT_SECRET));
    const prod = loadConfig({ ...base, NODE_ENV: 'production' });
    expect(prod).toMatchObject({
      mediaRtcPortBase: 40000,
      mediaListenIp: '0.0.0.0',
      mediaAnnouncedAddress: null,
    });
  });

  it('reads TURN, ports, caps and an explicit room token key', () => {
    const c = loadConfig({
      ...base,
      TURN_URLS: 'turn:turn.example.org:3478?transport=udp, stun:turn.example.org:3478',
      TURN_SECRET: 'coturn-secret',
      MEDIA_RTC_PORT_BASE: '44000',
      MEDIA_ANNOUNCED_ADDRESS: '203.0.113.7',
      MEDIA_MAX_INCOMING_BITRATE: '2000000',
      ROOM_TOKEN_SECRET: 'r'.repeat(40),
    });
    expect(c.turn).toEqual({
      urls: ['turn:turn.example.org:3478?transport=udp', 'stun:turn.example.org:3478'],
      secret: 'coturn-secret',
      credentialTtlSeconds: 86400,
    });
    expect(c).toMatchObject({
      mediaRtcPortBase: 44000,
      mediaAnnouncedAddress: '203.0.113.7',
      mediaMaxIncomingBitrate: 2_000_000,
      roomTokenSecret: 'r'.repeat(40),
    });
  });

  it('names bad media settings', () => {
    expect(problems({ TURN_URLS: 'turn:x:3478' })).toEqual([
      expect.stringContaining('TURN_SECRET is required'),
    ]);
    expect(problems({ TURN_URLS: 'http://x', TURN_SECRET: 's' })).toEqual([
      expect.stringContaining('TURN_URLS entry "http://x"'),
    ]);
    expect(problems({ ROOM_TOKEN_SECRET: 'short' })).toEqual([
      expect.stringContaining('ROOM_TOKEN_SECRET'),
    ]);
    expect(problems({ MEDIA_ANNOUNCED_ADDRESS: 'a b' })).toEqual([
      expect.stringContaining('MEDIA_ANNOUNCED_ADDRESS'),
    ]);
    expect(problems({ MEDIA_PEERS_PER_ROUTER: '0' })).toEqual([
      expect.stringContaining('MEDIA_PEERS_PER_ROUTER'),
    ]);
  });
});
