import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule, bootstrapApp } from '@huizhen/platform-http';
import { WebClientModule } from '@huizhen/web-client';
import { ApiModule } from './api.module';

void bootstrapApp('Huizhen API', (config: HuizhenConfig) => {
  @Module({
    imports: [PlatformModule.forRoot({ config, database: true }), ApiModule, WebClientModule],
  })
  class ApiProcess {}
  return ApiProcess;
});
