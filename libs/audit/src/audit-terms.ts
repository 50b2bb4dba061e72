import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

const PREFIX = 'hmac-sha256:';

/**
 * Free text that may be PHI (a patient search term, a reason typed about a patient) goes into
 * audit details only as a keyed hash: admins read the trail, and must not read the text. The key
 * is derived (HKDF) from DATA_ENCRYPTION_KEY, so nobody without it can test guesses (a dictionary
 * of names against a plain hash would be quick); an investigator who holds the key and knows a
 * term computes its digest and finds the events that carry it (`matches`, or equality in SQL on
 * `details->>'qDigest'`). Equal terms give equal digests, so repeated searches stay visible.
 */
export class AuditTerms {
  private readonly key: Buffer;

  constructor(dataEncryptionKey: Buffer) {
    this.key = Buffer.from(
      hkdfSync('sha256', dataEncryptionKey, Buffer.alloc(0), 'huizhen:audit-term:v1', 32),
    );
  }

  /** What is hashed: Unicode NFKC (full-width letters and digits as half-width), trimmed, inner spaces collapsed, lower case. */
  static normalize(term: string): string {
    return term.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
  }

  digest(term: string): string;
  digest(term: string | null | undefined): string | null;
  digest(term: string | null | undefined): string | null {
    if (term === null || term === undefined) return null;
    return (
      PREFIX +
      createHmac('sha256', this.key).update(AuditTerms.normalize(term), 'utf8').digest('base64url')
    );
  }

  /** Does a digest found in the trail stand for this term? */
  matches(term: string, digest: unknown): boolean {
    if (typeof digest !== 'string') return false;
    const a = Buffer.from(this.digest(term));
    const b = Buffer.from(digest);
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
