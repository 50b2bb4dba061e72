import { Global, Module } from '@nestjs/common';
import { loadConfig, type HuizhenConfig } from './huizhen-config';

export const HUIZHEN_CONFIG = Symbol('HUIZHEN_CONFIG');

@Global()
@Module({})
export class ConfigModule {
  /** Provides the validated configuration; tests pass their own. */
  static forRoot(config?: HuizhenConfig) {
    return {
      module: ConfigModule,
      providers: [{ provide: HUIZHEN_CONFIG, useFactory: () => config ?? loadConfig() }],
      exports: [HUIZHEN_CONFIG],
    };
  }
}
