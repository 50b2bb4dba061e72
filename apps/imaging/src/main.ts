import 'reflect-metadata';
import { Module } from '@nestjs/common';
import type { HuizhenConfig } from '@huizhen/config';
import { PlatformModule, bootstrapApp } from '@huizhen/platform-http';
import { ImagingModule } from './imaging.module';

void bootstrapApp('Huizhen Imaging', (config: HuizhenConfig) => {
  @Module({ imports: [PlatformModule.forRoot({ config, database: true }), ImagingModule] })
  class ImagingProcess {}
  return ImagingProcess;
});
