import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';

/** Who a participant is in a live consultation room. Observers subscribe and never publish. */
export const ROOM_ROLES = [
  'host',
  'township_doctor',
  'patient_device',
  'guest_specialist',
  'observer',
] as const;
export type RoomRole = (typeof ROOM_ROLES)[number];

export const ROOM_TOKEN_AUDIENCE = 'huizhen-media';
/** Upper bound for a room token's life: they are meant to be short-lived. */
export const ROOM_TOKEN_MAX_TTL_SECONDS = 24 * 3600;

export interface RoomTokenClaims {
  /** Practitioner id (or a device id for `patient_device`). */
  sub: string;
  /** Display name shown to the other participants. */
  name: string;
  /** Room = consultation id. */
  room: string;
  role: RoomRole;
}

export interface VerifiedRoomToken extends RoomTokenClaims {
  aud: typeof ROOM_TOKEN_AUDIENCE;
  iat: number;
  exp: number;
  jti: string;
}

export type RoomTokenErrorCode =
  'malformed' | 'bad_signature' | 'expired' | 'wrong_audience' | 'bad_claims';

export class RoomTokenError extends Error {
  constructor(
    readonly code: RoomTokenErrorCode,
    message: string,
    /** Set on `expired`: the claims were otherwise valid (lets a live peer resume with its resume key). */
    readonly expiredClaims?: VerifiedRoomToken,
  ) {
    super(message);
    this.name = 'RoomTokenError';
  }
}

const ROOM_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
const SUBJECT = /^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/;
const HEADER = b64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
/** Tolerated clock difference between the api that signs and the media node that verifies. */
const CLOCK_SKEW_SECONDS = 30;

function b64url(buf: Buffer): string {
  return buf.toString('base64url');
}

/** The room-token key when ROOM_TOKEN_SECRET is not set (libs/kernel: libs/config fills the default with it). */
export { deriveRoomTokenSecret } from '@huizhen/kernel';

function checkClaims(c: Partial<RoomTokenClaims>): string | null {
  if (typeof c.sub !== 'string' || !SUBJECT.test(c.sub))
    return 'sub should be a practitioner id (1-128 of A-Z a-z 0-9 _ . : @ -)';
  if (typeof c.name !== 'string' || c.name.length < 1 || c.name.length > 200)
    return 'name should be 1-200 characters';
  if (typeof c.room !== 'string' || !ROOM_ID.test(c.room))
    return 'room should be a consultation id (1-128 of A-Z a-z 0-9 _ . : -)';
  if (!ROOM_ROLES.includes(c.role as RoomRole))
    return `role should be one of ${ROOM_ROLES.join(', ')}`;
  return null;
}

function signature(secret: string, signingInput: string): Buffer {
  return createHmac('sha256', secret).update(signingInput).digest();
}

/** Signs a room token (HS256 JWT, aud `huizhen-media`). Called by the api when a participant may join. */
export function signRoomToken(
  claims: RoomTokenClaims,
  secret: string,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const problem = checkClaims(claims);
  if (problem) throw new RoomTokenError('bad_claims', problem);
  if (!secret) throw new Error('room token secret is empty');
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > ROOM_TOKEN_MAX_TTL_SECONDS) {
    throw new RangeError(
      `ttlSeconds should be a whole number from 1 to ${ROOM_TOKEN_MAX_TTL_SECONDS}`,
    );
  }
  const iat = Math.floor(now / 1000);
  const payload = {
    sub: claims.sub,
    name: claims.name,
    room: claims.room,
    role: claims.role,
    aud: ROOM_TOKEN_AUDIENCE,
    iat,
    exp: iat + ttlSeconds,
    jti: randomUUID(),
  };
  const signingInput = `${HEADER}.${b64url(Buffer.from(JSON.stringify(payload)))}`;
  return `${signingInput}.${b64url(signature(secret, signingInput))}`;
}

/** Verifies signature, algorithm, audience, expiry and claim shapes; throws RoomTokenError. */
export function verifyRoomToken(
  token: unknown,
  secret: string,
  now = Date.now(),
): VerifiedRoomToken {
  if (typeof token !== 'string' || token.length > 4096)
    throw new RoomTokenError('malformed', 'room token should be a JWT string');
  const parts = token.split('.');
  if (parts.length !== 3)
    throw new RoomTokenError('malformed', 'room token should be a JWT (three dot-separated parts)');
  const [h, p, s] = parts;
  let header: { alg?: unknown };
  let payload: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    throw new RoomTokenError('malformed', 'room token is not valid base64url JSON');
  }
  if (!header || header.alg !== 'HS256')
    throw new RoomTokenError('malformed', 'room token must be signed with HS256');
  const expected = signature(secret, `${h}.${p}`);
  const given = Buffer.from(s, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new RoomTokenError('bad_signature', 'room token signature does not match');
  }
  if (!payload || typeof payload !== 'object')
    throw new RoomTokenError('malformed', 'room token payload should be an object');
  if (payload.aud !== ROOM_TOKEN_AUDIENCE)
    throw new RoomTokenError(
      'wrong_audience',
      `room token audience should be ${ROOM_TOKEN_AUDIENCE}`,
    );
  const problem = checkClaims(payload as Partial<RoomTokenClaims>);
  if (problem) throw new RoomTokenError('bad_claims', problem);
  const { exp, iat } = payload;
  if (
    typeof exp !== 'number' ||
    typeof iat !== 'number' ||
    !Number.isFinite(exp) ||
    !Number.isFinite(iat)
  ) {
    throw new RoomTokenError('bad_claims', 'room token needs numeric iat and exp');
  }
  const nowSeconds = now / 1000;
  if (iat > nowSeconds + CLOCK_SKEW_SECONDS)
    throw new RoomTokenError('bad_claims', 'room token is issued in the future');
  const verified: VerifiedRoomToken = {
    sub: payload.sub as string,
    name: payload.name as string,
    room: payload.room as string,
    role: payload.role as RoomRole,
    aud: ROOM_TOKEN_AUDIENCE,
    iat,
    exp,
    jti: typeof payload.jti === 'string' ? payload.jti.slice(0, 64) : '',
  };
  if (exp + CLOCK_SKEW_SECONDS <= nowSeconds)
    throw new RoomTokenError('expired', 'room token has expired', verified);
  return verified;
}
