import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * A service account's key: `hz_sk_<id>_<secret>`, the account's id (32 hex digits, the uuid
 * without dashes: found by primary key, no scan) and 32 random bytes (base64url). Only a keyed
 * hash of the secret is stored: an HMAC-SHA256 under a key derived from the platform secret. A
 * fast hash is right for a 256-bit random secret (nothing to guess, unlike a password), and a
 * leaked table without the platform secret checks nothing.
 */
export const KEY_PREFIX = 'hz_sk_';
const KEY_PATTERN = /^hz_sk_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface ParsedKey {
  accountId: string;
  secret: string;
}

/** True when the text has the shape of a key (the door tries it as one, not as an access token). */
export const looksLikeKey = (text: string): boolean => text.startsWith(KEY_PREFIX);

export function parseKey(text: string): ParsedKey | null {
  const m = KEY_PATTERN.exec(text);
  if (!m) return null;
  const h = m[1];
  return {
    accountId: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`,
    secret: m[2],
  };
}

/** A new secret and the key a client presents for the account. */
export function newKey(accountId: string): { key: string; secret: string } {
  const secret = randomBytes(32).toString('base64url');
  return { key: `${KEY_PREFIX}${accountId.replace(/-/g, '')}_${secret}`, secret };
}

/** The key under which secrets are hashed, derived once from the platform's JWT secret. */
export function keyHashingKey(platformSecret: string): Buffer {
  return Buffer.from(
    hkdfSync('sha256', platformSecret, 'huizhen', 'huizhen service-account key v1', 32),
  );
}

export function hashSecret(hashingKey: Buffer, secret: string): Buffer {
  return createHmac('sha256', hashingKey).update(secret, 'utf8').digest();
}

/** Constant-time: the comparison takes as long whatever byte differs. */
export function secretMatches(hashingKey: Buffer, secret: string, stored: Buffer): boolean {
  const given = hashSecret(hashingKey, secret);
  return given.length === stored.length && timingSafeEqual(given, stored);
}
