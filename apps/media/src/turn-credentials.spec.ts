import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { iceServersFor } from './turn-credentials';

describe('TURN credentials (coturn REST-API scheme)', () => {
  it('gives time-limited username/credential for turn: urls and plain stun: entries', () => {
    const now = Date.UTC(2026, 10, 23, 10, 0, 0);
    const servers = iceServersFor(
      {
        urls: [
          'stun:turn.example.org:3478',
          'turn:turn.example.org:3478?transport=udp',
          'turns:turn.example.org:5349',
        ],
        secret: 's3cret',
        credentialTtlSeconds: 3600,
      },
      'prac-7',
      now,
    );
    const username = `${now / 1000 + 3600}:prac-7`;
    expect(servers).toEqual([
      { urls: ['stun:turn.example.org:3478'] },
      {
        urls: ['turn:turn.example.org:3478?transport=udp', 'turns:turn.example.org:5349'],
        username,
        credential: createHmac('sha1', 's3cret').update(username).digest('base64'),
      },
    ]);
  });

  it('hands out nothing when no TURN is configured', () => {
    expect(iceServersFor({ urls: [], secret: null, credentialTtlSeconds: 60 }, 'p')).toEqual([]);
  });
});
