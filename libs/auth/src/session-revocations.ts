import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createClient } from 'redis';
import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { AuthStore } from './auth-store';

/** One ended session (all its access tokens), or a practitioner's "no token issued before this". */
export interface Revocation {
  sessionId: string | null;
  practitionerId: string | null;
  /** For a practitioner: tokens issued (iat) before this are refused. */
  notBeforeMs: number | null;
  /** No access token it refuses can be alive after this: then it is forgotten. */
  expiresAtMs: number;
}

/** The Redis channel every node listens on for revocations made elsewhere. */
export const REVOCATIONS_CHANNEL = 'huizhen:access-revocations';

/** An access token issued before a revocation could still be issued this long after it (a refresh in flight, clocks). */
const SLACK_MS = 60_000;

/**
 * Ended sessions, so an access token stops working at once on every node instead of living out
 * its 15 minutes: logout ends its session (the refresh-token family, `sid` in the access token),
 * a detected refresh-token theft ends the family, deactivating a practitioner (or giving them a
 * new password) ends all of theirs. The truth is the `access_revocation` table (written in the
 * transaction that ends the session); each node keeps the unexpired rows in memory, so checking a
 * token is two Map lookups and no query. A node learns of a revocation: at once for its own
 * (after the commit), from a Redis message for another node's (REDIS_URL), and from a re-read of
 * the table every SESSION_REVOCATION_POLL_SECONDS (the safety net for a missed message, and the
 * only way between nodes without Redis). Revocations are never undone, so what a node knows only
 * grows until it expires: a read that races a message cannot lose it.
 */
@Injectable()
export class SessionRevocations
  implements OnApplicationBootstrap, OnApplicationShutdown, EntitySubscriberInterface
{
  private readonly logger = new Logger('SessionRevocations');
  private readonly sessions = new Map<string, number>();
  private readonly practitioners = new Map<string, { notBeforeMs: number; expiresAtMs: number }>();
  /** Revocations written inside a transaction not yet committed: announced when it commits. */
  private readonly pending = new WeakMap<QueryRunner, Revocation[]>();
  private publisher: ReturnType<typeof createClient> | null = null;
  private subscriber: ReturnType<typeof createClient> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polls = 0;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @InjectDataSource() private readonly db: DataSource,
    private readonly store: AuthStore,
  ) {
    // Told of every commit and rollback, to announce what a committed transaction revoked.
    db.subscribers.push(this);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.reload();
    if (this.config.redisUrl) {
      this.publisher = createClient({ url: this.config.redisUrl });
      this.subscriber = this.publisher.duplicate();
      for (const c of [this.publisher, this.subscriber])
        c.on('error', (e: Error) => this.logger.warn(`redis: ${e.message}`));
      // After a reconnect, messages sent meanwhile are lost: read the table again.
      this.subscriber.on('ready', () => void this.reload());
      await Promise.all([this.publisher.connect(), this.subscriber.connect()]);
      await this.subscriber.subscribe(REVOCATIONS_CHANNEL, (message) => this.receive(message));
    }
    const every = this.config.sessionRevocationPollSeconds;
    if (every > 0) {
      this.timer = setInterval(() => void this.reload(), every * 1000);
      this.timer.unref();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const i = this.db.subscribers.indexOf(this);
    if (i !== -1) this.db.subscribers.splice(i, 1);
    await Promise.all(
      [this.subscriber, this.publisher].map((c) => c?.quit().catch(() => undefined)),
    );
    this.publisher = this.subscriber = null;
  }

  /** Whether an access token of this session and practitioner, issued at iat (seconds), is refused. Hot path. */
  refuses(sessionId: string | undefined, practitionerId: string, iatSeconds: number): boolean {
    const now = Date.now();
    if (sessionId !== undefined) {
      const until = this.sessions.get(sessionId);
      if (until !== undefined && now < until) return true;
    }
    const p = this.practitioners.get(practitionerId);
    return p !== undefined && now < p.expiresAtMs && iatSeconds * 1000 < p.notBeforeMs;
  }

  /** Ends the sessions (refresh-token families): their refresh tokens and, on every node, their access tokens. */
  async revokeSessions(sessionIds: string[], m: EntityManager): Promise<void> {
    const ids = [...new Set(sessionIds)];
    if (!ids.length) return;
    await this.store.revokeFamilies(m, ids);
    const expiresAtMs = Date.now() + this.config.accessTokenTtlSeconds * 1000 + SLACK_MS;
    await this.store.insertSessionRevocations(m, ids, expiresAtMs);
    await this.afterCommit(
      m,
      ids.map((sessionId) => ({ sessionId, practitionerId: null, notBeforeMs: null, expiresAtMs })),
    );
  }

  /**
   * Ends every session of a practitioner (deactivated, or given a new password): their refresh
   * tokens, and every access token issued to them until now, on every node. Their recent sessions
   * are ended by id too, so a clock between nodes that disagrees does not matter to those.
   */
  async revokePractitioner(practitionerId: string, m: EntityManager): Promise<void> {
    const recent = await this.store.recentFamilies(
      m,
      practitionerId,
      this.config.accessTokenTtlSeconds + SLACK_MS / 1000,
    );
    await this.store.revokePractitionerTokens(m, practitionerId);
    await this.revokeSessions(recent, m);
    const notBeforeMs = Date.now();
    const expiresAtMs = notBeforeMs + this.config.accessTokenTtlSeconds * 1000 + SLACK_MS;
    await this.store.insertPractitionerRevocation(m, { practitionerId, notBeforeMs, expiresAtMs });
    await this.afterCommit(m, [{ sessionId: null, practitionerId, notBeforeMs, expiresAtMs }]);
  }

  /** Reads the unexpired revocations from the table (start, poll, Redis reconnect). */
  async reload(): Promise<void> {
    try {
      for (const r of await this.store.unexpiredRevocations()) this.apply(r);
      this.forgetExpired();
      // Now and then, one node's poll clears rows nobody needs (any node may: the delete is idempotent).
      if (++this.polls % 720 === 0) await this.store.forgetOldRevocations();
    } catch (e) {
      this.logger.warn(
        `could not read ended sessions: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
  }

  /** TypeORM awaits this before the commit resolves: the answer to a logout leaves after Redis took the message. */
  afterTransactionCommit(event: { queryRunner: QueryRunner }): Promise<void> | void {
    const list = this.pending.get(event.queryRunner);
    if (!list) return;
    this.pending.delete(event.queryRunner);
    return this.announce(list);
  }

  afterTransactionRollback(event: { queryRunner: QueryRunner }): void {
    this.pending.delete(event.queryRunner);
  }

  private async afterCommit(m: EntityManager, list: Revocation[]): Promise<void> {
    const runner = m.queryRunner;
    if (runner?.isTransactionActive)
      this.pending.set(runner, [...(this.pending.get(runner) ?? []), ...list]);
    else await this.announce(list);
  }

  /** Applies here at once, and tells the other nodes (Redis answers once it has passed the message to every subscriber). */
  private async announce(list: Revocation[]): Promise<void> {
    for (const r of list) this.apply(r);
    if (!this.publisher?.isReady) return;
    await this.publisher
      .publish(REVOCATIONS_CHANNEL, JSON.stringify(list))
      .catch((e: Error) =>
        this.logger.warn(`could not announce ended sessions (the poll will): ${e.message}`),
      );
  }

  private receive(message: string): void {
    try {
      const list = JSON.parse(message) as Revocation[];
      for (const r of list) if (typeof r.expiresAtMs === 'number') this.apply(r);
    } catch {
      this.logger.warn('ignored a malformed revocation message');
    }
  }

  /**
   * Called whenever this node learns of a revocation it did not know (its own, a message, or the
   * table): holders of long-lived connections authenticated once (socket.io /events) check their
   * tokens again and close those now refused.
   */
  onRevoked(listener: () => void): void {
    this.listeners.push(listener);
  }

  private readonly listeners: (() => void)[] = [];

  private apply(r: Revocation): void {
    if (r.expiresAtMs <= Date.now()) return;
    let learnt = false;
    if (r.sessionId && !this.sessions.has(r.sessionId)) learnt = true;
    if (r.sessionId)
      this.sessions.set(r.sessionId, Math.max(r.expiresAtMs, this.sessions.get(r.sessionId) ?? 0));
    if (r.practitionerId && r.notBeforeMs !== null) {
      const known = this.practitioners.get(r.practitionerId);
      if (!known || known.notBeforeMs < r.notBeforeMs) {
        learnt = true;
        this.practitioners.set(r.practitionerId, {
          notBeforeMs: r.notBeforeMs,
          expiresAtMs: r.expiresAtMs,
        });
      }
    }
    if (learnt) for (const l of this.listeners) l();
  }

  private forgetExpired(): void {
    const now = Date.now();
    for (const [id, until] of this.sessions) if (until <= now) this.sessions.delete(id);
    for (const [id, p] of this.practitioners)
      if (p.expiresAtMs <= now) this.practitioners.delete(id);
  }
}
