import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { ConsultationStore, SigningKey } from './consultation-store';

export const SIGNATURE_ALGORITHM = 'Ed25519';

/**
 * Canonical JSON (RFC 8785 in spirit): object keys sorted by code unit, no whitespace,
 * undefined members dropped, numbers as JSON prints them. Two parties serializing the same
 * content get the same bytes, so a signature over it can be checked by anyone.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new Error('canonical JSON has no NaN or Infinity');
    return JSON.stringify(value);
  }
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** What a specialist's signature covers: the report as stored, with who, when and for whom. */
export interface SignedReportContent {
  v: 1;
  kind: 'report' | 'addendum';
  reportId: string;
  amendsReportId: string | null;
  consultationId: string;
  patientId: string;
  author: { id: string; signingKeyFingerprint: string };
  signedAt: string;
  content: {
    findings: string;
    impression: string;
    recommendation: string | null;
    referralOrganizationId: string | null;
    freeText: string;
  };
  studies: string[];
}

export function signedReportBytes(c: SignedReportContent): Buffer {
  return Buffer.from(canonicalJson({ ...c, studies: [...c.studies].sort() }), 'utf8');
}

export type { SigningKey } from './consultation-store';

/**
 * Specialists' Ed25519 key pairs. The private key is kept encrypted at rest with AES-256-GCM
 * under a key derived (HKDF) from DATA_ENCRYPTION_KEY, bound to its owner as associated data
 * so a blob copied onto another practitioner's row does not decrypt.
 */
export class SigningKeys {
  private readonly wrapKey: Buffer;

  constructor(
    dataEncryptionKey: Buffer,
    private readonly store: Pick<ConsultationStore, 'signingKey' | 'addSigningKey'>,
  ) {
    this.wrapKey = Buffer.from(
      hkdfSync('sha256', dataEncryptionKey, Buffer.alloc(0), 'huizhen:report-signing-key:v1', 32),
    );
  }

  static fingerprint(publicKeyDer: Buffer): string {
    return 'SHA256:' + createHash('sha256').update(publicKeyDer).digest('base64url');
  }

  /** The practitioner's current key, created on first use (race-safe: one current key per practitioner). */
  async current(m: EntityManager, practitionerId: string): Promise<SigningKey> {
    const found = await this.store.signingKey(m, practitionerId);
    if (found) return found;
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
    await this.store.addSigningKey(m, {
      practitionerId,
      algorithm: SIGNATURE_ALGORITHM,
      publicKey: spki,
      privateKeyCipher: this.seal(pkcs8, practitionerId),
      fingerprint: SigningKeys.fingerprint(spki),
    });
    return (await this.store.signingKey(m, practitionerId))!;
  }

  sign(key: SigningKey, bytes: Buffer): Buffer {
    const privateKey = createPrivateKey({
      key: this.open(key.privateKeyCipher, key.practitionerId),
      format: 'der',
      type: 'pkcs8',
    });
    return sign(null, bytes, privateKey);
  }

  static verify(publicKeyDer: Buffer, bytes: Buffer, signature: Buffer): boolean {
    try {
      return verify(
        null,
        bytes,
        createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' }),
        signature,
      );
    } catch {
      return false;
    }
  }

  private seal(plain: Buffer, owner: string): Buffer {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.wrapKey, iv);
    c.setAAD(Buffer.from(owner));
    const body = Buffer.concat([c.update(plain), c.final()]);
    return Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), body]);
  }

  private open(sealed: Buffer, owner: string): Buffer {
    if (sealed[0] !== 1) throw new Error('unknown signing key envelope version');
    const d = createDecipheriv('aes-256-gcm', this.wrapKey, sealed.subarray(1, 13));
    d.setAAD(Buffer.from(owner));
    d.setAuthTag(sealed.subarray(13, 29));
    return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
  }
}
