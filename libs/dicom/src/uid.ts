import { createHmac, randomBytes } from 'node:crypto';

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** PS3.5 9.1: digits and dots, no empty component, no leading zero, at most 64 characters. */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID.test(uid);
}

/**
 * A stable stand-in UID for de-identification: the same input and key always give the same
 * 2.25.<decimal> UID (PS3.5 B.2), so series and references stay consistent across requests.
 */
export function remapUid(uid: string, key: Buffer): string {
  const digest = createHmac('sha256', key).update(uid).digest();
  const n = BigInt('0x' + digest.subarray(0, 16).toString('hex')) >> 1n; // < 2^127: at most 39 digits
  return `2.25.${n.toString(10)}`;
}

/** A new unique UID, 2.25.<decimal of 120 random bits> (PS3.5 B.2). */
export function newUid(): string {
  return `2.25.${BigInt('0x' + randomBytes(15).toString('hex')).toString(10)}`;
}
