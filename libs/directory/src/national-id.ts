import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export function normalizeResidentId(id: string): string {
  return id.trim().toUpperCase();
}

/**
 * Keeps national IDs matchable but unreadable in a database dump: a keyed HMAC for
 * equality lookups and AES-256-GCM ciphertext (iv | tag | data) for entitled display.
 */
export class NationalIdVault {
  private readonly macKey: Buffer;
  private readonly encKey: Buffer;

  constructor(masterKey: Buffer) {
    // Separate keys per purpose, derived from one configured secret.
    this.macKey = createHmac('sha256', masterKey).update('huizhen/national-id/mac').digest();
    this.encKey = createHmac('sha256', masterKey).update('huizhen/national-id/enc').digest();
  }

  fingerprint(id: string): Buffer {
    return createHmac('sha256', this.macKey).update(normalizeResidentId(id)).digest();
  }

  seal(id: string): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encKey, iv);
    const data = Buffer.concat([cipher.update(normalizeResidentId(id), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), data]);
  }

  open(sealed: Buffer): string {
    const decipher = createDecipheriv('aes-256-gcm', this.encKey, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  }

  /** What a screen shows: first 6 (region) and last 4, the rest masked. */
  static mask(id: string): string {
    return id.slice(0, 6) + '********' + id.slice(-4);
  }
}
