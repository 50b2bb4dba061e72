import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { Actor } from '@huizhen/auth';
import { requestContext } from '@huizhen/observability';
import { AuditEvent, type AuditOutcome } from './audit-event.entity';
import { GENESIS_HASH, chainHash } from './audit-chain';

export interface AuditRecord {
  action: string;
  actor?: Pick<Actor, 'id' | 'username' | 'organizationId'> | null;
  /** For events without a known actor (a failed login): who it claimed to be. */
  actorUsername?: string;
  resourceType?: string;
  resourceId?: string;
  outcome?: AuditOutcome;
  details?: Record<string, unknown>;
}

export interface ChainVerification {
  ok: boolean;
  checked: number;
  lastSeq: number;
  /** The first record whose link does not hold, and why. */
  firstBroken?: { seq: number; problem: 'altered' | 'missing_before' | 'relinked' };
}

// Serializes appends across processes sharing the database; held to the end of the transaction.
const AUDIT_CHAIN_LOCK = 7_412_503_2;

@Injectable()
export class AuditService {
  private readonly logger = new Logger('Audit');

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Appends one event to the chain. Pass the caller's EntityManager to make the event part
   * of the caller's transaction: a state change and its audit commit or roll back together.
   */
  async record(e: AuditRecord, manager?: EntityManager): Promise<void> {
    if (manager?.queryRunner?.isTransactionActive) return this.append(e, manager);
    return this.db.transaction((m) => this.append(e, m));
  }

  private async append(e: AuditRecord, m: EntityManager): Promise<void> {
    await m.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_CHAIN_LOCK]);
    const last: { seq: string; hash: string }[] = await m.query('SELECT seq, hash FROM audit_event ORDER BY seq DESC LIMIT 1');
    const ctx = requestContext.getStore();
    const event = new AuditEvent();
    event.seq = last.length ? Number(last[0].seq) + 1 : 1;
    event.occurredAt = new Date();
    event.actorId = e.actor?.id ?? null;
    event.actorUsername = e.actor?.username ?? e.actorUsername ?? null;
    event.actorOrganizationId = e.actor?.organizationId ?? null;
    event.action = e.action;
    event.resourceType = e.resourceType ?? null;
    event.resourceId = e.resourceId ?? null;
    event.outcome = e.outcome ?? 'success';
    event.ip = ctx?.ip ?? null;
    event.userAgent = ctx?.userAgent?.slice(0, 512) ?? null;
    event.requestId = ctx?.requestId ?? null;
    // Round-trip through JSON so what is hashed is what jsonb gives back.
    event.details = JSON.parse(JSON.stringify(e.details ?? {}));
    event.prevHash = last.length ? last[0].hash : GENESIS_HASH;
    event.hash = chainHash(event);
    await m.insert(AuditEvent, event as QueryDeepPartialEntity<AuditEvent>);
  }

  /** Walks the whole chain in order; reports the first record whose link does not hold. */
  async verify(): Promise<ChainVerification> {
    const pageSize = 5000;
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let checked = 0;
    for (;;) {
      const rows = await this.db.manager
        .getRepository(AuditEvent)
        .createQueryBuilder('a')
        .where('a.seq >= :from', { from: expectedSeq })
        .orderBy('a.seq', 'ASC')
        .take(pageSize)
        .getMany();
      for (const row of rows) {
        if (row.seq !== expectedSeq) return { ok: false, checked, lastSeq: expectedSeq - 1, firstBroken: { seq: row.seq, problem: 'missing_before' } };
        if (row.prevHash !== prevHash) return { ok: false, checked, lastSeq: row.seq, firstBroken: { seq: row.seq, problem: 'relinked' } };
        if (chainHash(row) !== row.hash) return { ok: false, checked, lastSeq: row.seq, firstBroken: { seq: row.seq, problem: 'altered' } };
        prevHash = row.hash;
        expectedSeq++;
        checked++;
      }
      if (rows.length < pageSize) break;
    }
    if (checked === 0) this.logger.debug('audit chain is empty');
    return { ok: true, checked, lastSeq: expectedSeq - 1 };
  }

  async list(filter: { resourceType?: string; resourceId?: string; actorId?: string; action?: string; limit: number; offset: number }) {
    const qb = this.db.manager.getRepository(AuditEvent).createQueryBuilder('a');
    if (filter.resourceType) qb.andWhere('a.resource_type = :rt', { rt: filter.resourceType });
    if (filter.resourceId) qb.andWhere('a.resource_id = :rid', { rid: filter.resourceId });
    if (filter.actorId) qb.andWhere('a.actor_id = :aid', { aid: filter.actorId });
    if (filter.action) qb.andWhere('a.action = :action', { action: filter.action });
    qb.orderBy('a.seq', 'DESC').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total, limit: filter.limit, offset: filter.offset };
  }
}
