/** Audit trail answers (admins; dates as ISO strings). */

export const AUDIT_OUTCOMES = ['success', 'denied', 'failure'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** One audit record, with its place in the hash chain once sealed. */
export interface AuditEntry {
  /** Orders appends. */
  id: number;
  /** Its place in the chain; null until sealed. */
  seq: number | null;
  /** ISO date-time. */
  occurredAt: string;
  actorId: string | null;
  actorUsername: string | null;
  actorOrganizationId: string | null;
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown>;
  prevHash: string | null;
  hash: string | null;
}

export const CHAIN_BREAK_KINDS = ['altered', 'missing_before', 'relinked'] as const;
export type ChainBreakKind = (typeof CHAIN_BREAK_KINDS)[number];

/** One place where the chain does not hold. */
export interface ChainBreak {
  seq: number;
  kind: ChainBreakKind;
  /** missing_before: how many sequence numbers are absent. */
  missing?: number;
}

/** The hash chain walked after sealing what was pending. */
export interface ChainVerification {
  ok: boolean;
  /** Records walked. */
  checked: number;
  lastSeq: number;
  /** Records appended but not sealed yet (their transactions were still open). */
  pending: number;
  breakCount: number;
  /** Every break in chain order, the first thousand (`breaksTruncated` says when more were counted). */
  breaks: ChainBreak[];
  breaksTruncated?: boolean;
  /** The first break, as earlier versions answered it. */
  firstBroken?: { seq: number; problem: ChainBreakKind };
}
