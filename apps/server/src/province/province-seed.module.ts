import { type DynamicModule, Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { DemoSeedModule } from '../demo-province/demo-seed.module';
import { ProvinceGenerator } from './province-generator';

/** What `npm run seed:province` boots: the demo's loader (the province grows from the demo) and the generator. */
@Module({})
export class ProvinceSeedModule {
  static forConfig(config: HuizhenConfig): DynamicModule {
    return {
      module: ProvinceSeedModule,
      imports: [DemoSeedModule.forConfig(config)],
      providers: [ProvinceGenerator],
    };
  }
}
