import { AsyncLocalStorage } from 'node:async_hooks';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';

/** Set while a `dataSource.transaction` callback of the current async flow is running. */
const openTransaction = new AsyncLocalStorage<{ open: boolean }>();

export class QueryOutsideTransactionError extends Error {
  constructor() {
    super(
      'a query went to the connection pool while this flow holds an open transaction: inside db.transaction(async (m) => …) use only m ' +
        '(the embedded database has one connection, so such a query would wait forever)',
    );
    this.name = 'QueryOutsideTransactionError';
  }
}

/**
 * Catches the one mistake that hangs the embedded database: inside a transaction's callback,
 * a query sent through the DataSource (or a repository, or a service that uses it) instead
 * of the transaction's EntityManager. With one connection that query waits for the connection
 * the transaction holds, forever; on a pooled server it runs outside the transaction, unseen
 * by it. `strict` (embedded and tests) throws at the call; otherwise it is logged once per site.
 */
export function guardTransactionConnections(dataSource: DataSource, strict: boolean): void {
  const logger = new Logger('Database');
  const reported = new Set<string>();
  const manager = dataSource.manager;
  const transaction = manager.transaction.bind(manager) as (...args: unknown[]) => Promise<unknown>;
  manager.transaction = ((isolationOrWork: unknown, maybeWork?: unknown) => {
    const work = (typeof isolationOrWork === 'function' ? isolationOrWork : maybeWork) as (
      m: EntityManager,
    ) => Promise<unknown>;
    const state = { open: false };
    const guarded = async (m: EntityManager) => {
      state.open = true;
      try {
        return await work(m);
      } finally {
        state.open = false;
      }
    };
    return openTransaction.run(state, () =>
      typeof isolationOrWork === 'function'
        ? transaction(guarded)
        : transaction(isolationOrWork, guarded),
    );
  }) as EntityManager['transaction'];

  const createQueryRunner = dataSource.createQueryRunner.bind(dataSource);
  dataSource.createQueryRunner = (mode) => {
    if (openTransaction.getStore()?.open) {
      const error = new QueryOutsideTransactionError();
      if (strict) throw error;
      const site = error.stack?.split('\n').slice(2, 5).join(' | ') ?? '';
      if (!reported.has(site)) {
        reported.add(site);
        logger.warn(`${error.message}: ${site}`);
      }
    }
    return createQueryRunner(mode);
  };
}
