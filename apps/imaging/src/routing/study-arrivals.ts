import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { ImagingStore } from '../imaging-store';
import { IngestService, type IngestContext } from '../ingest/ingest.service';
import { ForwardQueue } from './forward-queue';
import { ruleMatches, type StudyArrival } from './routing-model';
import { RoutingStore } from './routing-store';

/** Arrivals are gathered this long before the rules are asked (one round per burst, not per instance). */
const GATHER_MS = 250;
/** At start, studies changed this recently without the job their rule owes them get it. */
const CATCH_UP_SECONDS = 3600;

/**
 * Hears of every instance stored (IngestService.onStored, after its rows committed) and arms the
 * forward jobs of the rules the study matches. A study is forwarded once it has been quiet for
 * ROUTING_QUIET_SECONDS, not instance by instance: a modality sends a study over one association
 * in seconds, and forwarding it whole costs the destination one association (one STOW-RS request
 * per few instances) instead of one per instance over a township's link; the quiet time lives in
 * the job's next_attempt_at, so it survives a restart, and whatever arrives after a study went
 * out queues its job again for the instances not yet acknowledged.
 */
@Injectable()
export class StudyArrivals implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ImagingRouting');
  private pending = new Map<string, StudyArrival>();
  private timer: NodeJS.Timeout | null = null;
  /** The round in flight (tests wait for it). */
  settled: Promise<void> = Promise.resolve();

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly ingest: IngestService,
    private readonly store: RoutingStore,
    private readonly index: ImagingStore,
    private readonly queue: ForwardQueue,
  ) {}

  onModuleInit(): void {
    this.ingest.onStored((ctx, study) => this.note(ctx, study));
  }

  /** Arrivals a stopped process heard of but did not arm (RoutingStore.missedArrivals). */
  onApplicationBootstrap(): void {
    if (!this.config.imaging.routing.pollSeconds) return;
    this.settled = this.catchUp().catch((e) =>
      this.logger.error(
        `catching up on arrivals failed: ${e instanceof Error ? e.stack : String(e)}`,
      ),
    );
  }

  private async catchUp(): Promise<void> {
    const missed = await this.store.missedArrivals(CATCH_UP_SECONDS);
    const quiet = this.config.imaging.routing.quietSeconds;
    for (const m of missed) await this.store.arm([m.rule_id], m.study_instance_uid, quiet);
    if (!missed.length) return;
    this.logger.warn(`${missed.length} arrival(s) stored without their forward job: armed now`);
    this.queue.wakeIn(quiet * 1000);
  }

  /**
   * A stopping process arms what it has gathered now, while its database is still open: the
   * round waiting for its timer would otherwise run after the connection closed and be lost
   * until the next start's catch-up.
   */
  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.flush();
    await this.settled;
  }

  /** Asks the rules about the arrivals gathered so far (one round after the one in flight). */
  private flush(): void {
    this.timer = null;
    const round = this.pending;
    this.pending = new Map();
    if (!round.size) return;
    this.settled = this.settled
      .then(() => this.route([...round.values()]))
      .catch((e) =>
        this.logger.error(`routing arrivals failed: ${e instanceof Error ? e.stack : String(e)}`),
      );
  }

  private note(ctx: IngestContext, studyInstanceUid: string): void {
    const key = `${ctx.organizationId} ${studyInstanceUid}`;
    let a = this.pending.get(key);
    if (!a) {
      a = { organizationId: ctx.organizationId, studyInstanceUid, callingAeTitles: new Set() };
      this.pending.set(key, a);
    }
    if (ctx.callingAe) a.callingAeTitles.add(ctx.callingAe);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), GATHER_MS);
      this.timer.unref();
    }
  }

  /** Each study's matching rules get their job armed, due after the quiet time. */
  private async route(arrivals: StudyArrival[]): Promise<void> {
    const orgs = [...new Set(arrivals.map((a) => a.organizationId))];
    const rules = await this.store.enabledRulesOf(orgs);
    if (!rules.length) return;
    const quiet = this.config.imaging.routing.quietSeconds;
    for (const a of arrivals) {
      const candidates = rules.filter((r) => r.organizationId === a.organizationId);
      if (!candidates.length) continue;
      const modalities = candidates.some((r) => r.modalities.length)
        ? ((await this.index.studySummary(a.studyInstanceUid))?.modalities ?? [])
        : [];
      const matched = candidates.filter((r) =>
        ruleMatches(r, { modalities, callingAeTitles: a.callingAeTitles }),
      );
      await this.store.arm(
        matched.map((r) => r.id),
        a.studyInstanceUid,
        quiet,
      );
      if (matched.length) this.queue.wakeIn(quiet * 1000);
    }
  }
}
