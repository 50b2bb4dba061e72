import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';

interface Deferred {
  /** The transaction depth it was deferred at (a savepoint rolled back drops only its own). */
  depth: number;
  run: () => void;
}

/** TypeORM keeps the depth protected; savepoints make it more than 1. */
const depthOf = (qr: QueryRunner) =>
  qr.isTransactionActive
    ? ((qr as unknown as { transactionDepth?: number }).transactionDepth ?? 1)
    : 0;

/**
 * Work that must wait for a transaction to commit, wherever that transaction was opened:
 * scheduling announces booking events from inside transactions it does not own (a
 * consultation declined in the consultations feature's transaction), and an event about a
 * change that then rolls back must never be sent. Registered as a TypeORM subscriber.
 */
@Injectable()
export class CommitHooks implements EntitySubscriberInterface {
  private readonly logger = new Logger('CommitHooks');
  private readonly pending = new WeakMap<QueryRunner, Deferred[]>();

  constructor(@InjectDataSource() db: DataSource) {
    db.subscribers.push(this);
  }

  /** Runs `work` once the transaction of `m` commits (at once outside a transaction); never if it rolls back. */
  defer(m: EntityManager, work: () => void): void {
    const qr = m.queryRunner;
    if (!qr?.isTransactionActive) return this.run(work);
    const list = this.pending.get(qr) ?? [];
    list.push({ depth: depthOf(qr), run: work });
    this.pending.set(qr, list);
  }

  afterTransactionCommit(event: TransactionCommitEvent): void {
    const qr = event.queryRunner;
    if (qr.isTransactionActive) return; // a savepoint released: the outer transaction decides
    const list = this.pending.get(qr);
    this.pending.delete(qr);
    for (const d of list ?? []) this.run(d.run);
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    const qr = event.queryRunner;
    const list = this.pending.get(qr);
    if (!list) return;
    const depth = depthOf(qr);
    const kept = list.filter((d) => d.depth <= depth);
    if (kept.length) this.pending.set(qr, kept);
    else this.pending.delete(qr);
  }

  /** The change is committed: a failing announcement is logged, never turned into a failed request. */
  private run(work: () => void): void {
    try {
      work();
    } catch (e) {
      this.logger.error(`after-commit work failed: ${(e as Error).message}`);
    }
  }
}
