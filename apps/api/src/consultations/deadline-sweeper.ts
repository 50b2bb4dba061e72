import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { CONSULTATION_CLOCK, type Clock } from './consultation-clock';
import { ConsultationTransitions } from './consultation-transitions';

/** Runs the deadline sweep on every api node (they share the work through SKIP LOCKED). */
@Injectable()
export class DeadlineSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ConsultationDeadlines');
  private timer: NodeJS.Timeout | null = null;
  private running = false;

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    @Inject(CONSULTATION_CLOCK) private readonly clock: Clock,
    private readonly transitions: ConsultationTransitions,
  ) {}

  onApplicationBootstrap() {
    const every = this.config.consultations.sweepIntervalSeconds;
    if (every > 0) {
      this.timer = setInterval(() => void this.tick(), every * 1000);
      this.timer.unref();
    }
  }

  onApplicationShutdown() {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick() {
    if (this.running) return;
    this.running = true;
    try {
      const r = await this.transitions.sweepDeadlines(this.clock.now(), 50);
      if (r.escalated.length || r.expired.length)
        this.logger.log(`escalated ${r.escalated.length}, expired ${r.expired.length}`);
    } catch (e) {
      this.logger.error(`deadline sweep failed: ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
  }
}
