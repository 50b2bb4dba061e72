import type { ChainBreak, ChainVerification } from '@huizhen/contract';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '@huizhen/kernel';
import { prepared } from '@huizhen/database';
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

/**
 * Why a link does not hold. `missing_before`: the records just before `seq` are gone (a gap in
 * the sequence; `missing` says how many). `relinked`: the record names a previous hash that is not
 * the hash of the record before it (it was re-chained onto another predecessor, or its
 * predecessor was rewritten with a fresh hash). `altered`: the record's content no longer gives
 * its own hash.
 */
export type { ChainBreak, ChainBreakKind, ChainVerification } from '@huizhen/contract';

/** A chain rewritten wholesale breaks at every record: the answer lists this many, and counts the rest. */
export const MAX_LISTED_BREAKS = 1000;

/** One sealer at a time across every process sharing the database (an advisory lock's key). */
export const AUDIT_SEALER_LOCK = 7_412_503_2;
const SEAL_BATCH = 500;
// Appends wait this long to be sealed in a batch; a periodic pass catches other processes' rows.
const SEAL_DELAY_MS = 100;
const SEAL_SWEEP_MS = 5_000;

interface Row {
  id: string;
  occurred_at: Date;
  actor_id: string | null;
  actor_username: string | null;
  actor_organization_id: string | null;
  action: string;
  resource_type: string | null;
  resource_id: string | null;
  outcome: AuditOutcome;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
  seq?: string | null;
  prev_hash?: string | null;
  hash?: string | null;
}

function hashOf(r: Row, seq: number, prevHash: string): string {
  return chainHash({
    seq,
    prevHash,
    occurredAt: r.occurred_at,
    actorId: r.actor_id,
    actorUsername: r.actor_username,
    actorOrganizationId: r.actor_organization_id,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    outcome: r.outcome,
    ip: r.ip,
    userAgent: r.user_agent,
    requestId: r.request_id,
    details: r.details,
  });
}

const EVENT_COLUMNS = [
  'occurred_at',
  'actor_id',
  'actor_username',
  'actor_organization_id',
  'action',
  'resource_type',
  'resource_id',
  'outcome',
  'ip',
  'user_agent',
  'request_id',
  'details',
] as const;
type EventColumn = (typeof EVENT_COLUMNS)[number];
const COLUMN_TYPES: Partial<Record<EventColumn, string>> = {
  occurred_at: 'timestamptz',
  actor_id: 'uuid',
  actor_organization_id: 'uuid',
  details: 'jsonb',
};
const INSERT_EVENT = `INSERT INTO audit_event (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`;

/** An event's column values: who (from the record and the request context), what, when. */
function eventRow(e: Omit<AuditRecord, 'details'>): Record<EventColumn, unknown> {
  const ctx = requestContext.getStore();
  return {
    occurred_at: new Date(),
    actor_id: e.actor?.id ?? null,
    actor_username: e.actor?.username ?? e.actorUsername ?? null,
    actor_organization_id: e.actor?.organizationId ?? null,
    action: e.action,
    resource_type: e.resourceType ?? null,
    resource_id: e.resourceId ?? null,
    outcome: e.outcome ?? 'success',
    ip: ctx?.ip ?? null,
    user_agent: ctx?.userAgent?.slice(0, 512) ?? null,
    request_id: ctx?.requestId ?? null,
    details: {},
  };
}

/**
 * The audit trail. `record` appends inside the caller's transaction (the event commits or
 * rolls back with the change it describes) and takes no lock; a sealer then links committed
 * events into the sha256 chain in batches. Until sealed (about 0.1 s), an event is
 * protected by the append-only trigger but not yet by the chain.
 */
@Injectable()
export class AuditService implements OnModuleDestroy {
  private readonly logger = new Logger('Audit');
  private sealTimer: NodeJS.Timeout | null = null;
  private sealing: Promise<number> | null = null;
  private readonly sweep: NodeJS.Timeout;
  private closed = false;

  constructor(@InjectDataSource() private readonly db: DataSource) {
    this.sweep = setInterval(() => this.sealSoon(), SEAL_SWEEP_MS);
    this.sweep.unref();
  }

  /**
   * Appends one event. Pass the caller's EntityManager to make the event part of the
   * caller's transaction: a state change and its audit commit or roll back together.
   */
  async record(e: AuditRecord, manager?: EntityManager): Promise<void> {
    const row = eventRow(e);
    // Round-trip through JSON so what is stored is plain data.
    row.details = JSON.parse(JSON.stringify(e.details ?? {}));
    await (manager ?? this.db.manager).query(
      prepared(INSERT_EVENT),
      EVENT_COLUMNS.map((c) => row[c]),
    );
    this.sealSoon();
  }

  /**
   * One event as an `INSERT … SELECT` to put in a data-modifying WITH beside a read, so the read
   * and its audit are one statement: one round trip, and the event exists exactly when the read
   * ran. `sql.details` (a jsonb expression), `sql.resourceId` and `sql.when` are SQL over the
   * statement's other parts (and over `sql.from`, if given); the event's own values are appended to `params`. Call
   * `appended()` once the statement has run, so the event is sealed as soon as usual.
   */
  insertSelect(
    e: Omit<AuditRecord, 'details' | 'resourceId'>,
    params: unknown[],
    sql: { details: string; resourceId?: string; from?: string; when?: string },
  ): string {
    const row = eventRow(e);
    const values = EVENT_COLUMNS.map((c) => {
      if (c === 'resource_id') return sql.resourceId ?? 'NULL';
      if (c === 'details') return sql.details;
      params.push(row[c]);
      return `$${params.length}::${COLUMN_TYPES[c] ?? 'text'}`;
    });
    return `INSERT INTO audit_event (${EVENT_COLUMNS.join(', ')}) SELECT ${values.join(', ')}${sql.from ? ` FROM ${sql.from}` : ''}${sql.when ? ` WHERE ${sql.when}` : ''}`;
  }

  /** After a statement with an `insertSelect` event ran: seal it soon, as `record` does. */
  appended(): void {
    this.sealSoon();
  }

  private sealSoon(): void {
    if (this.sealTimer || this.closed) return;
    this.sealTimer = setTimeout(() => {
      this.sealTimer = null;
      this.seal(false).catch((err) => {
        if (this.db.isInitialized && !this.closed)
          this.logger.warn(`sealing audit events failed, will retry: ${err.message}`);
      });
    }, SEAL_DELAY_MS);
    this.sealTimer.unref();
  }

  /**
   * Links every committed, unsealed event into the chain. With `wait`, waits for another
   * process's sealer instead of leaving the work to it. Returns how many it sealed.
   */
  seal(wait = true): Promise<number> {
    // One pass at a time in this process; a caller arriving meanwhile runs its own pass after.
    const run = async (): Promise<number> => {
      let total = 0;
      for (;;) {
        const n = await this.db.transaction(async (m) => {
          if (wait) await m.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_SEALER_LOCK]);
          else if (
            !(await m.query('SELECT pg_try_advisory_xact_lock($1) AS ok', [AUDIT_SEALER_LOCK]))[0]
              .ok
          )
            return 0;
          const last: { seq: string; hash: string }[] = await m.query(
            'SELECT seq, hash FROM audit_event WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1',
          );
          const rows: Row[] = await m.query(
            'SELECT * FROM audit_event WHERE seq IS NULL ORDER BY id LIMIT $1',
            [SEAL_BATCH],
          );
          if (!rows.length) return 0;
          let seq = last.length ? Number(last[0].seq) : 0;
          let prev = last.length ? last[0].hash : GENESIS_HASH;
          const ids: string[] = [];
          const seqs: number[] = [];
          const prevs: string[] = [];
          const hashes: string[] = [];
          for (const r of rows) {
            seq++;
            const hash = hashOf(r, seq, prev);
            ids.push(r.id);
            seqs.push(seq);
            prevs.push(prev);
            hashes.push(hash);
            prev = hash;
          }
          await m.query(
            `UPDATE audit_event a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
               FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS v(id, seq, prev_hash, hash)
              WHERE a.id = v.id`,
            [ids, seqs, prevs, hashes],
          );
          return rows.length;
        });
        total += n;
        if (n < SEAL_BATCH) return total;
      }
    };
    const next = (this.sealing ?? Promise.resolve(0)).catch(() => 0).then(run);
    this.sealing = next;
    return next.finally(() => {
      if (this.sealing === next) this.sealing = null;
    });
  }

  /**
   * Seals what is pending, then walks the whole chain in order and reports every record whose
   * link does not hold, not only the first: after a break the walk goes on from the record as it
   * is stored (its own hash becomes the next one's expected predecessor), so one removed or
   * altered record is one break and the records after it still count as intact when they are.
   */
  async verify(): Promise<ChainVerification> {
    await this.seal(true);
    const pageSize = 5000;
    let prevHash = GENESIS_HASH;
    let expectedSeq = 1;
    let lastSeq = 0;
    let checked = 0;
    let breakCount = 0;
    const breaks: ChainBreak[] = [];
    const broke = (b: ChainBreak) => {
      breakCount++;
      if (breaks.length < MAX_LISTED_BREAKS) breaks.push(b);
    };
    const [{ n: pending }] = await this.db.query(
      'SELECT count(*)::int AS n FROM audit_event WHERE seq IS NULL',
    );
    for (;;) {
      // Keyset on seq; a duplicated seq (a copied row) is read too, and reported below.
      const rows: Row[] = await this.db.query(
        'SELECT * FROM audit_event WHERE seq >= $1 ORDER BY seq, id LIMIT $2',
        [expectedSeq, pageSize],
      );
      let last = -1;
      for (const row of rows) {
        const seq = Number(row.seq);
        if (seq < expectedSeq) {
          // The same seq twice: the second can only have been written around the sealer.
          broke({ seq, kind: 'relinked' });
        } else if (seq > expectedSeq) {
          // A gap: the record's predecessor is gone, so its prev_hash cannot be checked; its own hash still can.
          broke({ seq, kind: 'missing_before', missing: seq - expectedSeq });
        } else if (row.prev_hash !== prevHash) {
          broke({ seq, kind: 'relinked' });
        }
        if (hashOf(row, seq, row.prev_hash ?? '') !== row.hash) broke({ seq, kind: 'altered' });
        prevHash = row.hash ?? '';
        expectedSeq = Math.max(expectedSeq, seq + 1);
        lastSeq = Math.max(lastSeq, seq);
        last = seq;
        checked++;
      }
      if (rows.length < pageSize) break;
      // A page ending inside a run of duplicates would read them again: go on after the last seq.
      expectedSeq = Math.max(expectedSeq, last + 1);
    }
    const result: ChainVerification = {
      ok: breakCount === 0,
      checked,
      lastSeq,
      pending,
      breakCount,
      breaks,
    };
    if (breakCount > breaks.length) result.breaksTruncated = true;
    if (breaks.length) result.firstBroken = { seq: breaks[0].seq, problem: breaks[0].kind };
    return result;
  }

  /** Whether an actor id names a practitioner, or anyone the trail has events of (a row may outlive its practitioner). */
  async knowsActor(id: string): Promise<boolean> {
    const [row]: { known: boolean }[] = await this.db.query(
      'SELECT EXISTS (SELECT 1 FROM practitioner WHERE id = $1) OR EXISTS (SELECT 1 FROM audit_event WHERE actor_id = $1) AS known',
      [id],
    );
    return row.known;
  }

  async list(filter: {
    resourceType?: string;
    resourceId?: string;
    actorId?: string;
    action?: string;
    limit: number;
    offset: number;
  }) {
    const qb = this.db.manager.getRepository(AuditEvent).createQueryBuilder('a');
    if (filter.resourceType) qb.andWhere('a.resource_type = :rt', { rt: filter.resourceType });
    if (filter.resourceId) qb.andWhere('a.resource_id = :rid', { rid: filter.resourceId });
    if (filter.actorId) qb.andWhere('a.actor_id = :aid', { aid: filter.actorId });
    if (filter.action) qb.andWhere('a.action = :action', { action: filter.action });
    qb.orderBy('a.id', 'DESC').take(filter.limit).skip(filter.offset);
    const [items, total] = await qb.getManyAndCount();
    return { items, total, limit: filter.limit, offset: filter.offset };
  }

  /** Seals what this process appended before the database goes away. */
  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweep);
    if (this.sealTimer) clearTimeout(this.sealTimer);
    if (this.db.isInitialized) await this.seal(false).catch(() => undefined);
  }
}
