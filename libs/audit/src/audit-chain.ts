import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event.entity';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth: the same value always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`;
}

type Hashed = Omit<AuditEvent, 'hash' | 'id' | 'seq' | 'prevHash'> & {
  seq: number;
  prevHash: string;
};

/** The link: sha256 over the previous hash and every field of the record. */
export function chainHash(e: Hashed): string {
  const content = canonicalJson([
    e.seq,
    e.occurredAt.toISOString(),
    e.actorId,
    e.actorUsername,
    e.actorOrganizationId,
    e.action,
    e.resourceType,
    e.resourceId,
    e.outcome,
    e.ip,
    e.userAgent,
    e.requestId,
    e.details,
  ]);
  return createHash('sha256').update(e.prevHash).update('\n').update(content).digest('hex');
}
