import { hkdfSync } from 'node:crypto';

/**
 * The room-token key when ROOM_TOKEN_SECRET is not set: derived from JWT_SECRET with HKDF, so a
 * one-machine setup needs nothing and a leaked room token key never reveals the access-token key.
 * Here because both ends need it: libs/config fills the setting's default, libs/room-token
 * exports it to its users.
 */
export function deriveRoomTokenSecret(jwtSecret: string): string {
  return Buffer.from(
    hkdfSync('sha256', jwtSecret, 'huizhen', 'huizhen-media room token v1', 32),
  ).toString('base64url');
}
