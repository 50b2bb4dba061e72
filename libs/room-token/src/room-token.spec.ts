import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import {
  ROOM_TOKEN_AUDIENCE,
  RoomTokenError,
  deriveRoomTokenSecret,
  signRoomToken,
  verifyRoomToken,
} from './room-token';

const secret = 'room-secret-room-secret-room-secret-01';
const claims = {
  sub: 'prac-1',
  name: '王医生',
  room: 'c0ffee00-1111-4222-8333-444455556666',
  role: 'township_doctor' as const,
};

function forge(
  payload: object,
  header: object = { alg: 'HS256', typ: 'JWT' },
  key = secret,
): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${enc(header)}.${enc(payload)}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

function code(f: () => unknown): string {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof RoomTokenError ? e.code : `other: ${(e as Error).message}`;
  }
}

describe('room tokens', () => {
  it('round-trips the claims with audience, issue time, expiry and an id', () => {
    const now = Date.UTC(2026, 10, 23, 8, 0, 0);
    const t = signRoomToken(claims, secret, 300, now);
    const v = verifyRoomToken(t, secret, now + 1000);
    expect(v).toMatchObject({
      ...claims,
      aud: ROOM_TOKEN_AUDIENCE,
      iat: now / 1000,
      exp: now / 1000 + 300,
    });
    expect(v.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(Buffer.from(t.split('.')[0], 'base64url').toString())).toEqual({
      alg: 'HS256',
      typ: 'JWT',
    });
  });

  it('rejects expiry (after a 30 s clock allowance), other keys, tampering and alg tricks', () => {
    const now = Date.now();
    const t = signRoomToken(claims, secret, 60, now);
    expect(code(() => verifyRoomToken(t, secret, now + 60_000 + 29_000))).toBe('ok');
    expect(code(() => verifyRoomToken(t, secret, now + 60_000 + 31_000))).toBe('expired');
    expect(code(() => verifyRoomToken(t, 'x'.repeat(40), now))).toBe('bad_signature');
    const [h, , s] = t.split('.');
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, role: 'host', aud: ROOM_TOKEN_AUDIENCE, iat: 1, exp: 9e9 })).toString('base64url')}.${s}`;
    expect(code(() => verifyRoomToken(tampered, secret, now))).toBe('bad_signature');
    const base = {
      ...claims,
      aud: ROOM_TOKEN_AUDIENCE,
      iat: Math.floor(now / 1000),
      exp: Math.floor(now / 1000) + 60,
    };
    expect(code(() => verifyRoomToken(forge(base, { alg: 'none' }), secret, now))).toBe(
      'malformed',
    );
    expect(code(() => verifyRoomToken(forge(base, { alg: 'HS512' }), secret, now))).toBe(
      'malformed',
    );
    expect(code(() => verifyRoomToken(forge({ ...base, aud: 'huizhen-api' }), secret, now))).toBe(
      'wrong_audience',
    );
    expect(code(() => verifyRoomToken(forge({ ...base, role: 'admin' }), secret, now))).toBe(
      'bad_claims',
    );
    expect(code(() => verifyRoomToken(forge({ ...base, room: '../x' }), secret, now))).toBe(
      'bad_claims',
    );
    expect(code(() => verifyRoomToken(forge({ ...base, exp: '9999999999' }), secret, now))).toBe(
      'bad_claims',
    );
    expect(code(() => verifyRoomToken(forge({ ...base, iat: base.iat + 3600 }), secret, now))).toBe(
      'bad_claims',
    );
    for (const junk of [undefined, 42, '', 'a.b', 'a.b.c', 'x'.repeat(5000)])
      expect(code(() => verifyRoomToken(junk, secret, now))).toBe('malformed');
  });

  it('carries the claims of an expired token so a live peer can resume with its resume key', () => {
    const t = signRoomToken(claims, secret, 1, Date.now() - 120_000);
    try {
      verifyRoomToken(t, secret);
      throw new Error('should have thrown');
    } catch (e) {
      expect((e as RoomTokenError).code).toBe('expired');
      expect((e as RoomTokenError).expiredClaims).toMatchObject(claims);
    }
  });

  it('refuses to sign bad claims or lifetimes', () => {
    expect(code(() => signRoomToken({ ...claims, role: 'nurse' as never }, secret, 60))).toBe(
      'bad_claims',
    );
    expect(code(() => signRoomToken({ ...claims, name: '' }, secret, 60))).toBe('bad_claims');
    expect(() => signRoomToken(claims, secret, 0)).toThrow(RangeError);
    expect(() => signRoomToken(claims, secret, 86401)).toThrow(RangeError);
  });

  it('derives a stable secret from JWT_SECRET that differs from it', () => {
    const a = deriveRoomTokenSecret('jwt-secret-jwt-secret-jwt-secret-0001');
    expect(a).toBe(deriveRoomTokenSecret('jwt-secret-jwt-secret-jwt-secret-0001'));
    expect(a).not.toBe(deriveRoomTokenSecret('jwt-secret-jwt-secret-jwt-secret-0002'));
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
  });
});
