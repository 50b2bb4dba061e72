import { Column, Entity, PrimaryColumn } from 'typeorm';

export type AuditOutcome = 'success' | 'denied' | 'failure';

const bigintNumber = {
  to: (v: number | null) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};

/**
 * One append-only audit record. `id` orders appends; the sealer later gives it its place in
 * the chain (`seq`) and `hash`, which covers its content and the previous record's hash.
 */
@Entity('audit_event')
export class AuditEvent {
  @PrimaryColumn('bigint', { transformer: bigintNumber }) id: number;
  @Column('bigint', { nullable: true, transformer: bigintNumber }) seq: number | null;
  @Column('timestamptz', { name: 'occurred_at' }) occurredAt: Date;
  @Column('uuid', { name: 'actor_id', nullable: true }) actorId: string | null;
  @Column('text', { name: 'actor_username', nullable: true }) actorUsername: string | null;
  @Column('uuid', { name: 'actor_organization_id', nullable: true }) actorOrganizationId:
    string | null;
  @Column('text') action: string;
  @Column('text', { name: 'resource_type', nullable: true }) resourceType: string | null;
  @Column('text', { name: 'resource_id', nullable: true }) resourceId: string | null;
  @Column('text') outcome: AuditOutcome;
  @Column('text', { nullable: true }) ip: string | null;
  @Column('text', { name: 'user_agent', nullable: true }) userAgent: string | null;
  @Column('text', { name: 'request_id', nullable: true }) requestId: string | null;
  @Column('jsonb', { default: () => "'{}'" }) details: Record<string, unknown>;
  @Column('text', { name: 'prev_hash', nullable: true }) prevHash: string | null;
  @Column('text', { nullable: true }) hash: string | null;
}
