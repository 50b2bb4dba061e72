import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule, bootstrapApp } from '@huizhen/platform-http';
import { MediaModule } from './media.module';

void bootstrapApp('Huizhen Media', (config: HuizhenConfig) => {
  @Module({ imports: [PlatformModule.forRoot({ config, database: false }), MediaModule] })
  class MediaProcess {}
  return MediaProcess;
});
