import 'reflect-metadata';
import type { HuizhenConfig } from '@huizhen/config';
import { bootstrapApp } from '@huizhen/platform-http';
import { ServerModule } from './server.module';

void bootstrapApp('Huizhen', (config: HuizhenConfig) => ServerModule.forConfig(config));
