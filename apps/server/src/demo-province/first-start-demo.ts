import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HUIZHEN_CONFIG, type HuizhenConfig } from '@huizhen/config';
import { DemoConsultations } from './demo-consultations';
import { DemoProvinceSeeder } from './demo-province.seeder';

/** On the first start of an empty database (SEED_DEMO, on by default when embedded): the demo province and a few consultations. */
@Injectable()
export class FirstStartDemo implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoProvince');

  constructor(
    @Inject(HUIZHEN_CONFIG) private readonly config: HuizhenConfig,
    private readonly province: DemoProvinceSeeder,
    private readonly consultations: DemoConsultations,
  ) {}

  async onApplicationBootstrap() {
    if (!this.config.seedDemoOnFirstStart) return;
    const summary = await this.province.seedIfEmpty();
    if (!summary) return;
    const consultations = await this.consultations.seed().catch((e) => {
      this.logger.warn(`demo consultations not created: ${(e as Error).message}`);
      return 0;
    });
    this.logger.log({ msg: 'demo province loaded', ...summary, consultations });
  }
}
