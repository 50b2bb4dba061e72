import type { ServiceAccountScope } from '@huizhen/contract';

/** A machine's credential: bound to one organization, scoped, revocable, optionally expiring. */
export interface ServiceAccount {
  id: string;
  organizationId: string;
  name: string;
  scopes: ServiceAccountScope[];
  createdBy: string | null;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  revokedBy: string | null;
}

/** What the door needs to check a key: the account and its stored hash. */
export interface ServiceAccountCredential extends ServiceAccount {
  secretHash: Buffer;
}

/** Usable now: neither revoked nor past its expiry. */
export function isActive(a: ServiceAccount, now: Date): boolean {
  return !a.revokedAt && (!a.expiresAt || a.expiresAt.getTime() > now.getTime());
}
