import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { AuditService } from '@huizhen/audit';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { ImagingStore } from '../imaging-store';
import { PeerStore } from '../peers/peer-store';
import { InstanceStore } from '../storage/instance-store';
import {
  type Acknowledge,
  type ForwardItem,
  ForwardStopped,
  sendByCStore,
  sendByStow,
} from './forward-senders';
import { backoffMs, ForwardFailed, type RoutingRule } from './routing-model';
import { RoutingStore } from './routing-store';

/** Jobs one node sends at once: each holds an association or a request open to a hospital's PACS. */
const CONCURRENCY = 2;
/** How long a destination may take to connect, negotiate, and answer each instance. */
const SEND_TIMEOUT_MS = 60_000;

type Claim = Awaited<ReturnType<RoutingStore['claim']>>[number];

/**
 * The durable forward queue's worker on this node: claims due jobs (RoutingStore.claim, FOR
 * UPDATE SKIP LOCKED, under a lease this node renews with every instance acknowledged), sends the
 * study's instances the destination has not acknowledged yet, then marks the job done, queues it
 * again after an exponential backoff, or makes it a dead letter (a permanent refusal, or the
 * attempts spent). It looks for work every ROUTING_POLL_SECONDS, when an arrival or a backoff it
 * set comes due, and at start, so jobs queued or left 'sending' by a process that stopped are
 * taken up again. A stopping node finishes the instance in flight and gives its jobs back.
 */
@Injectable()
export class ForwardQueue implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ImagingRouting');
  /** This process, as named in the jobs it holds. */
  readonly node = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly running = new Set<Promise<void>>();
  private readonly stopping = new AbortController();
  private poll: NodeJS.Timeout | null = null;
  private wake: { at: number; timer: NodeJS.Timeout } | null = null;
  private claiming = false;
  private again = false;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly store: RoutingStore,
    private readonly peers: PeerStore,
    private readonly index: ImagingStore,
    private readonly files: InstanceStore,
    private readonly audit: AuditService,
  ) {}

  private get settings() {
    return this.config.imaging.routing;
  }

  onApplicationBootstrap(): void {
    if (!this.settings.pollSeconds) return;
    this.poll = setInterval(() => this.tick(), this.settings.pollSeconds * 1000);
    this.poll.unref();
    this.tick();
  }

  /** Before the database closes: no new claims, the jobs in flight given back. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    if (this.poll) clearInterval(this.poll);
    if (this.wake) clearTimeout(this.wake.timer);
    await Promise.allSettled([...this.running]);
  }

  /** Look for due jobs in `ms` (an arrival's quiet time, a backoff), unless a look comes sooner. */
  wakeIn(ms: number): void {
    if (!this.settings.pollSeconds || this.stopping.signal.aborted) return;
    const at = Date.now() + ms;
    if (this.wake && this.wake.at <= at) return;
    if (this.wake) clearTimeout(this.wake.timer);
    const timer = setTimeout(() => {
      this.wake = null;
      this.tick();
    }, ms + 50);
    timer.unref();
    this.wake = { at, timer };
  }

  /** Claims due jobs while this node has room, and starts them. */
  tick(): void {
    if (this.stopping.signal.aborted) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = true;
    void this.claimRound()
      .catch((e) => this.logger.error(`claiming forward jobs failed: ${describe(e)}`))
      .finally(() => {
        this.claiming = false;
        if (this.again) {
          this.again = false;
          this.tick();
        }
      });
  }

  private async claimRound(): Promise<void> {
    while (!this.stopping.signal.aborted && this.running.size < CONCURRENCY) {
      const claims = await this.store.claim(
        this.node,
        this.settings.leaseSeconds,
        CONCURRENCY - this.running.size,
      );
      if (!claims.length) return;
      for (const claim of claims) {
        const done: Promise<void> = this.run(claim)
          .catch((e) => this.logger.error(`forward job ${claim.id} failed: ${describe(e)}`))
          .finally(() => {
            this.running.delete(done);
            this.tick();
          });
        this.running.add(done);
      }
    }
  }

  private async run(claim: Claim): Promise<void> {
    const rule = await this.store.rule(claim.ruleId);
    if (!rule) return; // removed meanwhile: its jobs went with it
    let sent = 0;
    const ack: Acknowledge = async (uids) => {
      const ours = await this.store.acknowledged(
        claim.id,
        this.node,
        uids,
        this.settings.leaseSeconds,
      );
      sent += uids.length;
      return ours;
    };
    // One instance can take longer than the lease on a slow link: the claim is renewed meanwhile too.
    const heartbeat = setInterval(
      () => void ack([]).catch(() => undefined),
      (this.settings.leaseSeconds * 1000) / 3,
    );
    heartbeat.unref();
    try {
      const items = await this.itemsToSend(claim);
      if (items.length) await this.send(rule, items, ack);
      await this.store.transaction(async (m) => {
        const state = await this.store.succeeded(
          claim.id,
          this.node,
          this.settings.quietSeconds,
          m,
        );
        if (state && sent) await this.recordForward(rule, claim, sent, m);
        if (state === 'queued') this.wakeIn(this.settings.quietSeconds * 1000);
      });
    } catch (e) {
      if (sent) await this.recordForward(rule, claim, sent);
      if (e instanceof ForwardStopped) {
        if (this.stopping.signal.aborted) await this.store.release(claim.id, this.node);
        return;
      }
      await this.failed(claim, e);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** The study's instances the destination has not acknowledged yet, in series and instance order. */
  private async itemsToSend(claim: Claim): Promise<ForwardItem[]> {
    const rows = await this.index.instances({ study: claim.studyInstanceUid });
    if (!rows.length)
      throw new ForwardFailed(`study ${claim.studyInstanceUid} is not stored here`, true);
    await this.store.started(claim.id, this.node, rows.length);
    const done = await this.store.sentOf(claim.id);
    return rows
      .filter((r) => !done.has(r.sop_instance_uid))
      .map((r) => ({
        sopClass: r.sop_class_uid,
        sopInstance: r.sop_instance_uid,
        transferSyntax: r.transfer_syntax_uid,
        part10: () => this.files.read(r.content_sha256),
      }));
  }

  private async send(rule: RoutingRule, items: ForwardItem[], ack: Acknowledge): Promise<void> {
    const signal = this.stopping.signal;
    const { peerId } = rule.destination;
    if (rule.destination.kind === 'dimse') {
      const peer = await this.peers.dimsePeer(peerId);
      if (!peer) throw new ForwardFailed('the destination peer is gone', true);
      const c = this.config.imaging;
      return sendByCStore(peer, items, ack, {
        signal,
        settings: {
          callingAe: c.dimseAeTitle,
          maxPduBytes: c.dimseMaxPduBytes,
          maxInstanceBytes: c.maxInstanceBytes,
          timeoutMs: SEND_TIMEOUT_MS,
        },
      });
    }
    const peer = await this.peers.dicomwebPeer(peerId);
    if (!peer) throw new ForwardFailed('the destination peer is gone', true);
    return sendByStow(peer, items, ack, { signal, timeoutMs: SEND_TIMEOUT_MS });
  }

  private async failed(claim: Claim, e: unknown): Promise<void> {
    const failure =
      e instanceof ForwardFailed
        ? e
        : new ForwardFailed(`internal error: ${e instanceof Error ? e.message : String(e)}`, false);
    const delay = backoffMs(claim.attempts, this.settings);
    const state = await this.store.failed(claim.id, this.node, {
      reason: failure.message.slice(0, 1000),
      permanent: failure.permanent,
      maxAttempts: this.settings.maxAttempts,
      delaySeconds: delay / 1000,
    });
    this.logger.warn(
      `forwarding study ${claim.studyInstanceUid} (job ${claim.id}, attempt ${claim.attempts}): ${failure.message}; ${
        state === 'queued'
          ? `next attempt in ${Math.round(delay / 1000)} s`
          : (state ?? 'taken over')
      }`,
    );
    if (state === 'queued') this.wakeIn(delay);
  }

  /** Sending a study out is a disclosure: one event per attempt that delivered something. */
  private recordForward(
    rule: RoutingRule,
    claim: Claim,
    instances: number,
    m?: Parameters<AuditService['record']>[1],
  ): Promise<void> {
    return this.audit.record(
      {
        action: 'imaging_study.forward',
        actor: null,
        resourceType: 'imaging_study',
        resourceId: claim.studyInstanceUid,
        details: {
          jobId: claim.id,
          ruleId: rule.id,
          organizationId: rule.organizationId,
          destination: rule.destination,
          instances,
          attempt: claim.attempts,
        },
      },
      m,
    );
  }
}

const describe = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
